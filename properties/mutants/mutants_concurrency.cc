// Mutants that are correct one call at a time and break only when calls
// overlap (several threads, or several Stash objects on one store). Each bug
// is a logical race, never a data race: every shared value sits behind a
// mutex or is atomic, but a critical section is split in two (with a yield
// between the halves, to give the other threads the window), or a cache is
// updated in a separate step from the state it mirrors.
#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "stash/mutex.h"
#include "mutant_support.h"
#include "mutants.h"
#include "stash/memory_stash.h"
#include "stash/rules.h"

namespace stash::mutants {
namespace {

// Widens a race window: a few yields, so that on a busy machine another
// thread gets to run in between.
void window() {
  for (int i = 0; i < 3; ++i) std::this_thread::yield();
}

// A store of plain objects: each object is a T over the store's one
// MemoryStash, constructed as T(inner, shared) where `shared` is the
// store's instance of T::Shared (state the objects of one store share).
template <typename T>
StoreMutant store_of(std::string name, std::string description, bool fencing = false) {
  return {std::move(name), std::move(description), fencing, [] {
            auto memory = std::make_shared<MemoryStash>();
            auto shared = std::make_shared<typename T::Shared>();
            return std::function<Result<std::unique_ptr<Stash>>()>(
                [memory, shared]() -> Result<std::unique_ptr<Stash>> {
                  return std::make_unique<T>(std::make_unique<ForwardingStash>(memory), shared);
                });
          }};
}

struct NothingShared {};

// The unbroken control for the stores below.
class Correct : public ForwardingStash {
 public:
  using Shared = NothingShared;
  Correct(std::unique_ptr<Stash> inner, const std::shared_ptr<Shared>& /*unused*/)
      : ForwardingStash(std::move(inner)) {}
};

// "No locking at all", as a read-modify-write without a lock around it:
// every write copies the whole state under the lock, applies itself to the
// copy outside it, and publishes the copy. Two overlapping writes: the later
// publish loses the earlier one (a lost update; each call alone is right).
struct CopyOnWriteState {
  Mutex mutex;
  std::shared_ptr<MemoryStash> current STASH_GUARDED_BY(mutex) = std::make_shared<MemoryStash>();
};
class UnlockedReadModifyWrite : public DerivedStash {
 public:
  using Shared = CopyOnWriteState;
  UnlockedReadModifyWrite(std::unique_ptr<Stash> inner, std::shared_ptr<Shared> shared)
      : DerivedStash(std::move(inner)), shared_(std::move(shared)) {}

  Result<CollectionHandle> collection(std::string_view name) override {
    Result<CollectionHandle> out;
    const Status written = write([&](MemoryStash& m) {
      return (out = m.collection(name)) ? Status{} : Status(std::unexpected(out.error()));
    });
    if (!written) return std::unexpected(written.error());
    return out;
  }
  Result<std::vector<NamedCollection>> collections() override { return now()->collections(); }
  Result<std::vector<Update>> iter(CollectionHandle c) override { return now()->iter(c); }
  Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c, const Bytes& key) override {
    return now()->iter_key(c, key);
  }
  Result<Frontier> since(CollectionHandle c) override { return now()->since(c); }
  Result<Frontier> upper(CollectionHandle c) override { return now()->upper(c); }
  Status update_many(CollectionHandle c, std::span<const Update> entries) override {
    return write([&](MemoryStash& m) { return m.update_many(c, entries); });
  }
  Status seal(CollectionHandle c, Frontier f) override {
    return write([&](MemoryStash& m) { return m.seal(c, f); });
  }
  Status compact(CollectionHandle c, Frontier f) override {
    return write([&](MemoryStash& m) { return m.compact(c, f); });
  }
  Status consolidate(CollectionHandle c) override {
    return write([&](MemoryStash& m) { return m.consolidate(c); });
  }
  Status append(std::span<const AppendBatch> batches) override {
    return write([&](MemoryStash& m) { return m.append(batches); });
  }

