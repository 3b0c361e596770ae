// The scenarios the original stash's shared test suite checked, one TEST
// each, in order (docs/spec.md, "Scenarios"). Keys and values are strings and
// every collection starts at {0}. Each scenario continues from the state the
// earlier ones left: its test replays their writes, then checks its own.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "stash/memory_stash.h"
#include "stash_test_util.h"

namespace stash {
namespace {

using test::At;
using test::Code;
using test::Iter;
using test::IterKey;
using test::Message;
using test::PeekMap;
using test::Updates;
using test::ValueUpdates;
using ::testing::HasSubstr;

class OriginalScenario : public ::testing::Test {
 protected:
  // Replays the writes of scenarios 1 to n.
  void Through(int n) {
    if (n >= 1) Orders();
    if (n >= 2) Other();
    if (n >= 3) RetractWombats();
    if (n >= 4) MoreWidgetsAndSeal();
    if (n >= 5) {
      STASH_ASSERT_OK(s_.compact(orders_, Frontier(3)));
    }
    // Scenario 6 only makes calls that fail.
    if (n >= 7) SealAndCompactOrdersToEmpty();
  }

  void Orders() {
    STASH_ASSERT_OK(s_.update(orders_, "widgets", "1", 1, 1));
    STASH_ASSERT_OK(s_.update(orders_, "wombats", "2", 1, 2));
  }
  void Other() { STASH_ASSERT_OK(s_.update(other_, "foo", "bar", 1, 1)); }
  void RetractWombats() {
    STASH_ASSERT_OK(s_.update(orders_, "wombats", "2", 1, -1));
    STASH_ASSERT_OK(s_.update(orders_, "wombats", "2", 1, -1));
  }
  void MoreWidgetsAndSeal() {
    const Updates widgets = {At("widgets", "1", 2, 1), At("widgets", "1", 3, 1),
                             At("widgets", "1", 4, 1)};
    STASH_ASSERT_OK(s_.update_many(orders_, widgets));
    STASH_ASSERT_OK(s_.seal(orders_, Frontier(3)));
  }
  void SealAndCompactOrdersToEmpty() {
    STASH_ASSERT_OK(s_.seal(orders_, Frontier::empty()));
    STASH_ASSERT_OK(s_.compact(orders_, Frontier::empty()));
  }

