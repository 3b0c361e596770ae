// Mutants that break a write: update_many, append, seal_batch, collection.
#include <limits>
#include <map>
#include <string>

#include "stash/mutex.h"
#include "mutant_support.h"
#include "mutants.h"
#include "stash/memory_stash.h"
#include "stash/rules.h"

namespace stash::mutants {
namespace {

template <typename T>
std::unique_ptr<Stash> over_memory() {
  return std::make_unique<T>(std::make_unique<MemoryStash>());
}

// Inserts row by row without a transaction: a batch whose k-th entry is
// before upper keeps its first k - 1 entries (INV-6: a failed call changes
// nothing).
class UpdateManyPartialBatch : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Status update_many(CollectionHandle c, std::span<const Update> entries) override {
    auto upper = inner().upper(c);
    if (!upper) return std::unexpected(upper.error());
    std::size_t good = 0;
    while (good < entries.size() && upper->less_equal(entries[good].time)) ++good;
    if (good < entries.size() && good > 0) {
      (void)inner().update_many(c, entries.first(good));
    }
    return inner().update_many(c, entries);
  }
};

// Checks `time >= upper - 1`: an update at the last sealed time is stored and
// acknowledged (INV-4: sealed times never change).
class UpdateAcceptsUpperMinusOne : public OverlayStash {
 public:
  using OverlayStash::OverlayStash;
  Status update_many(CollectionHandle c, std::span<const Update> entries) override {
    auto upper = inner().upper(c);
    if (!upper) return std::unexpected(upper.error());
    if (upper->is_empty() || *upper->element() == std::numeric_limits<Timestamp>::min()) {
      return inner().update_many(c, entries);
    }
    const Timestamp last_sealed = *upper->element() - 1;
    std::vector<Update> sealed, unsealed;
    for (const Update& u : entries) {
      if (u.time < last_sealed) return inner().update_many(c, entries);  // Its error.
      (u.time == last_sealed ? sealed : unsealed).push_back(u);
    }
    if (auto ok = inner().update_many(c, unsealed); !ok) return ok;
    add_to_overlay(c, sealed);
    return {};
  }
};

// Treats upper {} as "no constraint" (`if (upper.element() && t < *upper...)`):
// updates to a collection sealed to {} are stored and acknowledged (every
// non-empty update fails once upper is {}).
class UpdateAfterEmptyUpper : public OverlayStash {
 public:
  using OverlayStash::OverlayStash;
  Status update_many(CollectionHandle c, std::span<const Update> entries) override {
    auto upper = inner().upper(c);
    if (!upper) return std::unexpected(upper.error());
    if (!upper->is_empty()) return inner().update_many(c, entries);
    add_to_overlay(c, entries);
    return {};
  }
};

// Checks "upper is {}" before looking at the batch, so an empty batch fails
// after seal {} (an empty batch always succeeds).
class EmptyBatchFailsAfterSealAll : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Status update_many(CollectionHandle c, std::span<const Update> entries) override {
    auto upper = inner().upper(c);
    if (!upper) return std::unexpected(upper.error());
    if (upper->is_empty() && entries.empty()) {
      return rules::check_update_time(0, *upper);
    }
    return inner().update_many(c, entries);
  }
};

// Applies the batches of an append one at a time: those before the failing
// one stay applied (append is atomic across collections).
class AppendNotAtomic : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Status append(std::span<const AppendBatch> batches) override {
    for (std::size_t i = 0; i < batches.size(); ++i) {
      if (auto ok = inner().append(batches.subspan(i, 1)); !ok) return ok;
    }
    return {};
  }
};

// seal_batch as a loop of seal calls: the seals before a failing one stay
// applied (every batch call is atomic).
class SealBatchNotAtomic : public ForwardingStash {
 public:
  using ForwardingStash::ForwardingStash;
  Status seal_batch(std::span<const FrontierRequest> seals) override {
    for (const FrontierRequest& request : seals) {
      if (auto ok = inner().seal(request.collection, request.frontier); !ok) return ok;
    }
    return {};
  }
};

// A racy "load or create": every second call for the same name creates a new,
// empty collection (collection(name) returns the same collection every time).
class CollectionRecreated : public ForwardingStash {
 public:
  using ForwardingStash::ForwardingStash;
  Result<CollectionHandle> collection(std::string_view name) override {
    MutexLock lock(mutex_);
    const int calls = ++calls_[std::string(name)];
    if (calls % 2 == 1) return inner().collection(name);
    return inner().collection(std::string(name) + "\x1f#" + std::to_string(calls));
  }

 private:
  Mutex mutex_;
  std::map<std::string, int> calls_ STASH_GUARDED_BY(mutex_);
};

}  // namespace

std::vector<Mutant> write_mutants() {
  return {
      {"update_many_partial_batch",
       "update_many keeps the entries before the one that fails (a failed call changes nothing)",
       over_memory<UpdateManyPartialBatch>},
      {"update_accepts_upper_minus_one",
       "update_many accepts time == upper - 1 (updates must be at or beyond upper)",
       over_memory<UpdateAcceptsUpperMinusOne>},
      {"update_after_empty_upper",
       "update_many accepts updates once upper is {} (every update fails then)",
       over_memory<UpdateAfterEmptyUpper>},
      {"empty_batch_fails_after_seal_all",
       "update_many of an empty batch fails once upper is {} (an empty batch succeeds)",
       over_memory<EmptyBatchFailsAfterSealAll>},
      {"append_not_atomic",
       "append applies the batches before the failing one (append is all or nothing)",
       over_memory<AppendNotAtomic>},
      {"seal_batch_not_atomic",
       "seal_batch applies the seals before the failing one (batch calls are atomic)",
       over_memory<SealBatchNotAtomic>},
      {"collection_recreated",
       "every second collection(name) returns a new empty collection (load or create)",
       over_memory<CollectionRecreated>},
  };
}

}  // namespace stash::mutants
