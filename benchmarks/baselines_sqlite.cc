// raw_sqlite: SQLite itself doing each workload's equivalent work, with the
// pragmas SqliteStash uses by default (WAL, synchronous=FULL, foreign_keys,
// temp_store=MEMORY) and the same data table (WITHOUT ROWID, primary key
// (collection_id, key, value, time), index on (collection_id, time)):
//
//   update        one prepared single-row INSERT, autocommit: a durable commit
//   update_many   BEGIN, 10 prepared INSERTs, COMMIT
//   ingest/N      BEGIN, N prepared INSERTs, COMMIT (N = 1k, 100k)
//   iter/N        ordered scan of the collection into a std::vector<Update>
//   peek_one/N    the same scan into a std::map<key, value>
//   iter_key/N    the point read of one key's rows
//   open_and_load open the file, set the pragmas, peek_one's scan
//
// What the stash adds on top is its frontier checks, the fence check, the
// upsert that keeps one row per (key, value, time), and GROUP BY on reads.
#include <sqlite3.h>

#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"
#include "workloads.h"

namespace stash::bench {
namespace {


struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbClose>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) die(what, sqlite3_errmsg(db));
}

void exec(sqlite3* db, const char* sql) {
  check(db, sqlite3_exec(db, sql, nullptr, nullptr, nullptr), sql);
}

Stmt prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  check(db, sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr), sql);
  return Stmt(s);
}

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS data (collection_id INTEGER NOT NULL, key BLOB NOT NULL, "
    "value BLOB NOT NULL, time INTEGER NOT NULL, diff ANY NOT NULL, "
    "PRIMARY KEY (collection_id, key, value, time)) STRICT, WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS data_by_time ON data(collection_id, time);";

std::string path_of(const std::string& name) { return config().dir + "/raw_" + name + ".db"; }

Db open_db(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  check(raw, rc, "open raw sqlite");
  exec(raw,
       "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; "
       "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL");
  exec(raw, kSchema);
  return db;
}

Db fresh_db(const std::string& name) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_of(name) + suffix).c_str());
  return open_db(path_of(name));
}

void insert(sqlite3* db, sqlite3_stmt* s, std::int64_t collection, const Update& u) {
  sqlite3_bind_int64(s, 1, collection);
  sqlite3_bind_blob(s, 2, u.key.data(), static_cast<int>(u.key.size()), SQLITE_STATIC);
  sqlite3_bind_blob(s, 3, u.value.data(), static_cast<int>(u.value.size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, 4, u.time);
  sqlite3_bind_int64(s, 5, u.diff);
  check(db, sqlite3_step(s), "insert");
  sqlite3_reset(s);
}

constexpr const char* kInsert =
    "INSERT INTO data(collection_id, key, value, time, diff) VALUES (?1, ?2, ?3, ?4, ?5)";

Bytes blob(sqlite3_stmt* s, int i) {
  return Bytes(static_cast<const char*>(sqlite3_column_blob(s, i)), sqlite3_column_bytes(s, i));
}

// The ordered scan of collection 1, each row handed to `row`.
template <typename Row>
void scan(sqlite3* db, sqlite3_stmt* s, Row row) {
  sqlite3_bind_int64(s, 1, 1);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) row(s);
  check(db, rc, "scan");
  sqlite3_reset(s);
}
constexpr const char* kScan =
    "SELECT key, value, time, diff FROM data WHERE collection_id = ?1 ORDER BY key, value, time";

std::vector<Update> scan_all(sqlite3* db, sqlite3_stmt* s) {
  std::vector<Update> out;
  scan(db, s, [&](sqlite3_stmt* r) {
    out.push_back({blob(r, 0), blob(r, 1), sqlite3_column_int64(r, 2), sqlite3_column_int64(r, 3)});
  });
  return out;
}

std::map<Bytes, Bytes> scan_one(sqlite3* db, sqlite3_stmt* s) {
  std::map<Bytes, Bytes> out;
  scan(db, s, [&](sqlite3_stmt* r) { out.emplace_hint(out.end(), blob(r, 0), blob(r, 1)); });
  return out;
}

// The raw file holding collection 1 for `shape`, built once per shape.
std::string populated_raw(const Shape& shape) {
  static std::map<std::string, bool> built;
  const std::string name = std::string(name_of(shape.keys)) + "_n" + std::to_string(shape.n);
  if (!built[name]) {
    Db db = fresh_db(name);
    Stmt s = prepare(db.get(), kInsert);
    exec(db.get(), "BEGIN");
    for (const Update& u : entries(0, shape.n, 0, 1, shape.keys)) insert(db.get(), s.get(), 1, u);
    exec(db.get(), "COMMIT");
    built[name] = true;
  }
  return path_of(name);
}

