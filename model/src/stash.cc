// The provided operations of Stash, written once in terms of the required ones.
//
// A backend serves each required call atomically, but a provided operation
// makes several calls, and another thread or process may change the collection
// in between. Two facts make consistent snapshots cheap anyway:
//   - since and upper only move forward (INV-3), so reading the same frontier
//     before and after some other read proves it did not change in between;
//   - updates are written only at or beyond upper (INV-4), so while upper and
//     since stand still, nothing at or before the peek timestamp can change.
// The peeks therefore read the frontiers, then the data, then the frontiers
// again, and retry (a bounded number of times) if the frontiers moved.
//
// The batch operations become one `append` call, which is atomic across
// collections; its `lower` check detects a concurrent seal, and we retry.
#include "stash/stash.h"

#include <algorithm>
#include <string>
#include <thread>

#include "stash/rules.h"

namespace stash {
namespace {

constexpr int kOptimisticAttempts = 32;

struct Frontiers {
  Frontier since;
  Frontier upper;
  friend bool operator==(const Frontiers&, const Frontiers&) = default;
};

Error kept_moving(CollectionHandle c) {
  return Error(ErrorCode::kUnavailable,
               "collection " + std::to_string(c.id) +
                   ": frontiers kept moving during " +
                   std::to_string(kOptimisticAttempts) + " attempts to read a snapshot");
}

// (since, upper) as they were at one instant: since is read on both sides of
// upper, and since only moves forward, so an unchanged since held throughout.
Result<Frontiers> read_frontiers(Stash& stash, CollectionHandle c) {
  for (int attempt = 0; attempt < kOptimisticAttempts; ++attempt) {
    auto since_before = stash.since(c);
    if (!since_before) return std::unexpected(since_before.error());
    auto upper = stash.upper(c);
    if (!upper) return std::unexpected(upper.error());
    auto since_after = stash.since(c);
    if (!since_after) return std::unexpected(since_after.error());
    if (*since_before == *since_after) return Frontiers{*since_after, *upper};
  }
  return std::unexpected(kept_moving(c));
}

// Runs `read(peek_ts)` under frontiers that did not move while it ran.
template <typename Read>
auto read_sealed(Stash& stash, CollectionHandle c, Read read)
    -> decltype(read(Timestamp{})) {
  for (int attempt = 0; attempt < kOptimisticAttempts; ++attempt) {
    auto before = read_frontiers(stash, c);
    if (!before) return std::unexpected(before.error());
    auto ts = rules::peek_timestamp(c, before->since, before->upper);
    if (!ts) return std::unexpected(ts.error());
    auto result = read(*ts);
    if (!result) return result;
    auto after = read_frontiers(stash, c);
    if (!after) return std::unexpected(after.error());
    if (*before == *after) return result;
  }
  return std::unexpected(kept_moving(c));
}

}  // namespace

Result<Timestamp> Stash::peek_timestamp(CollectionHandle c) {
  auto frontiers = read_frontiers(*this, c);
  if (!frontiers) return std::unexpected(frontiers.error());
  return rules::peek_timestamp(c, frontiers->since, frontiers->upper);
}

Result<std::vector<PeekEntry>> Stash::peek(CollectionHandle c) {
  return read_sealed(*this, c, [&](Timestamp ts) -> Result<std::vector<PeekEntry>> {
    auto updates = iter(c);
    if (!updates) return std::unexpected(updates.error());
    return rules::peek_of(c, *updates, ts);
  });
}

Result<std::map<Bytes, Bytes>> Stash::peek_one(CollectionHandle c) {
  auto entries = peek(c);
  if (!entries) return std::unexpected(entries.error());
  return rules::peek_one_of(c, std::move(*entries));
}

Result<std::optional<Bytes>> Stash::peek_key_one(CollectionHandle c, const Bytes& key) {
  return read_sealed(*this, c, [&](Timestamp ts) -> Result<std::optional<Bytes>> {
    auto updates = iter_key(c, key);
    if (!updates) return std::unexpected(updates.error());
    return rules::peek_key_one_of(c, *updates, ts);
  });
}

Status Stash::update(CollectionHandle c, Bytes key, Bytes value, Timestamp time,
                     Diff diff) {
  const Update entry{std::move(key), std::move(value), time, diff};
  return update_many(c, std::span<const Update>(&entry, 1));
}

Status Stash::seal_batch(std::span<const FrontierRequest> seals) {
  for (int attempt = 0; attempt < kOptimisticAttempts; ++attempt) {
    // Apply the seals in order to the uppers we read, so that a regression is
    // reported exactly as seal would report it, before anything is written.
    std::map<CollectionHandle, Frontier> uppers;
    std::vector<AppendBatch> batches;
    for (const FrontierRequest& request : seals) {
      auto known = uppers.find(request.collection);
      if (known == uppers.end()) {
        auto upper = this->upper(request.collection);
        if (!upper) return std::unexpected(upper.error());
        known = uppers.emplace(request.collection, *upper).first;
      }
      if (auto ok = rules::check_seal(known->second, request.frontier); !ok) return ok;
      batches.push_back({request.collection, known->second, request.frontier, {}, {}});
      known->second = request.frontier;
    }
    auto appended = append(batches);
    // A frontier violation now means a concurrent seal moved a lower: re-read.
    if (appended || appended.error().code() != ErrorCode::kFrontierViolation) {
      return appended;
    }
  }
  return fail(ErrorCode::kUnavailable, "seal_batch: uppers kept moving during " +
                                           std::to_string(kOptimisticAttempts) +
                                           " attempts");
}

Status Stash::compact_batch(std::span<const FrontierRequest> compactions) {
  for (int attempt = 0; attempt < kOptimisticAttempts; ++attempt) {
    std::map<CollectionHandle, Frontiers> frontiers;
    std::vector<AppendBatch> batches;
    for (const FrontierRequest& request : compactions) {
      auto known = frontiers.find(request.collection);
      if (known == frontiers.end()) {
        auto read = read_frontiers(*this, request.collection);
        if (!read) return std::unexpected(read.error());
        known = frontiers.emplace(request.collection, *read).first;
      }
      Frontiers& f = known->second;
      if (auto ok = rules::check_compact(f.since, f.upper, request.frontier); !ok) {
        return ok;
      }
      // Sealing to the current upper is a no-op, so this batch only compacts.
      batches.push_back({request.collection, f.upper, f.upper, request.frontier, {}});
      f.since = request.frontier;
    }
    auto appended = append(batches);
    if (appended || appended.error().code() != ErrorCode::kFrontierViolation) {
      return appended;
    }
  }
  return fail(ErrorCode::kUnavailable, "compact_batch: frontiers kept moving during " +
                                           std::to_string(kOptimisticAttempts) +
                                           " attempts");
}

Status Stash::consolidate_batch(std::span<const CollectionHandle> collections) {
  // consolidate is invisible to reads, so one call per collection is as good
  // as one atomic call.
  for (CollectionHandle c : collections) {
    if (auto ok = consolidate(c); !ok) return ok;
  }
  return {};
}

Result<std::unique_ptr<Subscription>> Stash::subscribe(CollectionHandle c,
                                                      Timestamp as_of) {
  auto since = this->since(c);
  if (!since) return std::unexpected(since.error());
  if (!since->less_equal(as_of)) {
    return fail(ErrorCode::kFrontierViolation,
                "cannot subscribe to collection " + std::to_string(c.id) + " as of " +
                    std::to_string(as_of) + ": since is " + since->to_string());
  }
  return subscribe_by_reading(*this, c, as_of);
}

Status Stash::wait_for_change(CollectionHandle c, const Frontier& known_upper,
                              std::chrono::steady_clock::time_point deadline) {
  // A bounded-interval poll: correct for every backend, prompt for none.
  constexpr auto kPollInterval = std::chrono::milliseconds(5);
  while (true) {
    auto upper = this->upper(c);
    if (!upper) return std::unexpected(upper.error());
    const auto now = std::chrono::steady_clock::now();
    if (*upper != known_upper || now >= deadline) return {};
    std::this_thread::sleep_until(std::min(deadline, now + kPollInterval));
  }
}

}  // namespace stash
