// Mutants of defects found in the etcd backend (issue #16).
#include <atomic>
#include <functional>

#include "mutant_support.h"
#include "mutants.h"
#include "stash/forwarding_stash.h"
#include "stash/memory_stash.h"

namespace stash::mutants {
namespace {

// The peeks narrowed the consolidated sums to int64 (kOutOfRange) before
// checking that upper is beyond since (kFrontierViolation): a collection
// holding a sum that does not fit, and not yet sealed past since, reported
// out_of_range where the contract checks the peek timestamp first.
class PeekRangeBeforeTimestamp : public ForwardingStash {
 public:
  using ForwardingStash::ForwardingStash;
  Result<std::vector<PeekEntry>> peek(CollectionHandle c) override {
    if (auto all = inner().iter(c); !all && all.error().code() == ErrorCode::kOutOfRange) {
      return std::unexpected(all.error());
    }
    return inner().peek(c);
  }
  Result<std::map<Bytes, Bytes>> peek_one(CollectionHandle c) override {
    // Stash's own peek_one, on top of the broken peek (ForwardingStash's
    // would forward to the inner store's correct one).
    return Stash::peek_one(c);  // NOLINT(bugprone-parent-virtual-call): on purpose, see above
  }
  Result<std::optional<Bytes>> peek_key_one(CollectionHandle c, const Bytes& key) override {
    if (auto of_key = inner().iter_key(c, key); !of_key && of_key.error().code() == ErrorCode::kOutOfRange) {
      return std::unexpected(of_key.error());
    }
    return inner().peek_key_one(c, key);
  }
};

// The lost-reply classes (impl/etcd/src/txn.cc, Call::commit and
// Call::landed; etcd_lost_reply_test drives the real paths). Each of these
// backends "loses the reply" of every other write call (the first, the
// third, ...: update_many, append, seal, compact) and then resolves it
// wrongly. Reads and the calls in between are right.
class LostReplies : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;

  Status update_many(CollectionHandle c, std::span<const Update> entries) override {
    return lost() ? resolve([&] { return inner().update_many(c, entries); }) : inner().update_many(c, entries);
  }
  Status append(std::span<const AppendBatch> batches) override {
    return lost() ? resolve([&] { return inner().append(batches); }) : inner().append(batches);
  }
  Status seal(CollectionHandle c, Frontier f) override {
    return lost() ? resolve([&] { return inner().seal(c, f); }) : inner().seal(c, f);
  }
  Status compact(CollectionHandle c, Frontier f) override {
    return lost() ? resolve([&] { return inner().compact(c, f); }) : inner().compact(c, f);
  }

 protected:
  // The call whose reply was lost; `send` sends it (again).
  virtual Status resolve(const std::function<Status()>& send) = 0;

 private:
  bool lost() { return calls_.fetch_add(1) % 2 == 0; }
  std::atomic<int> calls_{0};
};

// Retries the write blindly after its reply was lost, although it had
// landed: it is applied twice (an update's diff doubles), or the retry is
// refused by the frontiers the first one moved and that error is reported
// for a write that took effect.
class LostReplyRetriedAfterLanding final : public LostReplies {
 public:
  using LostReplies::LostReplies;

 protected:
  Status resolve(const std::function<Status()>& send) override {
    if (auto landed = send(); !landed) return landed;  // refused: nothing sent
    return send();
  }
};

// Reports kUnavailable ("did not commit") for a write that landed: a failed
// call must leave nothing behind.
class LandedReportedUnavailable final : public LostReplies {
 public:
  using LostReplies::LostReplies;

 protected:
  Status resolve(const std::function<Status()>& send) override {
    if (auto landed = send(); !landed) return landed;
    return fail(ErrorCode::kUnavailable, "the write did not commit (its reply was lost)");
  }
};

// Reports kOutcomeUnknown for a write that never landed, with nothing wrong
// with the cluster (the bug of the burns sharing the call's retry budget):
// in a fault-free run no call may return kOutcomeUnknown.
class UnlandedReportedUnknown final : public LostReplies {
 public:
  using LostReplies::LostReplies;

 protected:
  Status resolve(const std::function<Status()>&) override {
    return fail(ErrorCode::kOutcomeUnknown, "the write was sent and whether it committed could not be learned");
  }
};

template <typename T>
std::unique_ptr<Stash> over_memory() {
  return std::make_unique<T>(std::make_unique<MemoryStash>());
}

}  // namespace

std::vector<Mutant> etcd_mutants() {
  return {
      {"peek_range_before_timestamp",
       "the peeks report kOutOfRange for a sum that does not fit before checking that upper is "
       "beyond since (etcd backend, first version)",
       [] {
         return std::unique_ptr<Stash>(
             std::make_unique<PeekRangeBeforeTimestamp>(std::make_unique<MemoryStash>()));
       }},
      {"lost_reply_retried_after_landing",
       "every other write's reply is lost and the write is sent again although it had landed: "
       "applied twice, or the retry's frontier error reported for a write that took effect",
       over_memory<LostReplyRetriedAfterLanding>},
      {"landed_reported_unavailable",
       "every other write's reply is lost and the write, which landed, is reported kUnavailable "
       "(a failed call must have had no effect)",
       over_memory<LandedReportedUnavailable>},
      {"unlanded_reported_unknown",
       "every other write's reply is lost and the write, which never landed, is reported "
       "kOutcomeUnknown in a fault-free run (the burns shared the call's retry budget)",
       over_memory<UnlandedReportedUnknown>},
  };
}

}  // namespace stash::mutants
