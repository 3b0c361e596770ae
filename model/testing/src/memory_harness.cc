#include "stash/memory_harness.h"

#include "stash/memory_stash.h"

namespace stash {

conformance::Capabilities MemoryHarness::capabilities() const { return {}; }

Result<std::unique_ptr<Stash>> MemoryHarness::open_fresh() {
  return std::unique_ptr<Stash>(std::make_unique<MemoryStash>());
}

}  // namespace stash
