// `stash check etcd:H:P,...[/BASE][?OPTIONS]` (registered in
// impl/open/CMakeLists.txt).
#include "harness_scheme.h"
#include "stash/etcd_harness.h"

namespace {

stash::Result<stash::conformance::HarnessFactory> etcd_harnesses(const std::string&,
                                                                 const std::string& location) {
  return stash::EtcdHarness::factory(location);
}

}  // namespace

STASH_HARNESS_SCHEME(etcd){"etcd",
                           "etcd:H:P,...[/BASE]  a new key prefix per store under /BASE/ "
                           "(default /stash-kit/) on the etcd cluster at H:P,...",
                           etcd_harnesses};
