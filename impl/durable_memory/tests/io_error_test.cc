// I/O-error countdown (issue #7): the n-th fallible file-system call (create,
// append, sync, rename, directory sync) fails once with EIO or ENOSPC, for
// every n a fault-free run makes. Asserted for each:
//   - the call that meets the fault gets a typed error (kIoError,
//     kOutcomeUnknown), or ok if its record was already durable (a failed
//     background snapshot), and the state readers see is before or after it;
//   - afterwards the stash either keeps working exactly like the model, or
//     refuses every mutating call with kIoError saying why; it never reports
//     ok for a write after a failed sync (FaultEnv loses the data of a failed
//     sync for good, so a retried fsync would be caught below);
//   - reopening, with or without a power cut first, shows every acknowledged
//     call (and the faulted one wholly or not at all).
//
// Deeper: STASH_IO_ERROR_SEEDS (default 8), STASH_IO_ERROR_OPS (default 30).
#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <optional>

#include "fault_env.h"
#include "stash/durable_memory_stash.h"
#include "workload.h"

namespace stash::test {
namespace {

const std::string kDir = "/stash";

MemoryStashOptions options_for(FaultEnv& env) {
  MemoryStashOptions options;
  options.env = &env;
  options.snapshot_log_bytes_min = 300;
  return options;
}

bool is_io_code(ErrorCode code) {
  return code == ErrorCode::kIoError || code == ErrorCode::kOutcomeUnknown;
}

// After the run: the states a reopened stash may show.
struct Expectation {
  std::string final_state;  // Every acknowledged call applied ...
  std::string alternative;  // ... or all but the faulted one.
};

// Runs `ops` with the fault armed in `env`, checking the rules above.
Expectation run_with_fault(FaultEnv& env, const std::vector<Op>& ops, const std::string& label) {
  auto oracle = std::make_unique<MemoryStash>();
  auto stash = DurableMemoryStash::open(kDir, options_for(env));
  if (!stash) {
    EXPECT_TRUE(is_io_code(stash.error().code())) << label << ": " << stash.error();
    return {observe(*oracle), observe(*oracle)};
  }
  std::optional<Expectation> refused;
  for (const Op& op : ops) {
    const Status got = op.run(**stash, stash->get());
    if (refused) {  // Once refused, every write is refused, and says why.
      const bool consolidate = op.text.starts_with("Consolidate");  // Not a write to the log.
      // A refusing stash still hands out the collections it durably has.
      const bool lookup = op.text.starts_with("Collection(") && got.has_value();
      EXPECT_TRUE(consolidate || lookup || (!got && got.error().code() == ErrorCode::kIoError))
          << label << ": " << op.text << " after the stash refused writes: " << outcome(got);
      continue;
    }
    const MemoryStashImage before = oracle->image();
    const std::string expected = outcome(op.run(*oracle, nullptr));
    if (outcome(got) == expected) continue;
    if (got.has_value()) {
      ADD_FAILURE() << label << ": " << op.text << " returned ok, expected " << expected;
      return {};
    }
    EXPECT_TRUE(is_io_code(got.error().code())) << label << ": " << op.text << ": " << got.error();
    const std::string now = observe(**stash);
    const std::string after = observe(*oracle);
    const std::string prior = observe(before);
    EXPECT_TRUE(now == after || now == prior) << label << ": " << op.text << "\nnow:\n" << now;
    // An empty update changes nothing: it probes whether writes still work.
    auto probe = (*stash)->update_many(CollectionHandle{1}, {});
    if (!probe && probe.error().code() == ErrorCode::kIoError) {
      EXPECT_NE(probe.error().message().find("refuses writes"), std::string::npos) << probe.error();
      refused = Expectation{now, now == after ? prior : after};
      continue;
    }
    // Still working: then the failed call must have had no effect.
    EXPECT_EQ(now, prior) << label << ": " << op.text << " failed, yet changed the state";
    oracle = std::make_unique<MemoryStash>(before);
  }
  if (refused) return *refused;
  const std::string state = observe(*oracle);
  return {state, state};
}

std::string reopened(FaultEnv& env) {
  auto stash = DurableMemoryStash::open(kDir, options_for(env));
  if (!stash) return "open failed: " + stash.error().to_string();
  return observe(**stash);
}

TEST(IoErrorTest, EveryFaultGivesATypedErrorAndLosesNothingAcknowledged) {
  const int seeds = env_int("STASH_IO_ERROR_SEEDS", 8);
  const int count = env_int("STASH_IO_ERROR_OPS", 30);
  int faults = 0;
  for (int seed = 1; seed <= seeds; ++seed) {
    const auto ops = plan_workload(1000 + seed, count);
    FaultEnv counter;
    (void)run_with_fault(counter, ops, "fault-free");
    const int calls = counter.fallible_calls();
    for (int n = 1; n <= calls; ++n) {
      for (int err : {EIO, ENOSPC}) {
        const std::string label = "seed " + std::to_string(1000 + seed) + ", call " +
                                  std::to_string(n) + " of " + std::to_string(calls) +
                                  (err == EIO ? " fails with EIO" : " fails with ENOSPC");
        FaultEnv env;
        env.fail_nth(n, err);
        const Expectation expect = run_with_fault(env, ops, label);
        ++faults;
        for (bool power_cut : {false, true}) {
          if (power_cut) env.restart();
          const std::string state = reopened(env);
          ASSERT_TRUE(state == expect.final_state || state == expect.alternative)
              << label << (power_cut ? ", after a power cut" : ", reopened") << "\n"
              << state << "expected:\n" << expect.final_state << "or:\n" << expect.alternative;
        }
      }
    }
  }
  std::cout << "faults injected: " << faults << "\n";
}

}  // namespace
}  // namespace stash::test
