// MemoryStash: each operation is a few lines that mirror docs/spec.md.
#include "stash/memory_stash.h"

#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <boost/container/flat_map.hpp>

#include "exact_diff.h"
#include "stash/rules.h"

namespace stash {
namespace {

using internal::ExactDiff;
using internal::fits_in_diff;

using UpdateMap = std::map<std::tuple<Bytes, Bytes, Timestamp>, ExactDiff>;

// The updates in [first, last) with times advanced to max(time, since) and
// diffs summed (INV-5). Zero sums are left out. Requires since != {}.
UpdateMap advanced_to_since(const Frontier& since_frontier,
                            UpdateMap::const_iterator first,
                            UpdateMap::const_iterator last) {
  const Timestamp since = *since_frontier.element();
  UpdateMap out;
  for (; first != last; ++first) {
    const auto& [key, value, time] = first->first;
    out[{key, value, std::max(time, since)}] += first->second;
  }
  std::erase_if(out, [](const auto& entry) { return entry.second == 0; });
  return out;
}

// One collection: its frontiers and the multiset of everything written to it.
struct Collection {
  Frontier since;  // INV-1: a new collection starts at since = upper = {0}.
  Frontier upper;
  // The exact sum of the diffs written at each (key, value, time), zero sums
  // left out. Times are as written; only consolidate moves them to since.
  UpdateMap updates;

  // All updates, as reads see them.
  auto advanced() const {
    return advanced_to_since(since, updates.begin(), updates.end());
  }
  // The updates of one key, as reads see them.
  auto advanced_for_key(const Bytes& key) const {
    auto first = updates.lower_bound({key, Bytes(), std::numeric_limits<Timestamp>::min()});
    auto last = first;
    while (last != updates.end() && std::get<0>(last->first) == key) ++last;
    return advanced_to_since(since, first, last);
  }

  void add(const Update& u) {
    if (u.diff == 0) return;  // Adding zero changes no sum; keep zeros out.
    auto [it, inserted] = updates.try_emplace({u.key, u.value, u.time}, u.diff);
    if (!inserted && (it->second += u.diff) == 0) updates.erase(it);
  }
};

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

  // The snapshot form of the state (MemoryStashImage), and back.
  MemoryStashImage image() const;
  void load(const MemoryStashImage& image);

 private:
  // Handle ids are 1-based positions in collections_; collections are never
  // removed, so a handle stays valid for the life of the stash.
  boost::container::flat_map<std::string, std::int64_t> ids_;
  std::vector<Collection> collections_;
};

MemoryStash::MemoryStash() : state_(std::make_unique<State>()) {}
MemoryStash::MemoryStash(const MemoryStashImage& image) : MemoryStash() {
  state_->load(image);
}
MemoryStash::~MemoryStash() = default;

MemoryStashImage MemoryStash::image() {
  std::lock_guard lock(mutex_);
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
    for (const auto& [kvt, exact] : from.updates) {
      const auto& [key, value, time] = kvt;
      // An exact sum beyond int64 becomes several int64 diffs that add up.
      for (ExactDiff rest = exact; rest != 0;) {
        const Diff part = fits_in_diff(rest) ? static_cast<Diff>(rest)
                          : rest > 0         ? std::numeric_limits<Diff>::max()
                                             : std::numeric_limits<Diff>::min();
        to.updates.push_back({key, value, time, part});
        rest -= part;
      }
    }
  }
  return out;
}

void MemoryStash::State::load(const MemoryStashImage& image) {
  for (const MemoryStashImage::Collection& from : image.collections) {
    ids_.emplace(from.name, collections_.size() + 1);
    Collection& to = collections_.emplace_back();
    to.since = from.since;
    to.upper = from.upper;
    for (const Update& u : from.updates) to.add(u);
  }
}

Result<CollectionHandle> MemoryStash::collection(std::string_view name) {
  std::lock_guard lock(mutex_);
  return state_->collection(name);
}

Result<std::vector<NamedCollection>> MemoryStash::collections() {
  std::lock_guard lock(mutex_);
  return state_->list();
}

Result<std::vector<Update>> MemoryStash::iter(CollectionHandle c) {
  std::lock_guard lock(mutex_);
  auto col = state_->find(c);
  if (!col) return std::unexpected(col.error());
  if (auto ok = rules::check_readable((*col)->since); !ok) return std::unexpected(ok.error());
  std::vector<Update> out;
  for (const auto& [kvt, diff] : (*col)->advanced()) {
    if (!fits_in_diff(diff)) return std::unexpected(rules::diff_out_of_range(c));
    const auto& [key, value, time] = kvt;
    out.push_back({key, value, time, static_cast<Diff>(diff)});
  }
  return out;
}

