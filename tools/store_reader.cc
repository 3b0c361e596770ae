#include "store_reader.h"

#include "bytes_text.h"

namespace stash::tools {

std::string frontier_text(const Frontier& f) { return f.to_string(); }

Result<CollectionState> read_collection(Stash& stash, const NamedCollection& c) {
  constexpr int kAttempts = 100;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto since = stash.since(c.handle);
    if (!since) return std::unexpected(since.error());
    auto upper = stash.upper(c.handle);
    if (!upper) return std::unexpected(upper.error());
    CollectionState state{c, *since, *upper, {}};
    if (!since->is_empty()) {
      auto updates = stash.iter(c.handle);
      if (!updates) return std::unexpected(updates.error());
      state.updates = std::move(*updates);
    }
    auto since_after = stash.since(c.handle);
    if (!since_after) return std::unexpected(since_after.error());
    auto upper_after = stash.upper(c.handle);
    if (!upper_after) return std::unexpected(upper_after.error());
    // Frontiers never move backwards: equal before and after means still.
    if (*since_after == *since && *upper_after == *upper) return state;
  }
  return fail(ErrorCode::kUnavailable, "collection " + quote_bytes(c.name) +
                                           ": its frontiers kept moving during " +
                                           std::to_string(kAttempts) + " reads");
}

Result<std::vector<CollectionState>> read_store(Stash& stash,
                                                const std::optional<std::string>& only) {
  if (auto* reader = dynamic_cast<ConsistentReader*>(&stash)) {
    auto all = reader->read_all();
    if (!all) return std::unexpected(all.error());
    if (!only) return std::move(*all);
    for (CollectionState& c : *all) {
      if (c.collection.name == *only) return std::vector<CollectionState>{std::move(c)};
    }
    return fail(ErrorCode::kNotFound, "no collection named " + quote_bytes(*only));
  }
  auto list = stash.collections();
  if (!list) return std::unexpected(list.error());
  std::vector<CollectionState> out;
  for (const NamedCollection& c : *list) {
    if (only && c.name != *only) continue;
    auto state = read_collection(stash, c);
    if (!state) return std::unexpected(state.error());
    out.push_back(std::move(*state));
  }
  if (only && out.empty()) {
    return fail(ErrorCode::kNotFound, "no collection named " + quote_bytes(*only));
  }
  return out;
}

}  // namespace stash::tools
