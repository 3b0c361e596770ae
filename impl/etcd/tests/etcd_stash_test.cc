// EtcdStash against the cluster of STASH_ETCD_ENDPOINTS: the error paths the
// kit cannot reach (unreachable cluster, foreign and incompatible layouts,
// the request limits), consolidation's footprint and history compaction,
// looked at through the raw etcd API (src/etcd_client.h).
#include <chrono>

#include "etcd_client.h"
#include "etcd_test_util.h"
#include "key_layout.h"
#include "stash/etcd_stash.h"
#include "stash/open.h"
#include "txn_faults.h"

namespace stash {
namespace {

using namespace std::string_literals;
using testing::code_of;
using testing::fresh_prefix;
using testing::options_for;

// Raw access to the cluster, for putting foreign keys and looking at ours.
class Raw {
 public:
  Raw() : client_(options_for("/").endpoints) {}

  void put(const std::string& key, const std::string& value) {
    etcdserverpb::TxnRequest r;
    *r.add_success()->mutable_request_put() = put_request(key, value);
    etcdserverpb::TxnResponse out;
    ASSERT_TRUE(client_.txn(r, &out, deadline()).ok());
  }
  // Every key under `prefix` with its mod_revision, at `revision` (0: now).
  grpc::Status range(const std::string& prefix, std::map<std::string, std::int64_t>* out,
                     std::int64_t revision = 0) {
    etcdserverpb::TxnRequest r;
    auto* range = r.add_success()->mutable_request_range();
    range->set_key(prefix);
    range->set_range_end(etcd::prefix_end(prefix));
    range->set_revision(revision);
    etcdserverpb::TxnResponse response;
    grpc::Status s = client_.txn(r, &response, deadline());
    if (s.ok()) {
      for (const auto& kv : response.responses(0).response_range().kvs()) (*out)[kv.key()] = kv.mod_revision();
      revision_ = response.header().revision();
    }
    return s;
  }
  std::map<std::string, std::int64_t> keys(const std::string& prefix) {
    std::map<std::string, std::int64_t> out;
    EXPECT_TRUE(range(prefix, &out).ok());
    return out;
  }
  std::int64_t revision() const { return revision_; }

