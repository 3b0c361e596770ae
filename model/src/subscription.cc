// The generic subscription (subscription.h), written against the Stash
// interface only: it reads (since, upper, iter) as one consistent snapshot,
// cuts out the time range it has not delivered yet, and otherwise waits with
// Stash::wait_for_change, in short slices so that cancel() is seen promptly.
//
// A consistent read uses the same two facts as the peeks (stash.cc): the
// frontiers only move forward, and nothing is written before upper; so if
// since and upper read the same before and after iter, every update before
// upper that iter returned was exactly the sealed contents.
#include "stash/subscription.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <map>
#include <string>
#include <utility>

#include "stash/stash.h"

namespace stash {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kReadAttempts = 32;
// How long one wait lasts at most before next() looks at cancelled() again.
constexpr auto kWaitSlice = std::chrono::milliseconds(100);

struct ConsistentRead {
  Frontier since;
  Frontier upper;
  std::vector<Update> updates;
};

// {t + 1}, or {} past the last time.
Frontier just_after(Timestamp t) {
  if (t == std::numeric_limits<Timestamp>::max()) return Frontier::empty();
  return Frontier::at(t + 1);
}

// True iff time t is before frontier f (f = {} is beyond every time).
bool before(Timestamp t, const Frontier& f) { return !f.less_equal(t); }

class ReadingSubscription final : public Subscription {
 public:
  ReadingSubscription(Stash& stash, CollectionHandle c, Timestamp as_of)
      : stash_(stash), collection_(c), as_of_(as_of) {}

  Result<std::optional<SubscriptionBatch>> next(std::chrono::milliseconds timeout) override {
    const auto deadline = Clock::now() + timeout;
    while (!cancelled()) {
      auto batch = step();
      if (!batch) return std::unexpected(batch.error());
      if (*batch) return std::move(*batch);
      const auto now = Clock::now();
      if (now >= deadline) break;
      if (auto ok = stash_.wait_for_change(collection_, known_upper_,
                                           std::min(deadline, now + kWaitSlice));
          !ok) {
        return std::unexpected(ok.error());
      }
    }
    return std::nullopt;
  }

  void cancel() override { cancelled_.store(true); }
  bool cancelled() const override { return cancelled_.load(); }

 private:
  using Contents = std::map<std::pair<Bytes, Bytes>, __int128>;

  // One batch if one is due, nullopt if not (known_upper_ then says what upper
  // to wait past).
  Result<std::optional<SubscriptionBatch>> step() {
    if (delivered_) {
      // Cheap check first: nothing to do while upper stands still.
      auto upper = stash_.upper(collection_);
      if (!upper) return std::unexpected(upper.error());
      known_upper_ = *upper;
      if (*upper == *delivered_) return std::nullopt;
    }
    auto read = read_consistent();
    if (!read) return std::unexpected(read.error());
    known_upper_ = read->upper;
    const Frontier& since = read->since;
    const Frontier& upper = read->upper;
    // iter succeeded, so since is not {}.
    const Timestamp since_time = *since.element();

    if (!delivered_ || since >= *delivered_) {
      // The snapshot (or, if compaction overtook us, a catch-up) at `at`,
      // which must be sealed.
      const Timestamp at = delivered_ ? since_time : std::max(as_of_, since_time);
      if (!before(at, upper)) return std::nullopt;
      return contents_batch(read->updates, at);
    }
    if (upper == *delivered_) return std::nullopt;
    // since < delivered upper: times at or after it are exactly as written.
    SubscriptionBatch batch{false, {}, upper};
    for (Update& u : read->updates) {
      if (delivered_->less_equal(u.time) && before(u.time, upper)) {
        batch.updates.push_back(std::move(u));
      }
    }
    record(batch);
    return batch;
  }

  // The contents at time `at` (updates at or before it, summed on (key,
  // value)) less what was delivered, each at time `at`; upper {at + 1}.
  Result<std::optional<SubscriptionBatch>> contents_batch(const std::vector<Update>& updates,
                                                          Timestamp at) {
    Contents wanted;
    for (const Update& u : updates) {
      if (u.time <= at) wanted[{u.key, u.value}] += u.diff;
    }
    for (const auto& [kv, sum] : delivered_contents_) wanted[kv] -= sum;
    SubscriptionBatch batch{true, {}, just_after(at)};
    for (const auto& [kv, diff] : wanted) {
      if (diff == 0) continue;
      if (diff > std::numeric_limits<Diff>::max() || diff < std::numeric_limits<Diff>::min()) {
        return fail(ErrorCode::kOutOfRange,
                    "subscription to collection " + std::to_string(collection_.id) +
                        ": a diff at time " + std::to_string(at) +
                        " does not fit in 64 bits");
      }
      batch.updates.push_back({kv.first, kv.second, at, static_cast<Diff>(diff)});
    }
    record(batch);
    return batch;
  }

  void record(const SubscriptionBatch& batch) {
    for (const Update& u : batch.updates) {
      auto it = delivered_contents_.try_emplace({u.key, u.value}, 0).first;
      it->second += u.diff;
      if (it->second == 0) delivered_contents_.erase(it);
    }
    delivered_ = batch.upper;
  }

  // since, upper and the updates before that upper, as of one moment. Upper
  // may move while iter runs: every update at a time before the upper read
  // first was written while upper was still at or below its time, so before
  // that read, and updates written later all have times at or beyond it;
  // iter filtered to the times before that upper is the collection as it
  // was then. Only compaction (since moving) rewrites times, so only since
  // must stay put across the reads. (Requiring upper to stay put too starved
  // subscribers of a writer sealing faster than three reads take.)
  Result<ConsistentRead> read_consistent() {
    for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
      auto since = stash_.since(collection_);
      if (!since) return std::unexpected(since.error());
      auto upper = stash_.upper(collection_);
      if (!upper) return std::unexpected(upper.error());
      auto updates = stash_.iter(collection_);
      if (!updates) return std::unexpected(updates.error());
      auto since_after = stash_.since(collection_);
      if (!since_after) return std::unexpected(since_after.error());
      if (*since == *since_after) {
        std::erase_if(*updates, [&](const Update& u) { return !before(u.time, *upper); });
        return ConsistentRead{*since, *upper, std::move(*updates)};
      }
    }
    return fail(ErrorCode::kUnavailable,
                "subscription to collection " + std::to_string(collection_.id) +
                    ": since kept moving during " + std::to_string(kReadAttempts) +
                    " attempts to read a snapshot");
  }

  Stash& stash_;
  const CollectionHandle collection_;
  const Timestamp as_of_;
  std::atomic<bool> cancelled_{false};
  // The upper of the last batch delivered; nullopt before the snapshot.
  std::optional<Frontier> delivered_;
  // The consolidated sum of every delivered update, by (key, value).
  Contents delivered_contents_;
  // The upper seen by the last read: wait until it moves.
  Frontier known_upper_;
};

}  // namespace

std::unique_ptr<Subscription> subscribe_by_reading(Stash& stash, CollectionHandle c,
                                                   Timestamp as_of) {
  return std::make_unique<ReadingSubscription>(stash, c, as_of);
}

}  // namespace stash