 private:
  std::shared_ptr<MemoryStash> now() {
    MutexLock lock(shared_->mutex);
    return shared_->current;
  }
  template <typename F>
  Status write(F apply) {
    auto copy = std::make_shared<MemoryStash>(now()->image());
    Status s = apply(*copy);
    if (!s) return s;
    window();
    MutexLock lock(shared_->mutex);
    shared_->current = copy;
    return s;
  }
  std::shared_ptr<Shared> shared_;
};

// update_many checks the whole batch against upper, then writes it entry by
// entry: a concurrent reader sees half a batch, and a seal landing in
// between makes the rest fail (INV-6: every call, batches included, is
// atomic).
class TornBatch : public DerivedStash {
 public:
  using Shared = NothingShared;
  TornBatch(std::unique_ptr<Stash> inner, const std::shared_ptr<Shared>& /*unused*/)
      : DerivedStash(std::move(inner)) {}
  Status update_many(CollectionHandle c, std::span<const Update> entries) override {
    auto upper = inner().upper(c);
    if (!upper) return std::unexpected(upper.error());
    for (const Update& u : entries) {
      if (auto ok = rules::check_update_time(u.time, *upper); !ok) return ok;
    }
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) window();
      if (auto ok = inner().update_many(c, entries.subspan(i, 1)); !ok) return ok;
    }
    return {};
  }
};

// The peeks read the data (iter) and then the frontiers (peek_timestamp) in
// two steps: an update and a seal landing in between are half seen (the
// timestamp says the new time is sealed, the data does not have it).
class SplitPeek : public ForwardingStash {
 public:
  using Shared = NothingShared;
  SplitPeek(std::unique_ptr<Stash> inner, const std::shared_ptr<Shared>& /*unused*/)
      : ForwardingStash(std::move(inner)) {}
  Result<std::vector<PeekEntry>> peek(CollectionHandle c) override {
    auto data = inner().iter(c);
    window();
    auto ts = inner().peek_timestamp(c);
    if (!ts) return std::unexpected(ts.error());
    if (!data) return std::unexpected(data.error());
    return rules::peek_of(c, *data, *ts);
  }
  Result<std::map<Bytes, Bytes>> peek_one(CollectionHandle c) override {
    auto entries = peek(c);
    if (!entries) return std::unexpected(entries.error());
    return rules::peek_one_of(c, std::move(*entries));
  }
  Result<std::optional<Bytes>> peek_key_one(CollectionHandle c, const Bytes& key) override {
    auto data = inner().iter_key(c, key);
    window();
    auto ts = inner().peek_timestamp(c);
    if (!ts) return std::unexpected(ts.error());
    if (!data) return std::unexpected(data.error());
    return rules::peek_key_one_of(c, *data, *ts);
  }
};

// upper() answers from a cache shared by the objects of the store, written
// after the seal it mirrors, outside the seal's critical section: two
// overlapping seals can leave the older frontier in the cache for good.
struct UpperCache {
  Mutex mutex;
  std::map<std::int64_t, Frontier> upper STASH_GUARDED_BY(mutex);
};
class RacyUpperCache : public DerivedStash {
 public:
  using Shared = UpperCache;
  RacyUpperCache(std::unique_ptr<Stash> inner, std::shared_ptr<Shared> shared)
      : DerivedStash(std::move(inner)), cache_(std::move(shared)) {}
  Result<Frontier> upper(CollectionHandle c) override {
    {
      MutexLock lock(cache_->mutex);
      if (auto it = cache_->upper.find(c.id); it != cache_->upper.end()) return it->second;
    }
    return inner().upper(c);
  }
  Status seal(CollectionHandle c, Frontier f) override {
    if (auto ok = inner().seal(c, f); !ok) return ok;
    window();
    MutexLock lock(cache_->mutex);
    cache_->upper[c.id] = f;
    return {};
  }
  Status append(std::span<const AppendBatch> batches) override {
    if (auto ok = inner().append(batches); !ok) return ok;
    window();
    MutexLock lock(cache_->mutex);
    for (const AppendBatch& b : batches) cache_->upper[b.collection.id] = b.upper;
    return {};
  }

 private:
  std::shared_ptr<Shared> cache_;
};