 private:
  static etcdserverpb::PutRequest put_request(const std::string& key, const std::string& value) {
    etcdserverpb::PutRequest p;
    p.set_key(key);
    p.set_value(value);
    return p;
  }
  static etcd::Clock::time_point deadline() { return etcd::Clock::now() + std::chrono::seconds(10); }
  etcd::Client client_;
  std::int64_t revision_ = 0;
};

std::size_t count_under(const std::map<std::string, std::int64_t>& keys, const std::string& prefix) {
  std::size_t n = 0;
  for (const auto& [k, rev] : keys) n += k.starts_with(prefix);
  return n;
}

TEST(EtcdStash, UnreachableClusterIsUnavailableWithinTheCallDeadline) {
  EtcdOptions o;
  o.endpoints = {"127.0.0.1:1", "127.0.0.1:2"};  // nothing listens there
  o.call_timeout_ms = 1500;
  const auto start = std::chrono::steady_clock::now();
  auto s = EtcdStash::open(o);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(code_of(s), "unavailable");
  EXPECT_NE(s.error().message().find("127.0.0.1:"), std::string::npos) << s.error();
  // The deadline, plus one backoff step and scheduling.
  EXPECT_LT(took, std::chrono::milliseconds(1500 + 1500));
}

TEST(EtcdStash, ForeignKeysUnderThePrefixAreRefusedAndLeftAlone) {
  Raw raw;
  const std::string prefix = fresh_prefix();
  raw.put(prefix + "config/app", "not a stash");
  auto s = EtcdStash::open(options_for(prefix));
  ASSERT_EQ(code_of(s), "invalid_argument");
  EXPECT_NE(s.error().message().find("foreign layout"), std::string::npos) << s.error();
  EXPECT_NE(s.error().message().find("config/app"), std::string::npos) << s.error();
  const auto keys = raw.keys(prefix);
  EXPECT_EQ(keys.size(), 1u);  // nothing was written
  EXPECT_TRUE(EtcdStash::destroy(options_for(prefix)));
}

TEST(EtcdStash, AnotherLayoutVersionIsRefused) {
  Raw raw;
  const std::string prefix = fresh_prefix();
  raw.put(prefix + "layout", "stash-etcd 99");
  auto s = EtcdStash::open(options_for(prefix));
  ASSERT_EQ(code_of(s), "invalid_argument");
  EXPECT_NE(s.error().message().find("stash-etcd 99"), std::string::npos) << s.error();
  EXPECT_NE(s.error().message().find("stash-etcd 1"), std::string::npos) << s.error();
  EXPECT_TRUE(EtcdStash::destroy(options_for(prefix)));
}

TEST(EtcdStash, MissingStashIsNotFoundWhenReadOnlyOrNotCreating) {
  EtcdOptions o = options_for(fresh_prefix());
  o.read_only = true;
  EXPECT_EQ(code_of(EtcdStash::open(o)), "not_found");
  o.read_only = false;
  o.create_if_missing = false;
  EXPECT_EQ(code_of(EtcdStash::open(o)), "not_found");
}

// A batch over the request limit is refused whole, naming both sizes, and
// leaves nothing behind: checked by the client (its limit below the
// cluster's) and by the server (the client's limit set above it).
TEST(EtcdStash, BatchOverTheRequestLimitIsRefusedWhole) {
  for (std::size_t client_limit : {std::size_t{1} << 16, std::size_t{1} << 30}) {
    EtcdOptions o = options_for(fresh_prefix());
    const std::size_t server_limit = o.max_request_bytes;
    o.max_request_bytes = client_limit;
    auto s = EtcdStash::open(o);
    ASSERT_TRUE(s) << s.error();
    auto c = (*s)->collection("big");
    ASSERT_TRUE(c);
    const std::size_t total = std::min(client_limit, server_limit) + 4096;
    std::vector<Update> batch;
    for (std::size_t bytes = 0; bytes < total; bytes += 4096) {
      batch.push_back({"k" + std::to_string(bytes), std::string(4096, 'v'), 0, 1});
    }
    auto ok = (*s)->update_many(*c, batch);
    ASSERT_EQ(code_of(ok), "invalid_argument") << client_limit;
    if (client_limit < server_limit) {
      EXPECT_NE(ok.error().message().find(std::to_string(client_limit) + " bytes"), std::string::npos)
          << ok.error();
    }
    EXPECT_EQ((*s)->iter(*c), Result<std::vector<Update>>(std::vector<Update>{}));
    // The stash still works.
    EXPECT_TRUE((*s)->update(*c, "small", "v", 0, 1));
    EXPECT_TRUE(EtcdStash::destroy(o));
  }
}

TEST(EtcdStash, AppendOverTheOperationLimitIsRefusedWhole) {
  EtcdOptions o = options_for(fresh_prefix());
  auto s = EtcdStash::open(o);
  ASSERT_TRUE(s) << s.error();
  std::vector<AppendBatch> batches;
  for (int i = 0; i < 70; ++i) {  // 70 chunks + 70 frontier keys > 128 operations
    auto c = (*s)->collection("c" + std::to_string(i));
    ASSERT_TRUE(c);
    batches.push_back({*c, Frontier(0), Frontier(1), std::nullopt, {{"k", "v", 0, 1}}});
  }
  auto ok = (*s)->append(batches);
  ASSERT_EQ(code_of(ok), "invalid_argument");
  EXPECT_NE(ok.error().message().find("operations"), std::string::npos) << ok.error();
  EXPECT_EQ((*s)->upper(batches[0].collection), Result<Frontier>(Frontier(0)));
  EXPECT_TRUE(EtcdStash::destroy(o));
}

// consolidate folds the log into one base key per user key, and later only
// touches the base keys of the user keys written since.
TEST(EtcdStash, ConsolidationRewritesOnlyWhatChanged) {
  Raw raw;
  EtcdOptions o = options_for(fresh_prefix());
  const etcd::Keys keys(o.prefix);
  auto s = EtcdStash::open(o);
  ASSERT_TRUE(s) << s.error();
  auto c = (*s)->collection("c");
  ASSERT_TRUE(c);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE((*s)->update(*c, "k" + std::to_string(i % 5), "v", i, 1));
  }
  ASSERT_TRUE((*s)->update(*c, "k0", "v", 30, -1));  // stays: beyond since
  ASSERT_TRUE((*s)->seal(*c, Frontier(40)));
  ASSERT_TRUE((*s)->compact(*c, Frontier(25)));
  auto before = (*s)->iter(*c);
  ASSERT_TRUE(before);
  ASSERT_TRUE((*s)->consolidate(*c));
  EXPECT_EQ((*s)->iter(*c), before);
  auto stored = raw.keys(o.prefix);
  EXPECT_EQ(count_under(stored, keys.base(c->id)), 5u);
  EXPECT_EQ(count_under(stored, keys.log(c->id)), 1u);  // the update at 30
  // One more write to k3: consolidating again rewrites k3's base key only.
  ASSERT_TRUE((*s)->update(*c, "k3", "w", 40, 1));
  ASSERT_TRUE((*s)->seal(*c, Frontier(42)));
  ASSERT_TRUE((*s)->compact(*c, Frontier(41)));
  ASSERT_TRUE((*s)->consolidate(*c));
  auto after = raw.keys(o.prefix);
  for (int i = 0; i < 5; ++i) {
    const std::string k = keys.base(c->id, "k" + std::to_string(i));
    if (i == 3 || i == 0) {
      EXPECT_NE(after[k], stored[k]) << i;  // k0's retraction at 30 folded in too
    } else {
      EXPECT_EQ(after[k], stored[k]) << i;
    }
  }
  EXPECT_EQ(count_under(after, keys.log(c->id)), 0u);
  // k0 sums to 3 (4 - 1), k3 gained "w".
  auto peek = (*s)->peek(*c);
  ASSERT_TRUE(peek) << peek.error();
  EXPECT_EQ(*peek, (std::vector<PeekEntry>{{"k0", "v", 3}, {"k1", "v", 4}, {"k2", "v", 4},
                                           {"k3", "v", 4}, {"k3", "w", 1}, {"k4", "v", 4}}));
  EXPECT_TRUE(EtcdStash::destroy(o));
}

// A chunk with more movable keys than one transaction can fold is split by
// key first, so the folds rewrite small pieces instead of the rest of the
// chunk each time: the bytes consolidate sends stay proportional to the
// chunk (the old way, every fold rewriting what was left, sent ~8 times it
// here), and the result is the same.
TEST(EtcdStash, LargeChunkIsSplitByKeyBeforeFolding) {
  Raw raw;
  EtcdOptions o = options_for(fresh_prefix());
  o.max_txn_ops = 10;  // 7 keys per fold
  const etcd::Keys keys(o.prefix);
  auto s = EtcdStash::open(o);
  ASSERT_TRUE(s) << s.error();
  auto c = (*s)->collection("c");
  ASSERT_TRUE(c);
  const std::string value(200, 'v');
  std::vector<Update> entries;
  entries.reserve(105);
  for (int i = 0; i < 100; ++i) entries.push_back({"k" + std::to_string(1000 + i), value, 1, 1});
  for (int i = 0; i < 5; ++i) entries.push_back({"k" + std::to_string(1000 + 20 * i), value, 50, 1});  // beyond since
  ASSERT_TRUE((*s)->update_many(*c, entries));
  ASSERT_TRUE((*s)->seal(*c, Frontier(60)));
  ASSERT_TRUE((*s)->compact(*c, Frontier(10)));
  const std::size_t chunk_bytes = etcd::encode_chunk(entries).size();
  auto before = (*s)->iter(*c);
  ASSERT_TRUE(before);
  etcd::faults::TxnCounts sent;
  {
    etcd::faults::TxnFaults watch(o.prefix);  // counts only
    ASSERT_TRUE((*s)->consolidate(*c));
    sent = watch.counts();
  }
  EXPECT_EQ((*s)->iter(*c), before);
  auto stored = raw.keys(o.prefix);
  EXPECT_EQ(count_under(stored, keys.base(c->id)), 100u);
  EXPECT_LE(count_under(stored, keys.log(c->id)), 5u);  // pieces holding the updates at 50
  EXPECT_LT(sent.write_bytes, 4 * chunk_bytes) << sent.writes << " writes";
  // Two splits (8 pieces each at most) and one fold per piece of 7 keys.
  EXPECT_LE(sent.writes, 2 + 15 + 1) << sent.write_bytes << " bytes";
  EXPECT_TRUE(EtcdStash::destroy(o));
}

TEST(EtcdStash, SinceEmptyConsolidationDropsEverything) {
  Raw raw;
  EtcdOptions o = options_for(fresh_prefix());
  auto s = EtcdStash::open(o);
  ASSERT_TRUE(s) << s.error();
  auto c = (*s)->collection("c");
  ASSERT_TRUE(c);
  ASSERT_TRUE((*s)->update(*c, "k", "v", 0, 1));
  ASSERT_TRUE((*s)->seal(*c, Frontier::empty()));
  ASSERT_TRUE((*s)->compact(*c, Frontier::empty()));
  ASSERT_TRUE((*s)->consolidate(*c));
  const etcd::Keys keys(o.prefix);
  auto stored = raw.keys(o.prefix);
  EXPECT_EQ(count_under(stored, keys.log(c->id)) + count_under(stored, keys.base(c->id)), 0u);
  EXPECT_TRUE(EtcdStash::destroy(o));
}

// Every compact_history_every revisions a writer compacts etcd's history:
// old revisions can no longer be read.
TEST(EtcdStash, HistoryIsCompacted) {
  Raw raw;
  EtcdOptions o = options_for(fresh_prefix());
  o.compact_history_every = 10;
  auto s = EtcdStash::open(o);
  ASSERT_TRUE(s) << s.error();
  auto c = (*s)->collection("c");
  ASSERT_TRUE(c);
  std::map<std::string, std::int64_t> ignored;
  ASSERT_TRUE(raw.range(o.prefix, &ignored).ok());
  const std::int64_t early = raw.revision();
  for (int i = 0; i < 30; ++i) ASSERT_TRUE((*s)->update(*c, "k", "v", i, 1));
  grpc::Status old = raw.range(o.prefix, &ignored, early);
  EXPECT_EQ(old.error_code(), grpc::StatusCode::OUT_OF_RANGE) << old.error_message();
  EXPECT_EQ((*s)->iter(*c)->size(), 30u);
  EXPECT_TRUE(EtcdStash::destroy(o));
}

TEST(EtcdStash, OpenThroughTheUrl) {
  const std::string prefix = fresh_prefix();
  auto s = stash::open("etcd:" + testing::endpoints() + prefix + testing::limit_query());
  ASSERT_TRUE(s) << s.error();
  auto c = (*s)->collection("c");
  ASSERT_TRUE(c);
  EXPECT_TRUE((*s)->update(*c, "k", "v", 0, 1));
  auto reader = stash::open("etcd:" + testing::endpoints() + prefix, {.read_only = true});
  ASSERT_TRUE(reader) << reader.error();
  EXPECT_EQ((*reader)->iter(*c)->size(), 1u);
  EXPECT_EQ(code_of((*reader)->update(*c, "k", "v", 0, 1)), "invalid_argument");
  EXPECT_TRUE(EtcdStash::destroy(options_for(prefix)));
}

}  // namespace
}  // namespace stash

int main(int argc, char** argv) { return stash::testing::run_etcd_tests(argc, argv); }
