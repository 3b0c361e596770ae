// The subscribe area: subscriptions (subscription.h) checked against iter.
//
// Every delivered batch is checked when it arrives:
//   - its times are before its upper, and its upper is beyond the previous
//     one's and not beyond the collection's upper read right after (nothing
//     unsealed is delivered, nothing is delivered twice);
//   - the rule: everything delivered so far, advanced to max(as_of, since),
//     equals iter restricted to times before the batch's upper, advanced the
//     same way (no gap, no duplicate, consistent with iter).
// And at the end, after a final seal, every subscriber must catch up with the
// final upper within a bounded wait.
//
// The checks: several subscribers interleaved with one writer (one thread);
// subscriber threads racing a writer thread, one of them subscribing
// mid-stream; resubscribing from the last
// delivered upper, across a reopen when the backend is durable (the new
// snapshot must equal what was delivered before, and nothing after it may
// repeat it); a slow subscriber overtaken by compaction (the catch-up batch);
// a writer sealing faster than the subscriber reads; and the errors and
// cancel().
//
// The operations are random (a generator seeded from the run's seed) but not
// shrunk: a failure prints the seed, the case and the batch that broke the
// rule, and the run's seed replays it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "checks.h"
#include "run_queue_clock.h"

namespace stash::conformance::internal {
namespace {

__extension__ typedef __int128 Sum;
using Contents = std::map<std::tuple<Bytes, Bytes, Timestamp>, Sum>;

constexpr auto kCatchUpBound = std::chrono::seconds(10);

std::string describe(const SubscriptionBatch& b) {
  std::ostringstream os;
  os << (b.snapshot ? "snapshot" : "batch") << " upper " << b.upper << " [";
  for (const Update& u : b.updates) os << " " << u;
  os << " ]";
  return os.str();
}

// Updates with time before `upper`, advanced to `at`, summed.
Contents advanced_before(const std::vector<Update>& updates, const Frontier& upper,
                         Timestamp at) {
  Contents out;
  for (const Update& u : updates) {
    if (upper.less_equal(u.time)) continue;
    out[{u.key, u.value, std::max(u.time, at)}] += u.diff;
  }
  std::erase_if(out, [](const auto& e) { return e.second == 0; });
  return out;
}

// One subscriber's view: what it was delivered, checked batch by batch.
class Follower {
 public:
  Follower(std::unique_ptr<Subscription> sub, Timestamp as_of)
      : sub_(std::move(sub)), as_of_(as_of) {}

  // Structural checks of one batch; "" if fine.
  std::string accept(const SubscriptionBatch& b) {
    if (!last_upper_ && !b.snapshot) {
      return "the first batch is not a snapshot: " + describe(b);
    }
    if (last_upper_ && !(*last_upper_ < b.upper)) {
      return "upper did not advance past the previous batch's " + last_upper_->to_string() +
             ": " + describe(b);
    }
    for (const Update& u : b.updates) {
      if (b.upper.less_equal(u.time)) return "an update at or beyond the batch's upper: " + describe(b);
    }
    delivered_.insert(delivered_.end(), b.updates.begin(), b.updates.end());
    last_upper_ = b.upper;
    if (b.snapshot) ++snapshots_;
    return "";
  }

  // The rule against the stash's current state; "" if fine or not checkable
  // now (since has passed the delivered upper: the next batch is checked).
  std::string check_rule(Stash& stash, CollectionHandle c) {
    if (!last_upper_) return "";
    auto upper = stash.upper(c);
    auto since = stash.since(c);
    auto all = stash.iter(c);
    auto since_after = stash.since(c);
    if (!upper || !since || !all || !since_after) return "a read failed while checking a subscription";
    if (*since != *since_after) return "";  // compacted meanwhile: check the next batch
    if (!(*last_upper_ <= *upper)) {
      return "delivered upper " + last_upper_->to_string() + " is beyond the collection's upper " +
             upper->to_string() + " (delivered before the seal)";
    }
    if (!since->element() || !(*since < *last_upper_)) return "";
    const Timestamp at = std::max(as_of_, *since->element());
    const Contents want = advanced_before(*all, *last_upper_, at);
    const Contents got = advanced_before(delivered_, Frontier::empty(), at);
    if (want == got) return "";
    std::ostringstream os;
    os << "subscription as of " << as_of_ << " delivered, up to " << *last_upper_
       << ", not what iter holds (since " << *since << "):\n  delivered:";
    for (const auto& [k, d] : got) os << " (" << std::get<0>(k) << "," << std::get<1>(k) << ")@" << std::get<2>(k) << "x" << static_cast<long long>(d);
    os << "\n  iter:     ";
    for (const auto& [k, d] : want) os << " (" << std::get<0>(k) << "," << std::get<1>(k) << ")@" << std::get<2>(k) << "x" << static_cast<long long>(d);
    return os.str();
  }

