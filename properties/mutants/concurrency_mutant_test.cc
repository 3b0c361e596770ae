// The kit's concurrent area against the concurrency mutants (mutants.h,
// StoreMutant): under each of five fixed seeds every mutant must be rejected
// by the concurrent area alone, and the unbroken stores must pass it.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <sstream>

#include "mutants.h"
#include "stash/conformance.h"
#include "stash/memory_stash.h"

namespace stash::mutants {
namespace {

namespace kit = stash::conformance;

constexpr std::uint64_t kSeeds[] = {1, 20240229, 77, 4242, 987654321};

// Objects opened by open_fresh() and open_another() share the store.
class StoreHarness : public kit::Harness {
 public:
  explicit StoreHarness(const StoreMutant& m) : mutant_(m) {}
  kit::Capabilities capabilities() const override {
    return {.durable = false, .several_handles = true, .fencing = mutant_.fencing};
  }
  Result<std::unique_ptr<Stash>> open_fresh() override {
    open_ = mutant_.make_store();
    return open_();
  }
  Result<std::unique_ptr<Stash>> open_another() override { return open_(); }

 private:
  StoreMutant mutant_;
  std::function<Result<std::unique_ptr<Stash>>()> open_;
};

kit::Report run_concurrent(const StoreMutant& m, std::uint64_t seed) {
  kit::RunOptions options;
  options.seed = seed;
  options.areas = {kit::Area::kConcurrent};
  return kit::run({m.name, [m] { return std::make_unique<StoreHarness>(m); }}, options);
}

std::string printed(const kit::Report& report) {
  std::ostringstream os;
  kit::print(report, os);
  return os.str();
}

TEST(ConcurrencyMutantControl, CorrectStoresPassUnderEverySeed) {
  for (bool fencing : {false, true}) {
    for (std::uint64_t seed : kSeeds) {
      const kit::Report report = run_concurrent(correct_store(fencing), seed);
      EXPECT_TRUE(report.passed()) << printed(report);
    }
  }
}

class ConcurrencyMutantTest : public ::testing::TestWithParam<StoreMutant> {};

TEST_P(ConcurrencyMutantTest, ConcurrentAreaRejectsItUnderEverySeed) {
  const StoreMutant& m = GetParam();
  for (std::uint64_t seed : kSeeds) {
    const auto start = std::chrono::steady_clock::now();
    const kit::Report report = run_concurrent(m, seed);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    EXPECT_FALSE(report.passed()) << "seed " << seed << ": the concurrent area let "
                                  << m.name << " pass: " << m.description << "\n"
                                  << printed(report);
    std::cout << m.name << " seed " << seed << ": "
              << (report.passed() ? "NOT caught" : "caught") << " in " << ms << " ms\n";
    if (!report.passed() && seed == kSeeds[0]) {
      std::cout << report.checks.back().details << "\n";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(All, ConcurrencyMutantTest, ::testing::ValuesIn(concurrency_mutants()),
                         [](const auto& info) { return info.param.name; });

// read_all (ConsistentReader): MemoryStash's must pass the read_all checks,
// and every broken one must fail them, under every seed.
kit::Report run_read_all(const std::string& name,
                         const std::function<std::unique_ptr<Stash>()>& make, std::uint64_t seed) {
  kit::RunOptions options;
  options.seed = seed;
  options.areas = {kit::Area::kConcurrent};
  options.concurrent_histories = 0;  // the read_all checks only
  return kit::run({name, [make] { return std::make_unique<FactoryHarness>(make); }}, options);
}

std::size_t count(const kit::Report& report, kit::Outcome outcome) {
  std::size_t n = 0;
  for (const kit::CheckResult& c : report.checks) n += c.outcome == outcome;
  return n;
}

TEST(ReadAllMutants, MemoryStashPassesUnderEverySeed) {
  for (std::uint64_t seed : kSeeds) {
    const kit::Report report =
        run_read_all("memory", [] { return std::make_unique<MemoryStash>(); }, seed);
    EXPECT_TRUE(report.passed()) << printed(report);
    EXPECT_EQ(count(report, kit::Outcome::kNotApplicable), 0u) << printed(report);
  }
}

TEST(ReadAllMutants, WithoutConsistentReaderTheChecksDoNotApply) {
  const kit::Report report = run_read_all("forwarding", forwarding_memory_stash, kSeeds[0]);
  EXPECT_TRUE(report.passed()) << printed(report);
  EXPECT_EQ(count(report, kit::Outcome::kNotApplicable), 2u) << printed(report);
}

TEST(ReadAllMutants, EveryMutantIsKilledUnderEverySeed) {
  const auto mutants = read_all_mutants();
  ASSERT_EQ(mutants.size(), 2u);
  for (const Mutant& m : mutants) {
    for (std::uint64_t seed : kSeeds) {
      const kit::Report report = run_read_all(m.name, m.make, seed);
      EXPECT_FALSE(report.passed()) << m.name << " survived the read_all checks under seed " << seed;
      for (const kit::CheckResult& c : report.checks) {
        if (c.outcome == kit::Outcome::kFailed) {
          std::cout << m.name << " (seed " << seed << ") killed by " << c.name << "\n";
          if (seed == kSeeds[0]) std::cout << "  " << c.details << "\n";
          break;
        }
      }
    }
  }
}

}  // namespace
}  // namespace stash::mutants
