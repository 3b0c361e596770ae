#include "stash/postgres_harness.h"

#include <random>
#include <sstream>
#include <vector>

#include "stash/mutex.h"
#include "stash/open.h"
#include "stash/postgres_connection.h"

namespace stash {

// Test-only, PostgreSQL-only SQL on the backend's tables.
class PostgresHarness::SchemaPool {
 public:
  explicit SchemaPool(std::string conninfo) : conninfo_(std::move(conninfo)) {}
  ~SchemaPool() {
    MutexLock lock(mutex_);
    if (!connect()) return;
    for (const std::string& schema : all_) {
      auto q = admin_->quote_identifier(schema);
      if (q) (void)admin_->exec("DROP SCHEMA IF EXISTS " + *q + " CASCADE");  // best effort
    }
  }

  const std::string& conninfo() const { return conninfo_; }

  std::string take() {
    MutexLock lock(mutex_);
    if (!free_.empty()) {
      std::string schema = std::move(free_.back());
      free_.pop_back();
      return schema;
    }
    static std::mt19937_64 random{std::random_device{}()};
    std::ostringstream name;
    name << "stash_kit_" << std::hex << random();
    all_.push_back(name.str());
    return all_.back();
  }

  // Empties `schema` for reuse; one that cannot be emptied is left out of
  // the pool (and still dropped at the end).
  void give_back(const std::string& schema) {
    MutexLock lock(mutex_);
    if (!connect()) return;
    auto q = admin_->quote_identifier(schema);
    if (!q) return;
    auto ok = admin_->exec("SET client_min_messages = warning; TRUNCATE " + *q + ".data, " +
                           *q + ".collections, " + *q + ".commits RESTART IDENTITY");
    if (ok) {
      free_.push_back(schema);
    } else {
      admin_.reset();  // maybe a lost connection: start over next time
    }
  }

  // The stash: URL of `schema`.
  std::string url(const std::string& schema) const {
    const bool uri = conninfo_.starts_with("postgres://") || conninfo_.starts_with("postgresql://");
    const char* sep = !uri ? " " : conninfo_.find('?') == std::string::npos ? "?" : "&";
    return "postgres:" + conninfo_ + sep + "schema=" + schema;
  }

 private:
  bool connect() STASH_REQUIRES(mutex_) {
    if (admin_) return true;
    auto c = postgres::libpq_connector(conninfo_, 5)->connect(postgres::kNoDeadline);
    if (!c) return false;
    admin_ = std::move(*c);
    return true;
  }

  const std::string conninfo_;
  Mutex mutex_;
  std::unique_ptr<postgres::Connection> admin_ STASH_GUARDED_BY(mutex_);
  std::vector<std::string> all_ STASH_GUARDED_BY(mutex_);   // every schema handed out
  std::vector<std::string> free_ STASH_GUARDED_BY(mutex_);  // emptied, ready for the next store
};

PostgresHarness::PostgresHarness(std::shared_ptr<SchemaPool> pool) : pool_(std::move(pool)) {}

PostgresHarness::~PostgresHarness() {
  if (!schema_.empty()) pool_->give_back(schema_);
}

conformance::HarnessFactory PostgresHarness::factory(std::string conninfo) {
  auto pool = std::make_shared<SchemaPool>(std::move(conninfo));
  return [pool] { return std::make_unique<PostgresHarness>(pool); };
}

conformance::Capabilities PostgresHarness::capabilities() const {
  return {.durable = true, .several_handles = true, .fencing = true};
}

Result<std::unique_ptr<Stash>> PostgresHarness::open_fresh() {
  if (!schema_.empty()) pool_->give_back(schema_);
  schema_ = pool_->take();
  return reopen();
}

Result<std::unique_ptr<Stash>> PostgresHarness::reopen() {
  return stash::open(pool_->url(schema_));
}

Result<std::unique_ptr<Stash>> PostgresHarness::open_another() { return reopen(); }

}  // namespace stash
