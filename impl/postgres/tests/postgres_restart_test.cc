// The server restarts (pg_ctl restart -m fast, via STASH_TEST_POSTGRES_RESTART
// from ci/with-postgres) while a writer is busy. Every call either succeeds
// after a bounded reconnect or fails with a typed error; afterwards the store
// holds every acknowledged write exactly once, no write that failed with
// kUnavailable, and each kOutcomeUnknown write at most once.
//
// Registered RUN_SERIAL: the restart disturbs every other test on the server.
#include <atomic>
#include <chrono>
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
  std::atomic<int> acknowledged{0};
  std::map<std::string, std::string> outcome;  // key -> code of its update
  std::thread workload([&] {
    for (int i = 0; !stop; ++i) {
      const std::string key = "k" + std::to_string(100000 + i);
      outcome[key] = code_of(writer->update(*c, key, "", 1, 1));
      if (outcome[key] == "ok") ++acknowledged;
    }
  });
  // Waits (bounded) until the writer has had `n` more calls acknowledged, so
  // each restart hits a busy writer and the writer recovers after each.
  auto wait_for_acknowledged = [&](int n) {
    const int target = acknowledged + n;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (acknowledged < target && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    return acknowledged >= target;
  };
  constexpr int kRestarts = 2;
  for (int i = 0; i < kRestarts; ++i) {
    ASSERT_TRUE(wait_for_acknowledged(50)) << "the writer made no progress";
    ASSERT_EQ(std::system(env("STASH_TEST_POSTGRES_RESTART").c_str()), 0);
  }
  const bool recovered = wait_for_acknowledged(50);
  stop = true;
  workload.join();
  EXPECT_TRUE(recovered) << "the writer made no progress after the last restart";

  std::map<std::string, int> by_code;
  for (const auto& [key, code] : outcome) by_code[code]++;
  std::printf("%d restarts, %d connections; calls by outcome:", kRestarts,
              counts->connects.load());
  for (const auto& [code, n] : by_code) std::printf(" %s=%d", code.c_str(), n);
  std::printf("\n");
  for (const auto& [code, n] : by_code) {
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
    if (code == "ok") {
      EXPECT_TRUE(stored.count(key)) << key << " was acknowledged";
    } else if (code == "unavailable") {
      EXPECT_FALSE(stored.count(key)) << key << " failed, yet stored";
    }
  }
  for (const std::string& key : stored) EXPECT_TRUE(outcome.count(key)) << key;
}

}  // namespace
}  // namespace stash::testing

int main(int argc, char** argv) {
  return stash::testing::run_postgres_tests(
      argc, argv, {"STASH_TEST_POSTGRES_URL", "STASH_TEST_POSTGRES_RESTART"});
}
