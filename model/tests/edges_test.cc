// The ends of int64: times at INT64_MIN/INT64_MAX, diffs whose sums leave the
// int64 range, and consolidation, which must never change what a read returns
// (docs/spec.md INV-3, INV-4, INV-12, INV-14, INV-16). Written without UB; the
// asan preset runs them under -fsanitize=undefined too.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "stash/memory_stash.h"
#include "stash_test_util.h"

namespace stash {
namespace {

using test::At;
using test::Code;
using test::Iter;
using test::Message;
using test::Show;
using test::Updates;
using ::testing::HasSubstr;

constexpr Timestamp kMin = std::numeric_limits<Timestamp>::min();
constexpr Timestamp kMax = std::numeric_limits<Timestamp>::max();

class EdgesTest : public ::testing::Test {
 protected:
  MemoryStash s_;
  CollectionHandle c_ = test::Collection(s_, "c");
};

// --- times -----------------------------------------------------------------

using Int64Times = EdgesTest;

TEST_F(Int64Times, UpdateAtMaxTimeIsAcceptedUnderUpperZero) {
  STASH_ASSERT_OK(s_.update(c_, "k", "v", kMax, 1));
  EXPECT_EQ(Iter(s_, c_), Updates({{"k", "v", kMax, 1}}));
  EXPECT_EQ(test::IterKey(s_, c_, "k"), test::ValueUpdates({{"v", kMax, 1}}));
}

TEST_F(Int64Times, UpdateAtMinTimeIsBeforeUpperZero) {
  auto updated = s_.update(c_, "k", "v", kMin, 1);
  EXPECT_EQ(Code(updated), "frontier_violation");
  EXPECT_THAT(Message(updated),
              HasSubstr("entry time -9223372036854775808 is less than the current upper frontier {0}"));
}

TEST_F(Int64Times, SealAndCompactToMinTimeAreRegressions) {
  EXPECT_THAT(Message(s_.seal(c_, Frontier(kMin))),
              HasSubstr("seal request {-9223372036854775808} is less than the current upper frontier {0}"));
  EXPECT_THAT(Message(s_.compact(c_, Frontier(kMin))),
              HasSubstr("compact request {-9223372036854775808} is less than the current since frontier {0}"));
}

TEST_F(Int64Times, SealToMaxTimePeeksAtMaxMinusOneAndStillAcceptsMaxTime) {
  STASH_ASSERT_OK(s_.update(c_, "a", "sealed", kMax - 1, 1));
  STASH_ASSERT_OK(s_.seal(c_, Frontier(kMax)));
  EXPECT_EQ(test::PeekTimestamp(s_, c_), kMax - 1);
  STASH_EXPECT_OK(s_.update(c_, "b", "unsealed", kMax, 1));
  EXPECT_EQ(Code(s_.update(c_, "c", "late", kMax - 1, 1)), "frontier_violation");
  EXPECT_EQ(test::PeekOne(s_, c_), test::PeekMap({{"a", "sealed"}}));
  EXPECT_EQ(Iter(s_, c_), Updates({{"a", "sealed", kMax - 1, 1}, {"b", "unsealed", kMax, 1}}));
}

TEST_F(Int64Times, EmptyUpperPeeksAtMaxTimeAndRejectsEveryNonEmptyUpdate) {
  STASH_ASSERT_OK(s_.update(c_, "k", "v", kMax, 1));
  STASH_ASSERT_OK(s_.seal(c_, Frontier::empty()));
  EXPECT_EQ(test::PeekTimestamp(s_, c_), kMax);
  EXPECT_EQ(test::PeekOne(s_, c_), test::PeekMap({{"k", "v"}}));
  for (Timestamp t : {kMin, Timestamp{0}, kMax - 1, kMax}) {
    auto updated = s_.update(c_, "k", "v", t, 1);
    EXPECT_EQ(Code(updated), "frontier_violation") << t;
    EXPECT_THAT(Message(updated), HasSubstr("is less than the current upper frontier {}"));
  }
  STASH_EXPECT_OK(s_.update_many(c_, Updates()));
  EXPECT_EQ(Iter(s_, c_), Updates({{"k", "v", kMax, 1}}));
}

TEST_F(Int64Times, FiniteSealFailsOnceUpperIsEmpty) {
  STASH_ASSERT_OK(s_.seal(c_, Frontier::empty()));
  for (Timestamp t : {kMin, Timestamp{0}, kMax}) {
    EXPECT_EQ(Code(s_.seal(c_, Frontier(t))), "frontier_violation") << t;
  }
  EXPECT_THAT(Message(s_.seal(c_, Frontier(kMax))),
              HasSubstr("seal request {9223372036854775807} is less than the current upper frontier {}"));
  STASH_EXPECT_OK(s_.seal(c_, Frontier::empty()));
}

TEST_F(Int64Times, CompactToEmptyRequiresEmptyUpper) {
  STASH_ASSERT_OK(s_.seal(c_, Frontier(kMax)));
  EXPECT_THAT(Message(s_.compact(c_, Frontier::empty())),
              HasSubstr("compact request {} is greater than the current upper frontier {9223372036854775807}"));
  STASH_ASSERT_OK(s_.compact(c_, Frontier(kMax)));
  EXPECT_EQ(Code(s_.peek_timestamp(c_)), "frontier_violation");
  STASH_ASSERT_OK(s_.seal(c_, Frontier::empty()));
  EXPECT_EQ(test::PeekTimestamp(s_, c_), kMax);  // since {MAX} < upper {}
  STASH_EXPECT_OK(s_.compact(c_, Frontier::empty()));
  EXPECT_EQ(test::Since(s_, c_), Frontier::empty());
}

TEST_F(Int64Times, CompactingToMaxTimeAdvancesEveryTimeToIt) {
  const Updates rows = {At("k", "v", 0, 1), At("k", "v", 7, 2), At("k", "w", kMax, 1)};
  STASH_ASSERT_OK(s_.update_many(c_, rows));
  STASH_ASSERT_OK(s_.seal(c_, Frontier::empty()));
  STASH_ASSERT_OK(s_.compact(c_, Frontier(kMax)));
  EXPECT_EQ(Iter(s_, c_), Updates({{"k", "v", kMax, 3}, {"k", "w", kMax, 1}}));
}

// --- diffs -----------------------------------------------------------------

using ExactSums = EdgesTest;

TEST_F(ExactSums, SumPastMaxAtOneTimeIsOutOfRangeUntilCompensated) {
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 1, kMax));
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 1, 1));
  EXPECT_EQ(Code(s_.iter(c_)), "out_of_range");
  EXPECT_THAT(Message(s_.iter(c_)), HasSubstr("does not fit in a signed 64-bit integer"));
  EXPECT_EQ(Code(s_.iter_key(c_, "k")), "out_of_range");
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 1, -1));
  EXPECT_EQ(Iter(s_, c_), Updates({{"k", "v", 1, kMax}}));
}

