// MemoryStash: each operation is a few lines that mirror docs/spec.md, over
// storage chosen so that none of them rebuilds or copies the collection.
//
// Storage. A collection keeps each distinct (key, value, time) written to it
// as one Row holding the exact sum of the diffs written there; a sum that
// reaches zero removes its row. Rows are linked into two trees:
//
//   by_key   every row, ordered by (key, value, time): every read streams it
//            in order, advancing times to since on the fly (INV-5);
//   by_time  the rows written since they were last consolidated, ordered by
//            time. A consolidated row is the only row of its (key, value) at
//            or before since, so only a (key, value) with a row in by_time at
//            or before since has anything to merge: consolidate visits those
//            and nothing else, whatever the size of the collection.
//
// Times are stored as written; only consolidate moves them to since. A row
// is one allocation: the Row, then its key bytes, then its value bytes.
#include "stash/memory_stash.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/flat_map.hpp>
#include <boost/intrusive/set.hpp>

#include "exact_diff.h"
#include "stash/rules.h"

namespace stash {
namespace {

namespace bi = boost::intrusive;
using internal::ExactDiff;
using internal::fits_in_diff;

// Where an update sorts: (key, value, time), bytes compared unsigned.
struct RowId {
  std::string_view key;
  std::string_view value;
  Timestamp time = 0;
  friend auto operator<=>(const RowId&, const RowId&) = default;
};

// Three pointers, the colour kept in a spare bit: 24 bytes per tree.
using TreeHook = bi::set_member_hook<bi::optimize_size<true>>;

// One stored (key, value, time) and the exact sum of its diffs (never 0).
struct Row {
  ExactDiff sum;
  Timestamp time;
  std::uint32_t key_size;
  std::uint32_t value_size;
  TreeHook by_key;
  TreeHook by_time;

  std::string_view key() const { return {bytes(), key_size}; }
  std::string_view value() const { return {bytes() + key_size, value_size}; }
  RowId id() const { return {key(), value(), time}; }
  bool same_pair(const Row& other) const {
    return key() == other.key() && value() == other.value();
  }

  // The bytes follow the Row in its allocation.
  const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }
  char* bytes() { return reinterpret_cast<char*>(this + 1); }

  // Requires key and value to fit in 32-bit sizes (fits_in_row).
  static Row* make(const RowId& id, ExactDiff sum) {
    void* block = ::operator new(sizeof(Row) + id.key.size() + id.value.size());
    Row* row = new (block) Row{sum, id.time, static_cast<std::uint32_t>(id.key.size()),
                               static_cast<std::uint32_t>(id.value.size()), {}, {}};
    if (!id.key.empty()) std::memcpy(row->bytes(), id.key.data(), id.key.size());
    if (!id.value.empty()) {
      std::memcpy(row->bytes() + id.key.size(), id.value.data(), id.value.size());
    }
    return row;
  }
  static void destroy(Row* row) {
    row->~Row();
    ::operator delete(row);
  }
};

constexpr std::size_t kMaxBytes = std::numeric_limits<std::uint32_t>::max();

// A key or value longer than a Row can hold is refused before anything is
// written.
Status fits_in_row(const Update& u) {
  for (const auto& [what, bytes] : {std::pair{"key", &u.key}, std::pair{"value", &u.value}}) {
    if (bytes->size() > kMaxBytes) {
      return fail(ErrorCode::kInvalidArgument,
                  std::string(what) + " of " + std::to_string(bytes->size()) +
                      " bytes is longer than MemoryStash's limit of " +
                      std::to_string(kMaxBytes) + " bytes");
    }
  }
  return {};
}

struct ByKeyValueTime {
  bool operator()(const Row& a, const Row& b) const { return a.id() < b.id(); }
  bool operator()(const RowId& a, const Row& b) const { return a < b.id(); }
  bool operator()(const Row& a, const RowId& b) const { return a.id() < b; }
};
// Compares the key alone: one key's rows are a contiguous range of by_key.
struct ByKeyOnly {
  bool operator()(std::string_view a, const Row& b) const { return a < b.key(); }
  bool operator()(const Row& a, std::string_view b) const { return a.key() < b; }
};
struct ByTime {
  bool operator()(const Row& a, const Row& b) const { return a.time < b.time; }
};

using RowsByKey = bi::set<Row, bi::member_hook<Row, TreeHook, &Row::by_key>,
                          bi::compare<ByKeyValueTime>>;
using RowsByTime = bi::multiset<Row, bi::member_hook<Row, TreeHook, &Row::by_time>,
                                bi::compare<ByTime>>;
using RowIt = RowsByKey::const_iterator;

// One collection: its frontiers and the multiset of everything written to it.
struct Collection {
  Frontier since;  // INV-1: a new collection starts at since = upper = {0}.
  Frontier upper;
  RowsByKey by_key;
  RowsByTime by_time;

