// The Stash interface: the whole contract every backend implements.
//
// A stash is a small durable metadata store holding any number of named
// collections. Each collection is a multiset of updates ((key, value), time,
// diff) with two frontiers:
//
//   since  times before it have been compacted away: reads see every update
//          with its time advanced to at least since.
//   upper  times before it are sealed (definite): no update may be written
//          there any more.
//
// Invariants every backend keeps (numbered as in docs/spec.md):
//   INV-1  a new collection has no updates and since = upper = {0}.
//   INV-2  since <= upper, always.
//   INV-3  since and upper never move backwards.
//   INV-4  every stored update's time is at or beyond the upper it was written
//          under; sealed times never change.
//   INV-5  reads are consolidated, sorted, and see times advanced to since.
//   INV-6  a call that returns an error changes nothing; every call, batches
//          included, is atomic.
//   INV-7  if a write returns ok on a durable backend, it survives a crash.
//
// Keys and values are byte strings compared as unsigned bytes. Use the typed
// layer (collection.h) to store typed keys and values with order-preserving
// codecs.
//
// Thread safety: every backend of this project may be called from several
// threads at once; calls behave as if executed one at a time.
#ifndef STASH_STASH_H_
#define STASH_STASH_H_

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "stash/error.h"
#include "stash/frontier.h"
#include "stash/subscription.h"
#include "stash/update.h"

namespace stash {

class Stash {
 public:
  virtual ~Stash() = default;

  // ---------------------------------------------------------------------------
  // Required operations.
  //
  // Every operation that takes a handle fails with kNotFound if the handle was
  // not issued by this stash (or the store it opened), and with kFenced (on
  // backends that fence) if a newer writer has opened the store.
  // ---------------------------------------------------------------------------

  // Loads or creates the collection named `name` and returns its handle.
  // A new collection is empty with since = upper = {0}. Calling it again with
  // the same name returns a handle to the same collection.
  // Errors: kInvalidArgument if `name` is not valid UTF-8.
  virtual Result<CollectionHandle> collection(std::string_view name) = 0;

  // Every collection of the stash, each with its name and a handle to it,
  // sorted by name (unsigned bytes), names unique. A collection exists from
  // the first collection(name) that returned ok; collections are never
  // removed. Each handle is what collection(name) returns now. Lists every
  // collection, whatever its name (the empty name included) or frontiers.
  // Errors: only the general ones (kFenced, I/O, kUnavailable).
  virtual Result<std::vector<NamedCollection>> collections() = 0;

  // Returns every update with its time advanced to max(time, since),
  // consolidated (diffs of equal (key, value, time) summed, zero sums dropped)
  // and sorted by (key, value, time). Includes unsealed updates (time >= upper).
  // Errors: kFrontierViolation if since is {} ("cannot iterate collection with
  // empty since frontier"); kOutOfRange if a consolidated diff does not fit.
  virtual Result<std::vector<Update>> iter(CollectionHandle c) = 0;

  // iter restricted to `key`, as (value, time, diff) sorted by (value, time).
  // Errors: as iter.
  virtual Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c,
                                                    const Bytes& key) = 0;

  // Atomically adds `entries` to the collection. An empty batch succeeds.
  // Precondition: every entry's time is at or beyond upper.
  // Errors: kFrontierViolation if some entry's time is not at or beyond upper
  // ("entry time {t} is less than the current upper frontier {U}"), which is
  // every time when upper is {}; nothing is added then.
  // Postcondition: on ok, the entries are durable (INV-7).
  virtual Status update_many(CollectionHandle c,
                             std::span<const Update> entries) = 0;

  // Atomically advances upper to `new_upper`: all times before it are sealed.
  // Sealing to the current upper is a no-op success; {} is always allowed.
  // Errors: kFrontierViolation if new_upper < upper ("seal request {N} is less
  // than the current upper frontier {U}").
  virtual Status seal(CollectionHandle c, Frontier new_upper) = 0;

  // Atomically advances since to `new_since` (logical compaction: reads see
  // earlier times advanced to since).
  // Errors, checked in this order: kFrontierViolation if upper < new_since
  // ("compact request {N} is greater than the current upper frontier {U}");
  // kFrontierViolation if new_since < since ("compact request {N} is less than
  // the current since frontier {S}").
  virtual Status compact(CollectionHandle c, Frontier new_since) = 0;

  // Physical compaction: merges stored updates at or before since into since
  // and drops zero sums. Invisible to every read. With since {} every stored
  // update is dropped.
  // Errors: only the general ones (kNotFound, kFenced, I/O).
  virtual Status consolidate(CollectionHandle c) = 0;

