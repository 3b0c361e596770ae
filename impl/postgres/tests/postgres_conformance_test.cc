// The whole conformance kit against PostgresStash, reopen and fencing
// included: each store is a fresh schema on the test server, dropped when
// the test ends.
//
// Every case opens stores over the network, so by default the randomized
// areas run 30 cases and the exhaustive checker depth 1 (depth 2 is
// about 5000 stores: minutes); RC_PARAMS and
// STASH_EXHAUSTIVE_DEPTH set by the caller win (see main()).
#include <mutex>

#include "pg_test_util.h"
#include "stash/conformance.h"

namespace stash::testing {
namespace {

// Stores are schemas. Creating a schema's tables costs far more than emptying
// them, so a schema a test is done with is emptied (TRUNCATE ... RESTART
// IDENTITY, so collection ids start at 1 again, as in a new store) and handed
// to the next test. Test-only, PostgreSQL-only SQL.
class SchemaPool {
 public:
  static SchemaPool& instance() {
    static SchemaPool pool;
    return pool;
  }
  std::string take() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) return fresh_schema("stash_kit");
    std::string schema = std::move(free_.back());
    free_.pop_back();
    return schema;
  }
  // Empties `schema` for reuse; a schema that cannot be emptied is dropped
  // from the pool (the test server is thrown away anyway).
  void give_back(const std::string& schema) {
    std::lock_guard lock(mutex_);
    if (!admin_) {
      auto c = postgres::libpq_connector(server_url(), 5)->connect(postgres::kNoDeadline);
      if (!c) return;
      admin_ = std::move(*c);
    }
    auto q = admin_->quote_identifier(schema);
    if (!q) return;
    auto ok = admin_->exec("TRUNCATE " + *q + ".data, " + *q + ".collections, " + *q +
                           ".commits RESTART IDENTITY");
    if (ok) free_.push_back(schema);
    else admin_.reset();  // maybe a lost connection: start over next time
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<postgres::Connection> admin_;
  std::vector<std::string> free_;
};

class PostgresHarness : public conformance::Harness {
 public:
  ~PostgresHarness() override {
    if (!schema_.empty()) SchemaPool::instance().give_back(schema_);
  }

  conformance::Capabilities capabilities() const override {
    return {.durable = true, .several_handles = true, .fencing = true};
  }

  Result<std::unique_ptr<Stash>> open_fresh() override {
    if (!schema_.empty()) SchemaPool::instance().give_back(schema_);
    schema_ = SchemaPool::instance().take();
    return reopen();
  }

  Result<std::unique_ptr<Stash>> reopen() override {
    auto s = PostgresStash::open(server_url(), options_for(schema_));
    if (!s) return std::unexpected(s.error());
    return std::unique_ptr<Stash>(std::move(*s));
  }

  Result<std::unique_ptr<Stash>> open_another() override { return reopen(); }

 private:
  std::string schema_;
};

}  // namespace
}  // namespace stash::testing

STASH_INSTANTIATE_CONFORMANCE(Postgres, [] {
  return std::make_unique<stash::testing::PostgresHarness>();
});

int main(int argc, char** argv) {
  // Keep the default run within the project's time budget; RC_PARAMS set by
  // the caller wins.
  setenv("RC_PARAMS", "max_success=30", /*overwrite=*/0);
  setenv("STASH_EXHAUSTIVE_DEPTH", "1", /*overwrite=*/0);
  return stash::testing::run_postgres_tests(argc, argv, {"STASH_TEST_POSTGRES_URL"});
}