  Collection() = default;
  Collection(const Collection&) = delete;
  Collection& operator=(const Collection&) = delete;
  ~Collection() { clear(); }

  std::pair<RowIt, RowIt> all_rows() const { return {by_key.begin(), by_key.end()}; }
  std::pair<RowIt, RowIt> rows_of(std::string_view key) const {
    return by_key.equal_range(key, ByKeyOnly{});
  }

  // Adds `diff` to the sum at `id`.
  void add(const RowId& id, ExactDiff diff) {
    if (diff == 0) return;  // Adding zero changes no sum; keep zeros out.
    // Beyond every row (a bulk load in order, a snapshot loading): constant time.
    if (!greatest_ || greatest_->id() < id) {
      Row* row = Row::make(id, diff);
      by_key.push_back(*row);
      greatest_ = row;
      return index_by_time(*row);
    }
    RowsByKey::insert_commit_data commit;
    auto [at, fresh] = by_key.insert_unique_check(id, ByKeyValueTime{}, commit);
    if (!fresh) {
      at->sum += diff;
      if (at->sum == 0) erase(at);
      return;
    }
    Row* row = Row::make(id, diff);
    by_key.insert_unique_commit(*row, commit);
    index_by_time(*row);
  }

  // Removes a row from the trees it is in; returns the next one in by_key.
  RowsByKey::iterator erase(RowsByKey::iterator at) {
    if (at->by_time.is_linked()) by_time.erase(by_time.iterator_to(*at));
    if (&*at == greatest_) greatest_ = at == by_key.begin() ? nullptr : &*std::prev(at);
    return by_key.erase_and_dispose(at, Row::destroy);
  }

  // Physical compaction: the rows of each (key, value) at or before since
  // become one row at since, zero sums dropped (merging cannot overflow:
  // sums are exact). Touches only the (key, value)s written to since the
  // last consolidation.
  void consolidate() {
    // With since {} nothing is readable ever again, so nothing need be kept.
    if (since.is_empty()) return clear();
    const Timestamp to = *since.element();
    // One row of each (key, value) that may have more than one row at or
    // before since, in by_key's order.
    std::vector<const Row*> pairs;
    for (auto it = by_time.begin(); it != by_time.end() && it->time <= to; ++it) {
      pairs.push_back(&*it);
    }
    std::sort(pairs.begin(), pairs.end(),
              [](const Row* a, const Row* b) { return a->id() < b->id(); });
    pairs.erase(std::unique(pairs.begin(), pairs.end(),
                            [](const Row* a, const Row* b) { return a->same_pair(*b); }),
                pairs.end());
    for (const Row* pair : pairs) {
      // Its rows at or before since are the first of its rows in by_key.
      auto first = by_key.lower_bound(
          RowId{pair->key(), pair->value(), std::numeric_limits<Timestamp>::min()},
          ByKeyValueTime{});
      for (auto next = std::next(first);
           next != by_key.end() && next->time <= to && next->same_pair(*first);) {
        first->sum += next->sum;
        next = erase(next);
      }
      if (first->sum == 0) {
        erase(first);
        continue;
      }
      // Its place in by_key is unchanged: nothing of its pair lies between.
      first->time = to;
      if (first->by_time.is_linked()) by_time.erase(by_time.iterator_to(*first));
    }
  }

  void clear() {
    by_time.clear();
    by_key.clear_and_dispose(Row::destroy);
    greatest_ = nullptr;
  }

 private:
  void index_by_time(Row& row) {
    // At or after every indexed time: constant time at the end.
    if (row.time >= latest_time_) {
      by_time.push_back(row);
      latest_time_ = row.time;
    } else {
      by_time.insert(row);
    }
  }