  // Takes every batch that is ready now, checking each; "" if fine.
  std::string drain(Stash& stash, CollectionHandle c) {
    while (true) {
      auto batch = sub_->next(std::chrono::milliseconds(0));
      if (!batch) return "next failed: " + batch.error().to_string();
      if (!*batch) return "";
      if (auto bad = accept(**batch); !bad.empty()) return bad;
      if (auto bad = check_rule(stash, c); !bad.empty()) return bad;
    }
  }

  // Waits (bounded) until the delivered upper reaches `target`.
  std::string catch_up(Stash& stash, CollectionHandle c, const Frontier& target) {
    const auto give_up = std::chrono::steady_clock::now() + kCatchUpBound;
    while (!last_upper_ || *last_upper_ != target) {
      if (std::chrono::steady_clock::now() > give_up) {
        return "subscription as of " + std::to_string(as_of_) + " did not reach upper " +
               target.to_string() + " within 10 s (last delivered " +
               (last_upper_ ? last_upper_->to_string() : std::string("nothing")) + ")";
      }
      auto batch = sub_->next(std::chrono::milliseconds(100));
      if (!batch) return "next failed: " + batch.error().to_string();
      if (!*batch) continue;
      if (auto bad = accept(**batch); !bad.empty()) return bad;
      if (auto bad = check_rule(stash, c); !bad.empty()) return bad;
    }
    return "";
  }

  Subscription& subscription() { return *sub_; }
  const std::vector<Update>& delivered() const { return delivered_; }
  int snapshots() const { return snapshots_; }

 private:
  std::unique_ptr<Subscription> sub_;
  Timestamp as_of_;
  std::optional<Frontier> last_upper_;
  std::vector<Update> delivered_;
  int snapshots_ = 0;  // the first batch, and every catch-up after compaction
};

// Random writes, seals, compactions and consolidations on one collection.
class Writer {
 public:
  Writer(Stash& stash, CollectionHandle c, std::uint64_t seed)
      : stash_(stash), c_(c), rng_(seed) {}

  // One random operation; "" unless a valid call failed.
  std::string step() {
    auto upper = stash_.upper(c_);
    auto since = stash_.since(c_);
    if (!upper || !since || !upper->element() || !since->element()) return "frontier read failed";
    const Timestamp u = *upper->element();
    const Timestamp s = *since->element();
    const int op = pick(0, 9);
    Status ok;
    if (op <= 3) {
      std::vector<Update> entries;
      for (int i = pick(1, 3); i > 0; --i) entries.push_back(random_update(u));
      ok = stash_.update_many(c_, entries);
    } else if (op <= 6) {
      ok = stash_.seal(c_, Frontier::at(u + pick(0, 3)));
    } else if (op == 7) {
      AppendBatch batch{c_, *upper, Frontier::at(u + pick(1, 3)), std::nullopt, {}};
      for (int i = pick(0, 2); i > 0; --i) batch.entries.push_back(random_update(u));
      ok = stash_.append(std::span<const AppendBatch>(&batch, 1));
    } else if (op == 8) {
      ok = stash_.compact(c_, Frontier::at(s + pick(0, static_cast<int>(std::min<Timestamp>(u - s, 3)))));
    } else {
      ok = stash_.consolidate(c_);
    }
    if (!ok) return "a valid call failed: " + ok.error().to_string();
    return "";
  }

  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

 private:
  Update random_update(Timestamp upper) {
    return {"k" + std::to_string(pick(0, 3)), "v" + std::to_string(pick(0, 1)),
            upper + pick(0, 3), pick(0, 3) == 0 ? -1 : 1};
  }

