// main() of the fault test programs: they need the cluster of ci/with-etcd.
// Without STASH_ETCD_ENDPOINTS a program prints that it was not run and
// exits kSkipped (ctest reports it skipped: SKIP_RETURN_CODE in
// CMakeLists.txt), except under CI=true, where a missing cluster fails.
#ifndef STASH_IMPL_ETCD_FAULT_TESTS_ETCD_TEST_MAIN_H_
#define STASH_IMPL_ETCD_FAULT_TESTS_ETCD_TEST_MAIN_H_

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace stash::testing {

inline constexpr int kSkipped = 77;

inline int run_etcd_tests(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const char* endpoints = std::getenv("STASH_ETCD_ENDPOINTS");
  if (endpoints && *endpoints) return RUN_ALL_TESTS();
  const char* ci = std::getenv("CI");
  if (ci && *ci && std::string(ci) != "false" && std::string(ci) != "0") {
    std::printf("etcd tests FAILED: STASH_ETCD_ENDPOINTS unset under CI=true (run via bash ci/with-etcd)\n");
    return 1;
  }
  std::printf("etcd tests SKIPPED: STASH_ETCD_ENDPOINTS unset (run via bash ci/with-etcd)\n");
  return kSkipped;
}

}  // namespace stash::testing

#endif  // STASH_IMPL_ETCD_FAULT_TESTS_ETCD_TEST_MAIN_H_