  // The last row of by_key (null when empty), and a time at or after every
  // time in by_time: the trees find their ends only by walking down to them,
  // and these let a row beyond both ends go there in constant time.
  Row* greatest_ = nullptr;
  Timestamp latest_time_ = std::numeric_limits<Timestamp>::min();
};

// Calls visit(key, value, time, sum) for each update a read sees among the
// rows [first, last): times advanced to max(time, since), equal (key, value,
// time) summed, zero sums left out, in (key, value, time) order (INV-5).
// Stops and returns false as soon as visit returns false.
template <typename Visit>
bool for_each_advanced(RowIt first, RowIt last, Timestamp since, Visit&& visit) {
  while (first != last) {
    const Row& row = *first++;
    if (row.time > since) {
      if (!visit(row.key(), row.value(), row.time, row.sum)) return false;
      continue;
    }
    // The first row of its (key, value) at or before since: the pair's
    // following rows up to since read at since too.
    ExactDiff sum = row.sum;
    for (; first != last && first->time <= since && first->same_pair(row); ++first) {
      sum += first->sum;
    }
    if (sum != 0 && !visit(row.key(), row.value(), since, sum)) return false;
  }
  return true;
}

// The peek of the rows [first, last) at `ts` (>= since), as rules::peek_of
// computes it from what iter returns: calls visit(key, value, sum) with the
// sum of each (key, value)'s diffs at times <= ts, when it is not zero, in
// (key, value) order. Returns false (stopping) if a diff iter would return
// does not fit in int64, which fails every read of the range with
// kOutOfRange; a sum passed to visit may not fit either (visit decides).
template <typename Visit>
bool for_each_sealed(RowIt first, RowIt last, Timestamp since, Timestamp ts, Visit&& visit) {
  std::optional<std::pair<std::string_view, std::string_view>> pair;
  ExactDiff sealed = 0;
  auto finish_pair = [&] {
    if (pair && sealed != 0) visit(pair->first, pair->second, sealed);
  };
  const bool fit = for_each_advanced(
      first, last, since,
      [&](std::string_view key, std::string_view value, Timestamp time, ExactDiff sum) {
        if (!fits_in_diff(sum)) return false;
        if (!pair || pair->first != key || pair->second != value) {
          finish_pair();
          pair.emplace(key, value);
          sealed = 0;
        }
        if (time <= ts) sealed += sum;
        return true;
      });
  if (!fit) return false;
  finish_pair();
  return true;
}

}  // namespace

class MemoryStash::State {
 public:
  Result<CollectionHandle> collection(std::string_view name) {
    if (auto ok = rules::check_collection_name(name); !ok) {
      return std::unexpected(ok.error());
    }
    auto [it, inserted] = ids_.try_emplace(std::string(name), collections_.size() + 1);
    if (inserted) collections_.emplace_back();
    return CollectionHandle{it->second};
  }

  // Every collection, by name: ids_ is ordered as std::string, unsigned bytes.
  std::vector<NamedCollection> list() const {
    std::vector<NamedCollection> out;
    out.reserve(ids_.size());
    for (const auto& [name, id] : ids_) out.push_back({name, CollectionHandle{id}});
    return out;
  }

  // The collection behind a handle, or kNotFound.
  Result<Collection*> find(CollectionHandle c) {
    if (c.id < 1 || c.id > static_cast<std::int64_t>(collections_.size())) {
      return std::unexpected(rules::unknown_collection(c));
    }
    return &collections_[c.id - 1];
  }

  // What the three peeks share, in the order of stash.cc's checks: the
  // handle, then the peek timestamp, then for_each_sealed at it over the
  // rows `rows(collection)` selects. The value: whether every diff fit
  // (false: the peek fails with kOutOfRange).
  template <typename Rows, typename Visit>
  Result<bool> for_each_peeked(CollectionHandle c, Rows rows, Visit&& visit) {
    auto col = find(c);
    if (!col) return std::unexpected(col.error());
    const Collection& collection = **col;
    auto ts = rules::peek_timestamp(c, collection.since, collection.upper);
    if (!ts) return std::unexpected(ts.error());
    const auto [first, last] = rows(collection);
    return for_each_sealed(first, last, *collection.since.element(), *ts, visit);
  }

  // The snapshot form of the state (MemoryStashImage).
  MemoryStashImage image() const;

  // What MemoryStash::Loader builds the state with (its preconditions).
  void load_collection(std::string name, Frontier since, Frontier upper) {
    ids_.emplace(std::move(name), collections_.size() + 1);
    Collection& c = collections_.emplace_back();
    c.since = since;
    c.upper = upper;
  }
  void load_update(std::string_view key, std::string_view value, Timestamp time, Diff diff) {
    collections_.back().add({key, value, time}, diff);
  }