  Stash& stash_;
  CollectionHandle c_;
  std::mt19937_64 rng_;
};

int cases(const Context& ctx) { return std::max(3, ctx.options.max_success / 5); }

struct Store {
  std::unique_ptr<Harness> harness;
  std::unique_ptr<Stash> stash;
  CollectionHandle c;
};

Result<Store> open_store(const Context& ctx) {
  Store store{ctx.backend.make_harness(), nullptr, {}};
  auto stash = store.harness->open_fresh();
  if (!stash) return std::unexpected(stash.error());
  store.stash = std::move(*stash);
  auto c = store.stash->collection("followed");
  if (!c) return std::unexpected(c.error());
  store.c = *c;
  return store;
}

CheckOutput failed(const Context& ctx, int case_number, const std::string& what) {
  return {false, "case " + std::to_string(case_number) + ": " + what +
                     "\nReplay the run: RC_PARAMS=\"seed=" + std::to_string(ctx.options.seed) +
                     " max_success=" + std::to_string(ctx.options.max_success) + "\""};
}

// Several subscribers, started at random moments and as_of times, follow one
// writer, each drained after every step (one thread: deterministic per seed).
CheckOutput interleaved(Context& ctx) {
  for (int n = 0; n < cases(ctx); ++n) {
    auto store = open_store(ctx);
    if (!store) return failed(ctx, n, "open failed: " + store.error().to_string());
    Stash& stash = *store->stash;
    Writer writer(stash, store->c, ctx.options.seed * 7919 + n);
    std::vector<Follower> followers;
    for (int step = 0; step < 40; ++step) {
      if (followers.size() < 3 && writer.pick(0, 9) == 0) {
        auto since = stash.since(store->c);
        auto upper = stash.upper(store->c);
        if (!since || !upper) return failed(ctx, n, "frontier read failed");
        const Timestamp as_of = *since->element() + writer.pick(0, 4);
        auto sub = stash.subscribe(store->c, as_of);
        if (!sub) return failed(ctx, n, "subscribe as of " + std::to_string(as_of) + " failed: " + sub.error().to_string());
        followers.emplace_back(std::move(*sub), as_of);
        (*ctx.coverage)["subscribe: subscriptions"]++;
      }
      if (auto bad = writer.step(); !bad.empty()) return failed(ctx, n, bad);
      for (Follower& f : followers) {
        if (auto bad = f.drain(stash, store->c); !bad.empty()) return failed(ctx, n, bad);
      }
    }
    auto upper = stash.upper(store->c);
    if (!upper) return failed(ctx, n, "upper failed");
    const Frontier final_upper = Frontier::at(*upper->element() + 5);
    if (auto ok = stash.seal(store->c, final_upper); !ok) return failed(ctx, n, "final seal failed");
    for (Follower& f : followers) {
      if (auto bad = f.catch_up(stash, store->c, final_upper); !bad.empty()) return failed(ctx, n, bad);
    }
  }
  return {};
}

// Subscribes as of a random time at or after since, retrying if compaction
// moves since past it meanwhile (then kFrontierViolation is the right answer).
Result<Follower> subscribe_somewhere(Stash& stash, CollectionHandle c, int offset) {
  for (int attempt = 0;; ++attempt) {
    auto since = stash.since(c);
    if (!since) return std::unexpected(since.error());
    if (!since->element()) return fail(ErrorCode::kFrontierViolation, "since is {}");
    const Timestamp as_of = *since->element() + offset;
    auto sub = stash.subscribe(c, as_of);
    if (sub) return Follower(std::move(*sub), as_of);
    if (sub.error().code() != ErrorCode::kFrontierViolation || attempt == 100) {
      return std::unexpected(sub.error());
    }
  }
}

// A writer thread races three subscriber threads (two subscribed before it
// starts, one mid-stream); the collection is finally sealed to {}, and each
// subscriber must have delivered exactly iter.
CheckOutput concurrent(Context& ctx) {
  for (int n = 0; n < std::max(1, cases(ctx) / 4); ++n) {
    auto store = open_store(ctx);
    if (!store) return failed(ctx, n, "open failed: " + store.error().to_string());
    Stash& stash = *store->stash;
    std::vector<Follower> followers;
    for (Timestamp as_of : {0, 2}) {
      auto sub = stash.subscribe(store->c, as_of);
      if (!sub) return failed(ctx, n, "subscribe failed: " + sub.error().to_string());
      followers.emplace_back(std::move(*sub), as_of);
    }
    // The late subscriber is subscribed by the writer thread itself, after
    // its 40th step, and handed to a reader thread through `late`.
    std::promise<Result<Follower>> late_promise;
    std::future<Result<Follower>> late = late_promise.get_future();
    std::string writer_error;
    std::thread writer_thread([&] {
      Writer writer(stash, store->c, ctx.options.seed * 104729 + n);
      bool handed = false;
      for (int step = 0; step < 150 && writer_error.empty(); ++step) {
        if (step == 40) {
          late_promise.set_value(subscribe_somewhere(stash, store->c, static_cast<int>(n % 3)));
          handed = true;
        }
        writer_error = writer.step();
      }
      if (!handed) late_promise.set_value(fail(ErrorCode::kInvalidArgument, "the writer stopped early"));
      if (writer_error.empty()) {
        if (auto ok = stash.seal(store->c, Frontier::empty()); !ok) writer_error = "final seal failed";
      }
    });
    std::vector<std::string> errors(followers.size() + 1);
    std::vector<std::thread> readers;
    readers.reserve(followers.size() + 1);
    for (std::size_t i = 0; i < followers.size(); ++i) {
      readers.emplace_back([&, i] {
        errors[i] = followers[i].catch_up(stash, store->c, Frontier::empty());
      });
    }
    readers.emplace_back([&] {
      auto follower = late.get();
      if (!follower) {
        errors.back() = "a subscription mid-stream failed: " + follower.error().to_string();
        return;
      }
      errors.back() = follower->catch_up(stash, store->c, Frontier::empty());
    });
    writer_thread.join();
    for (std::thread& t : readers) t.join();
    if (!writer_error.empty()) return failed(ctx, n, writer_error);
    for (const std::string& e : errors) {
      if (!e.empty()) return failed(ctx, n, e);
    }
  }
  return {};
}


// A writer seals one tick at a time as fast as it can (with a row every 64th
// tick) while a subscriber follows. Each of the subscriber's reads takes
// longer than a seal, so upper moves during nearly every read; the
// subscriber must still deliver kFastWriterBatches batches while the writer
// runs. (The bug this catches: a subscription that re-read until upper stood
// still through its whole read got no batch at all over PostgreSQL once
// its writes became faster than three reads.)
//
// On a machine with more busy threads than cores the writer is sometimes
// left waiting for a core for milliseconds, and such a subscription gets a
// read through exactly then. So a batch does not count if, while the
// subscriber waited for it (from its previous next() to this one's
// return), the writer stalled: waited kDescheduled or more for a CPU
// between two of its seals (RunQueueClock). A writer blocked inside its
// call, as behind a backend's read lock, excuses nothing: that pause is the
// backend's own. On a machine that busy few batches count, so once one has
// been set aside the writer goes on for up to kFastWriterStalledBound.
// Where the system does not report run-queue delay every batch counts.
constexpr int kFastWriterBatches = 10;
constexpr auto kFastWriterBound = std::chrono::seconds(10);
constexpr auto kFastWriterStalledBound = std::chrono::seconds(25);
constexpr int kFastWriterMaxSeals = 5000000;
constexpr auto kDescheduled = std::chrono::microseconds(500);

// The stretches between two seals in which the fast writer waited for a
// CPU; written by the writer, read by the subscriber.
class WriterStalls {
 public:
  using Clock = std::chrono::steady_clock;

