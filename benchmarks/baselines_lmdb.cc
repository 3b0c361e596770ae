// lmdb: LMDB doing the workloads a user might hand it instead of a stash,
// with its durable default (every commit syncs: no MDB_NOSYNC, no
// MDB_NOMETASYNC), records as baselines_kv.h says:
//
//   update          one put in its own write transaction, committed
//   batch           1000 puts in one write transaction, committed
//   iter/N          a read transaction's cursor over every record, decoded
//                   into a std::vector<Update>
//   open_and_load   open the environment, the same scan into a
//                   std::map<key, value> (as peek_one returns), close
#include <lmdb.h>

#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "baselines_kv.h"
#include "bench_util.h"
#include "workloads.h"

namespace stash::bench {
namespace {

void check(int rc, const char* what) {
  if (rc != MDB_SUCCESS) die(std::string("lmdb ") + what, mdb_strerror(rc));
}

struct Env {
  MDB_env* env = nullptr;
  MDB_dbi dbi = 0;
  Timestamp t = 0;
  std::int64_t next_key = 0;
  std::vector<Update> next;
  ~Env() {
    if (env) mdb_env_close(env);
  }
};

std::string dir_of(const std::string& name) { return config().dir + "/lmdb_" + name; }

std::shared_ptr<Env> open_env(const std::string& dir) {
  std::filesystem::create_directories(dir);
  auto e = std::make_shared<Env>();
  check(mdb_env_create(&e->env), "env_create");
  check(mdb_env_set_mapsize(e->env, std::size_t{16} << 30), "set_mapsize");
  check(mdb_env_open(e->env, dir.c_str(), 0, 0600), "env_open");
  MDB_txn* txn = nullptr;
  check(mdb_txn_begin(e->env, nullptr, 0, &txn), "txn_begin");
  check(mdb_dbi_open(txn, nullptr, 0, &e->dbi), "dbi_open");
  check(mdb_txn_commit(txn), "commit");
  return e;
}

std::shared_ptr<Env> fresh(const std::string& name) {
  std::filesystem::remove_all(dir_of(name));
  return open_env(dir_of(name));
}

void put_all(Env& e, const std::vector<Update>& rows) {
  MDB_txn* txn = nullptr;
  check(mdb_txn_begin(e.env, nullptr, 0, &txn), "txn_begin");
  for (const Update& u : rows) {
    std::string k = kv::record_key(u), v = kv::record_value(u);
    MDB_val key{k.size(), k.data()}, value{v.size(), v.data()};
    check(mdb_put(txn, e.dbi, &key, &value, 0), "put");
  }
  check(mdb_txn_commit(txn), "commit");  // syncs: the durable default
}

template <typename Row>
void scan(Env& e, Row row) {
  MDB_txn* txn = nullptr;
  check(mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn), "txn_begin");
  MDB_cursor* cursor = nullptr;
  check(mdb_cursor_open(txn, e.dbi, &cursor), "cursor_open");
  MDB_val key, value;
  for (int rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc != MDB_NOTFOUND;
       rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
    check(rc, "cursor_get");
    row(kv::decode_record({static_cast<const char*>(key.mv_data), key.mv_size},
                          {static_cast<const char*>(value.mv_data), value.mv_size}));
  }
  mdb_cursor_close(cursor);
  mdb_txn_abort(txn);
}

std::string populated_dir(const Shape& shape) {
  static std::set<std::string> built;
  const std::string name = std::string(name_of(shape.keys)) + "_n" + std::to_string(shape.n);
  if (built.insert(name).second) {
    auto e = fresh(name);
    for (std::int64_t first = 0; first < shape.n; first += 100'000) {
      put_all(*e, entries(first, std::min<std::int64_t>(100'000, shape.n - first), 0, 1,
                          shape.keys));
    }
  }
  return dir_of(name);
}

Op update(const Shape&) {
  auto e = fresh("update");
  return {[e] { put_all(*e, {{"key", "value", e->t++, 1}}); }, {}, 1};
}

Op batch(const Shape& shape) {
  auto e = fresh("batch");
  e->next = entries(0, shape.n, 0, 1, shape.keys);
  return {[e] { put_all(*e, e->next); },
          [e, shape] {
            e->next_key += shape.n;
            e->next = entries(e->next_key, shape.n, ++e->t, 1, shape.keys);
          },
          shape.n};
}

Op iter(const Shape& shape) {
  auto e = open_env(populated_dir(shape));
  return {[e, shape] {
            std::vector<Update> out;
            scan(*e, [&](Update u) { out.push_back(std::move(u)); });
            if (static_cast<std::int64_t>(out.size()) != shape.n) die("lmdb iter", "wrong size");
          },
          {},
          shape.n};
}

Op open_and_load(const Shape& shape) {
  const std::string dir = populated_dir(shape);
  return {[dir, shape] {
            auto e = open_env(dir);
            std::map<Bytes, Bytes> out;
            scan(*e, [&](Update u) { out.emplace_hint(out.end(), std::move(u.key), std::move(u.value)); });
            if (static_cast<std::int64_t>(out.size()) != shape.n) die("lmdb load", "wrong size");
          },
          {},
          shape.n};
}

}  // namespace

void add_lmdb_baselines() {
  add_subject("update", "lmdb", update);
  add_subject("batch", "lmdb", batch);
  add_subject("iter", "lmdb", iter);
  add_subject("open_and_load", "lmdb", open_and_load);
}

}  // namespace stash::bench
