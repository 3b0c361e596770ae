// Item 5 of issue #3: the spec is not trusted blind. MemoryStash (with the
// provided operations of stash.cc) is compared with OracleStash, a brute-force
// implementation sharing no code with it, by the same stateful and exhaustive
// machinery the kit applies to backends.
#include <gtest/gtest.h>

#include "checks.h"
#include "oracle.h"
#include "shared_memory_harness.h"

namespace stash::conformance {
namespace {



// Runs every check of `area` on `backend` with the oracle as the model.
void expect_agreement(const Backend& backend, Area area) {
  internal::Coverage coverage;
  internal::Context ctx{backend, internal::options_from_environment(), internal::make_oracle,
                        &coverage};
  const Capabilities caps = backend.make_harness()->capabilities();
  for (const internal::CheckDef& check : internal::all_checks()) {
    if (check.area != area) continue;
    const CheckResult r = internal::run_check(check, ctx, caps);
    EXPECT_NE(r.outcome, Outcome::kFailed) << check.name << "\n" << r.details;
    if (r.outcome == Outcome::kPassed && !r.details.empty()) std::cout << "  " << r.details << "\n";
  }
}

const Backend kMemory{"SharedMemory", testing::shared_memory({true, true, false})};
const Backend kFenced{"FencedMemory", testing::shared_memory({true, true, true})};

TEST(MemoryStashVsOracle, StatefulCommands) { expect_agreement(kMemory, Area::kStateful); }
TEST(MemoryStashVsOracle, StatefulCommandsWithFencing) { expect_agreement(kFenced, Area::kStateful); }
TEST(MemoryStashVsOracle, ExhaustiveSequences) { expect_agreement(kMemory, Area::kExhaustive); }

class OracleHarness : public Harness {
 public:
  Capabilities capabilities() const override { return {}; }
  Result<std::unique_ptr<Stash>> open_fresh() override { return internal::make_oracle(); }
};

// The oracle must itself meet the deterministic scenarios and invariants,
// or agreeing with it proves nothing.
TEST(OracleStashItself, PassesScenariosAndProperties) {
  const Backend oracle{"Oracle", [] { return std::make_unique<OracleHarness>(); }};
  RunOptions options;
  options.areas = {Area::kScenarios, Area::kProperties};
  const Report report = run(oracle, options);
  std::ostringstream text;
  print(report, text);
  EXPECT_TRUE(report.passed()) << text.str();
}

}  // namespace
}  // namespace stash::conformance
