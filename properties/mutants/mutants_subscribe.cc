// Broken subscriptions: each wraps the generic subscription (subscription.h)
// and breaks one promise of it. The subscribe area must kill every one under
// each of the five seeds (subscribe_mutant_test.cc).
#include <chrono>
#include <thread>

#include "mutant_support.h"
#include "mutants.h"
#include "stash/memory_stash.h"

namespace stash::mutants {
namespace {

// Wraps a correct subscription; subclasses rewrite what next() returns.
class WrappedSubscription : public Subscription {
 public:
  explicit WrappedSubscription(std::unique_ptr<Subscription> inner) : inner_(std::move(inner)) {}
  void cancel() override { inner_->cancel(); }
  bool cancelled() const override { return inner_->cancelled(); }

 protected:
  Subscription& inner() { return *inner_; }

 private:
  std::unique_ptr<Subscription> inner_;
};

template <typename Broken>
class SubscribingStash : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Result<std::unique_ptr<Subscription>> subscribe(CollectionHandle c, Timestamp as_of) override {
    auto sub = Stash::subscribe(c, as_of);
    if (!sub) return sub;
    return std::unique_ptr<Subscription>(
        std::make_unique<Broken>(std::move(*sub), *this, c, as_of));
  }
};

// Loses the second non-empty batch after the snapshot (a missed
// notification treated as "already delivered").
class DropsABatch final : public WrappedSubscription {
 public:
  DropsABatch(std::unique_ptr<Subscription> inner, Stash&, CollectionHandle, Timestamp)
      : WrappedSubscription(std::move(inner)) {}
  Result<std::optional<SubscriptionBatch>> next(std::chrono::milliseconds timeout) override {
    auto batch = inner().next(timeout);
    if (batch && *batch && !(*batch)->snapshot && !(*batch)->updates.empty() && ++seen_ == 2) {
      return inner().next(timeout);
    }
    return batch;
  }

 private:
  int seen_ = 0;
};

// Delivers the unsealed updates too (reads everything iter has, at or beyond
// the batch's upper, as a notification arriving before its seal would).
class DeliversBeforeSeal final : public WrappedSubscription {
 public:
  DeliversBeforeSeal(std::unique_ptr<Subscription> inner, Stash& stash, CollectionHandle c,
                     Timestamp)
      : WrappedSubscription(std::move(inner)), stash_(stash), c_(c) {}
  Result<std::optional<SubscriptionBatch>> next(std::chrono::milliseconds timeout) override {
    auto batch = inner().next(timeout);
    if (!batch || !*batch || (*batch)->snapshot) return batch;
    auto all = stash_.iter(c_);
    if (!all) return std::unexpected(all.error());
    for (const Update& u : *all) {
      if ((*batch)->upper.less_equal(u.time)) (*batch)->updates.push_back(u);
    }
    return batch;
  }

 private:
  Stash& stash_;
  CollectionHandle c_;
};

// Delivers each non-empty batch after the snapshot twice (a resend after a
// reconnect that forgot what was acknowledged).
class DuplicatesABatch final : public WrappedSubscription {
 public:
  DuplicatesABatch(std::unique_ptr<Subscription> inner, Stash&, CollectionHandle, Timestamp)
      : WrappedSubscription(std::move(inner)) {}
  Result<std::optional<SubscriptionBatch>> next(std::chrono::milliseconds timeout) override {
    if (pending_) {
      auto again = std::move(*pending_);
      pending_.reset();
      return again;
    }
    auto batch = inner().next(timeout);
    if (batch && *batch && !(*batch)->snapshot && !(*batch)->updates.empty()) pending_ = **batch;
    return batch;
  }

 private:
  std::optional<SubscriptionBatch> pending_;
};

// Resuming as of time T delivers the updates at T twice: in the snapshot and
// again in the first batch after it (a resume point taken as exclusive on one
// side and inclusive on the other).
class RepeatsTheResumeTime final : public WrappedSubscription {
 public:
  RepeatsTheResumeTime(std::unique_ptr<Subscription> inner, Stash& stash, CollectionHandle c,
                       Timestamp as_of)
      : WrappedSubscription(std::move(inner)), stash_(stash), c_(c), as_of_(as_of) {}
  Result<std::optional<SubscriptionBatch>> next(std::chrono::milliseconds timeout) override {
    auto batch = inner().next(timeout);
    if (!batch || !*batch || (*batch)->snapshot || repeated_) return batch;
    repeated_ = true;
    auto all = stash_.iter(c_);
    if (!all) return std::unexpected(all.error());
    for (const Update& u : *all) {
      if (u.time == as_of_) (*batch)->updates.push_back(u);
    }
    return batch;
  }

