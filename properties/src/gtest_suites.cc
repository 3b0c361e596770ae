// The googletest front end: one TEST_P runs one check of the registry for one
// backend, reporting a failure with its readable details via ADD_FAILURE.
#include <iostream>

#include "checks.h"
#include "stash/conformance_gtest.h"

namespace stash::conformance::gtest_glue {

using internal::all_checks;

std::vector<TestParam> params_for(const Backend& backend) {
  const Capabilities caps = backend.make_harness()->capabilities();
  std::vector<TestParam> params;
  for (std::size_t i = 0; i < all_checks().size(); ++i) {
    const internal::CheckDef& check = all_checks()[i];
    if (check.needs && !internal::has(caps, *check.needs)) {
      std::cout << "[ N/A      ] " << backend.name << ": not applicable: " << check.name
                << " needs capability " << internal::to_string(*check.needs) << "\n";
      continue;
    }
    params.push_back({backend, i, check.test_name});
  }
  return params;
}

std::string param_name(const ::testing::TestParamInfo<TestParam>& info) {
  return info.param.test_name;
}

int link_tests() { return 0; }

TEST_P(StashConformance, Check) {
  const TestParam& param = GetParam();
  const internal::CheckDef& check = all_checks().at(param.check);
  internal::Coverage coverage;
  internal::Context ctx{param.backend, internal::options_from_environment(),
                        internal::make_memory_model, &coverage};
  const Capabilities caps = param.backend.make_harness()->capabilities();
  const CheckResult result = internal::run_check(check, ctx, caps);
  RecordProperty("check", check.name);
  RecordProperty("seed", std::to_string(ctx.options.seed));
  if (result.outcome == Outcome::kFailed) {
    ADD_FAILURE() << param.backend.name << ": " << check.name << "\n"
                  << result.details << "\n(seed " << ctx.options.seed << ")";
    return;
  }
  if (!result.details.empty()) std::cout << "  " << check.name << ": " << result.details << "\n";
  if (!coverage.empty()) {
    std::cout << "  coverage:";
    for (const auto& [what, n] : coverage) std::cout << " [" << what << ": " << n << "]";
    std::cout << "\n";
  }
}

}  // namespace stash::conformance::gtest_glue