  // Called by the writer after each seal (and once when it stops).
  void sealed(Clock::time_point now, const RunQueueClock& clock) {
    const auto w = clock.waited();
    if (w && waited_ && *w - *waited_ >= kDescheduled) {
      std::lock_guard lock(mu_);
      stalls_.push_back({last_, now});
    }
    waited_ = w;
    last_ = now;
    progress_.store(now.time_since_epoch().count(), std::memory_order_release);
  }
  void start(Clock::time_point now, const RunQueueClock& clock) {
    waited_ = clock.waited();
    last_ = now;
  }

  // Whether every stall that could overlap [from, to] is known: the writer
  // has sealed (or stopped) since `to`.
  bool knows(Clock::time_point to) const {
    return progress_.load(std::memory_order_acquire) >= to.time_since_epoch().count();
  }
  // Whether the writer stalled between `from` and `to`.
  bool stalled_during(Clock::time_point from, Clock::time_point to) const {
    std::lock_guard lock(mu_);
    return std::ranges::any_of(stalls_, [&](const Stall& s) { return s.from < to && from < s.to; });
  }
  std::size_t stalls() const {
    std::lock_guard lock(mu_);
    return stalls_.size();
  }

 private:
  struct Stall {
    Clock::time_point from, to;
  };
  // The writer's own (only the writer touches them).
  std::optional<std::chrono::nanoseconds> waited_;
  Clock::time_point last_;
  // Shared.
  std::atomic<Clock::rep> progress_{Clock::time_point::min().time_since_epoch().count()};
  mutable std::mutex mu_;
  std::vector<Stall> stalls_;
};

CheckOutput fast_writer(Context& ctx) {
  using Clock = std::chrono::steady_clock;
  for (int n = 0; n < std::max(1, cases(ctx) / 10); ++n) {
    auto store = open_store(ctx);
    if (!store) return failed(ctx, n, "open failed: " + store.error().to_string());
    Stash& stash = *store->stash;
    const CollectionHandle c = store->c;
    std::vector<Update> rows;
    rows.reserve(40);
    for (int i = 0; i < 40; ++i) rows.push_back({"row" + std::to_string(i), "v", i % 5, 1});
    if (auto ok = stash.update_many(c, rows); !ok) return failed(ctx, n, "update failed: " + ok.error().to_string());
    constexpr Timestamp kStart = 5;
    if (auto ok = stash.seal(c, Frontier::at(kStart)); !ok) return failed(ctx, n, "seal failed");
    auto sub = stash.subscribe(c, 0);
    if (!sub) return failed(ctx, n, "subscribe failed: " + sub.error().to_string());
    Follower follower(std::move(*sub), 0);

    std::atomic<bool> stop{false};
    std::atomic<bool> writing{true};
    std::atomic<Timestamp> sealed{kStart};
    std::string writer_error;
    int seals = 0;
    WriterStalls stalls;
    std::atomic<int> excused{0};  // batches set aside for a stall
    const auto started = Clock::now();
    std::thread writer([&] {
      const RunQueueClock cpu_wait;
      stalls.start(Clock::now(), cpu_wait);
      Timestamp u = kStart;
      auto give_up = [&] {
        return started + (excused.load() > 0 ? kFastWriterStalledBound : kFastWriterBound);
      };
      while (!stop.load() && seals < kFastWriterMaxSeals && Clock::now() < give_up()) {
        Status ok;
        if (seals % 64 == 0) {
          AppendBatch batch{c, Frontier::at(u), Frontier::at(u + 1), std::nullopt,
                            {{"tick", std::to_string(u), u, 1}}};
          ok = stash.append(std::span<const AppendBatch>(&batch, 1));
        } else {
          ok = stash.seal(c, Frontier::at(u + 1));
        }
        if (!ok) {
          writer_error = "sealing " + std::to_string(u + 1) + " failed: " + ok.error().to_string();
          break;
        }
        sealed.store(++u);
        ++seals;
        stalls.sealed(Clock::now(), cpu_wait);
      }
      stalls.sealed(Clock::now(), cpu_wait);
      writing.store(false);
    });
    std::string error;
    int batches = 0;
    // Batches delivered while the writer ran, [asked from, delivered at],
    // not yet judged.
    std::vector<std::pair<Clock::time_point, Clock::time_point>> pending;
    auto judge = [&](bool all) {
      std::erase_if(pending, [&](const auto& p) {
        if (!all && !stalls.knows(p.second)) return false;
        if (stalls.stalled_during(p.first, p.second)) {
          excused.fetch_add(1);
        } else {
          ++batches;
        }
        return true;
      });
    };
    auto asked = Clock::now();
    while (writing.load() && error.empty()) {
      auto batch = follower.subscription().next(std::chrono::milliseconds(100));
      const auto delivered = Clock::now();
      if (!batch) {
        error = "next failed while a writer sealed as fast as it could: " + batch.error().to_string();
      } else if (*batch) {
        error = follower.accept(**batch);
        if (!(*batch)->snapshot && writing.load()) pending.emplace_back(asked, delivered);
      }
      asked = delivered;
      judge(false);
      if (batches >= kFastWriterBatches) stop.store(true);
    }
    stop.store(true);
    writer.join();
    judge(true);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    if (!writer_error.empty()) return failed(ctx, n, writer_error);
    if (!error.empty()) return failed(ctx, n, error);
    if (batches < kFastWriterBatches) {
      return failed(ctx, n, "a writer sealed " + std::to_string(seals) + " times in " +
                                std::to_string(took.count()) + " ms, and meanwhile the subscriber "
                                "delivered " + std::to_string(batches) + " batches after its "
                                "snapshot (want " + std::to_string(kFastWriterBatches) + "; " +
                                std::to_string(excused.load()) + " more came while the writer "
                                "waited for a CPU, in " + std::to_string(stalls.stalls()) +
                                " such stalls, and do not count): a subscription must not need upper to stand "
                                "still while it reads");
    }
    (*ctx.coverage)["subscribe: seals by the fast writer"] += seals;
    (*ctx.coverage)["subscribe: fast-writer batches not counted (writer waiting for a CPU)"] += excused.load();
    const Frontier final_upper = Frontier::at(sealed.load() + 1);
    if (auto ok = stash.seal(c, final_upper); !ok) return failed(ctx, n, "final seal failed");
    if (auto bad = follower.catch_up(stash, c, final_upper); !bad.empty()) return failed(ctx, n, bad);
  }
  return {};
}

// The consolidated contents of `updates`, every time advanced to `at`.
Contents contents_at(const std::vector<Update>& updates, Timestamp at) {
  return advanced_before(updates, Frontier::empty(), at);
}

std::string describe(const Contents& contents) {
  std::ostringstream os;
  for (const auto& [k, d] : contents) {
    os << " (" << std::get<0>(k) << "," << std::get<1>(k) << ")@" << std::get<2>(k) << "x"
       << static_cast<long long>(d);
  }
  return os.str();
}

// A subscriber follows random writes, stops, and a new subscription starts
// where it stopped: as of the last time it delivered (upper U, as_of U - 1),
// after reopening the store when the backend is durable. The new snapshot
// must be exactly what the first delivered (nothing missed), and what follows
// must obey the rule on its own (so nothing of the snapshot is repeated).
CheckOutput resubscribe(Context& ctx) {
  const bool durable = ctx.backend.make_harness()->capabilities().durable;
  for (int n = 0; n < cases(ctx); ++n) {
    auto store = open_store(ctx);
    if (!store) return failed(ctx, n, "open failed: " + store.error().to_string());
    Writer writer(*store->stash, store->c, ctx.options.seed * 15485863 + n);
    std::vector<Update> first_delivered;
    Frontier resume_upper;
    {
      auto first = subscribe_somewhere(*store->stash, store->c, writer.pick(0, 2));
      if (!first) return failed(ctx, n, "subscribe failed: " + first.error().to_string());
      for (int step = 0; step < 25; ++step) {
        if (auto bad = writer.step(); !bad.empty()) return failed(ctx, n, bad);
        if (auto bad = first->drain(*store->stash, store->c); !bad.empty()) return failed(ctx, n, bad);
      }
      // Updates at the last time before the resume point, so that a new
      // subscription that repeats the time it resumes at is seen.
      auto upper = store->stash->upper(store->c);
      if (!upper || !upper->element()) return failed(ctx, n, "upper failed");
      const Timestamp u = *upper->element();
      const std::vector<Update> last{{"resume", "a", u, 1}, {"resume", "b", u, 2}};
      if (auto ok = store->stash->update_many(store->c, last); !ok) {
        return failed(ctx, n, "update at upper failed: " + ok.error().to_string());
      }
      resume_upper = Frontier::at(u + 1);
      if (auto ok = store->stash->seal(store->c, resume_upper); !ok) return failed(ctx, n, "seal failed");
      if (auto bad = first->catch_up(*store->stash, store->c, resume_upper); !bad.empty()) {
        return failed(ctx, n, bad);
      }
      first_delivered = first->delivered();
    }
    const Timestamp resume_as_of = *resume_upper.element() - 1;
    if (durable) {
      store->stash.reset();
      auto reopened = store->harness->reopen();
      if (!reopened) return failed(ctx, n, "reopen failed: " + reopened.error().to_string());
      store->stash = std::move(*reopened);
      auto c = store->stash->collection("followed");
      if (!c) return failed(ctx, n, "collection after reopen failed: " + c.error().to_string());
      store->c = *c;
      (*ctx.coverage)["subscribe: resubscriptions after reopen"]++;
    } else {
      (*ctx.coverage)["subscribe: resubscriptions on the same stash"]++;
    }
    Stash& stash = *store->stash;
    auto sub = stash.subscribe(store->c, resume_as_of);
    if (!sub) {
      return failed(ctx, n, "subscribe again as of " + std::to_string(resume_as_of) +
                                " failed: " + sub.error().to_string());
    }
    Follower second(std::move(*sub), resume_as_of);
    if (auto bad = second.catch_up(stash, store->c, resume_upper); !bad.empty()) return failed(ctx, n, bad);
    auto since = stash.since(store->c);
    if (!since || !since->element()) return failed(ctx, n, "since failed");
    const Timestamp at = std::max(resume_as_of, *since->element());
    const Contents before = contents_at(first_delivered, at);
    const Contents again = contents_at(second.delivered(), at);
    if (before != again) {
      return failed(ctx, n, std::string("resubscribing as of ") + std::to_string(resume_as_of) +
                                (durable ? " after reopen" : "") +
                                ": the snapshot is not what the first subscription delivered"
                                "\n  first:   " + describe(before) + "\n  snapshot:" + describe(again));
    }
    Writer later(stash, store->c, ctx.options.seed * 32452843 + n);
    for (int step = 0; step < 25; ++step) {
      if (auto bad = later.step(); !bad.empty()) return failed(ctx, n, bad);
      if (auto bad = second.drain(stash, store->c); !bad.empty()) return failed(ctx, n, bad);
    }
    auto upper = stash.upper(store->c);
    if (!upper || !upper->element()) return failed(ctx, n, "upper failed");
    const Frontier final_upper = Frontier::at(*upper->element() + 2);
    if (auto ok = stash.seal(store->c, final_upper); !ok) return failed(ctx, n, "final seal failed");
    if (auto bad = second.catch_up(stash, store->c, final_upper); !bad.empty()) return failed(ctx, n, bad);
  }
  return {};
}

// A subscriber takes its snapshot and then reads nothing while a writer
// writes, seals and finally compacts past everything it delivered. The writer
// is never held back, and the subscriber, when it reads again, gets a catch-up
// batch that keeps the rule.
CheckOutput slow_subscriber(Context& ctx) {
  for (int n = 0; n < cases(ctx); ++n) {
    auto store = open_store(ctx);
    if (!store) return failed(ctx, n, "open failed: " + store.error().to_string());
    Stash& stash = *store->stash;
    Writer writer(stash, store->c, ctx.options.seed * 49979687 + n);
    auto sub = stash.subscribe(store->c, 0);
    if (!sub) return failed(ctx, n, "subscribe failed: " + sub.error().to_string());
    Follower slow(std::move(*sub), 0);
    for (int step = 0; step < 5; ++step) {
      if (auto bad = writer.step(); !bad.empty()) return failed(ctx, n, bad);
      if (auto bad = slow.drain(stash, store->c); !bad.empty()) return failed(ctx, n, bad);
    }
    auto seen_upper = stash.upper(store->c);
    if (!seen_upper || !seen_upper->element()) return failed(ctx, n, "upper failed");
    const Frontier seen = Frontier::at(*seen_upper->element() + 1);
    if (auto ok = stash.seal(store->c, seen); !ok) return failed(ctx, n, "seal failed");
    if (auto bad = slow.catch_up(stash, store->c, seen); !bad.empty()) return failed(ctx, n, bad);
    for (int step = 0; step < 30; ++step) {
      if (auto bad = writer.step(); !bad.empty()) return failed(ctx, n, bad);
    }
    // Sealed updates past what the subscriber saw, then compaction over them.
    auto upper = stash.upper(store->c);
    if (!upper || !upper->element()) return failed(ctx, n, "upper failed");
    const Timestamp u = *upper->element();
    const std::vector<Update> overtaken{{"overtaken", "x", u, 3}, {"overtaken", "y", u + 1, 1}};
    if (auto ok = stash.update_many(store->c, overtaken); !ok) return failed(ctx, n, "update failed");
    if (auto ok = stash.seal(store->c, Frontier::at(u + 3)); !ok) return failed(ctx, n, "seal failed");
    if (auto ok = stash.compact(store->c, Frontier::at(u + 2)); !ok) {
      return failed(ctx, n, "compact to " + std::to_string(u + 2) + " failed: " + ok.error().to_string());
    }
    for (int step = 0; step < 5; ++step) {
      if (auto bad = writer.step(); !bad.empty()) return failed(ctx, n, bad);
    }
    auto now_upper = stash.upper(store->c);
    if (!now_upper || !now_upper->element()) return failed(ctx, n, "upper failed");
    const Frontier final_upper = Frontier::at(*now_upper->element() + 1);
    if (auto ok = stash.seal(store->c, final_upper); !ok) return failed(ctx, n, "final seal failed");
    if (auto bad = slow.catch_up(stash, store->c, final_upper); !bad.empty()) return failed(ctx, n, bad);
    if (slow.snapshots() < 2) {
      return failed(ctx, n, "compaction to " + std::to_string(u + 2) +
                                " passed everything the subscriber had delivered, yet no catch-up "
                                "batch (snapshot = true) followed the first");
    }
    (*ctx.coverage)["subscribe: catch-up batches"] += slow.snapshots() - 1;
  }
  return {};
}

// as_of before since is refused; cancel() wakes a blocked next().
CheckOutput errors_and_cancel(Context& ctx) {
  auto store = open_store(ctx);
  if (!store) return {false, "open failed: " + store.error().to_string()};
  Stash& stash = *store->stash;
  if (auto ok = stash.seal(store->c, Frontier::at(5)); !ok) return {false, "seal failed"};
  if (auto ok = stash.compact(store->c, Frontier::at(3)); !ok) return {false, "compact failed"};
  auto early = stash.subscribe(store->c, 2);
  if (early) return {false, "subscribe as of 2 below since {3} succeeded"};
  const std::string message = early.error().message();
  if (early.error().code() != ErrorCode::kFrontierViolation ||
      message.find('2') == std::string::npos || message.find("{3}") == std::string::npos) {
    return {false, "subscribe below since: want kFrontierViolation naming 2 and {3}, got " +
                       early.error().to_string()};
  }
  auto sub = stash.subscribe(store->c, 10);  // not sealed yet: next() blocks
  if (!sub) return {false, "subscribe as of 10 failed: " + sub.error().to_string()};
  std::optional<Result<std::optional<SubscriptionBatch>>> got;
  const auto start = std::chrono::steady_clock::now();
  std::thread blocked([&] { got = (*sub)->next(std::chrono::seconds(60)); });
  std::this_thread::yield();
  (*sub)->cancel();
  blocked.join();
  if (std::chrono::steady_clock::now() - start > std::chrono::seconds(30)) {
    return {false, "cancel() did not wake a blocked next()"};
  }
  if (!got || !*got || **got) return {false, "next() after cancel() did not return nullopt"};
  if (!(*sub)->cancelled()) return {false, "cancelled() is false after cancel()"};
  return {};
}

}  // namespace

std::vector<CheckDef> subscribe_checks() {
  return {
      {Area::kSubscribe, "subscribe: as_of before since, cancel", "SubscribeErrorsAndCancel",
       std::nullopt, errors_and_cancel},
      {Area::kSubscribe, "subscribe: several subscribers follow random writes",
       "SubscribeInterleaved", std::nullopt, interleaved},
      {Area::kSubscribe, "subscribe: subscribers race a writer thread", "SubscribeConcurrent",
       std::nullopt, concurrent},
      {Area::kSubscribe, "subscribe: a writer sealing faster than a read does not starve a subscriber",
       "SubscribeFastWriter", std::nullopt, fast_writer},
      {Area::kSubscribe, "subscribe: resubscribe from the last delivered upper (across reopen)",
       "SubscribeResubscribe", std::nullopt, resubscribe},
      {Area::kSubscribe, "subscribe: compaction overtakes a slow subscriber",
       "SubscribeSlowSubscriber", std::nullopt, slow_subscriber},
  };
}

}  // namespace stash::conformance::internal
