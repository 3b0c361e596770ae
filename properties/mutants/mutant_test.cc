// The kit tests itself: every mutant (mutants.h) must fail the kit, and the
// unbroken ForwardingStash over a MemoryStash must pass it, so a caught mutant
// is caught for its bug and not for a bug in the wrapper.
//
// At the end it prints which check caught each mutant and how long it took:
// a mutant caught only late, or only by the exhaustive area, shows where the
// kit's cheaper checks could be sharper.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "mutants.h"
#include "stash/conformance.h"

namespace stash::mutants {
namespace {

namespace kit = stash::conformance;

// Fixed so that CI runs are reproducible; printed with every run.
constexpr std::uint64_t kSeed = 20240229;

// Cases per property / stateful test: enough to catch every mutant, small
// enough that the control run plus every mutant stay near a minute in CI.
constexpr int kCasesMax = 40;
constexpr int kExhaustiveDepth = 3;

using StashFactory = std::function<std::unique_ptr<Stash>()>;

class FactoryHarness : public kit::Harness {
 public:
  explicit FactoryHarness(StashFactory make) : make_(std::move(make)) {}
  kit::Capabilities capabilities() const override { return {}; }
  Result<std::unique_ptr<Stash>> open_fresh() override { return make_(); }

 private:
  StashFactory make_;
};

kit::Backend backend(const std::string& name, StashFactory make) {
  return {name, [make] { return std::make_unique<FactoryHarness>(make); }};
}

kit::RunOptions options(bool stop_at_first_failure) {
  kit::RunOptions options;
  options.seed = kSeed;
  options.max_success = kCasesMax;
  options.exhaustive_depth = kExhaustiveDepth;
  options.stop_at_first_failure = stop_at_first_failure;
  return options;
}

std::string area_name(kit::Area area) {
  switch (area) {
    case kit::Area::kScenarios: return "scenarios";
    case kit::Area::kProperties: return "properties";
    case kit::Area::kStateful: return "stateful";
    case kit::Area::kExhaustive: return "exhaustive";
    case kit::Area::kConcurrent: return "concurrent";
    case kit::Area::kCrash: return "crash";
  }
  return "?";
}

// "stateful: <check name>", or "(not caught)".
std::string first_failure(const kit::Report& report) {
  auto failed = std::find_if(report.checks.begin(), report.checks.end(),
                             [](const kit::CheckResult& r) {
                               return r.outcome == kit::Outcome::kFailed;
                             });
  if (failed == report.checks.end()) return "(not caught)";
  return area_name(failed->area) + ": " + failed->name;
}

struct Row {
  std::string mutant;
  std::string caught_by;
  std::chrono::milliseconds elapsed;
};

class MutantTest : public ::testing::TestWithParam<Mutant> {
 public:
  static void SetUpTestSuite() {
    std::cout << "mutant_test: seed " << kSeed << ", " << kCasesMax
              << " cases, exhaustive depth " << kExhaustiveDepth << "\n";
  }
  static void TearDownTestSuite() { print_table(std::cout); }

 protected:
  static std::vector<Row>& rows() {
    static std::vector<Row> rows;
    return rows;
  }

 private:
  static void print_table(std::ostream& out) {
    out << "\n" << std::left << std::setw(34) << "mutant" << std::setw(9) << "ms"
        << "caught by\n";
    for (const Row& row : rows()) {
      out << std::setw(34) << row.mutant << std::setw(9) << row.elapsed.count()
          << row.caught_by << "\n";
    }
  }
};

TEST(MutantControl, ForwardingStashOverMemoryStashPassesTheKit) {
  const kit::Report report =
      kit::run(backend("forwarding_memory", forwarding_memory_stash), options(false));
  std::ostringstream printed;
  kit::print(report, printed);
  EXPECT_TRUE(report.passed()) << printed.str();
}

TEST_P(MutantTest, KitRejectsIt) {
  const Mutant& mutant = GetParam();
  const auto start = std::chrono::steady_clock::now();
  const kit::Report report = kit::run(backend(mutant.name, mutant.make), options(true));
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  rows().push_back({mutant.name, first_failure(report), elapsed});
  EXPECT_FALSE(report.passed()) << "the kit let a broken backend pass: "
                                << mutant.name << ": " << mutant.description;
}

INSTANTIATE_TEST_SUITE_P(All, MutantTest, ::testing::ValuesIn(all_mutants()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace stash::mutants
