// The four backends as bench::Backend, and the cache of populated stores.
#include "backends.h"

#include <libpq-fe.h>

#include <cstdio>
#include <filesystem>
#include <map>

#include "bench_util.h"
#include "stash/memory_stash.h"
#include "stash/open.h"

namespace stash::bench {
namespace {

class MemoryBackend final : public Backend {
 public:
  std::string name() const override { return "memory"; }
  std::unique_ptr<Stash> create(const std::string& store) override {
    images_.erase(store);
    return std::make_unique<MemoryStash>();
  }
  void close(const std::string& store, std::unique_ptr<Stash> current) override {
    images_[store] = dynamic_cast<MemoryStash&>(*current).image();
  }
  std::unique_ptr<Stash> open(const std::string& store) override {
    return std::make_unique<MemoryStash>(images_.at(store));
  }

 private:
  std::map<std::string, MemoryStashImage> images_;
};

// DurableMemoryStash with its defaults (fdatasync per acknowledged write).
class DurableMemoryBackend final : public Backend {
 public:
  std::string name() const override { return "durable_memory"; }
  std::unique_ptr<Stash> create(const std::string& store) override {
    std::filesystem::remove_all(path(store));
    return must(stash::open("memory:" + path(store)), "open durable_memory");
  }
  void close(const std::string&, std::unique_ptr<Stash>) override {}
  std::unique_ptr<Stash> open(const std::string& store) override {
    return must(stash::open("memory:" + path(store)), "reopen durable_memory");
  }

 private:
  static std::string path(const std::string& store) { return config().dir + "/" + store + ".dm"; }
};

// SqliteStash with its durable defaults: WAL, synchronous=FULL, quick_check
// at open.
class SqliteBackend final : public Backend {
 public:
  std::string name() const override { return "sqlite"; }
  std::unique_ptr<Stash> create(const std::string& store) override {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path(store) + suffix);
    return must(stash::open("sqlite:" + path(store)), "open sqlite");
  }
  void close(const std::string&, std::unique_ptr<Stash>) override {}
  std::unique_ptr<Stash> open(const std::string& store) override {
    return must(stash::open("sqlite:" + path(store)), "reopen sqlite");
  }

 private:
  static std::string path(const std::string& store) { return config().dir + "/" + store + ".db"; }
};

// PostgresStash, one schema per store: stash_bench_<store>.
class PostgresBackend final : public Backend {
 public:
  std::string name() const override { return "postgres"; }
  std::unique_ptr<Stash> create(const std::string& store) override {
    drop_schema(schema(store));
    return must(stash::open(url(store)), "open postgres");
  }
  void close(const std::string&, std::unique_ptr<Stash>) override {}
  std::unique_ptr<Stash> open(const std::string& store) override {
    return must(stash::open(url(store)), "reopen postgres");
  }

 private:
  static std::string schema(const std::string& store) { return "stash_bench_" + store; }
  // statement_timeout_ms=0: 1M-entry reads may take longer than 30 s.
  static std::string url(const std::string& store) {
    const std::string& dsn = config().postgres_url;
    const bool uri = dsn.starts_with("postgres://") || dsn.starts_with("postgresql://");
    const char* sep = !uri ? " " : dsn.find('?') == std::string::npos ? "?" : "&";
    const char* and_ = uri ? "&" : " ";
    return "postgres:" + dsn + sep + "schema=" + schema(store) + and_ + "statement_timeout_ms=0";
  }
  static void drop_schema(const std::string& schema) {
    PGconn* conn = PQconnectdb(config().postgres_url.c_str());
    if (PQstatus(conn) != CONNECTION_OK) die("connect to postgres", PQerrorMessage(conn));
    PGresult* r = PQexec(
        conn, ("SET client_min_messages = warning; DROP SCHEMA IF EXISTS " + schema + " CASCADE")
                  .c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    const std::string why = PQerrorMessage(conn);
    PQclear(r);
    PQfinish(conn);
    if (!ok) die("drop schema " + schema, why);
  }
};

struct Cached {
  Backend* backend = nullptr;
  std::unique_ptr<Stash> stash;  // null while closed
  CollectionHandle data;
};
struct Cache {
  std::string shape;  // comparison_name("", shape) of every store held
  std::map<std::string, Cached> stores;
};
Cache& cache() {
  static Cache c;
  return c;
}

std::string store_of(Backend& backend, const Shape& shape) {
  return backend.name() + "_" + name_of(shape.keys) + "_n" + std::to_string(shape.n);
}

bool under_ci() {
  const char* ci = std::getenv("CI");
  if (ci == nullptr) return false;
  const std::string_view value(ci);
  return !value.empty() && value != "false" && value != "0";
}

}  // namespace

CollectionHandle fill(Stash& stash, const std::string& name, std::int64_t n, Keys keys) {
  const CollectionHandle c = must(stash.collection(name), "collection");
  // In batches of 100k: one transaction each, as a bulk load would do.
  for (std::int64_t first = 0; first < n; first += 100'000) {
    const std::int64_t count = std::min<std::int64_t>(100'000, n - first);
    must(stash.update_many(c, entries(first, count, 0, 1, keys)), "fill");
  }
  must(stash.seal(c, Frontier(1)), "seal");
  return c;
}

std::vector<std::unique_ptr<Backend>> all_backends() {
  std::vector<std::unique_ptr<Backend>> out;
  out.push_back(std::make_unique<MemoryBackend>());
  out.push_back(std::make_unique<DurableMemoryBackend>());
  out.push_back(std::make_unique<SqliteBackend>());
  if (!config().postgres_url.empty()) {
    out.push_back(std::make_unique<PostgresBackend>());
  } else if (under_ci()) {
    die("postgres benchmarks",
        "STASH_TEST_POSTGRES_URL unset under CI=true "
        "(run via bash ci/with-postgres)");
  } else {
    std::fprintf(stderr,
                 "stash_bench: PostgreSQL benchmarks NOT RUN: STASH_TEST_POSTGRES_URL "
                 "unset (run via bash ci/with-postgres)\n");
  }
  return out;
}

Populated populated(Backend& backend, const Shape& shape) {
  Cache& c = cache();
  const std::string shape_name = comparison_name("", shape);
  if (c.shape != shape_name) {
    drop_populated();
    c.shape = shape_name;
  }
  const std::string store = store_of(backend, shape);
  Cached& entry = c.stores[store];
  if (!entry.backend) {
    entry.backend = &backend;
    entry.stash = backend.create(store);
    entry.data = fill(*entry.stash, "data", shape.n, shape.keys);
  } else if (!entry.stash) {
    entry.stash = backend.open(store);
    entry.data = must(entry.stash->collection("data"), "collection data");
  }
  return {store, entry.stash.get(), entry.data};
}

void close_populated(Backend& backend, const Shape& shape) {
  const std::string store = populated(backend, shape).store;
  Cached& entry = cache().stores[store];
  backend.close(store, std::move(entry.stash));
}

void drop_populated() {
  cache().stores.clear();
  cache().shape.clear();
}

}  // namespace stash::bench