// An open database with its prepared statement, owned by an Op.
struct Open {
  Db db;
  Stmt stmt;
  Timestamp t = 0;
  std::int64_t next_key = 0;
  std::vector<Update> next;
};

std::shared_ptr<Open> fresh(const std::string& name, const char* sql) {
  auto o = std::make_shared<Open>();
  o->db = fresh_db(name);
  o->stmt = prepare(o->db.get(), sql);
  return o;
}

std::shared_ptr<Open> reading(const Shape& shape, const char* sql) {
  auto o = std::make_shared<Open>();
  o->db = open_db(populated_raw(shape));
  o->stmt = prepare(o->db.get(), sql);
  return o;
}

void insert_all(Open& o, std::int64_t collection, const std::vector<Update>& batch) {
  exec(o.db.get(), "BEGIN IMMEDIATE");
  for (const Update& u : batch) insert(o.db.get(), o.stmt.get(), collection, u);
  exec(o.db.get(), "COMMIT");
}

Op update(const Shape&) {
  auto o = fresh("update", kInsert);
  return {[o] { insert(o->db.get(), o->stmt.get(), 1, {"key", "value", o->t++, 1}); }, {}, 1};
}

Op update_many(const Shape&) {
  auto o = fresh("update_many", kInsert);
  return {[o] { insert_all(*o, 1, entries(0, 10, o->t++)); }, {}, 10};
}

Op batch(const Shape& shape) {
  auto o = fresh("batch", kInsert);
  o->next = entries(0, shape.n, 0, 1, shape.keys);
  return {[o] {
            insert_all(*o, 1, o->next);
            ++o->t;
          },
          [o, shape] {
            o->next_key += shape.n;
            o->next = entries(o->next_key, shape.n, o->t, 1, shape.keys);
          },
          shape.n};
}

Op ingest(const Shape& shape) {
  auto o = fresh("ingest", kInsert);
  o->next = entries(0, shape.n, 0, 1, shape.keys);
  return {[o] { insert_all(*o, o->t, o->next); }, [o] { ++o->t; }, shape.n};
}

Op iter(const Shape& shape) {
  auto o = reading(shape, kScan);
  return {[o] { benchmark::DoNotOptimize(scan_all(o->db.get(), o->stmt.get())); }, {}, shape.n};
}

Op peek_one(const Shape& shape) {
  auto o = reading(shape, kScan);
  return {[o] { benchmark::DoNotOptimize(scan_one(o->db.get(), o->stmt.get())); }, {}, shape.n};
}

Op iter_key(const Shape& shape) {
  auto o = reading(shape,
                   "SELECT value, time, diff FROM data WHERE collection_id = 1 "
                   "AND key = ?1 ORDER BY value, time");
  auto rng = std::make_shared<Rng>();
  return {[o, rng, shape] {
            sqlite3_stmt* s = o->stmt.get();
            const Bytes key = key_of(rng->below(shape.n), shape.keys);
            sqlite3_bind_blob(s, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
            std::vector<ValueUpdate> out;
            int rc;
            while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
              out.push_back({blob(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2)});
            }
            check(o->db.get(), rc, "iter_key");
            sqlite3_reset(s);
            if (out.size() != 1) die("iter_key raw_sqlite", "wrong size");
          },
          {},
          1};
}

Op open_and_load(const Shape& shape) {
  const std::string path = populated_raw(shape);
  return {[path] {
            Db db = open_db(path);
            Stmt s = prepare(db.get(), kScan);
            benchmark::DoNotOptimize(scan_one(db.get(), s.get()));
          },
          {},
          shape.n};
}

}  // namespace

void add_sqlite_baselines() {
  add_subject("update", "raw_sqlite", update);
  add_subject("update_many", "raw_sqlite", update_many);
  add_subject("batch", "raw_sqlite", batch);
  add_subject("ingest", "raw_sqlite", ingest);
  add_subject("iter", "raw_sqlite", iter);
  add_subject("peek_one", "raw_sqlite", peek_one);
  add_subject("iter_key", "raw_sqlite", iter_key);
  add_subject("open_and_load", "raw_sqlite", open_and_load);
}

}  // namespace stash::bench
