// Mutants that break a read: iter, iter_key, the peeks, and consolidate (whose
// whole contract is "no read changes").
#include <algorithm>
#include <limits>
#include <set>
#include <tuple>

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

// Forgets to drop (key, value, time) triples whose diffs sum to zero: it keeps
// the zero rows of everything ever written (INV-5: reads are consolidated).
class IterKeepsZeroDiffs : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Status update_many(CollectionHandle c, std::span<const Update> entries) override {
    auto ok = inner().update_many(c, entries);
    if (ok) log_.add(c, entries);
    return ok;
  }
  Status append(std::span<const AppendBatch> batches) override {
    auto ok = inner().append(batches);
    if (ok) log_.add(batches);
    return ok;
  }
  Result<std::vector<Update>> iter(CollectionHandle c) override {
    auto out = inner().iter(c);
    if (!out) return out;
    auto since = inner().since(c);
    if (!since) return std::unexpected(since.error());
    auto zeros = advanced(log_.updates(c), *since);
    for (Update& u : zeros) u.diff = 0;
    out->insert(out->end(), zeros.begin(), zeros.end());
    return consolidated(std::move(*out), /*drop_zeros=*/false);
  }

 private:
  WriteLog log_;
};

// Answers iter from the rows as written, without advancing times to since
// (INV-5: reads see times advanced to since). consolidate rewrites the rows,
// so the bug hides right after a consolidate.
class IterIgnoresSince : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Status update_many(CollectionHandle c, std::span<const Update> entries) override {
    auto ok = inner().update_many(c, entries);
    if (ok) log_.add(c, entries);
    return ok;
  }
  Status append(std::span<const AppendBatch> batches) override {
    auto ok = inner().append(batches);
    if (ok) log_.add(batches);
    return ok;
  }
  Status consolidate(CollectionHandle c) override {
    auto ok = inner().consolidate(c);
    if (!ok) return ok;
    auto rows = inner().iter(c);  // Fails only when since is {}: no rows kept.
    log_.replace(c, rows ? std::move(*rows) : std::vector<Update>{});
    return ok;
  }
  Result<std::vector<Update>> iter(CollectionHandle c) override {
    auto checked = inner().iter(c);  // The handle and since {} checks.
    if (!checked) return checked;
    return consolidated(log_.updates(c));
  }

 private:
  WriteLog log_;
};

// ORDER BY value, key, time instead of key, value, time (INV-5: iter is
// sorted by (key, value, time)).
class IterSortsByValueFirst : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Result<std::vector<Update>> iter(CollectionHandle c) override {
    auto out = inner().iter(c);
    if (!out) return out;
    std::stable_sort(out->begin(), out->end(), [](const Update& a, const Update& b) {
      return std::tie(a.value, a.key, a.time) < std::tie(b.value, b.key, b.time);
    });
    return out;
  }
};

// A range scan from `key` with no upper bound: returns the rows of every key
// >= key (iter_key is iter restricted to one key).
class IterKeyRangeScan : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c,
                                            const Bytes& key) override {
    auto checked = inner().iter_key(c, key);
    if (!checked) return checked;
    auto all = inner().iter(c);
    if (!all) return std::unexpected(all.error());
    std::vector<ValueUpdate> out;
    for (Update& u : *all) {
      if (u.key >= key) out.push_back({std::move(u.value), u.time, u.diff});
    }
    return out;
  }
};

// The sealed updates at `ts`, from iter; peek's definition with `ts` given.
Result<std::vector<PeekEntry>> peek_at(Stash& stash, CollectionHandle c, Timestamp ts) {
  auto all = stash.iter(c);
  if (!all) return std::unexpected(all.error());
  std::erase_if(*all, [ts](const Update& u) { return u.time > ts; });
  for (Update& u : *all) u.time = 0;
  std::vector<PeekEntry> out;
  for (Update& u : consolidated(std::move(*all))) {
    out.push_back({std::move(u.key), std::move(u.value), u.diff});
  }
  return out;
}

// peek reads `time <= upper` instead of `time < upper`: it shows updates at
// upper, which are not sealed yet (peek sees exactly the sealed updates).
class PeekIncludesUpper : public ForwardingStash {
 public:
  using ForwardingStash::ForwardingStash;
  Result<std::vector<PeekEntry>> peek(CollectionHandle c) override {
    auto ts = inner().peek_timestamp(c);
    if (!ts) return std::unexpected(ts.error());
    const Timestamp last = *ts == std::numeric_limits<Timestamp>::max() ? *ts : *ts + 1;
    return peek_at(inner(), c, last);
  }
  Result<std::map<Bytes, Bytes>> peek_one(CollectionHandle c) override {
    // Stash's own peek_one, on top of the broken peek (ForwardingStash's
    // would forward to the inner store's correct one).
    return Stash::peek_one(c);  // NOLINT(bugprone-parent-virtual-call): on purpose, see above
  }
};

