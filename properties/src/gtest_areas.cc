// expect_areas_pass (stash/conformance_gtest.h). Kept apart from the test
// bodies of gtest_suites.cc, so that a program using only this does not link
// the parameterized suite it never instantiates.
#include <iostream>
#include <sstream>

#include "stash/conformance_gtest.h"

namespace stash::conformance {

void expect_areas_pass(const Backend& backend, const RunOptions& options) {
  const Report report = run(backend, options);
  std::ostringstream printed;
  print(report, printed);
  bool any_passed = false;
  for (const CheckResult& check : report.checks) {
    EXPECT_NE(check.outcome, Outcome::kFailed) << check.name << "\n" << printed.str();
    any_passed = any_passed || check.outcome == Outcome::kPassed;
  }
  EXPECT_TRUE(any_passed) << "no check passed\n" << printed.str();
  std::cout << printed.str();
}

}  // namespace stash::conformance