 private:
  Stash& stash_;
  CollectionHandle c_;
  Timestamp as_of_;
  bool repeated_ = false;
};

// When compaction overtook the subscriber, delivers the catch-up batch's
// upper but none of its updates (the compacted times treated as delivered).
class ForgetsTheCatchUp final : public WrappedSubscription {
 public:
  ForgetsTheCatchUp(std::unique_ptr<Subscription> inner, Stash&, CollectionHandle, Timestamp)
      : WrappedSubscription(std::move(inner)) {}
  Result<std::optional<SubscriptionBatch>> next(std::chrono::milliseconds timeout) override {
    auto batch = inner().next(timeout);
    if (!batch || !*batch || !(*batch)->snapshot) return batch;
    if (snapshot_seen_) (*batch)->updates.clear();
    snapshot_seen_ = true;
    return batch;
  }

 private:
  bool snapshot_seen_ = false;
};

// The subscription as it was before session 3's fix, over reads that each
// take a round trip (as PostgreSQL's and etcd's do): it re-read until upper
// stood still through its whole read, so a writer sealing faster than a read
// starved it, and after 32 attempts it gave up with kUnavailable.
class NeedsAStillUpper final : public DerivedStash {
 public:
  explicit NeedsAStillUpper(std::shared_ptr<Stash> inner)
      : DerivedStash(inner), reads_(std::make_unique<RoundTripReads>(std::move(inner))) {}
  Result<std::unique_ptr<Subscription>> subscribe(CollectionHandle c, Timestamp as_of) override {
    return reads_->subscribe(c, as_of);  // the generic subscription, reading through reads_
  }

 private:
  class RoundTripReads final : public ForwardingStash {
   public:
    using ForwardingStash::ForwardingStash;
    Result<Frontier> since(CollectionHandle c) override {
      round_trip();
      return ForwardingStash::since(c);
    }
    Result<Frontier> upper(CollectionHandle c) override {
      round_trip();
      return ForwardingStash::upper(c);
    }
    Result<std::vector<Update>> iter(CollectionHandle c) override {
      // As the pre-fix code read: since, upper, the rows, since, upper (five
      // round trips), and again unless neither frontier had moved.
      for (int attempt = 0; attempt < 32; ++attempt) {
        auto since_before = since(c);
        auto before = upper(c);
        round_trip();
        auto updates = ForwardingStash::iter(c);
        auto since_after = since(c);
        auto after = upper(c);
        if (!since_before) return std::unexpected(since_before.error());
        if (!before) return std::unexpected(before.error());
        if (!updates) return updates;
        if (!since_after) return std::unexpected(since_after.error());
        if (!after) return std::unexpected(after.error());
        if (*before == *after && *since_before == *since_after) return updates;
      }
      return fail(ErrorCode::kUnavailable, "upper kept moving during 32 attempts to read a snapshot");
    }

   private:
    static void round_trip() { std::this_thread::sleep_for(std::chrono::milliseconds(1)); }
  };

  std::unique_ptr<RoundTripReads> reads_;
};

template <typename Broken>
std::unique_ptr<Stash> over_memory() {
  return std::make_unique<SubscribingStash<Broken>>(std::make_unique<MemoryStash>());
}

}  // namespace

std::vector<Mutant> subscribe_mutants() {
  return {
      {"subscription_drops_a_batch",
       "loses the second non-empty batch after the snapshot (no gap)",
       over_memory<DropsABatch>, nullptr},
      {"subscription_delivers_before_seal",
       "adds the unsealed updates (time >= upper) to each batch (sealed only)",
       over_memory<DeliversBeforeSeal>, nullptr},
      {"subscription_duplicates_a_batch",
       "delivers every non-empty batch twice (no duplicate)",
       over_memory<DuplicatesABatch>, nullptr},
      {"subscription_repeats_the_resume_time",
       "resubscribing as of T delivers the updates at T again after the snapshot (no duplicate)",
       over_memory<RepeatsTheResumeTime>, nullptr},
      {"subscription_needs_a_still_upper",
       "re-reads until upper stands still through the read, over round-trip reads: a fast "
       "writer starves it (progress under a writer)",
       [] { return std::unique_ptr<Stash>(std::make_unique<NeedsAStillUpper>(std::make_shared<MemoryStash>())); },
       nullptr},
      {"subscription_forgets_the_catch_up",
       "a catch-up batch after compaction overtook the subscriber comes empty (no gap)",
       over_memory<ForgetsTheCatchUp>, nullptr},
  };
}

}  // namespace stash::mutants
