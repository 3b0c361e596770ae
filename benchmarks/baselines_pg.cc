// raw_pg: libpq itself doing each workload's equivalent work on the same
// server, in schema stash_bench_raw, with the stash's data table and indexes
// (data_by_kvt (collection_id, key, value, time), data_by_time):
//
//   update        one prepared single-row INSERT, autocommit: one commit
//   update_many   COPY of 10 rows (one statement, one commit)
//   ingest/N      COPY of N rows (N = 1k, 100k)
//   iter/N        prepared ordered scan, binary results, into std::vector<Update>
//   peek_one/N    the same scan into a std::map<key, value>
//   iter_key/N    prepared point read of one key's rows
//   open_and_load connect, then peek_one's scan
//
// What the stash adds on top: on every write, the claim in the same
// statement (an update of the fence row that checks the fence, the writer's
// stamp and the frontiers, impl/postgres/src/schema.cc) and a key hash
// column; on reads, a REPEATABLE READ snapshot with the fence check and
// SUM/GROUP BY.
#include <libpq-fe.h>

#include <benchmark/benchmark.h>

#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bench_util.h"
#include "workloads.h"

namespace stash::bench {
namespace {


struct ConnFinish {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using Conn = std::unique_ptr<PGconn, ConnFinish>;
struct ResultClear {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Res = std::unique_ptr<PGresult, ResultClear>;

Res expect(PGconn* c, PGresult* raw, ExecStatusType want, const char* what) {
  Res r(raw);
  if (PQresultStatus(raw) != want) die(std::string("raw_pg ") + what, PQerrorMessage(c));
  return r;
}

constexpr const char* kSchema =
    "SET client_min_messages = warning; SET search_path = stash_bench_raw;"
    "CREATE TABLE IF NOT EXISTS data (collection_id BIGINT NOT NULL, key BYTEA NOT NULL, "
    "value BYTEA NOT NULL, time BIGINT NOT NULL, diff BIGINT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS data_by_kvt ON data(collection_id, key, value, time);"
    "CREATE INDEX IF NOT EXISTS data_by_time ON data(collection_id, time);";

Conn connect() {
  Conn c(PQconnectdb(config().postgres_url.c_str()));
  if (PQstatus(c.get()) != CONNECTION_OK) die("raw_pg connect", PQerrorMessage(c.get()));
  static bool created = false;
  if (!created) {
    expect(c.get(),
           PQexec(c.get(),
                  "SET client_min_messages = warning; "
                  "DROP SCHEMA IF EXISTS stash_bench_raw CASCADE; "
                  "CREATE SCHEMA stash_bench_raw"),
           PGRES_COMMAND_OK, "create schema");
    created = true;
  }
  expect(c.get(), PQexec(c.get(), kSchema), PGRES_COMMAND_OK, "schema");
  return c;
}

void prepare(PGconn* c, const char* name, const char* sql) {
  expect(c, PQprepare(c, name, sql, 0, nullptr), PGRES_COMMAND_OK, name);
}

// One COPY of `rows` into collection `collection`: one statement, one commit.
void copy_rows(PGconn* c, std::int64_t collection, const std::vector<Update>& rows) {
  static const char* hex = "0123456789abcdef";
  std::string text;
  auto put_bytea = [&](const Bytes& b) {
    text += "\\\\x";  // COPY text escapes the backslash of bytea's hex form
    for (unsigned char ch : b) text += hex[ch >> 4], text += hex[ch & 15];
  };
  for (const Update& u : rows) {
    text += std::to_string(collection) + "\t";
    put_bytea(u.key), text += "\t";
    put_bytea(u.value), text += "\t";
    text += std::to_string(u.time) + "\t" + std::to_string(u.diff) + "\n";
  }
  expect(c, PQexec(c, "COPY data(collection_id, key, value, time, diff) FROM STDIN"), PGRES_COPY_IN,
         "copy");
  if (PQputCopyData(c, text.data(), static_cast<int>(text.size())) != 1 ||
      PQputCopyEnd(c, nullptr) != 1) {
    die("raw_pg copy", PQerrorMessage(c));
  }
  expect(c, PQgetResult(c), PGRES_COMMAND_OK, "copy end");
  Res(PQgetResult(c));  // the terminating null result
}

std::int64_t int8_at(const PGresult* r, int row, int col) {
  std::uint64_t v = 0;
  std::memcpy(&v, PQgetvalue(r, row, col), 8);
  return static_cast<std::int64_t>(__builtin_bswap64(v));
}
Bytes bytes_at(const PGresult* r, int row, int col) {
  return Bytes(PQgetvalue(r, row, col), PQgetlength(r, row, col));
}

constexpr const char* kScan =
    "SELECT key, value, time, diff FROM data WHERE collection_id = $1 ORDER BY key, value, time";

// The ordered scan of collection `id`, binary results.
Res scan(PGconn* c, std::int64_t id) {
  const std::string param = std::to_string(id);
  const char* values[] = {param.c_str()};
  return expect(c, PQexecPrepared(c, "scan", 1, values, nullptr, nullptr, 1), PGRES_TUPLES_OK,
                "scan");
}

// The collection holding `shape`'s entries, built once per shape.
std::int64_t populated_raw(PGconn* c, const Shape& shape) {
  static std::set<std::int64_t> built;
  const std::int64_t id = 2 * shape.n + (shape.keys == Keys::kRandom ? 1 : 0);
  if (built.insert(id).second) {
    for (std::int64_t first = 0; first < shape.n; first += 100'000) {
      copy_rows(c, id,
                entries(first, std::min<std::int64_t>(100'000, shape.n - first), 0, 1, shape.keys));
    }
  }
  return id;
}

struct Session {
  Conn conn;
  Timestamp t = 0;
  std::int64_t id = 0;
  std::int64_t next_key = 0;
  std::vector<Update> next;
};

std::shared_ptr<Session> session() {
  auto s = std::make_shared<Session>();
  s->conn = connect();
  return s;
}

Op update(const Shape&) {
  auto s = session();
  prepare(s->conn.get(), "insert", "INSERT INTO data VALUES (-1, $1::bytea, $2::bytea, $3, 1)");
  return {[s] {
            const std::string time = std::to_string(s->t++);
            const char* values[] = {"key", "value", time.c_str()};
            const int lengths[] = {3, 5, 0};
            const int formats[] = {1, 1, 0};
            expect(s->conn.get(),
                   PQexecPrepared(s->conn.get(), "insert", 3, values, lengths, formats, 0),
                   PGRES_COMMAND_OK, "insert");
          },
          {},
          1};
}

Op update_many(const Shape&) {
  auto s = session();
  return {[s] { copy_rows(s->conn.get(), -2, entries(0, 10, s->t++)); }, {}, 10};
}

Op batch(const Shape& shape) {
  auto s = session();
  s->next = entries(0, shape.n, 0, 1, shape.keys);
  return {[s] { copy_rows(s->conn.get(), -3, s->next); },
          [s, shape] {
            s->next_key += shape.n;
            s->next = entries(s->next_key, shape.n, ++s->t, 1, shape.keys);
          },
          shape.n};
}

Op ingest(const Shape& shape) {
  auto s = session();
  s->next = entries(0, shape.n, 0, 1, shape.keys);
  s->id = -100;
  return {[s] { copy_rows(s->conn.get(), s->id, s->next); }, [s] { --s->id; }, shape.n};
}

std::shared_ptr<Session> reading(const Shape& shape) {
  auto s = session();
  prepare(s->conn.get(), "scan", kScan);
  s->id = populated_raw(s->conn.get(), shape);
  return s;
}

std::map<Bytes, Bytes> scan_one(PGconn* c, std::int64_t id) {
  Res r = scan(c, id);
  std::map<Bytes, Bytes> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    out.emplace_hint(out.end(), bytes_at(r.get(), i, 0), bytes_at(r.get(), i, 1));
  }
  return out;
}

Op iter(const Shape& shape) {
  auto s = reading(shape);
  return {[s] {
            Res r = scan(s->conn.get(), s->id);
            const int rows = PQntuples(r.get());
            std::vector<Update> out;
            out.reserve(rows);
            for (int i = 0; i < rows; ++i) {
              out.push_back({bytes_at(r.get(), i, 0), bytes_at(r.get(), i, 1),
                             int8_at(r.get(), i, 2), int8_at(r.get(), i, 3)});
            }
            benchmark::DoNotOptimize(out);
          },
          {},
          shape.n};
}

Op peek_one(const Shape& shape) {
  auto s = reading(shape);
  return {[s] { benchmark::DoNotOptimize(scan_one(s->conn.get(), s->id)); }, {}, shape.n};
}

Op iter_key(const Shape& shape) {
  auto s = reading(shape);
  prepare(s->conn.get(), "point",
          "SELECT value, time, diff FROM data WHERE collection_id = $1 "
          "AND key = $2::bytea ORDER BY value, time");
  auto rng = std::make_shared<Rng>();
  return {[s, rng, shape] {
            const std::string id = std::to_string(s->id);
            const Bytes key = key_of(rng->below(shape.n), shape.keys);
            const char* values[] = {id.c_str(), key.data()};
            const int lengths[] = {0, static_cast<int>(key.size())};
            const int formats[] = {0, 1};
            Res r = expect(s->conn.get(),
                           PQexecPrepared(s->conn.get(), "point", 2, values, lengths, formats, 1),
                           PGRES_TUPLES_OK, "point");
            const int rows = PQntuples(r.get());
            std::vector<ValueUpdate> out;
            out.reserve(rows);
            for (int i = 0; i < rows; ++i) {
              out.push_back(
                  {bytes_at(r.get(), i, 0), int8_at(r.get(), i, 1), int8_at(r.get(), i, 2)});
            }
            if (out.size() != 1) die("iter_key raw_pg", "wrong size");
          },
          {},
          1};
}

Op open_and_load(const Shape& shape) {
  const std::int64_t id = populated_raw(connect().get(), shape);
  return {[id] {
            Conn c(PQconnectdb(config().postgres_url.c_str()));
            if (PQstatus(c.get()) != CONNECTION_OK) die("raw_pg connect", PQerrorMessage(c.get()));
            expect(c.get(), PQexec(c.get(), "SET search_path = stash_bench_raw"), PGRES_COMMAND_OK,
                   "path");
            prepare(c.get(), "scan", kScan);
            benchmark::DoNotOptimize(scan_one(c.get(), id));
          },
          {},
          shape.n};
}

}  // namespace

void add_postgres_baselines() {
  add_subject("update", "raw_pg", update);
  add_subject("update_many", "raw_pg", update_many);
  add_subject("batch", "raw_pg", batch);
  add_subject("ingest", "raw_pg", ingest);
  add_subject("iter", "raw_pg", iter);
  add_subject("peek_one", "raw_pg", peek_one);
  add_subject("iter_key", "raw_pg", iter_key);
  add_subject("open_and_load", "raw_pg", open_and_load);
}

}  // namespace stash::bench
