// The conformance kit as googletest tests: every check of stash/conformance.h
// becomes one test, for a backend named in one line:
//
//   #include "stash/conformance_gtest.h"
//   class MyHarness : public stash::conformance::Harness { ... };
//   STASH_INSTANTIATE_CONFORMANCE(MyBackend, [] { return std::make_unique<MyHarness>(); });
//
// Link the test program with stash::stash_conformance_gtest and
// GTest::gtest_main.
#ifndef STASH_CONFORMANCE_GTEST_H_
#define STASH_CONFORMANCE_GTEST_H_

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "stash/conformance.h"

// ---------------------------------------------------------------------------
// The googletest front end. One value-parameterized suite, StashConformance,
// whose parameter is (backend, check): every check of the kit becomes one
// test named `<prefix>/StashConformance.Check/<CheckName>`, e.g.
// `Memory/StashConformance.Check/Scenario4SealAndPeek`. Checks that need a
// capability the harness does not declare are not instantiated; a line
// "not applicable: <check> needs <capability>" is printed for each instead.
//
// Randomized checks take their seed and case count from RC_PARAMS (as
// RapidCheck does: RC_PARAMS="seed=123 max_success=1000"), the exhaustive
// checker its depth from STASH_EXHAUSTIVE_DEPTH. A failure prints the shrunk
// operation sequence and the RC_PARAMS that replays it.
// ---------------------------------------------------------------------------
namespace stash::conformance::gtest_glue {

struct TestParam {
  Backend backend;
  std::size_t check = 0;  // index into the kit's list of checks
  std::string test_name;  // "Scenario4SealAndPeek"
};

// One TestParam per applicable check of `backend`; prints the others as not
// applicable. Called by googletest when it registers the tests.
std::vector<TestParam> params_for(const Backend& backend);

std::string param_name(const ::testing::TestParamInfo<TestParam>& info);

class StashConformance : public ::testing::TestWithParam<TestParam> {};

// Defined next to the test bodies so that linking the macro's user pulls
// them out of the static library.
int link_tests();

}  // namespace stash::conformance::gtest_glue

// Instantiates every conformance test for one backend, googletest style:
//   STASH_INSTANTIATE_CONFORMANCE(Sqlite, [] { return std::make_unique<SqliteHarness>(); });
// `prefix` (an identifier) names the backend in test names and reports;
// `factory` is a HarnessFactory. Use at namespace scope, once per backend.
#define STASH_INSTANTIATE_CONFORMANCE(prefix, factory)                         \
  using StashConformance = ::stash::conformance::gtest_glue::StashConformance; \
  INSTANTIATE_TEST_SUITE_P(                                                    \
      prefix, StashConformance,                                                \
      ::testing::ValuesIn(::stash::conformance::gtest_glue::params_for(        \
          ::stash::conformance::Backend{#prefix, factory})),                   \
      ::stash::conformance::gtest_glue::param_name);                           \
  [[maybe_unused]] static const int stash_conformance_linked_##prefix =        \
      ::stash::conformance::gtest_glue::link_tests()

namespace stash::conformance {

// For a backend test that runs some areas of the kit with a harness of its
// own (say the crash area, with a fault-injecting harness): runs `options`
// (set options.areas) on `backend`, prints the report, and adds a googletest
// failure, with the report, unless no check failed and at least one passed
// (a check that needs a capability or an optional interface the backend
// lacks is reported as not applicable, and is no failure). Call it inside a
// TEST.
void expect_areas_pass(const Backend& backend, const RunOptions& options);

}  // namespace stash::conformance

#endif  // STASH_CONFORMANCE_GTEST_H_
