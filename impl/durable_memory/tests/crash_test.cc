// Crash-point enumeration (issue #7). For each generated workload, a first
// run counts the sync points (file and directory syncs); then for every k the
// workload runs again with the machine "stopping" at the k-th sync point, the
// file system keeps only what a power cut keeps (FaultEnv::restart), in three
// variants: unsynced data dropped, the last append torn to a prefix, or torn
// to zeros. The recovered stash must equal the model after every acknowledged
// call, with the call in flight applied wholly or not at all.
//
// Deeper: STASH_CRASH_SEEDS (default 20) workloads of STASH_CRASH_OPS (default
// 40) calls each; STASH_CRASH_SEED picks the first seed (default 1).
#include <gtest/gtest.h>

#include "fault_env.h"
#include "stash/durable_memory_stash.h"
#include "workload.h"

namespace stash::test {
namespace {

const std::string kDir = "/stash";

// Snapshot often, so crashes land inside snapshots and log restarts too.
MemoryStashOptions options_for(FaultEnv& env) {
  MemoryStashOptions options;
  options.env = &env;
  options.snapshot_log_bytes_min = 300;
  return options;
}

// What the states before and after the call in flight look like to readers.
struct Acceptable {
  std::string before;
  std::string after;
};

// Runs `ops` until the first call the crash breaks; returns the states the
// recovered stash may show.
Acceptable run_until_crash(FaultEnv& env, const std::vector<Op>& ops) {
  MemoryStash oracle;
  auto stash = DurableMemoryStash::open(kDir, options_for(env));
  if (!stash) return {observe(oracle.image()), observe(oracle.image())};
  for (const Op& op : ops) {
    const MemoryStashImage before = oracle.image();
    const std::string expected = outcome(op.run(oracle, nullptr));
    const std::string got = outcome(op.run(**stash, stash->get()));
    if (got == expected) continue;
    EXPECT_TRUE(env.crashed()) << op.text << ": expected " << expected << ", got " << got;
    return {observe(before), observe(oracle.image())};
  }
  return {observe(oracle.image()), observe(oracle.image())};
}

std::string recovered(FaultEnv& env) {
  auto stash = DurableMemoryStash::open(kDir, options_for(env));
  if (!stash) return "open failed: " + stash.error().to_string();
  return observe(**stash);
}

const char* tear_name(Tear tear) {
  return tear == Tear::kNone ? "dropped" : tear == Tear::kPrefix ? "torn prefix" : "torn zeros";
}

int count_sync_points(const std::vector<Op>& ops) {
  FaultEnv env;
  (void)run_until_crash(env, ops);
  return env.sync_points();
}

TEST(CrashTest, EveryAcknowledgedCallSurvivesACrashAtEverySyncPoint) {
  const int seeds = env_int("STASH_CRASH_SEEDS", 20);
  const int first = env_int("STASH_CRASH_SEED", 1);
  const int count = env_int("STASH_CRASH_OPS", 40);
  int crashes = 0;
  for (int seed = first; seed < first + seeds; ++seed) {
    const auto ops = plan_workload(seed, count);
    const int points = count_sync_points(ops);
    for (int k = 1; k <= points + 1; ++k) {
      for (Tear tear : {Tear::kNone, Tear::kPrefix, Tear::kZeros}) {
        FaultEnv env;
        env.crash_at_sync(k);
        const Acceptable ok = run_until_crash(env, ops);
        env.restart(tear);
        const std::string state = recovered(env);
        ++crashes;
        ASSERT_TRUE(state == ok.before || state == ok.after)
            << "seed " << seed << " (replay: STASH_CRASH_SEED=" << seed
            << " STASH_CRASH_SEEDS=1), crash at sync point " << k << " of " << points << ", "
            << tear_name(tear) << "\nrecovered:\n" << state << "before the call in flight:\n"
            << ok.before << "after it:\n" << ok.after;
      }
    }
  }
  std::cout << "crash points exercised: " << crashes << " (" << seeds << " workloads of "
            << count << " calls, seeds " << first << ".." << first + seeds - 1 << ")\n";
}

// A crash during recovery's own snapshot leaves a recoverable store too.
TEST(CrashTest, CrashWhileRecoveringIsRecoverable) {
  const auto ops = plan_workload(42, 20);
  FaultEnv env;
  const Acceptable done = run_until_crash(env, ops);
  env.restart();
  for (int k = 1; k <= 6; ++k) {
    env.crash_at_sync(k);
    (void)DurableMemoryStash::open(kDir, options_for(env));
    env.restart(Tear::kPrefix);
    ASSERT_EQ(recovered(env), done.after) << "crash at sync point " << k << " of recovery";
  }
}

}  // namespace
}  // namespace stash::test