  // The current since frontier.
  virtual Result<Frontier> since(CollectionHandle c) = 0;

  // The current upper frontier.
  virtual Result<Frontier> upper(CollectionHandle c) = 0;

  // Atomically, across collections, for each batch in order: checks that its
  // `lower` equals the collection's current upper, adds its entries (each at
  // or beyond lower), seals to its `upper` and, if set, compacts to its
  // `since`. Later batches see the effect of earlier ones.
  // Errors: kFrontierViolation if some lower is not the current upper
  // ("unexpected lower ..."), or any entry, seal or compaction fails as in
  // update_many, seal and compact. One failure fails the whole call and
  // applies nothing.
  virtual Status append(std::span<const AppendBatch> batches) = 0;

  // ---------------------------------------------------------------------------
  // Provided operations: written once in terms of the required ones. A backend
  // may override them to do the same work faster; it must not change what
  // they return.
  // ---------------------------------------------------------------------------

  // The latest time at which sealed data can be read: u - 1 for upper {u},
  // INT64_MAX for upper {}.
  // Errors: kFrontierViolation if upper <= since ("collection {id} since {S}
  // is not less than upper {U}"): a fresh collection cannot be peeked until it
  // is sealed past since.
  virtual Result<Timestamp> peek_timestamp(CollectionHandle c);

  // The sealed contents at peek_timestamp: the updates with time <= ts, times
  // dropped, consolidated on (key, value), zero sums dropped, sorted by
  // (key, value). One consistent snapshot.
  // Errors: as peek_timestamp and iter.
  virtual Result<std::vector<PeekEntry>> peek(CollectionHandle c);

  // peek as a map from key to value.
  // Errors: as peek; kMultiplicity if some diff is not 1 ("unexpected peek
  // multiplicity"), or if some key has two values ("duplicate peek keys for
  // collection {id}").
  virtual Result<std::map<Bytes, Bytes>> peek_one(CollectionHandle c);

  // The sealed value of `key`: nullopt if the key has no sealed value.
  // Errors: as peek; kMultiplicity if the key has more than one value or its
  // value's diff is not 1 ("multiple values unexpected").
  virtual Result<std::optional<Bytes>> peek_key_one(CollectionHandle c,
                                                    const Bytes& key);

  // update_many of the single entry ((key, value), time, diff).
  virtual Status update(CollectionHandle c, Bytes key, Bytes value,
                        Timestamp time, Diff diff);

  // Seals several collections in one atomic call; later requests see the
  // effect of earlier ones (a collection may appear twice).
  // Errors: as seal, for the first request that fails; nothing is applied.
  virtual Status seal_batch(std::span<const FrontierRequest> seals);

  // Compacts several collections in one atomic call, as compact_batch's seals.
  // Errors: as compact; nothing is applied.
  virtual Status compact_batch(std::span<const FrontierRequest> compactions);

  // Consolidates several collections. Invisible to reads, so its atomicity is
  // unobservable.
  // Errors: as consolidate, for the first collection that fails.
  virtual Status consolidate_batch(std::span<const CollectionHandle> collections);

  // Follows the collection from `as_of` on: first the snapshot (the contents
  // at as_of, as peek returns them at peek timestamp as_of, delivered once
  // as_of is sealed), then, each time upper advances, the updates whose
  // times became sealed, with the new upper. subscription.h defines the
  // deliveries exactly, including what happens when compaction overtakes a
  // slow subscriber (it never blocks writers). This stash must outlive the
  // subscription.
  // Errors: kFrontierViolation if as_of is before since, or since is {}
  // ("cannot subscribe to collection {id} as of {t}: since is {S}");
  // kNotFound and the backend's general errors as for since().
  virtual Result<std::unique_ptr<Subscription>> subscribe(CollectionHandle c,
                                                          Timestamp as_of);

  // The hook subscriptions wait on: returns once upper of `c` may differ from
  // `known_upper`, or at `deadline`, whichever comes first. Returning early
  // is allowed (callers re-read upper); returning late is not, beyond
  // scheduling. The default polls upper every few milliseconds; backends
  // override it to wake on the change itself (MemoryStash: a condition
  // variable; SQLite: file-change notification across processes).
  // Errors: those of upper().
  virtual Status wait_for_change(CollectionHandle c, const Frontier& known_upper,
                                 std::chrono::steady_clock::time_point deadline);
};

}  // namespace stash

#endif  // STASH_STASH_H_
