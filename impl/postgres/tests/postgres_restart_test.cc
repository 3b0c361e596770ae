// The server restarts (pg_ctl restart -m fast, via STASH_TEST_POSTGRES_RESTART
// from ci/with-postgres) while a writer is busy. Every call either succeeds
// after a bounded reconnect or fails with a typed error; afterwards the store
// holds every acknowledged write exactly once, no write that failed with
// kUnavailable, and each kOutcomeUnknown write at most once.
//
// Registered RUN_SERIAL: the restart disturbs every other test on the server.
#include <atomic>
#include <cstdio>
#include <thread>

#include "pg_test_util.h"

namespace stash::testing {
namespace {

TEST(PostgresRestart, AcknowledgedWritesSurviveServerRestarts) {
  const std::string schema = fresh_schema("stash_restart");
  auto counts = std::make_shared<RoundTrips>();
  auto opened = PostgresStash::open_with(std::make_shared<CountingConnector>(counts),
                                         options_for(schema));
  ASSERT_TRUE(opened) << opened.error();
  auto& writer = *opened;
  auto c = writer->collection("c");
  ASSERT_TRUE(c);

  std::atomic<bool> stop{false};
  std::map<std::string, std::string> outcome;  // key -> code of its update
  std::thread workload([&] {
    for (int i = 0; !stop; ++i) {
      const std::string key = "k" + std::to_string(100000 + i);
      outcome[key] = code_of(writer->update(*c, key, "", 1, 1));
    }
  });
  constexpr int kRestarts = 2;
  for (int i = 0; i < kRestarts; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    ASSERT_EQ(std::system(env("STASH_TEST_POSTGRES_RESTART").c_str()), 0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  stop = true;
  workload.join();

  std::map<std::string, int> counts;
  for (const auto& [key, code] : outcome) counts[code]++;
  std::printf("%d restarts, %d connections; calls by outcome:", kRestarts,
              counts->connects.load());
  for (const auto& [code, n] : counts) std::printf(" %s=%d", code.c_str(), n);
  std::printf("\n");
  for (const auto& [code, n] : counts) {
    EXPECT_TRUE(code == "ok" || code == "unavailable" || code == "outcome_unknown") << code;
  }
  EXPECT_GE(counts->connects, 1 + kRestarts);  // each restart forced a reconnect
  // The last calls ran after the last restart, so they must have succeeded.
  ASSERT_FALSE(outcome.empty());
  EXPECT_EQ(outcome.rbegin()->second, "ok");

  auto reader = open_or_die(options_for(schema));
  auto rc = reader->collection("c");
  ASSERT_TRUE(rc);
  auto rows = reader->iter(*rc);
  ASSERT_TRUE(rows) << rows.error();
  std::set<std::string> stored;
  for (const Update& u : *rows) {
    EXPECT_EQ(u.diff, 1) << u;  // never doubled
    stored.insert(u.key);
  }
  for (const auto& [key, code] : outcome) {
    if (code == "ok") EXPECT_TRUE(stored.count(key)) << key << " was acknowledged";
    if (code == "unavailable") EXPECT_FALSE(stored.count(key)) << key << " failed, yet stored";
  }
  for (const std::string& key : stored) EXPECT_TRUE(outcome.count(key)) << key;
}

}  // namespace
}  // namespace stash::testing

int main(int argc, char** argv) {
  return stash::testing::run_postgres_tests(
      argc, argv, {"STASH_TEST_POSTGRES_URL", "STASH_TEST_POSTGRES_RESTART"});
}
