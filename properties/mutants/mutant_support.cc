#include "mutant_support.h"

#include <algorithm>
#include <cstdint>
#include <tuple>

namespace stash::mutants {
namespace {

auto key_value_time(const Update& u) { return std::tie(u.key, u.value, u.time); }

Diff wrapping_sum(Diff a, Diff b) {
  return static_cast<Diff>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

}  // namespace

std::vector<Update> consolidated(std::vector<Update> updates, bool drop_zeros) {
  std::sort(updates.begin(), updates.end(), [](const Update& a, const Update& b) {
    return key_value_time(a) < key_value_time(b);
  });
  std::vector<Update> out;
  for (Update& u : updates) {
    if (!out.empty() && key_value_time(out.back()) == key_value_time(u)) {
      out.back().diff = wrapping_sum(out.back().diff, u.diff);
    } else {
      out.push_back(std::move(u));
    }
  }
  if (drop_zeros) std::erase_if(out, [](const Update& u) { return u.diff == 0; });
  return out;
}

std::vector<Update> advanced(std::vector<Update> updates, const Frontier& since) {
  for (Update& u : updates) u.time = std::max(u.time, *since.element());
  return updates;
}

Result<Timestamp> DerivedStash::peek_timestamp(CollectionHandle c) {
  return Stash::peek_timestamp(c);
}
Result<std::vector<PeekEntry>> DerivedStash::peek(CollectionHandle c) {
  return Stash::peek(c);
}
Result<std::map<Bytes, Bytes>> DerivedStash::peek_one(CollectionHandle c) {
  return Stash::peek_one(c);
}
Result<std::optional<Bytes>> DerivedStash::peek_key_one(CollectionHandle c,
                                                        const Bytes& key) {
  return Stash::peek_key_one(c, key);
}
Status DerivedStash::update(CollectionHandle c, Bytes key, Bytes value,
                            Timestamp time, Diff diff) {
  return Stash::update(c, std::move(key), std::move(value), time, diff);
}
Status DerivedStash::seal_batch(std::span<const FrontierRequest> seals) {
  return Stash::seal_batch(seals);
}
Status DerivedStash::compact_batch(std::span<const FrontierRequest> compactions) {
  return Stash::compact_batch(compactions);
}
Status DerivedStash::consolidate_batch(std::span<const CollectionHandle> collections) {
  return Stash::consolidate_batch(collections);
}

Result<std::vector<Update>> OverlayStash::iter(CollectionHandle c) {
  auto stored = inner().iter(c);  // Also checks the handle and since {}.
  if (!stored) return stored;
  auto since = inner().since(c);
  if (!since) return std::unexpected(since.error());
  MutexLock lock(mutex_);
  const auto& extra = overlay_[c.id];
  stored->insert(stored->end(), extra.begin(), extra.end());
  return consolidated(advanced(std::move(*stored), *since));
}

Result<std::vector<ValueUpdate>> OverlayStash::iter_key(CollectionHandle c,
                                                        const Bytes& key) {
  auto all = iter(c);
  if (!all) return std::unexpected(all.error());
  std::vector<ValueUpdate> out;
  for (Update& u : *all) {
    if (u.key == key) out.push_back({std::move(u.value), u.time, u.diff});
  }
  return out;
}

void OverlayStash::add_to_overlay(CollectionHandle c, std::span<const Update> updates) {
  MutexLock lock(mutex_);
  overlay_[c.id].insert(overlay_[c.id].end(), updates.begin(), updates.end());
}

void WriteLog::add(CollectionHandle c, std::span<const Update> updates) {
  MutexLock lock(mutex_);
  log_[c.id].insert(log_[c.id].end(), updates.begin(), updates.end());
}

void WriteLog::add(std::span<const AppendBatch> batches) {
  for (const AppendBatch& batch : batches) add(batch.collection, batch.entries);
}

void WriteLog::replace(CollectionHandle c, std::vector<Update> updates) {
  MutexLock lock(mutex_);
  log_[c.id] = std::move(updates);
}

std::vector<Update> WriteLog::updates(CollectionHandle c) {
  MutexLock lock(mutex_);
  return log_[c.id];
}

}  // namespace stash::mutants
