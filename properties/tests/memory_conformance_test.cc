// The whole kit, instantiated for MemoryStash in one line, as a backend
// author would. MemoryStash declares no capabilities, so the reopen, several
// handles and fencing checks are reported as not applicable (see
// shared_memory_conformance_test.cc for those paths).
#include "shared_memory_harness.h"
#include "stash/conformance_gtest.h"

STASH_INSTANTIATE_CONFORMANCE(Memory, [] {
  return std::make_unique<stash::conformance::testing::MemoryHarness>();
});
