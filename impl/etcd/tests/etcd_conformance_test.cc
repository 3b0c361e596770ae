// The whole conformance kit against EtcdStash on the cluster of
// STASH_ETCD_ENDPOINTS, reopen, several handles, fencing and the concurrent
// area included: each store is a fresh key prefix, deleted afterwards
// (stash/etcd_harness.h).
//
// Every case opens stores over the network and every write is a Raft
// commit of a 3-member cluster, so by default the randomized areas run 20
// cases, the exhaustive checker depth 1 and the concurrent area 40
// histories; RC_PARAMS, STASH_EXHAUSTIVE_DEPTH and
// STASH_CONCURRENT_HISTORIES set by the caller win.
#include <cstdlib>

#include "etcd_test_util.h"
#include "stash/conformance_gtest.h"
#include "stash/etcd_harness.h"

namespace {

stash::conformance::HarnessFactory factory() {
  auto f = stash::EtcdHarness::factory(stash::testing::endpoints() + "/stash-kit" +
                                       stash::testing::limit_query());
  if (!f) return [] { return std::unique_ptr<stash::conformance::Harness>(); };
  return *f;
}

}  // namespace

STASH_INSTANTIATE_CONFORMANCE(Etcd, factory());

int main(int argc, char** argv) {
  setenv("RC_PARAMS", "max_success=20", /*overwrite=*/0);
  setenv("STASH_EXHAUSTIVE_DEPTH", "1", /*overwrite=*/0);
  setenv("STASH_CONCURRENT_HISTORIES", "40", /*overwrite=*/0);
  return stash::testing::run_etcd_tests(argc, argv);
}
