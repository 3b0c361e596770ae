// Mutants of defects found in the etcd backend (issue #16).
#include "stash/forwarding_stash.h"
#include "mutants.h"
#include "stash/memory_stash.h"

namespace stash::mutants {
namespace {

// The peeks narrowed the consolidated sums to int64 (kOutOfRange) before
// checking that upper is beyond since (kFrontierViolation): a collection
// holding a sum that does not fit, and not yet sealed past since, reported
// out_of_range where the contract checks the peek timestamp first.
class PeekRangeBeforeTimestamp : public ForwardingStash {
 public:
  using ForwardingStash::ForwardingStash;
  Result<std::vector<PeekEntry>> peek(CollectionHandle c) override {
    if (auto all = inner().iter(c); !all && all.error().code() == ErrorCode::kOutOfRange) {
      return std::unexpected(all.error());
    }
    return inner().peek(c);
  }
  Result<std::map<Bytes, Bytes>> peek_one(CollectionHandle c) override {
    // Stash's own peek_one, on top of the broken peek (ForwardingStash's
    // would forward to the inner store's correct one).
    return Stash::peek_one(c);  // NOLINT(bugprone-parent-virtual-call): on purpose, see above
  }
  Result<std::optional<Bytes>> peek_key_one(CollectionHandle c, const Bytes& key) override {
    if (auto of_key = inner().iter_key(c, key); !of_key && of_key.error().code() == ErrorCode::kOutOfRange) {
      return std::unexpected(of_key.error());
    }
    return inner().peek_key_one(c, key);
  }
};

}  // namespace

std::vector<Mutant> etcd_mutants() {
  return {
      {"peek_range_before_timestamp",
       "the peeks report kOutOfRange for a sum that does not fit before checking that upper is "
       "beyond since (etcd backend, first version)",
       [] {
         return std::unique_ptr<Stash>(
             std::make_unique<PeekRangeBeforeTimestamp>(std::make_unique<MemoryStash>()));
       }},
  };
}

}  // namespace stash::mutants
