// The kit's crash area against the durable fake (must pass) and its crash
// mutants (mutants.h, DurableMutant; each must be rejected), under five
// fixed seeds each.
#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <sstream>

#include "mutants.h"
#include "stash/conformance.h"

namespace stash::mutants {
namespace {

namespace kit = stash::conformance;

constexpr std::uint64_t kSeeds[] = {1, 20240229, 77, 4242, 987654321};

class FakeHarness : public kit::Harness {
 public:
  explicit FakeHarness(const DurableMutant& m) : mutant_(m) {}
  kit::Capabilities capabilities() const override {
    return {.durable = true, .several_handles = false, .fencing = false, .crash = true};
  }
  Result<std::unique_ptr<Stash>> open_fresh() override {
    store_ = mutant_.make_store();
    return store_->open();
  }
  Result<std::unique_ptr<Stash>> reopen() override { return store_->open(); }
  Status crash() override {
    store_->crash();
    return {};
  }

 private:
  DurableMutant mutant_;
  std::shared_ptr<CrashableStore> store_;
};

kit::Backend backend(const DurableMutant& m) {
  return {m.name, [m] { return std::make_unique<FakeHarness>(m); }};
}

kit::Report run_crash(const DurableMutant& m, std::uint64_t seed) {
  kit::RunOptions options;
  options.seed = seed;
  options.areas = {kit::Area::kCrash};
  return kit::run(backend(m), options);
}

std::string printed(const kit::Report& report) {
  std::ostringstream os;
  kit::print(report, os);
  return os.str();
}

TEST(CrashMutantControl, DurableFakePassesTheCrashAreaUnderEverySeed) {
  for (std::uint64_t seed : kSeeds) {
    const kit::Report report = run_crash(correct_durable_fake(), seed);
    ASSERT_EQ(report.checks.size(), 1u);
    EXPECT_EQ(report.checks[0].outcome, kit::Outcome::kPassed) << printed(report);
  }
}

TEST(CrashMutantControl, DurableFakePassesTheWholeKit) {
  kit::RunOptions options;
  options.seed = kSeeds[0];
  options.max_success = 30;
  const kit::Report report = kit::run(backend(correct_durable_fake()), options);
  EXPECT_TRUE(report.passed()) << printed(report);
}

class CrashMutantTest : public ::testing::TestWithParam<DurableMutant> {};

TEST_P(CrashMutantTest, CrashAreaRejectsItUnderEverySeed) {
  const DurableMutant& m = GetParam();
  for (std::uint64_t seed : kSeeds) {
    const kit::Report report = run_crash(m, seed);
    EXPECT_FALSE(report.passed()) << "seed " << seed << ": the crash area let " << m.name
                                  << " pass: " << m.description << "\n"
                                  << printed(report);
    if (!report.passed() && seed == kSeeds[0]) std::cout << report.checks.back().details << "\n";
  }
}

INSTANTIATE_TEST_SUITE_P(All, CrashMutantTest, ::testing::ValuesIn(crash_mutants()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace stash::mutants