// Fencing: opening an object makes it the store's writer. The check that
// this object is still the writer is made, and then the write is done in a
// separate step: a write that passed the check just before a newer object
// was opened lands after it (a fenced writer's write must not survive).
struct FencingState {
  Mutex mutex;
  int generation STASH_GUARDED_BY(mutex) = 0;
};
template <bool kSplit>
class Fenced : public ForwardingStash {
 public:
  using Shared = FencingState;
  Fenced(std::unique_ptr<Stash> inner, std::shared_ptr<Shared> shared)
      : ForwardingStash(std::move(inner)), shared_(std::move(shared)) {
    MutexLock lock(shared_->mutex);
    generation_ = ++shared_->generation;
  }
  Result<CollectionHandle> collection(std::string_view n) override {
    return guarded([&] { return ForwardingStash::collection(n); });
  }
  Result<std::vector<Update>> iter(CollectionHandle c) override {
    return guarded([&] { return ForwardingStash::iter(c); });
  }
  Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c, const Bytes& k) override {
    return guarded([&] { return ForwardingStash::iter_key(c, k); });
  }
  Status update_many(CollectionHandle c, std::span<const Update> e) override {
    return guarded([&] { return ForwardingStash::update_many(c, e); }, true);
  }
  Status seal(CollectionHandle c, Frontier f) override {
    return guarded([&] { return ForwardingStash::seal(c, f); }, true);
  }
  Status compact(CollectionHandle c, Frontier f) override {
    return guarded([&] { return ForwardingStash::compact(c, f); }, true);
  }
  Status consolidate(CollectionHandle c) override {
    return guarded([&] { return ForwardingStash::consolidate(c); });
  }
  Result<Frontier> since(CollectionHandle c) override {
    return guarded([&] { return ForwardingStash::since(c); });
  }
  Result<Frontier> upper(CollectionHandle c) override {
    return guarded([&] { return ForwardingStash::upper(c); });
  }
  Status append(std::span<const AppendBatch> b) override {
    return guarded([&] { return ForwardingStash::append(b); }, true);
  }
  Result<Timestamp> peek_timestamp(CollectionHandle c) override {
    return guarded([&] { return ForwardingStash::peek_timestamp(c); });
  }
  Result<std::vector<PeekEntry>> peek(CollectionHandle c) override {
    return guarded([&] { return ForwardingStash::peek(c); });
  }
  Result<std::map<Bytes, Bytes>> peek_one(CollectionHandle c) override {
    return guarded([&] { return ForwardingStash::peek_one(c); });
  }
  Result<std::optional<Bytes>> peek_key_one(CollectionHandle c, const Bytes& k) override {
    return guarded([&] { return ForwardingStash::peek_key_one(c, k); });
  }
  Status update(CollectionHandle c, Bytes k, Bytes v, Timestamp t, Diff d) override {
    return guarded([&] { return ForwardingStash::update(c, k, v, t, d); }, true);
  }
  Status seal_batch(std::span<const FrontierRequest> s) override {
    return guarded([&] { return ForwardingStash::seal_batch(s); }, true);
  }
  Status compact_batch(std::span<const FrontierRequest> s) override {
    return guarded([&] { return ForwardingStash::compact_batch(s); }, true);
  }
  Status consolidate_batch(std::span<const CollectionHandle> s) override {
    return guarded([&] { return ForwardingStash::consolidate_batch(s); });
  }

 private:
  template <typename F>
  auto guarded(F call, bool write = false) -> decltype(call()) {
    MutexLock lock(shared_->mutex);
    if (shared_->generation != generation_) {
      return std::unexpected(Error(ErrorCode::kFenced, "a newer writer opened this store"));
    }
    if (kSplit && write) {
      lock.unlock();
      // The two steps of a real backend are a round trip apart (a fence
      // read, then the write): 3 yields let the kit's fencing race miss
      // the window in about 1 run in 10 under one of the five seeds.
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return call();
  }
  std::shared_ptr<Shared> shared_;
  int generation_ = 0;
};

// Counts the write calls made through it (failed ones too), for
// open_fails_under_writes.
class CountingWrites : public ForwardingStash {
 public:
  CountingWrites(std::unique_ptr<Stash> inner, std::shared_ptr<std::atomic<std::uint64_t>> writes)
      : ForwardingStash(std::move(inner)), writes_(std::move(writes)) {}
  Status update_many(CollectionHandle c, std::span<const Update> e) override {
    return counted(ForwardingStash::update_many(c, e));
  }
  Status update(CollectionHandle c, Bytes k, Bytes v, Timestamp t, Diff d) override {
    return counted(ForwardingStash::update(c, std::move(k), std::move(v), t, d));
  }
  Status seal(CollectionHandle c, Frontier f) override { return counted(ForwardingStash::seal(c, f)); }
  Status compact(CollectionHandle c, Frontier f) override {
    return counted(ForwardingStash::compact(c, f));
  }
  Status append(std::span<const AppendBatch> b) override { return counted(ForwardingStash::append(b)); }
  Status seal_batch(std::span<const FrontierRequest> s) override {
    return counted(ForwardingStash::seal_batch(s));
  }
  Status compact_batch(std::span<const FrontierRequest> s) override {
    return counted(ForwardingStash::compact_batch(s));
  }

