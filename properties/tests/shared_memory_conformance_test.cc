// The kit's capability paths (Reopen, several Stash objects, fencing), run on
// MemoryStash wrappers that emulate a durable, multi-handle store.
#include "shared_memory_harness.h"
#include "stash/conformance_gtest.h"

using stash::conformance::testing::shared_memory;

STASH_INSTANTIATE_CONFORMANCE(SharedMemory, shared_memory({.durable = true,
                                                           .several_handles = true,
                                                           .fencing = false}));
STASH_INSTANTIATE_CONFORMANCE(FencedMemory, shared_memory({.durable = true,
                                                           .several_handles = true,
                                                           .fencing = true}));
