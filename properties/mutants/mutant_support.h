// Building blocks shared by the mutants (mutants_*.cc); not part of the kit's
// interface.
#ifndef STASH_PROPERTIES_MUTANTS_MUTANT_SUPPORT_H_
#define STASH_PROPERTIES_MUTANTS_MUTANT_SUPPORT_H_

#include <map>
#include <memory>
#include <vector>

#include "stash/mutex.h"
#include "stash/forwarding_stash.h"

namespace stash::mutants {

// Sorted by (key, value, time), equal triples summed, zero sums dropped
// unless `drop_zeros` is false. Sums wrap: mutants need not be exact.
std::vector<Update> consolidated(std::vector<Update> updates, bool drop_zeros = true);

// Times advanced to max(time, since); requires since != {}.
std::vector<Update> advanced(std::vector<Update> updates, const Frontier& since);

// A backend that implements only the required operations: every provided
// operation runs Stash's default on top of this object, so it sees whatever
// the subclass broke (a broken iter also breaks peek, a broken update_many
// also breaks update).
class DerivedStash : public ForwardingStash {
 public:
  using ForwardingStash::ForwardingStash;
  Result<Timestamp> peek_timestamp(CollectionHandle c) override;
  Result<std::vector<PeekEntry>> peek(CollectionHandle c) override;
  Result<std::map<Bytes, Bytes>> peek_one(CollectionHandle c) override;
  Result<std::optional<Bytes>> peek_key_one(CollectionHandle c,
                                            const Bytes& key) override;
  Status update(CollectionHandle c, Bytes key, Bytes value, Timestamp time,
                Diff diff) override;
  Status seal_batch(std::span<const FrontierRequest> seals) override;
  Status compact_batch(std::span<const FrontierRequest> compactions) override;
  Status consolidate_batch(std::span<const CollectionHandle> collections) override;
};

// A DerivedStash whose reads see the inner stash's updates plus an overlay of
// updates per collection (negative diffs subtract). Lets a mutant store what
// MemoryStash would refuse (an update before upper) or lose what it would
// keep, while reads still advance, consolidate and sort correctly.
class OverlayStash : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Result<std::vector<Update>> iter(CollectionHandle c) override;
  Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c,
                                            const Bytes& key) override;

 protected:
  void add_to_overlay(CollectionHandle c, std::span<const Update> updates);

 private:
  Mutex mutex_;
  std::map<std::int64_t, std::vector<Update>> overlay_ STASH_GUARDED_BY(mutex_);
};

// Records every update the inner stash acknowledged, per collection, as
// written (times not advanced). For mutants that answer reads from their own
// copy of the data.
class WriteLog {
 public:
  void add(CollectionHandle c, std::span<const Update> updates);
  void add(std::span<const AppendBatch> batches);
  void replace(CollectionHandle c, std::vector<Update> updates);
  std::vector<Update> updates(CollectionHandle c);

 private:
  Mutex mutex_;
  std::map<std::int64_t, std::vector<Update>> log_ STASH_GUARDED_BY(mutex_);
};

}  // namespace stash::mutants

#endif  // STASH_PROPERTIES_MUTANTS_MUTANT_SUPPORT_H_
