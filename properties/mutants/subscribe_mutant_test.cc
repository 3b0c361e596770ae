// The subscribe area tests itself: every broken subscription
// (mutants_subscribe.cc) must fail it under each of five fixed seeds, and the
// unbroken ForwardingStash over a MemoryStash must pass it under each.
#include <gtest/gtest.h>

#include <cstdint>

#include "mutants.h"
#include "stash/conformance.h"

namespace stash::mutants {
namespace {

namespace kit = stash::conformance;

constexpr std::uint64_t kSeeds[] = {20240229, 1, 77, 4242, 987654321};

kit::Report run_subscribe(const std::string& name,
                          const std::function<std::unique_ptr<Stash>()>& make, std::uint64_t seed,
                          bool stop_at_first_failure) {
  kit::RunOptions options;
  // A mutant may leave a subscriber short of its target, which the kit waits
  // for (bounded) before failing; the first failure is enough to kill it.
  options.stop_at_first_failure = stop_at_first_failure;
  options.seed = seed;
  options.max_success = 20;
  options.areas = {kit::Area::kSubscribe};
  return kit::run({name, [make] { return std::make_unique<FactoryHarness>(make); }}, options);
}

TEST(SubscribeMutants, ControlPassesUnderEverySeed) {
  for (std::uint64_t seed : kSeeds) {
    const kit::Report report = run_subscribe("control", forwarding_memory_stash, seed, false);
    std::ostringstream text;
    kit::print(report, text);
    EXPECT_TRUE(report.passed()) << text.str();
    EXPECT_EQ(report.checks.size(), 6u);
  }
}

TEST(SubscribeMutants, EveryMutantIsKilledUnderEverySeed) {
  const auto mutants = subscribe_mutants();
  ASSERT_EQ(mutants.size(), 6u);
  for (const Mutant& m : mutants) {
    for (std::uint64_t seed : kSeeds) {
      const kit::Report report = run_subscribe(m.name, m.make, seed, true);
      EXPECT_FALSE(report.passed()) << m.name << " survived the subscribe area under seed " << seed;
      for (const kit::CheckResult& c : report.checks) {
        if (c.outcome == kit::Outcome::kFailed) {
          std::cout << m.name << " (seed " << seed << ") killed by " << c.name << "\n";
          break;
        }
      }
    }
  }
}

}  // namespace
}  // namespace stash::mutants