 private:
  // Handle ids are 1-based positions in collections_; collections are never
  // removed, so a handle stays valid for the life of the stash. (A deque:
  // a Collection's rows point into it, so it must never move.)
  boost::container::flat_map<std::string, std::int64_t> ids_;
  std::deque<Collection> collections_;
};

MemoryStash::MemoryStash() : state_(std::make_unique<State>()) {}
MemoryStash::MemoryStash(std::unique_ptr<State> state) : state_(std::move(state)) {}
MemoryStash::MemoryStash(const MemoryStashImage& image) : MemoryStash(std::unique_ptr<State>()) {
  Loader loader;
  for (const MemoryStashImage::Collection& c : image.collections) {
    loader.add_collection(c.name, c.since, c.upper);
    for (const Update& u : c.updates) loader.add(u.key, u.value, u.time, u.diff);
  }
  state_ = std::move(loader.state_);
}
MemoryStash::~MemoryStash() = default;

MemoryStash::Loader::Loader() : state_(std::make_unique<State>()) {}
MemoryStash::Loader::~Loader() = default;

void MemoryStash::Loader::add_collection(std::string name, Frontier since, Frontier upper) {
  state_->load_collection(std::move(name), since, upper);
}

// image() lists rows in order: each one lands at the end, in constant time.
void MemoryStash::Loader::add(std::string_view key, std::string_view value, Timestamp time,
                              Diff diff) {
  state_->load_update(key, value, time, diff);
}

std::unique_ptr<MemoryStash> MemoryStash::Loader::finish() {
  return std::unique_ptr<MemoryStash>(new MemoryStash(std::move(state_)));
}

MemoryStashImage MemoryStash::image() {
  MutexLock lock(mutex_);
  return state_->image();
}

MemoryStashImage MemoryStash::State::image() const {
  MemoryStashImage out;
  out.collections.resize(collections_.size());
  for (const auto& [name, id] : ids_) out.collections[id - 1].name = name;
  for (std::size_t i = 0; i < collections_.size(); ++i) {
    const Collection& from = collections_[i];
    MemoryStashImage::Collection& to = out.collections[i];
    to.since = from.since;
    to.upper = from.upper;
    to.updates.reserve(from.by_key.size());
    for (const Row& row : from.by_key) {
      // An exact sum beyond int64 becomes several int64 diffs that add up.
      for (ExactDiff rest = row.sum; rest != 0;) {
        const Diff part = fits_in_diff(rest) ? static_cast<Diff>(rest)
                          : rest > 0         ? std::numeric_limits<Diff>::max()
                                             : std::numeric_limits<Diff>::min();
        to.updates.push_back({Bytes(row.key()), Bytes(row.value()), row.time, part});
        rest -= part;
      }
    }
  }
  return out;
}

Result<CollectionHandle> MemoryStash::collection(std::string_view name) {
  MutexLock lock(mutex_);
  return state_->collection(name);
}

Result<std::vector<NamedCollection>> MemoryStash::collections() {
  MutexLock lock(mutex_);
  return state_->list();
}

Result<std::vector<Update>> MemoryStash::iter(CollectionHandle c) {
  MutexLock lock(mutex_);
  return iter_locked(c);
}

Result<std::vector<CollectionContents>> MemoryStash::read_all() {
  MutexLock lock(mutex_);
  std::vector<CollectionContents> out;
  for (NamedCollection& named : state_->list()) {
    const Collection& collection = **state_->find(named.handle);
    CollectionContents contents{std::move(named), collection.since, collection.upper, {}};
    if (collection.since.element()) {
      auto updates = iter_locked(contents.collection.handle);
      if (!updates) return std::unexpected(updates.error());
      contents.updates = std::move(*updates);
    }
    out.push_back(std::move(contents));
  }
  return out;
}

Result<std::vector<Update>> MemoryStash::iter_locked(CollectionHandle c) {
  auto col = state_->find(c);
  if (!col) return std::unexpected(col.error());
  const Collection& collection = **col;
  if (auto ok = rules::check_readable(collection.since); !ok) return std::unexpected(ok.error());
  std::vector<Update> out;
  out.reserve(collection.by_key.size());  // at most one update per row
  const auto [first, last] = collection.all_rows();
  const bool fit = for_each_advanced(
      first, last, *collection.since.element(),
      [&](std::string_view key, std::string_view value, Timestamp time, ExactDiff sum) {
        if (!fits_in_diff(sum)) return false;
        out.push_back({Bytes(key), Bytes(value), time, static_cast<Diff>(sum)});
        return true;
      });
  if (!fit) return std::unexpected(rules::diff_out_of_range(c));
  return out;
}