Result<std::vector<ValueUpdate>> MemoryStash::iter_key(CollectionHandle c,
                                                       const Bytes& key) {
  std::lock_guard lock(mutex_);
  auto col = state_->find(c);
  if (!col) return std::unexpected(col.error());
  if (auto ok = rules::check_readable((*col)->since); !ok) return std::unexpected(ok.error());
  std::vector<ValueUpdate> out;
  for (const auto& [kvt, diff] : (*col)->advanced_for_key(key)) {
    const auto& [k, value, time] = kvt;
    if (!fits_in_diff(diff)) return std::unexpected(rules::diff_out_of_range(c));
    out.push_back({value, time, static_cast<Diff>(diff)});
  }
  return out;
}

Status MemoryStash::update_many(CollectionHandle c, std::span<const Update> entries) {
  std::lock_guard lock(mutex_);
  auto col = state_->find(c);
  if (!col) return std::unexpected(col.error());
  // Check every entry before adding any: the batch is all or nothing (INV-6).
  for (const Update& u : entries) {
    if (auto ok = rules::check_update_time(u.time, (*col)->upper); !ok) return ok;
  }
  for (const Update& u : entries) (*col)->add(u);
  return {};
}

Status MemoryStash::seal(CollectionHandle c, Frontier new_upper) {
  std::lock_guard lock(mutex_);
  auto col = state_->find(c);
  if (!col) return std::unexpected(col.error());
  if (auto ok = rules::check_seal((*col)->upper, new_upper); !ok) return ok;
  (*col)->upper = new_upper;
  return {};
}

Status MemoryStash::compact(CollectionHandle c, Frontier new_since) {
  std::lock_guard lock(mutex_);
  auto col = state_->find(c);
  if (!col) return std::unexpected(col.error());
  if (auto ok = rules::check_compact((*col)->since, (*col)->upper, new_since); !ok) {
    return ok;
  }
  (*col)->since = new_since;
  return {};
}

Status MemoryStash::consolidate(CollectionHandle c) {
  std::lock_guard lock(mutex_);
  auto col = state_->find(c);
  if (!col) return std::unexpected(col.error());
  Collection& collection = **col;
  // With since {} nothing is readable ever again, so nothing need be kept.
  if (collection.since.is_empty()) {
    collection.updates.clear();
    return {};
  }
  // Reads already see times advanced to since; storing them that way changes
  // no read (the sums are exact, so merging cannot overflow).
  collection.updates = collection.advanced();
  return {};
}

Result<Frontier> MemoryStash::since(CollectionHandle c) {
  std::lock_guard lock(mutex_);
  auto col = state_->find(c);
  if (!col) return std::unexpected(col.error());
  return (*col)->since;
}

Result<Frontier> MemoryStash::upper(CollectionHandle c) {
  std::lock_guard lock(mutex_);
  auto col = state_->find(c);
  if (!col) return std::unexpected(col.error());
  return (*col)->upper;
}

Status MemoryStash::append(std::span<const AppendBatch> batches) {
  std::lock_guard lock(mutex_);
  // First pass: run every check against the frontiers as earlier batches of
  // this call leave them, changing nothing, so one failure applies nothing.
  std::map<CollectionHandle, std::pair<Frontier, Frontier>> planned;  // since, upper
  for (const AppendBatch& batch : batches) {
    auto col = state_->find(batch.collection);
    if (!col) return std::unexpected(col.error());
    auto [it, _] = planned.try_emplace(batch.collection, (*col)->since, (*col)->upper);
    auto& [since, upper] = it->second;
    if (auto ok = rules::check_lower(batch.collection, upper, batch.lower); !ok) return ok;
    for (const Update& u : batch.entries) {
      if (auto ok = rules::check_update_time(u.time, upper); !ok) return ok;
    }
    if (auto ok = rules::check_seal(upper, batch.upper); !ok) return ok;
    upper = batch.upper;
    if (batch.since) {
      if (auto ok = rules::check_compact(since, upper, *batch.since); !ok) return ok;
      since = *batch.since;
    }
  }
  // Second pass: everything checked out; apply it all.
  for (const AppendBatch& batch : batches) {
    Collection& col = **state_->find(batch.collection);
    for (const Update& u : batch.entries) col.add(u);
  }
  for (const auto& [handle, frontiers] : planned) {
    Collection& col = **state_->find(handle);
    col.since = frontiers.first;
    col.upper = frontiers.second;
  }
  return {};
}

}  // namespace stash
