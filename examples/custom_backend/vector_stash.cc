#include "vector_stash.h"

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>

#include "stash/exact_diff.h"
#include "stash/rules.h"

namespace toy {
namespace {

using stash::Bytes;
using stash::CollectionHandle;
using stash::Timestamp;
using stash::Update;
namespace rules = stash::rules;

// Diff sums are exact: int64 diffs can sum past int64 and back.
using Sum = stash::ExactDiff;

bool fits(Sum s) { return stash::fits_in_diff(s); }

auto key_value_time(const Update& u) { return std::tie(u.key, u.value, u.time); }

// The rows of `log` with times advanced to since, sorted by (key, value, time)
// and grouped: each group's exact sum, zero sums dropped. Requires since != {}.
std::vector<std::pair<std::vector<Update>, Sum>> groups(std::vector<Update> log,
                                                        const stash::Frontier& since) {
  for (Update& u : log) u.time = std::max(u.time, *since.element());
  std::sort(log.begin(), log.end());
  std::vector<std::pair<std::vector<Update>, Sum>> out;
  for (Update& u : log) {
    if (out.empty() || key_value_time(out.back().first.front()) != key_value_time(u)) {
      out.emplace_back();
    }
    out.back().second += u.diff;
    out.back().first.push_back(std::move(u));
  }
  std::erase_if(out, [](const auto& group) { return group.second == 0; });
  return out;
}

// What iter returns for a collection: one row per group.
stash::Result<std::vector<Update>> read(CollectionHandle c, const std::vector<Update>& log,
                                        const stash::Frontier& since) {
  if (auto ok = rules::check_readable(since); !ok) return std::unexpected(ok.error());
  std::vector<Update> out;
  for (auto& [rows, sum] : groups(log, since)) {
    if (!fits(sum)) return std::unexpected(rules::diff_out_of_range(c));
    out.push_back({rows.front().key, rows.front().value, rows.front().time,
                   static_cast<stash::Diff>(sum)});
  }
  return out;
}

}  // namespace

auto VectorStash::find(CollectionHandle c) -> Result<Collection*> {
  if (c.id < 1 || c.id > static_cast<std::int64_t>(collections_.size())) {
    return std::unexpected(rules::unknown_collection(c));
  }
  return &collections_[c.id - 1];
}

auto VectorStash::collection(std::string_view name) -> Result<CollectionHandle> {
  if (auto ok = rules::check_collection_name(name); !ok) return std::unexpected(ok.error());
  std::lock_guard lock(mutex_);
  auto it = std::find_if(collections_.begin(), collections_.end(),
                         [&](const Collection& col) { return col.name == name; });
  if (it == collections_.end()) {
    collections_.push_back({std::string(name), Frontier(0), Frontier(0), {}});
    it = collections_.end() - 1;
  }
  return CollectionHandle{it - collections_.begin() + 1};
}

auto VectorStash::collections() -> Result<std::vector<stash::NamedCollection>> {
  std::lock_guard lock(mutex_);
  std::vector<stash::NamedCollection> out;
  for (std::size_t i = 0; i < collections_.size(); ++i) {
    out.push_back({collections_[i].name, CollectionHandle{static_cast<std::int64_t>(i) + 1}});
  }
  // std::string compares bytes as unsigned char: the order the contract asks.
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

auto VectorStash::iter(CollectionHandle c) -> Result<std::vector<Update>> {
  std::lock_guard lock(mutex_);
  auto col = find(c);
  if (!col) return std::unexpected(col.error());
  return read(c, (*col)->log, (*col)->since);
}

auto VectorStash::iter_key(CollectionHandle c, const Bytes& key)
    -> Result<std::vector<stash::ValueUpdate>> {
  std::lock_guard lock(mutex_);
  auto col = find(c);
  if (!col) return std::unexpected(col.error());
  std::vector<Update> of_key;
  std::copy_if((*col)->log.begin(), (*col)->log.end(), std::back_inserter(of_key),
               [&](const Update& u) { return u.key == key; });
  auto rows = read(c, of_key, (*col)->since);
  if (!rows) return std::unexpected(rows.error());
  std::vector<stash::ValueUpdate> out;
  for (Update& u : *rows) out.push_back({std::move(u.value), u.time, u.diff});
  return out;
}

auto VectorStash::update_many(CollectionHandle c, std::span<const Update> entries)
    -> Status {
  std::lock_guard lock(mutex_);
  auto col = find(c);
  if (!col) return std::unexpected(col.error());
  for (const Update& u : entries) {  // All checks first: all or nothing.
    if (auto ok = rules::check_update_time(u.time, (*col)->upper); !ok) return ok;
  }
  (*col)->log.insert((*col)->log.end(), entries.begin(), entries.end());
  return {};
}

auto VectorStash::seal(CollectionHandle c, Frontier new_upper) -> Status {
  std::lock_guard lock(mutex_);
  auto col = find(c);
  if (!col) return std::unexpected(col.error());
  if (auto ok = rules::check_seal((*col)->upper, new_upper); !ok) return ok;
  (*col)->upper = new_upper;
  return {};
}

auto VectorStash::compact(CollectionHandle c, Frontier new_since) -> Status {
  std::lock_guard lock(mutex_);
  auto col = find(c);
  if (!col) return std::unexpected(col.error());
  if (auto ok = rules::check_compact((*col)->since, (*col)->upper, new_since); !ok) {
    return ok;
  }
  (*col)->since = new_since;
  return {};
}

auto VectorStash::consolidate(CollectionHandle c) -> Status {
  std::lock_guard lock(mutex_);
  auto col = find(c);
  if (!col) return std::unexpected(col.error());
  std::vector<Update>& log = (*col)->log;
  if ((*col)->since.is_empty()) {  // Nothing is readable ever again.
    log.clear();
    return {};
  }
  std::vector<Update> merged;
  for (auto& [rows, sum] : groups(std::move(log), (*col)->since)) {
    if (fits(sum)) {
      merged.push_back({rows.front().key, rows.front().value, rows.front().time,
                        static_cast<stash::Diff>(sum)});
    } else {  // Keep the rows: one int64 cannot hold their sum.
      merged.insert(merged.end(), rows.begin(), rows.end());
    }
  }
  log = std::move(merged);
  return {};
}

auto VectorStash::since(CollectionHandle c) -> Result<Frontier> {
  std::lock_guard lock(mutex_);
  auto col = find(c);
  if (!col) return std::unexpected(col.error());
  return (*col)->since;
}

auto VectorStash::upper(CollectionHandle c) -> Result<Frontier> {
  std::lock_guard lock(mutex_);
  auto col = find(c);
  if (!col) return std::unexpected(col.error());
  return (*col)->upper;
}

auto VectorStash::append(std::span<const stash::AppendBatch> batches) -> Status {
  std::lock_guard lock(mutex_);
  // Check every batch against the frontiers the earlier ones leave, on copies,
  // then commit the copies: one failure applies nothing.
  std::map<std::int64_t, Collection> staged;
  for (const stash::AppendBatch& batch : batches) {
    auto col = find(batch.collection);
    if (!col) return std::unexpected(col.error());
    Collection& next = staged.try_emplace(batch.collection.id, **col).first->second;
    if (auto ok = rules::check_append_batch(batch, next.since, next.upper); !ok) return ok;
    next.log.insert(next.log.end(), batch.entries.begin(), batch.entries.end());
  }
  for (auto& [id, next] : staged) collections_[id - 1] = std::move(next);
  return {};
}

}  // namespace toy