Result<std::vector<ValueUpdate>> MemoryStash::iter_key(CollectionHandle c,
                                                       const Bytes& key) {
  MutexLock lock(mutex_);
  auto col = state_->find(c);
  if (!col) return std::unexpected(col.error());
  const Collection& collection = **col;
  if (auto ok = rules::check_readable(collection.since); !ok) return std::unexpected(ok.error());
  std::vector<ValueUpdate> out;
  const auto [first, last] = collection.rows_of(key);
  const bool fit = for_each_advanced(
      first, last, *collection.since.element(),
      [&](std::string_view, std::string_view value, Timestamp time, ExactDiff sum) {
        if (!fits_in_diff(sum)) return false;
        out.push_back({Bytes(value), time, static_cast<Diff>(sum)});
        return true;
      });
  if (!fit) return std::unexpected(rules::diff_out_of_range(c));
  return out;
}

Status MemoryStash::update_many(CollectionHandle c, std::span<const Update> entries) {
  MutexLock lock(mutex_);
  auto col = state_->find(c);
  if (!col) return std::unexpected(col.error());
  // Check every entry before adding any: the batch is all or nothing (INV-6).
  for (const Update& u : entries) {
    if (auto ok = rules::check_update_time(u.time, (*col)->upper); !ok) return ok;
    if (auto ok = fits_in_row(u); !ok) return ok;
  }
  for (const Update& u : entries) (*col)->add({u.key, u.value, u.time}, u.diff);
  return {};
}

Status MemoryStash::seal(CollectionHandle c, Frontier new_upper) {
  MutexLock lock(mutex_);
  auto col = state_->find(c);
  if (!col) return std::unexpected(col.error());
  if (auto ok = rules::check_seal((*col)->upper, new_upper); !ok) return ok;
  (*col)->upper = new_upper;
  upper_moved_.notify_all();
  return {};
}

Status MemoryStash::compact(CollectionHandle c, Frontier new_since) {
  MutexLock lock(mutex_);
  auto col = state_->find(c);
  if (!col) return std::unexpected(col.error());
  if (auto ok = rules::check_compact((*col)->since, (*col)->upper, new_since); !ok) {
    return ok;
  }
  (*col)->since = new_since;
  return {};
}

Status MemoryStash::consolidate(CollectionHandle c) {
  MutexLock lock(mutex_);
  auto col = state_->find(c);
  if (!col) return std::unexpected(col.error());
  // Reads already see times advanced to since; storing them that way changes
  // no read.
  (*col)->consolidate();
  return {};
}

Result<Frontier> MemoryStash::since(CollectionHandle c) {
  MutexLock lock(mutex_);
  auto col = state_->find(c);
  if (!col) return std::unexpected(col.error());
  return (*col)->since;
}

Result<Frontier> MemoryStash::upper(CollectionHandle c) {
  MutexLock lock(mutex_);
  auto col = state_->find(c);
  if (!col) return std::unexpected(col.error());
  return (*col)->upper;
}

Status MemoryStash::append(std::span<const AppendBatch> batches) {
  MutexLock lock(mutex_);
  // First pass: run every check against the frontiers as earlier batches of
  // this call leave them, changing nothing, so one failure applies nothing.
  std::map<CollectionHandle, std::pair<Frontier, Frontier>> planned;  // since, upper
  for (const AppendBatch& batch : batches) {
    auto col = state_->find(batch.collection);
    if (!col) return std::unexpected(col.error());
    auto [it, _] = planned.try_emplace(batch.collection, (*col)->since, (*col)->upper);
    auto& [since, upper] = it->second;
    if (auto ok = rules::check_append_batch(batch, since, upper); !ok) return ok;
    for (const Update& u : batch.entries) {
      if (auto ok = fits_in_row(u); !ok) return ok;
    }
  }
  // Second pass: everything checked out; apply it all.
  for (const AppendBatch& batch : batches) {
    Collection& col = **state_->find(batch.collection);
    for (const Update& u : batch.entries) col.add({u.key, u.value, u.time}, u.diff);
  }
  for (const auto& [handle, frontiers] : planned) {
    Collection& col = **state_->find(handle);
    col.since = frontiers.first;
    col.upper = frontiers.second;
  }
  upper_moved_.notify_all();
  return {};
}

