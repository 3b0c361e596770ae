// Mutants of issue #10's classes that need size or a second look: bounded
// caches and tables, batches split into several transactions, handles that
// only work once or on one object, append chains checked against stale
// frontiers, and error messages naming the wrong facts.
#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "stash/mutex.h"
#include "mutant_support.h"
#include "mutants.h"
#include "stash/memory_stash.h"

namespace stash::mutants {
namespace {

template <typename T>
std::unique_ptr<Stash> over_memory() {
  return std::make_unique<T>(std::make_unique<MemoryStash>());
}

// Serves iter from a row cache of 1000 rows: rows past it are lost.
class RowCacheOf1000 : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Result<std::vector<Update>> iter(CollectionHandle c) override {
    auto it = inner().iter(c);
    if (it && it->size() > 1000) it->resize(1000);
    return it;
  }
};

// Writes batches of more than 1000 entries in transactions of 1000: a bad
// entry in a later chunk leaves the earlier chunks written.
class BatchesSplitAt1000 : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Status update_many(CollectionHandle c, std::span<const Update> entries) override {
    if (entries.size() <= 1000) return inner().update_many(c, entries);
    for (std::size_t at = 0; at < entries.size(); at += 1000) {
      if (auto ok = inner().update_many(c, entries.subspan(at, std::min<std::size_t>(1000, entries.size() - at))); !ok) {
        return ok;
      }
    }
    return {};
  }
};

// A collection table of 32 slots: the 33rd distinct name shares the first
// one's collection.
class CollectionTableOf32 : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Result<CollectionHandle> collection(std::string_view name) override {
    MutexLock lock(mutex_);
    auto it = std::find(names_.begin(), names_.end(), std::string(name));
    std::size_t slot = it - names_.begin();
    if (it == names_.end()) {
      auto h = inner().collection(name);  // validates the name
      if (!h) return h;
      names_.emplace_back(name);
    }
    return inner().collection(names_[slot % 32]);
  }

 private:
  Mutex mutex_;
  std::vector<std::string> names_ STASH_GUARDED_BY(mutex_);
};

constexpr std::int64_t kAlias = std::int64_t{1} << 40;

// Only the first handle issued for a name works: later calls to
// collection() return an id the store does not know.
class OnlyFirstHandleValid : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Result<CollectionHandle> collection(std::string_view name) override {
    auto h = inner().collection(name);
    if (!h) return h;
    MutexLock lock(mutex_);
    if (!issued_.insert(h->id).second) return CollectionHandle{h->id + kAlias};
    return h;
  }

 private:
  Mutex mutex_;
  std::set<std::int64_t> issued_ STASH_GUARDED_BY(mutex_);
};

// Each collection() call issues a new handle object that caches upper: a
// seal through one handle is not seen through another.
class UpperCachedPerHandle : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Result<CollectionHandle> collection(std::string_view name) override {
    auto h = inner().collection(name);
    if (!h) return h;
    MutexLock lock(mutex_);
    const CollectionHandle alias{kAlias * (1 + static_cast<std::int64_t>(real_.size())) + h->id};
    real_[alias.id] = *h;
    return alias;
  }
  Result<std::vector<Update>> iter(CollectionHandle c) override { return inner().iter(real(c)); }
  Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c, const Bytes& key) override {
    return inner().iter_key(real(c), key);
  }
  Status update_many(CollectionHandle c, std::span<const Update> entries) override {
    return inner().update_many(real(c), entries);
  }
  Status seal(CollectionHandle c, Frontier f) override {
    auto ok = inner().seal(real(c), f);
    if (ok) cache(c, f);
    return ok;
  }
  Status compact(CollectionHandle c, Frontier f) override { return inner().compact(real(c), f); }
  Status consolidate(CollectionHandle c) override { return inner().consolidate(real(c)); }
  Result<Frontier> since(CollectionHandle c) override { return inner().since(real(c)); }
  Result<Frontier> upper(CollectionHandle c) override {
    {
      MutexLock lock(mutex_);
      if (auto it = upper_.find(c.id); it != upper_.end()) return it->second;
    }
    auto u = inner().upper(real(c));
    if (u) cache(c, *u);
    return u;
  }
  Status append(std::span<const AppendBatch> batches) override {
    std::vector<AppendBatch> out(batches.begin(), batches.end());
    for (AppendBatch& b : out) b.collection = real(b.collection);
    auto ok = inner().append(out);
    if (ok) {
      for (const AppendBatch& b : batches) cache(b.collection, b.upper);
    }
    return ok;
  }

 private:
  CollectionHandle real(CollectionHandle c) {
    MutexLock lock(mutex_);
    auto it = real_.find(c.id);
    return it == real_.end() ? c : it->second;
  }
  void cache(CollectionHandle c, const Frontier& f) {
    MutexLock lock(mutex_);
    upper_[c.id] = f;
  }
  Mutex mutex_;
  std::map<std::int64_t, CollectionHandle> real_ STASH_GUARDED_BY(mutex_);
  std::map<std::int64_t, Frontier> upper_ STASH_GUARDED_BY(mutex_);
};

