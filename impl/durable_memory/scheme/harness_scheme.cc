// `stash check memory:[DIR]`: the kit's harness for MemoryStash, or with a
// directory for DurableMemoryStash (registered in impl/open/CMakeLists.txt).
#include "harness_scheme.h"
#include "stash/durable_memory_harness.h"
#include "stash/memory_harness.h"

namespace {

using stash::conformance::HarnessFactory;
using stash::conformance::harness_scheme::bad;

stash::Result<HarnessFactory> memory_harnesses(const std::string& url,
                                               const std::string& location) {
  if (location.find('?') != std::string::npos) {
    return std::unexpected(bad(url, "memory:DIR takes no options"));
  }
  if (location.empty()) {
    return HarnessFactory([] { return std::make_unique<stash::MemoryHarness>(); });
  }
  return stash::DurableMemoryHarness::factory(location);
}

}  // namespace

STASH_HARNESS_SCHEME(memory){
    "memory",
    "memory:          a new MemoryStash per store\n"
    "  memory:DIR       a DurableMemoryStash per store, in a new directory under DIR",
    memory_harnesses};
