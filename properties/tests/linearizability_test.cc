// The linearizability checker on its own: hand-written histories (stale
// read, lost update, racing seals, errors that must linearize, fencing),
// partitioning, the work bound, and random histories cut from a sequential
// run (always linearizable) with one result corrupted, judged against a
// brute-force search over every order.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>

#include "generators.h"
#include "linearizability.h"

namespace stash::conformance::internal {
namespace {

// The answer `call` gets from a fresh model after `before`.
Answer answer_after(const std::vector<Call>& before, const Call& call, int objects = 1,
                    bool fencing = false) {
  auto world = World::model(make_memory_model, {.several_handles = true, .fencing = fencing});
  for (int i = 1; i < objects; ++i) world->execute(Op{0, OpenAnotherOp{}});
  for (const Call& c : before) world->execute(Op{0, c});
  return world->execute(Op{0, call});
}

Answer error(ErrorCode code) { return failed(Error(code, "hand-written")); }

CallRecord rec(int thread, Call call, Answer answer, std::int64_t invoked,
               std::int64_t returned, int stash = 0) {
  return {thread, Op{stash, std::move(call)}, std::move(answer), invoked, returned};
}

const Update kA{"k0", "v0", 1, 1};
const Update kB{"k1", "v1", 1, 1};

Verdict verdict(const History& h, CheckerOptions o = {}) {
  return check_linearizable(h, o).verdict;
}

TEST(Linearizability, SequentialHistoryIsLinearizable) {
  const History h = {
      rec(0, UpdateOp{0, kA}, answer_after({}, UpdateOp{0, kA}), 0, 10),
      rec(0, IterOp{0}, answer_after({UpdateOp{0, kA}}, IterOp{0}), 20, 30),
  };
  EXPECT_EQ(verdict(h), Verdict::kLinearizable);
}

TEST(Linearizability, StaleReadAfterTheWriteReturnedIsNot) {
  const Answer empty = answer_after({}, IterOp{0});
  History h = {
      rec(0, UpdateOp{0, kA}, answer_after({}, UpdateOp{0, kA}), 0, 10),
      rec(1, IterOp{0}, empty, 20, 30),
  };
  const CheckerResult r = check_linearizable(h, {});
  EXPECT_EQ(r.verdict, Verdict::kNotLinearizable);
  EXPECT_NE(r.explanation.find("Iter(c0) [t1] returned ok []"), std::string::npos)
      << r.explanation;
  EXPECT_NE(r.explanation.find("the model answers"), std::string::npos) << r.explanation;
  EXPECT_NE(r.explanation.find("t0 s0 [0.0 us, 0.0 us]  Update(c0"), std::string::npos)
      << r.explanation;
  // The same read overlapping the write may go first.
  h[1].invoked = 5;
  EXPECT_EQ(verdict(h), Verdict::kLinearizable);
}

TEST(Linearizability, LostUpdateIsNot) {
  const Answer ok = answer_after({}, UpdateOp{0, kA});
  const Answer one = answer_after({UpdateOp{0, kA}}, IterOp{0});
  const Answer two = answer_after({UpdateOp{0, kA}, UpdateOp{0, kA}}, IterOp{0});
  History h = {
      rec(0, UpdateOp{0, kA}, ok, 0, 10),
      rec(1, UpdateOp{0, kA}, ok, 0, 10),
      rec(2, IterOp{0}, one, 20, 30),
  };
  EXPECT_EQ(verdict(h), Verdict::kNotLinearizable);
  h[2].answer = two;
  EXPECT_EQ(verdict(h), Verdict::kLinearizable);
  // A read overlapping both writes may see one of them, but then a later read
  // must see both.
  h[2] = rec(2, IterOp{0}, one, 5, 30);
  h.push_back(rec(2, IterOp{0}, two, 40, 50));
  EXPECT_EQ(verdict(h), Verdict::kLinearizable);
  h.back().answer = one;
  EXPECT_EQ(verdict(h), Verdict::kNotLinearizable);
}

TEST(Linearizability, ErrorResultsMustLinearizeToo) {
  const Call seal3 = SealOp{0, Frontier(3)};
  const Call seal5 = SealOp{0, Frontier(5)};
  const Answer ok = answer_after({}, seal3);
  const Answer violation = answer_after({seal5}, seal3);
  ASSERT_EQ(violation.code, ErrorCode::kFrontierViolation);
  // seal {5} then seal {3}: the second must fail.
  History h = {rec(0, seal5, ok, 0, 10), rec(1, seal3, ok, 20, 30)};
  EXPECT_EQ(verdict(h), Verdict::kNotLinearizable);
  h[1].answer = violation;
  EXPECT_EQ(verdict(h), Verdict::kLinearizable);
  // An error no order explains: seal {3} on a fresh collection cannot fail.
  const History alone = {rec(0, seal3, violation, 0, 10)};
  EXPECT_EQ(verdict(alone), Verdict::kNotLinearizable);
  // A wrong error code is a wrong result.
  const History wrong = {rec(0, IterOp{kBogus}, error(ErrorCode::kFrontierViolation), 0, 1)};
  EXPECT_EQ(verdict(wrong), Verdict::kNotLinearizable);
  const History right = {rec(0, IterOp{kBogus}, error(ErrorCode::kNotFound), 0, 1)};
  EXPECT_EQ(verdict(right), Verdict::kLinearizable);
}

TEST(Linearizability, RacingSealsLeaveTheLaterFrontier) {
  const Call seal3 = SealOp{0, Frontier(3)};
  const Call seal5 = SealOp{0, Frontier(5)};
  const Answer ok = answer_after({}, seal3);
  const Answer violation = answer_after({seal5}, seal3);
  // Both succeed only if {3} went first, so upper must end at {5}.
  History h = {rec(0, seal3, ok, 0, 10), rec(1, seal5, ok, 0, 10),
               rec(2, UpperOp{0}, answer_after({seal5}, UpperOp{0}), 20, 30)};
  EXPECT_EQ(verdict(h), Verdict::kLinearizable);
  h[2].answer = answer_after({seal3}, UpperOp{0});
  EXPECT_EQ(verdict(h), Verdict::kNotLinearizable);
  // If {3} failed, {5} went first.
  h[0].answer = violation;
  h[2].answer = answer_after({seal5}, UpperOp{0});
  EXPECT_EQ(verdict(h), Verdict::kLinearizable);
}

TEST(Linearizability, TornBatchSeenHalfIsNot) {
  const Call both = UpdateManyOp{0, {kA, kB}};
  History h = {rec(0, both, answer_after({}, both), 0, 100),
               rec(1, IterOp{0}, answer_after({UpdateOp{0, kA}}, IterOp{0}), 10, 20)};
  EXPECT_EQ(verdict(h), Verdict::kNotLinearizable);
  h[1].answer = answer_after({both}, IterOp{0});
  EXPECT_EQ(verdict(h), Verdict::kLinearizable);
}

TEST(Linearizability, FencedObjectAfterOpenAnotherMustFail) {
  CheckerOptions o{.objects = 1, .fencing = true};
  const Answer ok = answer_after({}, UpdateOp{0, kA});
  History h = {rec(0, OpenAnotherOp{}, answer_after({}, OpenAnotherOp{}), 0, 10),
               rec(1, UpdateOp{0, kA}, ok, 20, 30, /*stash=*/0)};
  EXPECT_EQ(verdict(h, o), Verdict::kNotLinearizable);
  h[1].answer = error(ErrorCode::kFenced);
  EXPECT_EQ(verdict(h, o), Verdict::kLinearizable);
  // Overlapping the open, the write may go first; then the new object sees it.
  h[1] = rec(1, UpdateOp{0, kA}, ok, 5, 30, 0);
  h.push_back(rec(0, IterOp{0}, answer_after({}, IterOp{0}), 40, 50, 1));
  EXPECT_EQ(verdict(h, o), Verdict::kNotLinearizable);
  h.back().answer = answer_after({UpdateOp{0, kA}}, IterOp{0});
  EXPECT_EQ(verdict(h, o), Verdict::kLinearizable);
}

TEST(Linearizability, PartitionsByCollectionAndJoinsOnMultiCollectionCalls) {
  History h = {rec(0, SealOp{0, Frontier(3)}, answer_after({}, SealOp{0, Frontier(3)}), 0, 1),
               rec(1, SealOp{1, Frontier(3)}, answer_after({}, SealOp{1, Frontier(3)}), 0, 1),
               rec(2, CollectionOp{"c0"}, answer_after({}, CollectionOp{"c0"}), 0, 1)};
  EXPECT_EQ(check_linearizable(h, {}).partitions, 3);
  const Call join = SealBatchOp{{{0, Frontier(4)}, {1, Frontier(4)}}};
  h.push_back(rec(0, join, answer_after({SealOp{0, Frontier(3)}, SealOp{1, Frontier(3)}}, join),
                  5, 6));
  const CheckerResult r = check_linearizable(h, {});
  EXPECT_EQ(r.partitions, 2);
  EXPECT_EQ(r.verdict, Verdict::kLinearizable);
}

TEST(Linearizability, BoundGivesUnknownNeverOk) {
  // Many overlapping writes and a read that no order explains: exploring
  // them all takes more than the bound allows.
  History h;
  std::vector<Call> all;
  for (int t = 0; t < 10; ++t) {
    const Call c = UpdateOp{0, Update{"k" + std::to_string(t), "v", 1, 1}};
    h.push_back(rec(t, c, answer_after({}, c), 0, 100));
    all.push_back(c);
  }
  h.push_back(rec(10, IterOp{0}, answer_after({}, IterOp{1}), 200, 300));
  const CheckerResult bounded = check_linearizable(h, {.max_steps = 50});
  EXPECT_EQ(bounded.verdict, Verdict::kUnknown);
  EXPECT_NE(bounded.explanation.find("bound"), std::string::npos);
  // Memoisation makes the full answer cheap: 2^10 subsets, not 10! orders.
  const CheckerResult full = check_linearizable(h, {.max_steps = 1'000'000});
  EXPECT_EQ(full.verdict, Verdict::kNotLinearizable);
  EXPECT_LT(full.steps, 50'000u);
}

// ---------------------------------------------------------------------------
// Random histories cut from a sequential run.
// ---------------------------------------------------------------------------

// `n` random calls run one at a time on the model, given to `threads`
// threads; call i takes effect at time 100 * i and its interval is widened
// around that point (never overlapping the same thread's other calls), so
// the run's order is always a witness.
History sequential_run(std::mt19937_64& rng, int n, int threads, int widen) {
  GenConfig config;
  config.collections = 2;
  config.list_collections = false;  // see GenConfig
  GenState state(config);
  rc::Random random(rng());
  auto world = World::model(make_memory_model, {});
  History h;
  std::vector<int> thread_of(n);
  for (int i = 0; i < n; ++i) {
    rc::Random r = random.split();
    Op op = gen_op(state)(r, 50).value();
    state.apply(op);
    op.stash = 0;
    thread_of[i] = static_cast<int>(rng() % static_cast<std::uint64_t>(threads));
    h.push_back({thread_of[i], op, world->execute(op), 0, 0});
  }
  for (int i = 0; i < n; ++i) {
    const std::int64_t point = 100 * static_cast<std::int64_t>(i);
    std::int64_t lo = point - static_cast<std::int64_t>(rng() % (widen + 1));
    std::int64_t hi = point + static_cast<std::int64_t>(rng() % (widen + 1));
    for (int j = i - 1; j >= 0; --j) {
      if (thread_of[j] == thread_of[i]) {
        lo = std::max(lo, (100 * static_cast<std::int64_t>(j) + point) / 2 + 1);
        break;
      }
    }
    for (int j = i + 1; j < n; ++j) {
      if (thread_of[j] == thread_of[i]) {
        hi = std::min(hi, (100 * static_cast<std::int64_t>(j) + point) / 2);
        break;
      }
    }
    h[i].invoked = lo;
    h[i].returned = hi;
  }
  return h;
}

// Replaces one call's answer by the one it would have had at another point
// of the run (a stale or early read, a success that should have failed...).
bool corrupt(History& h, std::mt19937_64& rng) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    const int i = static_cast<int>(rng() % h.size());
    const int j = static_cast<int>(rng() % (h.size() + 1));
    auto world = World::model(make_memory_model, {});
    for (int k = 0; k < j; ++k) {
      if (k != i) world->execute(h[k].op);
    }
    const Answer other = world->execute(h[i].op);
    if (other.text != h[i].answer.text) {
      h[i].answer = other;
      return true;
    }
  }
  return false;
}

// Linearizable by brute force: some order of all calls, respecting real
// time, that the model explains.
bool brute_force(const History& h) {
  const int n = static_cast<int>(h.size());
  std::vector<int> order;
  std::vector<bool> used(n, false);
  std::function<bool()> place = [&]() -> bool {
    if (static_cast<int>(order.size()) == n) {
      History seq;
      for (int i : order) seq.push_back(h[i]);
      return first_sequential_mismatch(seq, {}) < 0;
    }
    for (int i = 0; i < n; ++i) {
      if (used[i]) continue;
      bool ready = true;  // every call that returned before i was invoked is placed
      for (int j = 0; j < n; ++j) {
        if (!used[j] && j != i && h[j].returned < h[i].invoked) ready = false;
      }
      if (!ready) continue;
      used[i] = true;
      order.push_back(i);
      if (place()) return true;
      order.pop_back();
      used[i] = false;
    }
    return false;
  };
  return place();
}

TEST(LinearizabilityRandom, SequentialRunsAlwaysLinearize) {
  std::mt19937_64 rng(20261201);
  for (int round = 0; round < 200; ++round) {
    const History h = sequential_run(rng, 30, 3, 150);
    const CheckerResult r = check_linearizable(h, {.max_steps = 2'000'000});
    ASSERT_EQ(r.verdict, Verdict::kLinearizable) << "round " << round << "\n"
                                                 << r.explanation << show(h);
  }
}

TEST(LinearizabilityRandom, OneCorruptedResultInASequentialHistoryIsCaught) {
  // Intervals that do not overlap: the run's order is the only one allowed,
  // so the corrupted history linearizes exactly when running it in that
  // order matches, which the corruption prevents.
  std::mt19937_64 rng(7);
  int checked = 0;
  for (int round = 0; round < 200; ++round) {
    History h = sequential_run(rng, 25, 3, 0);
    if (!corrupt(h, rng)) continue;
    ++checked;
    const bool sequentially_ok = first_sequential_mismatch(h, {}) < 0;
    const CheckerResult r = check_linearizable(h, {});
    ASSERT_EQ(r.verdict, sequentially_ok ? Verdict::kLinearizable : Verdict::kNotLinearizable)
        << "round " << round << "\n" << show(h);
    if (!sequentially_ok) {
      EXPECT_NE(r.explanation.find("the model answers"), std::string::npos) << r.explanation;
    }
  }
  EXPECT_GT(checked, 100);
}

TEST(LinearizabilityRandom, CorruptedOverlappingHistoriesAgreeWithBruteForce) {
  // Overlapping intervals: another order may explain the corrupted result
  // (then the corruption is indistinguishable); brute force decides.
  std::mt19937_64 rng(11);
  int caught = 0;
  int indistinguishable = 0;
  for (int round = 0; round < 300; ++round) {
    History h = sequential_run(rng, 7, 3, 160);
    const bool corrupted = round % 4 != 0 && corrupt(h, rng);
    const bool expected = brute_force(h);
    if (!corrupted) {
      ASSERT_TRUE(expected) << show(h);
    }
    const CheckerResult r = check_linearizable(h, {});
    ASSERT_EQ(r.verdict, expected ? Verdict::kLinearizable : Verdict::kNotLinearizable)
        << "round " << round << "\n" << show(h) << r.explanation;
    if (corrupted) (expected ? indistinguishable : caught) += 1;
  }
  EXPECT_GT(caught, 30);
  std::cout << "corrupted overlapping histories: " << caught << " not linearizable, "
            << indistinguishable << " indistinguishable\n";
}

}  // namespace
}  // namespace stash::conformance::internal
