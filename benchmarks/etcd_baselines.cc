// raw_etcd: etcd's own KV API doing each workload's equivalent work, through
// the same generated gRPC stubs EtcdStash uses (impl/etcd/proto), on the
// same cluster, over one channel to the first endpoint (EtcdStash talks to
// the first endpoint too until it fails). Keys live under "/raw_bench/".
//
//   update          one Put of a new key (a write committed by the cluster)
//   update_many     one Txn of 10 Puts, one key per entry (atomic)
//   batch/K/1000    one Put of the 1000 entries packed into one value: a Txn
//                   may hold at most 128 operations (--max-txn-ops), so an
//                   atomic write of 1000 entries is one value in raw etcd
//                   too (which is how EtcdStash stores a write call)
//   ingest/K/1000   the same, into a new key per call
//   iter/K/N        a linearizable Range of N keys (one etcd key per entry,
//                   the natural raw layout), decoded into std::vector<Update>
//   peek_one/K/N    the same Range into a std::map<key, value>
//   iter_key/K/N    a linearizable Range of one key
//   peek_key_one    the same point read, as the value
//   open_and_load   a new channel and stub, then peek_one's Range
//
// What EtcdStash adds on top: the fence and frontier compares of every
// write Txn, the transaction counter stamped in it, frontier keys, its
// record encoding, and consolidation on read.
#include <grpcpp/grpcpp.h>

#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bench_util.h"
#include "etcd_bench.h"
#include "rpc.grpc.pb.h"
#include "workloads.h"

namespace stash::bench {
namespace {

std::string g_endpoint;  // set by add_etcd_baselines

constexpr const char* kRoot = "/raw_bench/";

std::string prefix_end(std::string p) {
  while (!p.empty() && static_cast<unsigned char>(p.back()) == 0xFF) p.pop_back();
  if (p.empty()) return std::string(1, '\0');
  p.back() = static_cast<char>(static_cast<unsigned char>(p.back()) + 1);
  return p;
}

std::string be64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xFF);
  return out;
}

// Entries packed as length-prefixed key and value, time, diff: the bytes a
// write of them must carry.
std::string pack(const std::vector<Update>& entries) {
  std::string out;
  for (const Update& u : entries) {
    out += be64(u.key.size()) + u.key + be64(u.value.size()) + u.value;
    out += be64(static_cast<std::uint64_t>(u.time)) + be64(static_cast<std::uint64_t>(u.diff));
  }
  return out;
}

struct Kv {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdserverpb::KV::Stub> stub;
};

Kv connect() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);  // a 100k-key Range is over gRPC's 4 MiB default
  Kv kv;
  kv.channel = grpc::CreateCustomChannel(g_endpoint, grpc::InsecureChannelCredentials(), args);
  kv.stub = etcdserverpb::KV::NewStub(kv.channel);
  return kv;
}

void check(const grpc::Status& s, const char* what) {
  if (!s.ok()) die(std::string("raw_etcd ") + what, s.error_message());
}

void put(Kv& kv, const std::string& key, const std::string& value) {
  etcdserverpb::PutRequest req;
  req.set_key(key);
  req.set_value(value);
  etcdserverpb::PutResponse resp;
  grpc::ClientContext ctx;
  check(kv.stub->Put(&ctx, req, &resp), "put");
}

void txn_puts(Kv& kv, const std::vector<std::pair<std::string, std::string>>& kvs) {
  etcdserverpb::TxnRequest req;
  for (const auto& [k, v] : kvs) {
    auto* p = req.add_success()->mutable_request_put();
    p->set_key(k);
    p->set_value(v);
  }
  etcdserverpb::TxnResponse resp;
  grpc::ClientContext ctx;
  check(kv.stub->Txn(&ctx, req, &resp), "txn");
  if (!resp.succeeded()) die("raw_etcd txn", "not succeeded");
}

etcdserverpb::RangeResponse range(Kv& kv, const std::string& key, const std::string& end) {
  etcdserverpb::RangeRequest req;
  req.set_key(key);
  if (!end.empty()) req.set_range_end(end);
  etcdserverpb::RangeResponse resp;
  grpc::ClientContext ctx;
  check(kv.stub->Range(&ctx, req, &resp), "range");
  return resp;
}

void clear_root() {
  Kv kv = connect();
  etcdserverpb::DeleteRangeRequest req;
  req.set_key(kRoot);
  req.set_range_end(prefix_end(kRoot));
  etcdserverpb::DeleteRangeResponse resp;
  grpc::ClientContext ctx;
  check(kv.stub->DeleteRange(&ctx, req, &resp), "delete range");
}

struct Session {
  Kv kv;
  Timestamp t = 0;
  std::int64_t round = 0;
  std::int64_t next_key = 0;
  std::vector<Update> next;
};

std::shared_ptr<Session> session() {
  static bool cleared = false;
  if (!cleared) {
    clear_root();
    cleared = true;
  }
  auto s = std::make_shared<Session>();
  s->kv = connect();
  return s;
}

