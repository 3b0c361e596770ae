// Helpers shared by the PostgreSQL backend's tests: where the server is, a
// fresh schema per test, connection wrappers for the seam, and main().
//
// The tests need a server: STASH_TEST_POSTGRES_URL (a libpq conninfo; `bash
// ci/with-postgres COMMAND` starts a throwaway one and sets it). Without it a
// test program prints that it was not run and exits kSkipped (ctest reports
// it as skipped: SKIP_RETURN_CODE in CMakeLists.txt), except under CI=true,
// where a missing server is a failure.
#ifndef STASH_IMPL_POSTGRES_TESTS_PG_TEST_UTIL_H_
#define STASH_IMPL_POSTGRES_TESTS_PG_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "stash/postgres_connection.h"
#include "stash/postgres_stash.h"

namespace stash::testing {

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

inline bool under_ci() {
  const std::string ci = env("CI");
  return !ci.empty() && ci != "false" && ci != "0";
}

// The exit code of a test program that could not run (ctest SKIP_RETURN_CODE).
inline constexpr int kSkipped = 77;

// main() of every PostgreSQL test program: runs the tests when every
// variable in `required` is set; otherwise says so and exits kSkipped, or 1
// under CI.
inline int run_postgres_tests(int argc, char** argv, std::initializer_list<const char*> required) {
  ::testing::InitGoogleTest(&argc, argv);
  for (const char* name : required) {
    if (!env(name).empty()) continue;
    if (under_ci()) {
      std::printf("postgres tests FAILED: %s unset under CI=true (run via bash ci/with-postgres)\n",
                  name);
      return 1;
    }
    std::printf("postgres tests SKIPPED: %s unset (run via bash ci/with-postgres)\n", name);
    return kSkipped;
  }
  return RUN_ALL_TESTS();
}

inline std::string server_url() { return env("STASH_TEST_POSTGRES_URL"); }

// A schema name no other test uses.
inline std::string fresh_schema(const std::string& prefix = "stash_test") {
  static std::mt19937_64 random{std::random_device{}()};
  std::ostringstream out;
  out << prefix << "_" << std::hex << random();
  return out.str();
}

inline PostgresOptions options_for(const std::string& schema) {
  PostgresOptions o;
  o.schema = schema;
  return o;
}

// "ok" or the error's code name, so each assertion is one line.
template <typename T>
std::string code_of(const Result<T>& r) {
  return r ? "ok" : std::string(to_string(r.error().code()));
}

// Opens a stash on the test server, failing the test if it cannot.
inline std::unique_ptr<PostgresStash> open_or_die(const PostgresOptions& options) {
  auto s = PostgresStash::open(server_url(), options);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().to_string());
  return s ? std::move(*s) : nullptr;
}

// Everything the API shows about a collection, as text.
inline std::string dump(Stash& s, const std::string& name) {
  std::ostringstream out;
  auto c = s.collection(name);
  if (!c) return name + ": " + c.error().to_string();
  auto since = s.since(*c);
  auto upper = s.upper(*c);
  out << name << " since " << (since ? since->to_string() : code_of(since)) << " upper "
      << (upper ? upper->to_string() : code_of(upper)) << ":";
  auto rows = s.iter(*c);
  if (!rows) return out.str() + " " + code_of(rows);
  for (const Update& u : *rows) out << " " << u;
  return out.str();
}

// Counts round trips (pipelines) through the seam.
struct RoundTrips {
  std::atomic<int> pipelines{0};
  std::atomic<int> connects{0};
};

class CountingConnection : public postgres::ForwardingConnection {
 public:
  CountingConnection(std::unique_ptr<postgres::Connection> target,
                     std::shared_ptr<RoundTrips> counts)
      : ForwardingConnection(std::move(target)), counts_(std::move(counts)) {}
  postgres::DbResult<std::vector<postgres::Rows>> pipeline(
      std::span<const postgres::Query> queries) override {
    ++counts_->pipelines;
    return ForwardingConnection::pipeline(queries);
  }

 private:
  std::shared_ptr<RoundTrips> counts_;
};

class CountingConnector : public postgres::Connector {
 public:
  explicit CountingConnector(std::shared_ptr<RoundTrips> counts)
      : inner_(postgres::libpq_connector(server_url(), 5)), counts_(std::move(counts)) {}
  postgres::DbResult<std::unique_ptr<postgres::Connection>> connect(
      postgres::Deadline deadline) override {
    ++counts_->connects;
    auto c = inner_->connect(deadline);
    if (!c) return std::unexpected(c.error());
    return std::make_unique<CountingConnection>(std::move(*c), counts_);
  }

 private:
  std::shared_ptr<postgres::Connector> inner_;
  std::shared_ptr<RoundTrips> counts_;
};

}  // namespace stash::testing

#endif  // STASH_IMPL_POSTGRES_TESTS_PG_TEST_UTIL_H_