Result<Timestamp> MemoryStash::peek_timestamp(CollectionHandle c) {
  MutexLock lock(mutex_);
  auto col = state_->find(c);
  if (!col) return std::unexpected(col.error());
  return rules::peek_timestamp(c, (*col)->since, (*col)->upper);
}

// The peeks, in the order of stash.cc's checks: peek_timestamp's, then
// iter's (a consolidated diff that does not fit), then the peek's own.
// Upper is beyond since whenever a peek timestamp exists, so since is finite.

Result<std::vector<PeekEntry>> MemoryStash::peek(CollectionHandle c) {
  MutexLock lock(mutex_);
  std::vector<PeekEntry> out;
  bool fit = true;
  const auto rows_fit = state_->for_each_peeked(
      c,
      [&](const Collection& collection) {
        out.reserve(collection.by_key.size());  // at most one entry per row, as iter
        return collection.all_rows();
      },
      [&](std::string_view key, std::string_view value, ExactDiff sum) {
        if (!fits_in_diff(sum)) fit = false;
        if (fit) out.push_back({Bytes(key), Bytes(value), static_cast<Diff>(sum)});
      });
  if (!rows_fit) return std::unexpected(rows_fit.error());
  if (!*rows_fit || !fit) return std::unexpected(rules::diff_out_of_range(c));
  return out;
}

Result<std::map<Bytes, Bytes>> MemoryStash::peek_one(CollectionHandle c) {
  MutexLock lock(mutex_);
  std::map<Bytes, Bytes> out;
  bool fit = true;
  std::optional<Error> wrong;  // the first entry peek_one_of would refuse
  const auto rows_fit = state_->for_each_peeked(
      c, [](const Collection& collection) { return collection.all_rows(); },
      [&](std::string_view key, std::string_view value, ExactDiff sum) {
        // peek fails on any sum out of range before peek_one looks.
        if (!fits_in_diff(sum)) fit = false;
        if (!fit || wrong) return;
        if (sum != 1) {
          wrong = rules::unexpected_peek_multiplicity(c);
        } else if (!out.empty() && out.rbegin()->first == key) {
          wrong = rules::duplicate_peek_keys(c);
        } else {
          out.emplace_hint(out.end(), key, value);
        }
      });
  if (!rows_fit) return std::unexpected(rows_fit.error());
  if (!*rows_fit || !fit) return std::unexpected(rules::diff_out_of_range(c));
  if (wrong) return std::unexpected(*wrong);
  return out;
}

Result<std::optional<Bytes>> MemoryStash::peek_key_one(CollectionHandle c, const Bytes& key) {
  MutexLock lock(mutex_);
  // As rules::peek_key_one_of: the values in order, stopping at the first
  // failure; iter_key's own check still covers every row of the key.
  std::optional<Bytes> found;
  bool fit = true;
  std::optional<Error> wrong;
  const auto rows_fit = state_->for_each_peeked(
      c, [&](const Collection& collection) { return collection.rows_of(key); },
      [&](std::string_view, std::string_view value, ExactDiff sum) {
        if (!fit || wrong) return;
        if (!fits_in_diff(sum)) {
          fit = false;
        } else if (found || sum != 1) {
          wrong = rules::multiple_values_unexpected(c);
        } else {
          found.emplace(value);
        }
      });
  if (!rows_fit) return std::unexpected(rows_fit.error());
  if (!*rows_fit || !fit) return std::unexpected(rules::diff_out_of_range(c));
  if (wrong) return std::unexpected(*wrong);
  return found;
}

// Subscriptions' wait hook, kept apart from the operations above: seal and
// append notify upper_moved_ after moving an upper.
Status MemoryStash::wait_for_change(CollectionHandle c, const Frontier& known_upper,
                                    std::chrono::steady_clock::time_point deadline) {
  MutexLock lock(mutex_);
  while (true) {
    auto col = state_->find(c);
    if (!col) return std::unexpected(col.error());
    if ((*col)->upper != known_upper) return {};
    if (lock.wait_until(upper_moved_, deadline) == std::cv_status::timeout) return {};
  }
}

}  // namespace stash
