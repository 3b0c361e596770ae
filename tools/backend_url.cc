#include "backend_url.h"

#include <memory>
#include <random>

#include "stash/durable_memory_stash.h"
#include "stash/memory_stash.h"
#ifdef STASH_HAVE_SQLITE
#include "stash/sqlite_harness.h"
#endif
#ifdef STASH_HAVE_POSTGRES
#include "stash/postgres_connection.h"
#include "stash/postgres_stash.h"
#endif

namespace stash::tools {
namespace {

// memory: every store is a new MemoryStash; nothing survives a reopen.
class MemoryHarness : public conformance::Harness {
 public:
  conformance::Capabilities capabilities() const override { return {}; }
  Result<std::unique_ptr<Stash>> open_fresh() override {
    return std::make_unique<MemoryStash>();
  }
};

// memory:PATH: a DurableMemoryStash per store, each in a new directory
// PATH/store-N (PATH is created if needed); reopen() opens the same
// directory again, so the kit's durability checks apply.
class DurableMemoryHarness : public conformance::Harness {
 public:
  explicit DurableMemoryHarness(std::string root) : root_(std::move(root)) {}
  conformance::Capabilities capabilities() const override { return {.durable = true}; }
  Result<std::unique_ptr<Stash>> open_fresh() override {
    if (auto ok = Env::posix()->create_dir(root_); !ok) return std::unexpected(ok.error());
    do {
      dir_ = root_ + "/store-" + std::to_string(next_store_++);
    } while (Env::posix()->file_exists(dir_));
    return reopen();
  }
  Result<std::unique_ptr<Stash>> reopen() override {
    auto stash = DurableMemoryStash::open(dir_);
    if (!stash) return std::unexpected(stash.error());
    return std::unique_ptr<Stash>(std::move(*stash));
  }

 private:
  std::string root_;
  std::string dir_;
  static inline int next_store_ = 1;  // Shared: every harness gets new stores.
};

Result<conformance::HarnessFactory> memory_harness(const std::string& location) {
  if (!location.empty()) {
    return conformance::HarnessFactory(
        [location] { return std::make_unique<DurableMemoryHarness>(location); });
  }
  return conformance::HarnessFactory(
      [] { return std::make_unique<MemoryHarness>(); });
}

#ifdef STASH_HAVE_POSTGRES
// postgres:DSN: each store is a fresh schema in the database the libpq
// conninfo DSN names (postgres://... URLs work too), dropped afterwards;
// reopen() and open_another() open the same schema, so the kit's
// durability and fencing checks apply.
class PostgresHarness : public conformance::Harness {
 public:
  explicit PostgresHarness(std::string conninfo) : conninfo_(std::move(conninfo)) {}
  ~PostgresHarness() override {
    auto c = postgres::libpq_connector(conninfo_, 5)->connect(postgres::kNoDeadline);
    for (const std::string& schema : schemas_) {
      auto quoted = c ? (*c)->quote_identifier(schema) : std::unexpected(c.error());
      if (quoted) (void)(*c)->exec("DROP SCHEMA IF EXISTS " + *quoted + " CASCADE");
    }
  }
  conformance::Capabilities capabilities() const override {
    return {.durable = true, .several_handles = true, .fencing = true};
  }
  Result<std::unique_ptr<Stash>> open_fresh() override {
    static std::mt19937_64 random{std::random_device{}()};
    schemas_.push_back("stash_check_" + std::to_string(random()));
    return reopen();
  }
  Result<std::unique_ptr<Stash>> reopen() override {
    PostgresOptions options;
    options.schema = schemas_.back();
    auto stash = PostgresStash::open(conninfo_, options);
    if (!stash) return std::unexpected(stash.error());
    return std::unique_ptr<Stash>(std::move(*stash));
  }
  Result<std::unique_ptr<Stash>> open_another() override { return reopen(); }

 private:
  std::string conninfo_;
  std::vector<std::string> schemas_;
};
#endif

Result<conformance::HarnessFactory> postgres_harness(const std::string& location) {
  if (location.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "postgres: needs a libpq connection string, e.g. "
                "\"postgres:host=/tmp dbname=postgres\"");
  }
#ifdef STASH_HAVE_POSTGRES
  // "postgres://user@host/db" arrives as location "//user@host/db".
  std::string conninfo = location.starts_with("//") ? "postgres:" + location : location;
  return conformance::HarnessFactory(
      [conninfo] { return std::make_unique<PostgresHarness>(conninfo); });
#else
  return fail(ErrorCode::kUnavailable,
              "postgres: this stash was built without the PostgreSQL backend "
              "(STASH_WITH_POSTGRES=OFF)");
#endif
}

// sqlite:[DIR]: a new stash file per store under DIR (created if needed; a
// temporary directory if empty), with the default, durable options.
Result<conformance::HarnessFactory> sqlite_harness(const std::string& location) {
#ifdef STASH_HAVE_SQLITE
  return conformance::HarnessFactory(
      [location] { return std::make_unique<SqliteHarness>(location); });
#else
  (void)location;
  return fail(ErrorCode::kUnavailable,
              "sqlite: this stash was built without the SQLite backend "
              "(STASH_WITH_SQLITE=OFF)");
#endif
}

std::string known_schemes() {
  std::string out;
  for (const Scheme& scheme : schemes()) {
    out += (out.empty() ? "" : ", ") + scheme.name + ":";
  }
  return out;
}

}  // namespace

Result<BackendUrl> parse_backend_url(std::string_view url) {
  const auto colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return fail(ErrorCode::kInvalidArgument,
                "\"" + std::string(url) + "\" is not a backend URL (scheme:location, " +
                    "e.g. memory:); known schemes: " + known_schemes());
  }
  return BackendUrl{std::string(url.substr(0, colon)), std::string(url.substr(colon + 1))};
}

const std::vector<Scheme>& schemes() {
  static const std::vector<Scheme> all = {
      {"memory", "memory:[PATH]    a fresh MemoryStash per store; with PATH, durable (snapshot + log under PATH)",
       memory_harness},
      {"sqlite", "sqlite:[DIR]     a new SQLite stash file per store under DIR (default: a temporary directory)",
       sqlite_harness},
      {"postgres", "postgres:DSN     a fresh schema per store in the PostgreSQL database of libpq conninfo DSN",
       postgres_harness},
  };
  return all;
}

Result<conformance::Backend> open_backend(std::string_view url) {
  auto parsed = parse_backend_url(url);
  if (!parsed) return std::unexpected(parsed.error());
  for (const Scheme& scheme : schemes()) {
    if (scheme.name != parsed->scheme) continue;
    auto harness = scheme.harness(parsed->location);
    if (!harness) return std::unexpected(harness.error());
    return conformance::Backend{std::string(url), std::move(*harness)};
  }
  return fail(ErrorCode::kInvalidArgument, "unknown backend scheme \"" + parsed->scheme +
                                               ":\"; known schemes: " + known_schemes());
}

}  // namespace stash::tools