  MemoryStash s_;
  CollectionHandle orders_ = test::Collection(s_, "orders");
  CollectionHandle other_ = test::Collection(s_, "other");
};

TEST_F(OriginalScenario, S1_OrdersIterAndIterKey) {
  ASSERT_NO_FATAL_FAILURE(Through(1));
  EXPECT_EQ(Iter(s_, orders_), Updates({{"widgets", "1", 1, 1}, {"wombats", "2", 1, 2}}));
  EXPECT_EQ(IterKey(s_, orders_, "widgets"), ValueUpdates({{"1", 1, 1}}));
  EXPECT_EQ(IterKey(s_, orders_, "wombats"), ValueUpdates({{"2", 1, 2}}));
}

TEST_F(OriginalScenario, S2_OtherCollectionIsIsolated) {
  ASSERT_NO_FATAL_FAILURE(Through(2));
  EXPECT_EQ(Iter(s_, other_), Updates({{"foo", "bar", 1, 1}}));
  EXPECT_EQ(Iter(s_, orders_), Updates({{"widgets", "1", 1, 1}, {"wombats", "2", 1, 2}}));
  EXPECT_EQ(IterKey(s_, orders_, "foo"), ValueUpdates());
}

TEST_F(OriginalScenario, S3_RetractionsSumAndZeroRowsDisappear) {
  ASSERT_NO_FATAL_FAILURE(Through(2));
  STASH_ASSERT_OK(s_.update(orders_, "wombats", "2", 1, -1));
  EXPECT_EQ(Iter(s_, orders_), Updates({{"widgets", "1", 1, 1}, {"wombats", "2", 1, 1}}));
  STASH_ASSERT_OK(s_.update(orders_, "wombats", "2", 1, -1));
  EXPECT_EQ(Iter(s_, orders_), Updates({{"widgets", "1", 1, 1}}));
  EXPECT_EQ(IterKey(s_, orders_, "wombats"), ValueUpdates());
}

TEST_F(OriginalScenario, S4_PeekSeesOnlySealedTimes) {
  ASSERT_NO_FATAL_FAILURE(Through(4));
  EXPECT_EQ(test::PeekTimestamp(s_, orders_), 2);
  EXPECT_EQ(test::Peek(s_, orders_), test::PeekEntries({{"widgets", "1", 2}}));
  auto peeked = s_.peek_one(orders_);
  EXPECT_EQ(Code(peeked), "multiplicity");
  EXPECT_THAT(Message(peeked), HasSubstr("unexpected peek multiplicity"));
}

TEST_F(OriginalScenario, S5_CompactionAdvancesTimesAndConsolidateIsInvisible) {
  ASSERT_NO_FATAL_FAILURE(Through(5));
  const Updates compacted = {{"widgets", "1", 3, 3}, {"widgets", "1", 4, 1}};
  EXPECT_EQ(Iter(s_, orders_), compacted);
  STASH_ASSERT_OK(s_.consolidate(orders_));
  EXPECT_EQ(Iter(s_, orders_), compacted);
}

TEST_F(OriginalScenario, S6_RegressionsAndEarlyWritesFail) {
  ASSERT_NO_FATAL_FAILURE(Through(5));
  auto sealed = s_.seal(orders_, Frontier(2));
  EXPECT_EQ(Code(sealed), "frontier_violation");
  EXPECT_THAT(Message(sealed), HasSubstr("seal request {2} is less than the current upper frontier {3}"));
  auto below_since = s_.compact(orders_, Frontier(2));
  EXPECT_EQ(Code(below_since), "frontier_violation");
  EXPECT_THAT(Message(below_since), HasSubstr("compact request {2} is less than the current since frontier {3}"));
  auto beyond_upper = s_.compact(orders_, Frontier(4));
  EXPECT_EQ(Code(beyond_upper), "frontier_violation");
  EXPECT_THAT(Message(beyond_upper), HasSubstr("compact request {4} is greater than the current upper frontier {3}"));
  auto updated = s_.update(orders_, "widgets", "1", 2, 1);
  EXPECT_EQ(Code(updated), "frontier_violation");
  EXPECT_THAT(Message(updated), HasSubstr("entry time 2 is less than the current upper frontier {3}"));
}

TEST_F(OriginalScenario, S7_EmptyFrontiersEndReadsButNotOtherCollections) {
  ASSERT_NO_FATAL_FAILURE(Through(5));
  STASH_EXPECT_OK(s_.seal(orders_, Frontier::empty()));
  STASH_EXPECT_OK(s_.compact(orders_, Frontier::empty()));
  EXPECT_THAT(Message(s_.iter(orders_)), HasSubstr("cannot iterate collection with empty since frontier"));
  EXPECT_THAT(Message(s_.iter_key(orders_, "widgets")), HasSubstr("cannot iterate collection with empty since frontier"));
  STASH_EXPECT_OK(s_.consolidate(orders_));
  EXPECT_EQ(test::Since(s_, other_), Frontier(0));
  EXPECT_EQ(test::Upper(s_, other_), Frontier(0));
  EXPECT_EQ(Iter(s_, other_), Updates({{"foo", "bar", 1, 1}}));
}

TEST_F(OriginalScenario, S8_PeekOneAndPeekKeyOneOfOther) {
  ASSERT_NO_FATAL_FAILURE(Through(7));
  STASH_ASSERT_OK(s_.seal(other_, Frontier(2)));
  EXPECT_EQ(test::PeekOne(s_, other_), PeekMap({{"foo", "bar"}}));
  EXPECT_EQ(test::PeekKeyOne(s_, other_, "foo"), std::optional<Bytes>("bar"));
}

// Scenario 9 on two fresh collections: an append whose batches are wrong in
// one collection fails as a whole, in either order; corrected, it commits.
class AppendScenario : public ::testing::Test {
 protected:
  AppendBatch Batch(CollectionHandle c, Timestamp lower, Timestamp upper, Bytes key) {
    return {c, Frontier(lower), Frontier(upper), {}, {At(std::move(key), "v", lower, 1)}};
  }
  std::string Both() { return test::State(s_, c1_) + " | " + test::State(s_, c2_); }

  MemoryStash s_;
  CollectionHandle c1_ = test::Collection(s_, "c1");
  CollectionHandle c2_ = test::Collection(s_, "c2");
};

TEST_F(AppendScenario, S9_WrongLowerFailsTogetherInEitherOrder) {
  const std::string before = Both();
  const AppendBatch good = Batch(c1_, 0, 1, "a");
  const AppendBatch wrong_lower = Batch(c2_, 1, 2, "b");
  for (const auto& batches : {std::vector{good, wrong_lower}, std::vector{wrong_lower, good}}) {
    auto appended = s_.append(batches);
    EXPECT_EQ(Code(appended), "frontier_violation");
    EXPECT_THAT(Message(appended), HasSubstr("unexpected lower {1}"));
    EXPECT_EQ(Both(), before);
  }
}

TEST_F(AppendScenario, S9_RegressingUpperFailsTogetherInEitherOrder) {
  STASH_ASSERT_OK(s_.seal(c2_, Frontier(2)));
  const std::string before = Both();
  const AppendBatch good = Batch(c1_, 0, 1, "a");
  AppendBatch regressing = Batch(c2_, 2, 1, "b");
  regressing.entries.clear();
  for (const auto& batches : {std::vector{good, regressing}, std::vector{regressing, good}}) {
    auto appended = s_.append(batches);
    EXPECT_EQ(Code(appended), "frontier_violation");
    EXPECT_THAT(Message(appended), HasSubstr("seal request {1} is less than the current upper frontier {2}"));
    EXPECT_EQ(Both(), before);
  }
}

TEST_F(AppendScenario, S9_CorrectedBatchesCommitTogether) {
  const std::vector<AppendBatch> batches = {Batch(c1_, 0, 1, "a"), Batch(c2_, 0, 2, "b")};
  STASH_ASSERT_OK(s_.append(batches));
  EXPECT_EQ(Both(),
            "since {0} upper {1} iter [((a, v), 0, 1) ]"
            " | since {0} upper {2} iter [((b, v), 0, 1) ]");
}

}  // namespace
}  // namespace stash
