// The kit tests itself: every mutant (mutants.h) must fail the kit, and the
// unbroken ForwardingStash over a MemoryStash must pass it, so a caught mutant
// is caught for its bug and not for a bug in the wrapper.
//
// Every mutant must be caught under each of kSeeds (five fixed seeds, so CI
// is reproducible) and by the deterministic areas alone (scenarios and the
// exhaustive checker), so that no kill depends on the seed. The controls
// must pass under every seed.
//
// At the end it prints which check caught each mutant and how long it took:
// a mutant caught only late, or only by the exhaustive area, shows where the
// kit's cheaper checks could be sharper.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "mutants.h"
#include "stash/conformance.h"
#include "stash/memory_stash.h"

namespace stash::mutants {
namespace {

namespace kit = stash::conformance;

// Fixed so that CI runs are reproducible; printed with every run.
constexpr std::uint64_t kSeeds[] = {20240229, 1, 77, 4242, 987654321};
constexpr std::uint64_t kSeed = kSeeds[0];

// Cases per property / stateful test: enough to catch every mutant, small
// enough that the control runs (5 seeds) plus every mutant stay under a
// minute in CI. Depth 2: the exhaustive area runs once per control and only
// for mutants no scenario caught; depth 3 would cost ~30x more.
constexpr int kCasesMax = 40;
constexpr int kExhaustiveDepth = 2;

using StashFactory = std::function<std::unique_ptr<Stash>()>;

using ObjectFactory = std::function<std::unique_ptr<Stash>(std::shared_ptr<Stash>)>;

// For Mutant::open: a store is one shared MemoryStash; reopen and
// open_another make new objects over it (durable, several_handles).
class SharedStoreHarness : public kit::Harness {
 public:
  explicit SharedStoreHarness(ObjectFactory open) : open_(std::move(open)) {}
  kit::Capabilities capabilities() const override {
    return {.durable = true, .several_handles = true, .fencing = false};
  }
  Result<std::unique_ptr<Stash>> open_fresh() override {
    store_ = std::make_shared<MemoryStash>();
    return open_(store_);
  }
  Result<std::unique_ptr<Stash>> reopen() override { return open_(store_); }
  Result<std::unique_ptr<Stash>> open_another() override { return open_(store_); }

 private:
  ObjectFactory open_;
  std::shared_ptr<Stash> store_;
};

kit::Backend backend(const std::string& name, const StashFactory& make) {
  return {name, [make] { return std::make_unique<FactoryHarness>(make); }};
}

kit::Backend backend(const Mutant& m) {
  if (!m.open) return backend(m.name, m.make);
  return {m.name, [open = m.open] { return std::make_unique<SharedStoreHarness>(open); }};
}

kit::RunOptions options(bool stop_at_first_failure, std::uint64_t seed = kSeed) {
  kit::RunOptions options;
  options.seed = seed;
  options.max_success = kCasesMax;
  options.exhaustive_depth = kExhaustiveDepth;
  options.stop_at_first_failure = stop_at_first_failure;
  // The subscribe area has its own self-test (subscribe_mutant_test.cc).
  std::erase(options.areas, kit::Area::kSubscribe);
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
    case kit::Area::kSubscribe: return "subscribe";
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
    std::cout << "mutant_test: seeds";
    for (std::uint64_t seed : kSeeds) std::cout << " " << seed;
    std::cout << " (caught by: under seed " << kSeed << "), " << kCasesMax
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
    out << "\n" << std::left << std::setw(42) << "mutant" << std::setw(9) << "ms"
        << "caught by\n";
    for (const Row& row : rows()) {
      out << std::setw(42) << row.mutant << std::setw(9) << row.elapsed.count()
          << row.caught_by << "\n";
    }
  }
};

const std::vector<kit::Area> kRandomAreas = {kit::Area::kProperties, kit::Area::kStateful};
const std::vector<kit::Area> kDeterministicAreas = {kit::Area::kScenarios, kit::Area::kExhaustive};

void expect_passes(const kit::Backend& b, const kit::RunOptions& o) {
  const kit::Report report = kit::run(b, o);
  std::ostringstream printed;
  kit::print(report, printed);
  EXPECT_TRUE(report.passed()) << "seed " << o.seed << "\n" << printed.str();
}

// The whole kit under the first seed; the random areas (the only ones the
// seed changes) under the others.
TEST(MutantControl, ForwardingStashOverMemoryStashPassesTheKit) {
  const kit::Backend b = backend("forwarding_memory", forwarding_memory_stash);
  for (std::uint64_t seed : kSeeds) {
    kit::RunOptions o = options(false, seed);
    if (seed != kSeed) o.areas = kRandomAreas;
    expect_passes(b, o);
  }
}

TEST(MutantControl, ForwardingStashOverASharedStorePassesTheKit) {
  const kit::Backend b{"forwarding_shared",
                       [] { return std::make_unique<SharedStoreHarness>(forwarding_shared_stash); }};
  for (std::uint64_t seed : kSeeds) {
    kit::RunOptions o = options(false, seed);
    o.areas = seed == kSeed ? std::vector{kit::Area::kScenarios, kit::Area::kProperties, kit::Area::kStateful}
                            : kRandomAreas;
    expect_passes(b, o);
  }
}

TEST_P(MutantTest, KitRejectsIt) {
  const Mutant& mutant = GetParam();
  const auto start = std::chrono::steady_clock::now();
  std::string caught_by;
  // STASH_MUTANT_RANDOM_ONLY=1: judge the random areas alone (a diagnostic:
  // which classes the random checks find without the scenarios' help).
  const bool random_only = std::getenv("STASH_MUTANT_RANDOM_ONLY") != nullptr;
  for (std::uint64_t seed : kSeeds) {
    kit::RunOptions o = options(true, seed);
    if (random_only) o.areas = kRandomAreas;
    const kit::Report report = kit::run(backend(mutant), o);
    if (caught_by.empty()) caught_by = first_failure(report);
    EXPECT_FALSE(report.passed()) << "the kit let a broken backend pass under seed " << seed
                                  << ": " << mutant.name << ": " << mutant.description;
  }
  if (random_only) {
    rows().push_back({mutant.name, caught_by, {}});
    return;
  }
  // No kill may depend on the seed: the deterministic areas catch it too.
  kit::RunOptions deterministic = options(true);
  deterministic.areas = kDeterministicAreas;
  const kit::Report fixed = kit::run(backend(mutant), deterministic);
  EXPECT_FALSE(fixed.passed()) << "only the random checks catch " << mutant.name
                               << ": add a deterministic scenario for its class";
  if (first_failure(fixed) != caught_by) caught_by += "; deterministically: " + first_failure(fixed);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  rows().push_back({mutant.name, caught_by, elapsed});
}

INSTANTIATE_TEST_SUITE_P(All, MutantTest, ::testing::ValuesIn(all_mutants()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace stash::mutants
