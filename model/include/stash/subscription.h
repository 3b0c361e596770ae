// Subscriptions: following a collection's sealed updates as they happen.
//
// Stash::subscribe(c, as_of) (stash.h) returns a Subscription. Its deliveries
// are batches, each covering a range of times [lower, upper):
//
//   1. the snapshot: the consolidated contents at as_of, exactly as peek would
//      return them at peek timestamp as_of, each entry carrying time as_of;
//      it covers every time up to as_of (its upper is {as_of + 1}, or {} when
//      as_of is INT64_MAX). It is delivered once upper is beyond as_of (once
//      as_of is sealed); until then next() waits.
//   2. then, each time upper advances, the updates whose times became sealed:
//      iter restricted to times in [previous upper, new upper), consolidated
//      and sorted by (key, value, time), together with the new upper.
//
// The rule (what the kit checks): after any delivered batch with upper U, the
// concatenation of every batch delivered so far, with times advanced to
// max(as_of, since) and consolidated, equals iter restricted to times before
// U, advanced and consolidated the same way. Nothing is missed, nothing is
// delivered twice, nothing unsealed is delivered (every time in a batch is
// before its upper, and its upper was the collection's upper at some moment).
// Several advances of upper between two next() calls may arrive as one batch.
//
// Compaction. Subscribing with as_of before since fails (kFrontierViolation).
// A subscriber never holds back writers or compaction. If compaction
// overtakes it (since passes the upper it last delivered, or passes as_of
// before the snapshot was taken), updates can no longer be told apart by
// time; the subscription then delivers a catch-up batch: the difference
// between the contents at since and what it delivered before, at time since,
// followed by the updates in (since, upper). The rule above still holds;
// what is lost is only the distinction between the compacted times. (The
// subscription keeps the consolidated contents it delivered, one entry per
// live (key, value), to compute that difference.)
//
// Errors from next() are those of the reads it makes (since, upper, iter) and
// of Stash::wait_for_change; the subscription stays usable after one (the
// next call retries).
//
// Lifetime and threads: a Subscription reads through the Stash it came from,
// which must outlive it. next() is called from one thread at a time; cancel()
// may be called from any thread at any time.
#ifndef STASH_SUBSCRIPTION_H_
#define STASH_SUBSCRIPTION_H_

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "stash/error.h"
#include "stash/frontier.h"
#include "stash/update.h"

namespace stash {

class Stash;

// One delivery of a Subscription.
struct SubscriptionBatch {
  // True for the first batch only: the contents at as_of (or, after
  // compaction overtook the subscriber, a catch-up batch; see above).
  bool snapshot = false;
  // The updates of this batch's time range; every time is before `upper`.
  // Sorted by (key, value, time); consolidated; may be empty (upper advanced
  // over times with no updates).
  std::vector<Update> updates;
  // Every time before this frontier has now been delivered. {} means the
  // collection is sealed for ever: nothing will follow.
  Frontier upper;
};

class Subscription {
 public:
  virtual ~Subscription() = default;

  // The next batch, waiting at most `timeout` for one. Returns nullopt when
  // nothing arrived in time, when cancel() was called (before or during the
  // wait; see cancelled()), or when the collection is sealed for ever (a
  // batch with upper {} was delivered) and the timeout passed.
  // Errors: those of the underlying reads (kNotFound if the collection handle
  // is not this stash's, kFenced, kUnavailable, kIoError, kOutOfRange ...);
  // a failed call delivers nothing and the next call retries.
  virtual Result<std::optional<SubscriptionBatch>> next(
      std::chrono::milliseconds timeout) = 0;

  // Ends the subscription: a next() blocked in another thread returns nullopt
  // promptly (within about 100 ms), and so does every later call.
  virtual void cancel() = 0;
  virtual bool cancelled() const = 0;
};

// The generic subscription every backend gets: it reads since, upper and iter
// through `stash`, and waits for changes with stash.wait_for_change. This is
// what Stash::subscribe returns by default; it checks nothing at creation, so
// call Stash::subscribe, which validates as_of.
std::unique_ptr<Subscription> subscribe_by_reading(Stash& stash, CollectionHandle c,
                                                   Timestamp as_of);

}  // namespace stash

#endif  // STASH_SUBSCRIPTION_H_
