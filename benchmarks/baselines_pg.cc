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
// What the stash adds on top: SERIALIZABLE transactions, reading the
// frontiers before each write, the fence and commit-counter row, SUM/GROUP BY
// on reads.
#include <libpq-fe.h>

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

using benchmark::State;

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

// Collection n of n entries, built once per size.
std::int64_t populated_raw(PGconn* c, std::int64_t n) {
  static std::set<std::int64_t> built;
  if (built.insert(n).second) {
    for (std::int64_t first = 0; first < n; first += 100'000) {
      copy_rows(c, n, entries(first, std::min<std::int64_t>(100'000, n - first), 0));
    }
  }
  return n;
}

void update(State& state) {
  Conn c = connect();
  prepare(c.get(), "insert", "INSERT INTO data VALUES (-1, $1::bytea, $2::bytea, $3, 1)");
  Timestamp t = 0;
  for (auto _ : state) {
    const std::string time = std::to_string(t++);
    const char* values[] = {"key", "value", time.c_str()};
    const int lengths[] = {3, 5, 0};
    const int formats[] = {1, 1, 0};
    expect(c.get(), PQexecPrepared(c.get(), "insert", 3, values, lengths, formats, 0),
           PGRES_COMMAND_OK, "insert");
  }
  state.SetItemsProcessed(state.iterations());
}

void update_many(State& state) {
  Conn c = connect();
  Timestamp t = 0;
  for (auto _ : state) copy_rows(c.get(), -2, entries(0, 10, t++));
  state.SetItemsProcessed(state.iterations() * 10);
}

void ingest(State& state, std::int64_t n) {
  Conn c = connect();
  std::int64_t collection = -100;
  for (auto _ : state) {
    state.PauseTiming();
    const auto batch = entries(0, n, 0);
    state.ResumeTiming();
    copy_rows(c.get(), collection--, batch);
  }
  state.SetItemsProcessed(state.iterations() * n);
}

void iter(State& state, std::int64_t n) {
  Conn c = connect();
  prepare(c.get(), "scan", kScan);
  const std::int64_t id = populated_raw(c.get(), n);
  for (auto _ : state) {
    Res r = scan(c.get(), id);
    std::vector<Update> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      out.push_back({bytes_at(r.get(), i, 0), bytes_at(r.get(), i, 1), int8_at(r.get(), i, 2),
                     int8_at(r.get(), i, 3)});
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * n);
}

std::map<Bytes, Bytes> scan_one(PGconn* c, std::int64_t id) {
  Res r = scan(c, id);
  std::map<Bytes, Bytes> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    out.emplace_hint(out.end(), bytes_at(r.get(), i, 0), bytes_at(r.get(), i, 1));
  }
  return out;
}

void peek_one(State& state, std::int64_t n) {
  Conn c = connect();
  prepare(c.get(), "scan", kScan);
  const std::int64_t id = populated_raw(c.get(), n);
  for (auto _ : state) benchmark::DoNotOptimize(scan_one(c.get(), id));
  state.SetItemsProcessed(state.iterations() * n);
}

void iter_key(State& state, std::int64_t n) {
  Conn c = connect();
  prepare(c.get(), "point",
          "SELECT value, time, diff FROM data WHERE collection_id = $1 "
          "AND key = $2::bytea ORDER BY value, time");
  const std::string id = std::to_string(populated_raw(c.get(), n));
  Rng rng;
  for (auto _ : state) {
    const Bytes key = key_of(rng.below(n));
    const char* values[] = {id.c_str(), key.data()};
    const int lengths[] = {0, static_cast<int>(key.size())};
    const int formats[] = {0, 1};
    Res r = expect(c.get(), PQexecPrepared(c.get(), "point", 2, values, lengths, formats, 1),
                   PGRES_TUPLES_OK, "point");
    std::vector<ValueUpdate> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      out.push_back({bytes_at(r.get(), i, 0), int8_at(r.get(), i, 1), int8_at(r.get(), i, 2)});
    }
    if (out.size() != 1) die("iter_key raw_pg", "wrong size");
  }
  state.SetItemsProcessed(state.iterations());
}

void open_and_load(State& state, std::int64_t n) {
  const std::int64_t id = populated_raw(connect().get(), n);
  for (auto _ : state) {
    Conn c(PQconnectdb(config().postgres_url.c_str()));
    if (PQstatus(c.get()) != CONNECTION_OK) die("raw_pg connect", PQerrorMessage(c.get()));
    expect(c.get(), PQexec(c.get(), "SET search_path = stash_bench_raw"), PGRES_COMMAND_OK, "path");
    prepare(c.get(), "scan", kScan);
    benchmark::DoNotOptimize(scan_one(c.get(), id));
  }
}

}  // namespace

void register_postgres_baselines() {
  register_baseline("raw_pg", {update, update_many, ingest, peek_one, iter, iter_key, open_and_load});
}

}  // namespace stash::bench