// peek_timestamp returns u instead of u - 1 for upper {u} (u - 1 is the
// latest sealed time).
class PeekTimestampIsUpper : public ForwardingStash {
 public:
  using ForwardingStash::ForwardingStash;
  Result<Timestamp> peek_timestamp(CollectionHandle c) override {
    auto ts = inner().peek_timestamp(c);
    if (!ts || *ts == std::numeric_limits<Timestamp>::max()) return ts;
    return *ts + 1;
  }
};

// peek_one checks for duplicate keys but not that every diff is 1, so a key
// written twice reads as present once (kMultiplicity "unexpected peek
// multiplicity").
class PeekOneIgnoresMultiplicity : public ForwardingStash {
 public:
  using ForwardingStash::ForwardingStash;
  Result<std::map<Bytes, Bytes>> peek_one(CollectionHandle c) override {
    auto entries = inner().peek(c);
    if (!entries) return std::unexpected(entries.error());
    std::map<Bytes, Bytes> out;
    for (PeekEntry& e : *entries) {
      if (!out.emplace(std::move(e.key), std::move(e.value)).second) {
        return std::unexpected(rules::duplicate_peek_keys(c));
      }
    }
    return out;
  }
};

// peek_key_one returns the first (smallest) of two sealed values instead of
// failing with kMultiplicity "multiple values unexpected".
class PeekKeyOneFirstValue : public ForwardingStash {
 public:
  using ForwardingStash::ForwardingStash;
  Result<std::optional<Bytes>> peek_key_one(CollectionHandle c,
                                            const Bytes& key) override {
    auto entries = inner().peek(c);
    if (!entries) return std::unexpected(entries.error());
    std::optional<Bytes> found;
    for (PeekEntry& e : *entries) {
      if (e.key != key || found) continue;
      if (e.diff != 1) return std::unexpected(rules::multiple_values_unexpected(c));
      found = std::move(e.value);
    }
    return found;
  }
};

// consolidate merges the rows before since but deletes those exactly at since
// (an off-by-one in "time <= since"): consolidate must change no read.
class ConsolidateDropsSince : public OverlayStash {
 public:
  using OverlayStash::OverlayStash;
  Status consolidate(CollectionHandle c) override {
    auto rows = iter(c);  // Fails when since is {}: nothing is readable then.
    auto since = inner().since(c);
    auto ok = inner().consolidate(c);
    if (!ok || !rows || !since || since->is_empty()) return ok;
    std::vector<Update> lost;
    for (Update& u : *rows) {
      if (u.time == *since->element()) lost.push_back({u.key, u.value, u.time, -u.diff});
    }
    add_to_overlay(c, lost);
    return ok;
  }
};

}  // namespace

std::vector<Mutant> read_mutants() {
  return {
      {"iter_keeps_zero_diffs",
       "iter keeps (key, value, time) rows whose diffs sum to 0 (reads are consolidated)",
       over_memory<IterKeepsZeroDiffs>},
      {"iter_ignores_since",
       "iter returns times as written, not advanced to since (reads see max(time, since))",
       over_memory<IterIgnoresSince>},
      {"iter_sorts_by_value_first",
       "iter is sorted by (value, key, time) (iter is sorted by (key, value, time))",
       over_memory<IterSortsByValueFirst>},
      {"iter_key_range_scan",
       "iter_key returns the rows of every key >= key (iter_key is iter of one key)",
       over_memory<IterKeyRangeScan>},
      {"peek_includes_upper",
       "peek includes updates at time == upper (peek sees only sealed times < upper)",
       over_memory<PeekIncludesUpper>},
      {"peek_timestamp_is_upper",
       "peek_timestamp returns u, not u - 1, for upper {u} (latest sealed time)",
       over_memory<PeekTimestampIsUpper>},
      {"peek_one_ignores_multiplicity",
       "peek_one accepts diffs other than 1 (kMultiplicity: unexpected peek multiplicity)",
       over_memory<PeekOneIgnoresMultiplicity>},
      {"peek_key_one_first_value",
       "peek_key_one returns the first of two values (kMultiplicity: multiple values)",
       over_memory<PeekKeyOneFirstValue>},
      {"consolidate_drops_since",
       "consolidate deletes the rows at since (consolidate changes no read)",
       over_memory<ConsolidateDropsSince>},
  };
}

}  // namespace stash::mutants