// The data of `shape`, one etcd key per entry, written once per shape (in
// Txns of 100 Puts); returns its key prefix.
std::string populated_raw(Kv& kv, const Shape& shape) {
  static std::set<std::string> built;
  const std::string prefix = std::string(kRoot) + "data/" + name_of(shape.keys) + "/" +
                             std::to_string(shape.n) + "/";
  if (built.insert(prefix).second) {
    const std::vector<Update> all = entries(0, shape.n, 0, 1, shape.keys);
    for (std::size_t first = 0; first < all.size(); first += 100) {
      std::vector<std::pair<std::string, std::string>> kvs;
      for (std::size_t i = first; i < std::min(all.size(), first + 100); ++i) {
        kvs.emplace_back(prefix + all[i].key, all[i].value);
      }
      txn_puts(kv, kvs);
    }
  }
  return prefix;
}

Op update(const Shape&) {
  auto s = session();
  return {[s] { put(s->kv, std::string(kRoot) + "u/" + be64(static_cast<std::uint64_t>(s->t++)), "value"); },
          {},
          1};
}

Op update_many(const Shape&) {
  auto s = session();
  return {[s] {
            std::vector<std::pair<std::string, std::string>> kvs;
            for (const Update& u : entries(0, 10, s->t)) {
              kvs.emplace_back(std::string(kRoot) + "m/" + be64(static_cast<std::uint64_t>(s->t)) + u.key,
                               u.value);
            }
            ++s->t;
            txn_puts(s->kv, kvs);
          },
          {},
          10};
}

Op batch(const Shape& shape) {
  auto s = session();
  s->next = entries(0, shape.n, 0, 1, shape.keys);
  return {[s] { put(s->kv, std::string(kRoot) + "b/" + be64(static_cast<std::uint64_t>(s->t)), pack(s->next)); },
          [s, shape] {
            s->next_key += shape.n;
            s->next = entries(s->next_key, shape.n, ++s->t, 1, shape.keys);
          },
          shape.n};
}

Op ingest(const Shape& shape) {
  auto s = session();
  s->next = entries(0, shape.n, 0, 1, shape.keys);
  return {[s] { put(s->kv, std::string(kRoot) + "i/" + be64(static_cast<std::uint64_t>(s->round)), pack(s->next)); },
          [s] { ++s->round; },
          shape.n};
}

struct Reading {
  std::shared_ptr<Session> s;
  std::string prefix;
};

Reading reading(const Shape& shape) {
  auto s = session();
  const std::string prefix = populated_raw(s->kv, shape);
  return {s, prefix};
}

std::map<Bytes, Bytes> scan_one(Kv& kv, const std::string& prefix) {
  const auto resp = range(kv, prefix, prefix_end(prefix));
  std::map<Bytes, Bytes> out;
  for (const auto& e : resp.kvs()) out.emplace_hint(out.end(), e.key().substr(prefix.size()), e.value());
  return out;
}

Op iter(const Shape& shape) {
  auto r = reading(shape);
  return {[r, shape] {
            const auto resp = range(r.s->kv, r.prefix, prefix_end(r.prefix));
            std::vector<Update> out;
            out.reserve(static_cast<std::size_t>(resp.kvs_size()));
            for (const auto& e : resp.kvs()) out.push_back({e.key().substr(r.prefix.size()), e.value(), 0, 1});
            if (static_cast<std::int64_t>(out.size()) != shape.n) die("iter raw_etcd", "wrong size");
            benchmark::DoNotOptimize(out);
          },
          {},
          shape.n};
}

Op peek_one(const Shape& shape) {
  auto r = reading(shape);
  return {[r, shape] {
            auto m = scan_one(r.s->kv, r.prefix);
            if (static_cast<std::int64_t>(m.size()) != shape.n) die("peek_one raw_etcd", "wrong size");
            benchmark::DoNotOptimize(m);
          },
          {},
          shape.n};
}

Op point(const Shape& shape, bool as_value) {
  auto r = reading(shape);
  auto rng = std::make_shared<Rng>();
  return {[r, shape, rng, as_value] {
            const auto resp = range(r.s->kv, r.prefix + key_of(rng->below(shape.n), shape.keys), "");
            if (resp.kvs_size() != 1) die("point read raw_etcd", "wrong size");
            if (as_value) {
              std::optional<Bytes> v = resp.kvs(0).value();
              benchmark::DoNotOptimize(v);
            } else {
              std::vector<ValueUpdate> v{{resp.kvs(0).value(), 0, 1}};
              benchmark::DoNotOptimize(v);
            }
          },
          {},
          1};
}

Op open_and_load(const Shape& shape) {
  const std::string prefix = reading(shape).prefix;
  return {[prefix, shape] {
            Kv kv = connect();
            auto m = scan_one(kv, prefix);
            if (static_cast<std::int64_t>(m.size()) != shape.n) die("open_and_load raw_etcd", "wrong size");
          },
          {},
          shape.n};
}

}  // namespace

void add_etcd_baselines(const std::string& endpoint) {
  g_endpoint = endpoint;
  add_subject("update", "raw_etcd", update);
  add_subject("update_many", "raw_etcd", update_many);
  add_subject("batch", "raw_etcd", batch);
  add_subject("ingest", "raw_etcd", ingest);
  add_subject("iter", "raw_etcd", iter);
  add_subject("peek_one", "raw_etcd", peek_one);
  add_subject("iter_key", "raw_etcd", [](const Shape& s) { return point(s, false); });
  add_subject("peek_key_one", "raw_etcd", [](const Shape& s) { return point(s, true); });
  add_subject("open_and_load", "raw_etcd", open_and_load);
}

}  // namespace stash::bench
