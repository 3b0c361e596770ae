// Pieces the concurrent and crash areas share (concurrent.cc).
#ifndef STASH_PROPERTIES_SRC_CONCURRENT_H_
#define STASH_PROPERTIES_SRC_CONCURRENT_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "ops.h"
#include "world.h"

namespace stash::conformance::internal {

// A World that runs calls through a Stash object someone else owns (it
// forwards every call, provided ones included), as object 0.
std::unique_ptr<World> world_over(const std::shared_ptr<Stash>& s);

// `calls` random calls (all 18, valid and invalid) on `collections`
// collections, aimed near the frontiers these calls alone would produce.
std::vector<Call> random_calls(std::uint64_t seed, int calls, int collections);

}  // namespace stash::conformance::internal

#endif  // STASH_PROPERTIES_SRC_CONCURRENT_H_