 private:
  Status counted(Status s) {
    ++*writes_;
    return s;
  }
  std::shared_ptr<std::atomic<std::uint64_t>> writes_;
};

// Found in the PostgreSQL backend: a writer's open fenced the writer before
// it in a SERIALIZABLE transaction that any write committing meanwhile
// failed (40001), so against a writer that kept writing every retry failed
// too and the open gave up with kUnavailable. Here an open takes a moment
// (its fencing transaction) and fails if the store was written meanwhile:
// the kit's fencing race opens another writer while the others write.
StoreMutant open_fails_under_writes() {
  return {"open_fails_under_writes",
          "a writer's open fails (kUnavailable) whenever the store is written while it "
          "fences the old writer: it cannot take over from a writer that keeps writing",
          /*fencing=*/true, [] {
            auto memory = std::make_shared<MemoryStash>();
            auto shared = std::make_shared<FencingState>();
            auto writes = std::make_shared<std::atomic<std::uint64_t>>(0);
            return std::function<Result<std::unique_ptr<Stash>>()>(
                [memory, shared, writes]() -> Result<std::unique_ptr<Stash>> {
                  const std::uint64_t before = *writes;
                  std::this_thread::sleep_for(std::chrono::milliseconds(2));
                  if (*writes != before) {
                    return fail(ErrorCode::kUnavailable,
                                "could not serialize the fencing transaction: the store was "
                                "written while it ran");
                  }
                  return std::make_unique<Fenced<false>>(
                      std::make_unique<CountingWrites>(std::make_unique<ForwardingStash>(memory),
                                                       writes),
                      shared);
                });
          }};
}

// Each object caches the frontiers it has read or written, and never asks
// again: with several objects on one store, an object keeps answering the
// upper it saw before another object sealed further.
class StaleObjectCache : public DerivedStash {
 public:
  using Shared = NothingShared;
  StaleObjectCache(std::unique_ptr<Stash> inner, const std::shared_ptr<Shared>& /*unused*/)
      : DerivedStash(std::move(inner)) {}
  Result<Frontier> upper(CollectionHandle c) override {
    MutexLock lock(mutex_);
    if (auto it = upper_.find(c.id); it != upper_.end()) return it->second;
    auto u = inner().upper(c);
    if (u) upper_[c.id] = *u;
    return u;
  }
  Status seal(CollectionHandle c, Frontier f) override {
    MutexLock lock(mutex_);
    if (auto ok = inner().seal(c, f); !ok) return ok;
    upper_[c.id] = f;
    return {};
  }

 private:
  Mutex mutex_;
  std::map<std::int64_t, Frontier> upper_ STASH_GUARDED_BY(mutex_);
};

}  // namespace

std::vector<StoreMutant> concurrency_mutants() {
  return {
      store_of<UnlockedReadModifyWrite>(
          "unlocked_read_modify_write",
          "writes copy the state, change the copy and publish it without a lock "
          "around the three: overlapping writes lose one another"),
      store_of<TornBatch>("torn_batch",
                          "update_many checks upper once, then writes entry by entry: "
                          "readers see half a batch, a seal in between tears it"),
      store_of<SplitPeek>("split_peek",
                          "peeks read the data and then the frontiers in two steps, "
                          "not one snapshot"),
      store_of<RacyUpperCache>("racy_upper_cache",
                               "upper() answers from a cache shared across threads, "
                               "written after the seal outside its critical section"),
      store_of<Fenced<true>>("fence_checked_apart_from_write",
                             "the fencing check and the write are two steps: a write "
                             "that passed the check lands after a newer writer opened",
                             /*fencing=*/true),
      store_of<StaleObjectCache>("stale_object_cache",
                                 "each Stash object caches upper: it misses seals made "
                                 "through another object on the same store"),
      open_fails_under_writes(),
  };
}

StoreMutant correct_store(bool fencing) {
  if (fencing) return store_of<Fenced<false>>("correct_fenced_store", "the control", true);
  return store_of<Correct>("correct_store", "the control");
}

}  // namespace stash::mutants