TEST_F(ExactSums, SumPastMinAtOneTimeIsOutOfRangeUntilCompensated) {
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 1, kMin));
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 1, -1));
  EXPECT_EQ(Code(s_.iter(c_)), "out_of_range");
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 1, 1));
  EXPECT_EQ(Iter(s_, c_), Updates({{"k", "v", 1, kMin}}));
}

TEST_F(ExactSums, SumsThatLeaveTheRangeOnlyTransientlyReadFine) {
  for (Diff d : {kMax, Diff{1}, Diff{-1}}) STASH_ASSERT_OK(s_.update(c_, "a", "v", 1, d));
  const Updates batch = {At("b", "v", 1, kMin), At("b", "v", 1, -1), At("b", "v", 1, 1)};
  STASH_ASSERT_OK(s_.update_many(c_, batch));
  EXPECT_EQ(Iter(s_, c_), Updates({{"a", "v", 1, kMax}, {"b", "v", 1, kMin}}));
}

TEST_F(ExactSums, ManyMaximalDiffsCancelExactly) {
  for (int i = 0; i < 4; ++i) STASH_ASSERT_OK(s_.update(c_, "k", "v", 1, kMax));
  for (int i = 0; i < 3; ++i) STASH_ASSERT_OK(s_.update(c_, "k", "v", 1, -kMax));
  EXPECT_EQ(Iter(s_, c_), Updates({{"k", "v", 1, kMax}}));
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 1, -kMax));
  EXPECT_EQ(Iter(s_, c_), Updates());
}

TEST_F(ExactSums, IterKeyOfAnotherKeyIsUnaffectedByAnOverflow) {
  STASH_ASSERT_OK(s_.update(c_, "big", "v", 1, kMax));
  STASH_ASSERT_OK(s_.update(c_, "big", "v", 1, kMax));
  STASH_ASSERT_OK(s_.update(c_, "small", "v", 1, 1));
  EXPECT_EQ(Code(s_.iter(c_)), "out_of_range");
  EXPECT_EQ(test::IterKey(s_, c_, "small"), test::ValueUpdates({{"v", 1, 1}}));
}

TEST_F(ExactSums, PeekOverTimesWhoseSumOverflowsIsOutOfRange) {
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 1, kMax));
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 2, 1));
  STASH_ASSERT_OK(s_.seal(c_, Frontier(3)));
  EXPECT_EQ(Iter(s_, c_), Updates({{"k", "v", 1, kMax}, {"k", "v", 2, 1}}));
  EXPECT_EQ(Code(s_.peek(c_)), "out_of_range");
  EXPECT_EQ(Code(s_.peek_one(c_)), "out_of_range");
  // Every peek agrees: the sum is out of range before it is the wrong
  // multiplicity (regression: peek_key_one used to say "multiplicity").
  EXPECT_EQ(Code(s_.peek_key_one(c_, "k")), "out_of_range");
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 3, -1));
  STASH_ASSERT_OK(s_.seal(c_, Frontier(4)));
  EXPECT_EQ(test::Peek(s_, c_), test::PeekEntries({{"k", "v", kMax}}));
}

