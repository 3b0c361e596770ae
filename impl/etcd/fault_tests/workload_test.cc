// The fault tests' checks can fail: the workload (workload.h) on MemoryStash
// passes every check, and on wrappers that break one promise each (an
// acknowledged write lost, a failed write applied, a stale read, a write
// applied twice) the check for that promise fails. Writes answered
// kOutcomeUnknown, applied or not, are resolved and pass. No cluster needed.
#include <gtest/gtest.h>

#include <atomic>

#include "stash/forwarding_stash.h"
#include "stash/memory_stash.h"
#include "workload.h"

namespace stash::testing {
namespace {

using std::chrono::milliseconds;

// Runs the workload until 150 writes are acknowledged and checks it,
// reading back through `reader` (default: `s` itself).
WorkloadReport run(const std::shared_ptr<Stash>& s, Stash* reader = nullptr) {
  Workload w(s, {.threads = 3, .calls_per_window = 12, .seed = 7});
  w.start();
  EXPECT_TRUE(w.wait_for_progress(150, milliseconds(20'000)));
  w.stop();
  WorkloadReport r = w.verify(reader ? *reader : *s, milliseconds(1000));
  std::printf("%s\n", r.summary().c_str());
  return r;
}

bool mentions(const WorkloadReport& r, const std::string& what) {
  for (const std::string& p : r.problems) {
    if (p.find(what) != std::string::npos) return true;
  }
  return false;
}

std::string all(const WorkloadReport& r) {
  std::string out;
  for (const std::string& p : r.problems) out += p.substr(0, 2000) + "\n";
  return out;
}

class EveryNth : public ForwardingStash {
 public:
  using ForwardingStash::ForwardingStash;

 protected:
  bool nth(int n) { return ++count_ % n == 0; }

 private:
  std::atomic<int> count_{0};
};

TEST(FaultWorkload, MemoryStashPassesEveryCheck) {
  const WorkloadReport r = run(std::make_shared<MemoryStash>());
  EXPECT_TRUE(r.problems.empty()) << all(r);
  EXPECT_GE(r.writes_acked, 150);
  EXPECT_GT(r.reads, 0);
  EXPECT_GT(r.histories, 1);
  EXPECT_EQ(r.linearizable, r.histories);
}

// Acknowledges every 5th update without writing it.
class LosesWrites final : public EveryNth {
 public:
  using EveryNth::EveryNth;
  Status update(CollectionHandle c, Bytes k, Bytes v, Timestamp t, Diff d) override {
    if (nth(5)) return {};
    return EveryNth::update(c, std::move(k), std::move(v), t, d);
  }
};

TEST(FaultWorkload, LostAcknowledgedWriteIsFound) {
  const WorkloadReport r = run(std::make_shared<LosesWrites>(std::make_shared<MemoryStash>()));
  EXPECT_TRUE(mentions(r, "acknowledged write lost")) << all(r);
}

// Applies every 5th update and answers kUnavailable.
class FailedButApplied final : public EveryNth {
 public:
  using EveryNth::EveryNth;
  Status update(CollectionHandle c, Bytes k, Bytes v, Timestamp t, Diff d) override {
    Status s = EveryNth::update(c, std::move(k), std::move(v), t, d);
    if (s && nth(5)) return fail(ErrorCode::kUnavailable, "lying");
    return s;
  }
};

TEST(FaultWorkload, FailedWriteThatTookEffectIsFound) {
  const WorkloadReport r = run(std::make_shared<FailedButApplied>(std::make_shared<MemoryStash>()));
  EXPECT_TRUE(mentions(r, "failed write took effect")) << all(r);
}

// Applies every 7th update twice (a retry that did not know the first try
// committed).
class AppliesTwice final : public EveryNth {
 public:
  using EveryNth::EveryNth;
  Status update(CollectionHandle c, Bytes k, Bytes v, Timestamp t, Diff d) override {
    if (nth(7)) (void)EveryNth::update(c, k, v, t, d);  // the lost first attempt
    return EveryNth::update(c, std::move(k), std::move(v), t, d);
  }
};

TEST(FaultWorkload, WriteAppliedTwiceIsFound) {
  const WorkloadReport r = run(std::make_shared<AppliesTwice>(std::make_shared<MemoryStash>()));
  EXPECT_TRUE(mentions(r, "written more than once")) << all(r);
}

// Every 3rd iter answers without its last row: a read that misses a write
// acknowledged before it began (most of the time).
class StaleIter final : public EveryNth {
 public:
  using EveryNth::EveryNth;
  Result<std::vector<Update>> iter(CollectionHandle c) override {
    auto rows = EveryNth::iter(c);
    if (rows && !rows->empty() && nth(3)) rows->pop_back();
    return rows;
  }
};

TEST(FaultWorkload, StaleReadIsNotLinearizable) {
  auto store = std::make_shared<MemoryStash>();
  const WorkloadReport r = run(std::make_shared<StaleIter>(store), store.get());
  EXPECT_TRUE(mentions(r, "is not linearizable")) << all(r);
  EXPECT_FALSE(mentions(r, "acknowledged write lost")) << all(r);
  EXPECT_LT(r.linearizable, r.histories);
}

// Every 4th write answers kOutcomeUnknown: alternately after applying it
// and without.
class UnknownOutcomes final : public EveryNth {
 public:
  using EveryNth::EveryNth;
  Status update(CollectionHandle c, Bytes k, Bytes v, Timestamp t, Diff d) override {
    return maybe([&] { return EveryNth::update(c, k, v, t, d); });
  }
  Status update_many(CollectionHandle c, std::span<const Update> e) override {
    return maybe([&] { return EveryNth::update_many(c, e); });
  }

 private:
  template <typename Write>
  Status maybe(Write write) {
    if (!nth(4)) return write();
    if (++unknown_ % 2 == 0) (void)write();  // applied, then the answer lost
    return fail(ErrorCode::kOutcomeUnknown, "answer lost");
  }
  std::atomic<int> unknown_{0};
};

TEST(FaultWorkload, UnknownOutcomesAppliedOrNotAreResolved) {
  const WorkloadReport r = run(std::make_shared<UnknownOutcomes>(std::make_shared<MemoryStash>()));
  EXPECT_TRUE(r.problems.empty()) << all(r);
  EXPECT_GT(r.writes_unknown, 0);
  EXPECT_GT(r.unknown_applied, 0);
  EXPECT_LT(r.unknown_applied, r.writes_unknown);
  EXPECT_EQ(r.linearizable, r.histories);
}

}  // namespace
}  // namespace stash::testing
