// A deterministic random workload for the crash and power-loss tests.
//
// generate_workload(seed, n) returns the same n calls for the same seed, so
// a parent process and the child it kills agree on them without talking.
// Most calls succeed (times are picked at or beyond upper), a few fail on a
// frontier check, so failed calls are crash-tested too. The first calls
// create the collections c0, c1, c2.
#ifndef STASH_IMPL_SQLITE_TESTS_WORKLOAD_H_
#define STASH_IMPL_SQLITE_TESTS_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "stash/stash.h"

namespace stash::testing {

struct Op {
  enum class Kind { kCollection, kUpdateMany, kSeal, kCompact, kConsolidate, kAppend, kSealBatch };
  Kind kind = Kind::kCollection;
  int collection = 0;                      // index into collection_names()
  std::vector<Update> entries;             // kUpdateMany
  Frontier frontier;                       // kSeal, kCompact
  std::vector<AppendBatch> batches;        // kAppend (collection ids = index + 1)
  std::vector<FrontierRequest> requests;   // kSealBatch (ids = index + 1)
};

const std::vector<std::string>& collection_names();

std::vector<Op> generate_workload(std::uint64_t seed, int count);

// Runs one call on `stash`. Handles are looked up by name first.
Status apply(Stash& stash, const Op& op);

// "Seal(c1, {5})", for failure messages.
std::string show(const Op& op);

// dump() of a MemoryStash after the first `n` calls of `ops`.
std::string model_state(const std::vector<Op>& ops, std::size_t n);

}  // namespace stash::testing

#endif  // STASH_IMPL_SQLITE_TESTS_WORKLOAD_H_