// stash.h documents peek's errors as "as peek_timestamp and iter": peek reads
// through iter, so an overflow in an unsealed row fails the peek too.
TEST_F(ExactSums, PeekFailsLikeIterWhenAnUnsealedSumOverflows) {
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 0, 1));
  STASH_ASSERT_OK(s_.update(c_, "k", "w", 5, kMax));
  STASH_ASSERT_OK(s_.update(c_, "k", "w", 5, 1));
  STASH_ASSERT_OK(s_.seal(c_, Frontier(1)));
  EXPECT_EQ(Code(s_.iter(c_)), "out_of_range");
  EXPECT_EQ(Code(s_.peek(c_)), "out_of_range");
}

// --- consolidate -----------------------------------------------------------

// Every read of c, each as its printed value or error.
std::string Reads(Stash& s, CollectionHandle c) {
  std::string out = "iter " + Show(s.iter(c));
  for (const char* key : {"a", "b", "k"}) {
    out += "\niter_key " + std::string(key) + " " + Show(s.iter_key(c, key));
    out += "\npeek_key_one " + std::string(key) + " " + Show(s.peek_key_one(c, key));
  }
  out += "\npeek_timestamp " + Show(s.peek_timestamp(c));
  out += "\npeek " + Show(s.peek(c));
  out += "\npeek_one " + Show(s.peek_one(c));
  out += "\nsince " + Show(s.since(c)) + " upper " + Show(s.upper(c));
  return out;
}

using ConsolidateIsInvisible = EdgesTest;

TEST_F(ConsolidateIsInvisible, ToEveryRead) {
  const Updates rows = {At("a", "1", 0, 1), At("a", "1", 1, 1),  At("a", "2", 2, 1),
                        At("a", "1", 2, -2), At("b", "x", 3, 1), At("b", "x", 3, -1),
                        At("k", "v", 4, 5),  At("k", "v", 9, -1)};
  STASH_ASSERT_OK(s_.update_many(c_, rows));
  STASH_ASSERT_OK(s_.seal(c_, Frontier(5)));
  STASH_ASSERT_OK(s_.compact(c_, Frontier(3)));
  const std::string before = Reads(s_, c_);
  STASH_ASSERT_OK(s_.consolidate(c_));
  EXPECT_EQ(Reads(s_, c_), before);
  const std::vector<CollectionHandle> twice = {c_, c_};
  STASH_ASSERT_OK(s_.consolidate_batch(twice));
  EXPECT_EQ(Reads(s_, c_), before);
}

TEST_F(ConsolidateIsInvisible, WhenMergedRowsOverflowTheSumStaysExact) {
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 1, kMax));
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 2, 1));
  STASH_ASSERT_OK(s_.seal(c_, Frontier(4)));
  STASH_ASSERT_OK(s_.compact(c_, Frontier(2)));  // both rows now read at time 2
  const std::string before = Reads(s_, c_);
  EXPECT_EQ(Code(s_.iter(c_)), "out_of_range");
  STASH_ASSERT_OK(s_.consolidate(c_));
  EXPECT_EQ(Reads(s_, c_), before);
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 4, -1));
  STASH_ASSERT_OK(s_.seal(c_, Frontier(5)));
  STASH_ASSERT_OK(s_.compact(c_, Frontier(4)));
  EXPECT_EQ(Iter(s_, c_), Updates({{"k", "v", 4, kMax}}));
}

TEST_F(ConsolidateIsInvisible, WhenAnOverflowingRowIsMergedBackIntoRange) {
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 1, kMax));
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 1, 1));
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 2, -1));
  EXPECT_EQ(Code(s_.iter(c_)), "out_of_range");
  STASH_ASSERT_OK(s_.seal(c_, Frontier(3)));
  STASH_ASSERT_OK(s_.compact(c_, Frontier(2)));
  const std::string before = Reads(s_, c_);
  EXPECT_EQ(Iter(s_, c_), Updates({{"k", "v", 2, kMax}}));
  STASH_ASSERT_OK(s_.consolidate(c_));
  EXPECT_EQ(Reads(s_, c_), before);
}

TEST_F(ConsolidateIsInvisible, AfterCompactingToEmptyEverythingIsDroppedAndReadsStillFail) {
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 1, 1));
  STASH_ASSERT_OK(s_.seal(c_, Frontier::empty()));
  STASH_ASSERT_OK(s_.compact(c_, Frontier::empty()));
  const std::string before = Reads(s_, c_);
  EXPECT_THAT(before, HasSubstr("iter frontier_violation: cannot iterate collection with empty since frontier"));
  STASH_ASSERT_OK(s_.consolidate(c_));
  EXPECT_EQ(Reads(s_, c_), before);
  EXPECT_EQ(Code(s_.peek_timestamp(c_)), "frontier_violation");
}

TEST_F(ConsolidateIsInvisible, OnAFreshCollection) {
  const std::string before = Reads(s_, c_);
  STASH_ASSERT_OK(s_.consolidate(c_));
  EXPECT_EQ(Reads(s_, c_), before);
}

}  // namespace
}  // namespace stash
