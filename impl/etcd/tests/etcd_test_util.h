// Helpers shared by the etcd backend's tests: where the cluster is, a fresh
// prefix per test, and main().
//
// The tests need a cluster: STASH_ETCD_ENDPOINTS (`bash ci/with-etcd
// COMMAND` starts a 3-member one and sets it). Without it a test program
// prints that it was not run and exits kSkipped (ctest reports it as
// skipped: SKIP_RETURN_CODE in CMakeLists.txt), except under CI=true, where
// a missing cluster is a failure.
#ifndef STASH_IMPL_ETCD_TESTS_ETCD_TEST_UTIL_H_
#define STASH_IMPL_ETCD_TESTS_ETCD_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>

#include "stash/etcd_stash.h"

namespace stash::testing {

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

inline constexpr int kSkipped = 77;

inline int run_etcd_tests(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (env("STASH_ETCD_ENDPOINTS").empty()) {
    const std::string ci = env("CI");
    if (!ci.empty() && ci != "false" && ci != "0") {
      std::printf("etcd tests FAILED: STASH_ETCD_ENDPOINTS unset under CI=true (run via bash ci/with-etcd)\n");
      return 1;
    }
    std::printf("etcd tests SKIPPED: STASH_ETCD_ENDPOINTS unset (run via bash ci/with-etcd)\n");
    return kSkipped;
  }
  return RUN_ALL_TESTS();
}

// The cluster's endpoints and, if ci/with-etcd raised it, the members'
// request limit as a URL query ("?max_request_bytes=N", or "").
inline std::string endpoints() { return env("STASH_ETCD_ENDPOINTS"); }
inline std::string limit_query() {
  const std::string max = env("STASH_ETCD_MAX_REQUEST_BYTES");
  return max.empty() ? "" : "?max_request_bytes=" + max;
}

// A prefix no other test uses: "/stash-test/<random>/".
inline std::string fresh_prefix() {
  static std::mt19937_64 random{std::random_device{}()};
  std::ostringstream out;
  out << "/stash-test/" << std::hex << random() << "/";
  return out.str();
}

inline EtcdOptions options_for(const std::string& prefix) {
  auto o = parse_etcd_location(endpoints() + limit_query());
  EtcdOptions out = o ? *o : EtcdOptions{};
  out.prefix = prefix;
  return out;
}

template <typename T>
std::string code_of(const Result<T>& r) {
  return r ? "ok" : std::string(to_string(r.error().code()));
}

}  // namespace stash::testing

#endif  // STASH_IMPL_ETCD_TESTS_ETCD_TEST_UTIL_H_
