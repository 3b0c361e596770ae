// INV-6: a call that returns an error changes nothing, batches included.
// Each test records what a reader can see of both collections, makes one
// failing call, and checks the code and that the state is exactly as before.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stash/memory_stash.h"
#include "stash_test_util.h"

namespace stash {
namespace {

using test::At;
using test::Code;

class FailedCallChangesNothing : public ::testing::Test {
 protected:
  // a: since {1}, upper {3}, one sealed and one unsealed row.
  // b: since {0}, upper {2}, one sealed row.
  void SetUp() override {
    STASH_ASSERT_OK(s_.update(a_, "k", "1", 0, 1));
    STASH_ASSERT_OK(s_.update(a_, "k", "2", 4, 1));
    STASH_ASSERT_OK(s_.seal(a_, Frontier(3)));
    STASH_ASSERT_OK(s_.compact(a_, Frontier(1)));
    STASH_ASSERT_OK(s_.update(b_, "x", "y", 0, 1));
    STASH_ASSERT_OK(s_.seal(b_, Frontier(2)));
    before_ = Both();
  }

  std::string Both() { return test::State(s_, a_) + " | " + test::State(s_, b_); }

  MemoryStash s_;
  CollectionHandle a_ = test::Collection(s_, "a");
  CollectionHandle b_ = test::Collection(s_, "b");
  std::string before_;
};

TEST_F(FailedCallChangesNothing, StateIsWhatSetUpWrote) {
  EXPECT_EQ(before_,
            "since {1} upper {3} iter [((k, 1), 1, 1) ((k, 2), 4, 1) ]"
            " | since {0} upper {2} iter [((x, y), 0, 1) ]");
}

TEST_F(FailedCallChangesNothing, UpdateBeforeUpper) {
  EXPECT_EQ(Code(s_.update(a_, "k", "3", 2, 1)), "frontier_violation");
  EXPECT_EQ(Both(), before_);
}

TEST_F(FailedCallChangesNothing, UpdateManyWithOneBadEntryInTheMiddleAddsNothing) {
  const test::Updates entries = {At("k", "3", 3, 1), At("k", "4", 2, 1), At("k", "5", 9, 1)};
  EXPECT_EQ(Code(s_.update_many(a_, entries)), "frontier_violation");
  EXPECT_EQ(Both(), before_);
}

TEST_F(FailedCallChangesNothing, SealRegression) {
  EXPECT_EQ(Code(s_.seal(a_, Frontier(2))), "frontier_violation");
  EXPECT_EQ(Both(), before_);
}

TEST_F(FailedCallChangesNothing, CompactBeyondUpper) {
  EXPECT_EQ(Code(s_.compact(a_, Frontier(4))), "frontier_violation");
  EXPECT_EQ(Code(s_.compact(a_, Frontier::empty())), "frontier_violation");
  EXPECT_EQ(Both(), before_);
}

TEST_F(FailedCallChangesNothing, CompactRegression) {
  EXPECT_EQ(Code(s_.compact(a_, Frontier(0))), "frontier_violation");
  EXPECT_EQ(Both(), before_);
}

TEST_F(FailedCallChangesNothing, SealBatchWithALaterFailingSealAppliesNothing) {
  const std::vector<FrontierRequest> seals = {{b_, Frontier(5)}, {a_, Frontier(1)}};
  EXPECT_EQ(Code(s_.seal_batch(seals)), "frontier_violation");
  EXPECT_EQ(Both(), before_);
}

TEST_F(FailedCallChangesNothing, SealBatchFailingOnItsOwnEarlierSealAppliesNothing) {
  // The second request regresses only against the first one's effect.
  const std::vector<FrontierRequest> seals = {{a_, Frontier(6)}, {a_, Frontier(4)}};
  auto sealed = s_.seal_batch(seals);
  EXPECT_EQ(Code(sealed), "frontier_violation");
  EXPECT_THAT(test::Message(sealed),
              ::testing::HasSubstr("seal request {4} is less than the current upper frontier {6}"));
  EXPECT_EQ(Both(), before_);
}

TEST_F(FailedCallChangesNothing, CompactBatchWithALaterFailingCompactionAppliesNothing) {
  const std::vector<FrontierRequest> compactions = {{b_, Frontier(2)}, {a_, Frontier(9)}};
  EXPECT_EQ(Code(s_.compact_batch(compactions)), "frontier_violation");
  EXPECT_EQ(Both(), before_);
}

TEST_F(FailedCallChangesNothing, CompactBatchFailingOnItsOwnEarlierCompactionAppliesNothing) {
  const std::vector<FrontierRequest> compactions = {{a_, Frontier(3)}, {a_, Frontier(2)}};
  auto compacted = s_.compact_batch(compactions);
  EXPECT_EQ(Code(compacted), "frontier_violation");
  EXPECT_THAT(test::Message(compacted),
              ::testing::HasSubstr("compact request {2} is less than the current since frontier {3}"));
  EXPECT_EQ(Both(), before_);
}

TEST_F(FailedCallChangesNothing, AppendWithALaterWrongLowerAppliesNothing) {
  const std::vector<AppendBatch> batches = {
      {b_, Frontier(2), Frontier(5), Frontier(1), {At("x", "z", 3, 1)}},
      {a_, Frontier(2), Frontier(5), {}, {At("k", "9", 4, 1)}}};
  EXPECT_EQ(Code(s_.append(batches)), "frontier_violation");
  EXPECT_EQ(Both(), before_);
}

TEST_F(FailedCallChangesNothing, AppendWithALaterEarlyEntryAppliesNothing) {
  const std::vector<AppendBatch> batches = {
      {b_, Frontier(2), Frontier(5), {}, {At("x", "z", 3, 1)}},
      {a_, Frontier(3), Frontier(5), {}, {At("k", "9", 4, 1), At("k", "8", 2, 1)}}};
  EXPECT_EQ(Code(s_.append(batches)), "frontier_violation");
  EXPECT_EQ(Both(), before_);
}

TEST_F(FailedCallChangesNothing, AppendWithALaterRegressingUpperAppliesNothing) {
  const std::vector<AppendBatch> batches = {
      {b_, Frontier(2), Frontier(5), {}, {At("x", "z", 3, 1)}},
      {a_, Frontier(3), Frontier(2), {}, {}}};
  EXPECT_EQ(Code(s_.append(batches)), "frontier_violation");
  EXPECT_EQ(Both(), before_);
}

TEST_F(FailedCallChangesNothing, AppendWithALaterBadCompactionAppliesNothing) {
  const std::vector<AppendBatch> batches = {
      {b_, Frontier(2), Frontier(5), {}, {At("x", "z", 3, 1)}},
      {a_, Frontier(3), Frontier(4), Frontier(0), {}}};
  EXPECT_EQ(Code(s_.append(batches)), "frontier_violation");
  EXPECT_EQ(Both(), before_);
}

TEST_F(FailedCallChangesNothing, AppendFailingOnItsOwnEarlierBatchAppliesNothing) {
  // The second batch names a's upper before the first batch moved it.
  const std::vector<AppendBatch> batches = {
      {a_, Frontier(3), Frontier(5), {}, {At("k", "9", 4, 1)}},
      {a_, Frontier(3), Frontier(6), {}, {}}};
  EXPECT_EQ(Code(s_.append(batches)), "frontier_violation");
  EXPECT_EQ(Both(), before_);
}

TEST_F(FailedCallChangesNothing, FailedReads) {
  EXPECT_EQ(Code(s_.peek_one(a_)), "ok");
  STASH_ASSERT_OK(s_.update(b_, "x", "w", 2, 1));
  STASH_ASSERT_OK(s_.seal(b_, Frontier(3)));
  before_ = Both();
  EXPECT_EQ(Code(s_.peek_one(b_)), "multiplicity");
  EXPECT_EQ(Code(s_.peek_key_one(b_, "x")), "multiplicity");
  EXPECT_EQ(Both(), before_);
}

}  // namespace
}  // namespace stash