// Each Stash object knows only the handles it issued itself: a handle of
// another object of the same store is "not found".
class HandlesLocalToObject : public ForwardingStash {
 public:
  using ForwardingStash::ForwardingStash;
  Result<CollectionHandle> collection(std::string_view name) override {
    auto h = inner().collection(name);
    if (h) {
      MutexLock lock(mutex_);
      mine_.insert(h->id);
    }
    return h;
  }
  Result<std::vector<Update>> iter(CollectionHandle c) override {
    if (auto ok = check(c); !ok) return std::unexpected(ok.error());
    return ForwardingStash::iter(c);
  }
  Status update_many(CollectionHandle c, std::span<const Update> entries) override {
    if (auto ok = check(c); !ok) return ok;
    return ForwardingStash::update_many(c, entries);
  }
  Status update(CollectionHandle c, Bytes k, Bytes v, Timestamp t, Diff d) override {
    if (auto ok = check(c); !ok) return ok;
    return ForwardingStash::update(c, std::move(k), std::move(v), t, d);
  }
  Status seal(CollectionHandle c, Frontier f) override {
    if (auto ok = check(c); !ok) return ok;
    return ForwardingStash::seal(c, f);
  }
  Result<Frontier> upper(CollectionHandle c) override {
    if (auto ok = check(c); !ok) return std::unexpected(ok.error());
    return ForwardingStash::upper(c);
  }

 private:
  Status check(CollectionHandle c) {
    MutexLock lock(mutex_);
    if (mine_.contains(c.id)) return {};
    return fail(ErrorCode::kNotFound, "collection " + std::to_string(c.id) + " is not known to this object");
  }
  Mutex mutex_;
  std::set<std::int64_t> mine_ STASH_GUARDED_BY(mutex_);
};

// Checks every batch's lower against the upper from before the call, so a
// chain through one collection is refused.
class AppendLowerFromBeforeCall : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Status append(std::span<const AppendBatch> batches) override {
    std::map<CollectionHandle, Frontier> before;
    for (const AppendBatch& b : batches) {
      if (before.contains(b.collection)) continue;
      auto u = inner().upper(b.collection);
      if (!u) return std::unexpected(u.error());
      before.emplace(b.collection, *u);
    }
    for (const AppendBatch& b : batches) {
      if (b.lower != before.at(b.collection)) {
        return fail(ErrorCode::kFrontierViolation, "unexpected lower " + b.lower.to_string() +
                                                       ", the current upper frontier is " +
                                                       before.at(b.collection).to_string());
      }
    }
    return inner().append(batches);
  }
};

// Groups batches by collection and writes only the last batch's entries.
class AppendKeepsLastBatchEntries : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Status append(std::span<const AppendBatch> batches) override {
    std::vector<AppendBatch> out(batches.begin(), batches.end());
    for (std::size_t i = 0; i < out.size(); ++i) {
      for (std::size_t j = i + 1; j < out.size(); ++j) {
        if (out[j].collection == out[i].collection) {
          out[i].entries.clear();
          break;
        }
      }
    }
    return inner().append(out);
  }
};

// Reports the first entry's time instead of the failing one's.
class EntryTimeOfFirstEntry : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Status update_many(CollectionHandle c, std::span<const Update> entries) override {
    auto ok = inner().update_many(c, entries);
    if (ok || ok.error().code() != ErrorCode::kFrontierViolation || entries.empty()) return ok;
    auto upper = inner().upper(c);
    return fail(ErrorCode::kFrontierViolation, "entry time " + std::to_string(entries.front().time) +
                                                   " is less than the current upper frontier " +
                                                   (upper ? upper->to_string() : "?"));
  }
};

// Names since where the seal row names upper.
class SealMessageNamesSince : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Status seal(CollectionHandle c, Frontier f) override {
    auto ok = inner().seal(c, f);
    if (ok || ok.error().code() != ErrorCode::kFrontierViolation) return ok;
    auto since = inner().since(c);
    return fail(ErrorCode::kFrontierViolation, "seal request " + f.to_string() +
                                                   " is less than the current upper frontier " +
                                                   (since ? since->to_string() : "?"));
  }
};

// peek_timestamp's error leaves out since and upper.
class PeekTimestampMessageWithoutFrontiers : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Result<Timestamp> peek_timestamp(CollectionHandle c) override {
    auto ts = DerivedStash::peek_timestamp(c);
    if (ts || ts.error().code() != ErrorCode::kFrontierViolation) return ts;
    return fail(ErrorCode::kFrontierViolation, "collection is not readable yet");
  }
};

}  // namespace

std::vector<Mutant> scale_mutants() {
  return {
      {"row_cache_of_1000", "iter is served from a cache of 1000 rows; rows past it are lost",
       over_memory<RowCacheOf1000>},
      {"batches_split_at_1000", "update_many commits 1000 entries per transaction (one batch, one transaction)",
       over_memory<BatchesSplitAt1000>},
      {"collection_table_of_32", "a table of 32 collections: the 33rd name shares the first one's collection",
       over_memory<CollectionTableOf32>},
      {"only_first_handle_valid", "only the first handle issued for a name works; later ones are not found",
       over_memory<OnlyFirstHandleValid>},
      {"upper_cached_per_handle", "each handle caches upper: a seal through another handle is not seen",
       over_memory<UpperCachedPerHandle>},
      {"handles_local_to_object", "a handle works only on the Stash object that issued it (not the store)",
       nullptr,
       [](std::shared_ptr<Stash> store) -> std::unique_ptr<Stash> {
         return std::make_unique<HandlesLocalToObject>(std::move(store));
       }},
      {"append_lower_from_before_call", "append checks every lower against the upper before the call (no chains)",
       over_memory<AppendLowerFromBeforeCall>},
      {"append_keeps_last_batch_entries", "append writes only the entries of a collection's last batch",
       over_memory<AppendKeepsLastBatchEntries>},
      {"entry_time_of_first_entry", "update_many's error names the first entry's time, not the failing one's",
       over_memory<EntryTimeOfFirstEntry>},
      {"seal_message_names_since", "seal's error names since where stash.h says the current upper",
       over_memory<SealMessageNamesSince>},
      {"peek_timestamp_message_without_frontiers", "peek_timestamp's error names neither since nor upper",
       over_memory<PeekTimestampMessageWithoutFrontiers>},
  };
}

}  // namespace stash::mutants
