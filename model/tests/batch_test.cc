// seal_batch, compact_batch and append: each call is atomic as a whole, and
// later elements see the effect of earlier ones (docs/spec.md, "Batches and
// append"). That a failing batch applies nothing is in failed_call_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
using test::Since;
using test::Updates;
using test::Upper;
using ::testing::HasSubstr;

class BatchTest : public ::testing::Test {
 protected:
  std::string Both() { return test::State(s_, a_) + " | " + test::State(s_, b_); }

  MemoryStash s_;
  CollectionHandle a_ = test::Collection(s_, "a");
  CollectionHandle b_ = test::Collection(s_, "b");
};

// --- seal_batch ------------------------------------------------------------

using SealBatch = BatchTest;

TEST_F(SealBatch, SealsEveryCollection) {
  const std::vector<FrontierRequest> seals = {{a_, Frontier(2)}, {b_, Frontier::empty()}};
  STASH_ASSERT_OK(s_.seal_batch(seals));
  EXPECT_EQ(Upper(s_, a_), Frontier(2));
  EXPECT_EQ(Upper(s_, b_), Frontier::empty());
}

TEST_F(SealBatch, SameCollectionTwiceSeesItsEarlierSeal) {
  const std::vector<FrontierRequest> seals = {{a_, Frontier(3)}, {a_, Frontier(5)}};
  STASH_ASSERT_OK(s_.seal_batch(seals));
  EXPECT_EQ(Upper(s_, a_), Frontier(5));
}

TEST_F(SealBatch, RepeatingTheSameSealIsANoOp) {
  const std::vector<FrontierRequest> seals = {{a_, Frontier(3)}, {a_, Frontier(3)}};
  STASH_ASSERT_OK(s_.seal_batch(seals));
  EXPECT_EQ(Upper(s_, a_), Frontier(3));
}

TEST_F(SealBatch, EmptyBatchSucceeds) {
  const std::string before = Both();
  STASH_EXPECT_OK(s_.seal_batch(std::vector<FrontierRequest>()));
  EXPECT_EQ(Both(), before);
}

TEST_F(SealBatch, RegressionIsReportedAsSealReportsIt) {
  STASH_ASSERT_OK(s_.seal(b_, Frontier(3)));
  const std::vector<FrontierRequest> seals = {{a_, Frontier(1)}, {b_, Frontier(2)}};
  auto sealed = s_.seal_batch(seals);
  EXPECT_EQ(Code(sealed), "frontier_violation");
  EXPECT_THAT(Message(sealed), HasSubstr("seal request {2} is less than the current upper frontier {3}"));
}

// --- compact_batch ---------------------------------------------------------

using CompactBatch = BatchTest;

TEST_F(CompactBatch, CompactsEveryCollection) {
  STASH_ASSERT_OK(s_.seal(a_, Frontier(4)));
  STASH_ASSERT_OK(s_.seal(b_, Frontier::empty()));
  const std::vector<FrontierRequest> compactions = {{a_, Frontier(4)}, {b_, Frontier::empty()}};
  STASH_ASSERT_OK(s_.compact_batch(compactions));
  EXPECT_EQ(Since(s_, a_), Frontier(4));
  EXPECT_EQ(Since(s_, b_), Frontier::empty());
}

TEST_F(CompactBatch, SameCollectionTwiceSeesItsEarlierCompaction) {
  STASH_ASSERT_OK(s_.update(a_, "k", "v", 0, 1));
  STASH_ASSERT_OK(s_.seal(a_, Frontier(5)));
  const std::vector<FrontierRequest> compactions = {{a_, Frontier(2)}, {a_, Frontier(4)}};
  STASH_ASSERT_OK(s_.compact_batch(compactions));
  EXPECT_EQ(Since(s_, a_), Frontier(4));
  EXPECT_EQ(Iter(s_, a_), Updates({{"k", "v", 4, 1}}));
}

TEST_F(CompactBatch, LeavesUpperAlone) {
  STASH_ASSERT_OK(s_.seal(a_, Frontier(5)));
  const std::vector<FrontierRequest> compactions = {{a_, Frontier(2)}};
  STASH_ASSERT_OK(s_.compact_batch(compactions));
  EXPECT_EQ(Upper(s_, a_), Frontier(5));
}

TEST_F(CompactBatch, EmptyBatchSucceeds) {
  const std::string before = Both();
  STASH_EXPECT_OK(s_.compact_batch(std::vector<FrontierRequest>()));
  EXPECT_EQ(Both(), before);
}

TEST_F(CompactBatch, ErrorsAreReportedAsCompactReportsThem) {
  STASH_ASSERT_OK(s_.seal(a_, Frontier(3)));
  const std::vector<FrontierRequest> beyond = {{a_, Frontier(4)}};
  EXPECT_THAT(Message(s_.compact_batch(beyond)),
              HasSubstr("compact request {4} is greater than the current upper frontier {3}"));
  STASH_ASSERT_OK(s_.compact(a_, Frontier(2)));
  const std::vector<FrontierRequest> regressing = {{a_, Frontier(1)}};
  EXPECT_THAT(Message(s_.compact_batch(regressing)),
              HasSubstr("compact request {1} is less than the current since frontier {2}"));
}

// --- append ----------------------------------------------------------------

using Append = BatchTest;

TEST_F(Append, AddsEntriesThenSealsAcrossCollections) {
  const std::vector<AppendBatch> batches = {
      {a_, Frontier(0), Frontier(2), {}, {At("k", "1", 0, 1), At("k", "2", 1, 1)}},
      {b_, Frontier(0), Frontier(1), {}, {At("x", "y", 0, 1)}}};
  STASH_ASSERT_OK(s_.append(batches));
  EXPECT_EQ(Both(),
            "since {0} upper {2} iter [((k, 1), 0, 1) ((k, 2), 1, 1) ]"
            " | since {0} upper {1} iter [((x, y), 0, 1) ]");
}

TEST_F(Append, WithSinceAlsoCompacts) {
  const std::vector<AppendBatch> batches = {
      {a_, Frontier(0), Frontier(3), Frontier(2), {At("k", "v", 0, 1), At("k", "v", 1, 1)}}};
  STASH_ASSERT_OK(s_.append(batches));
  EXPECT_EQ(test::State(s_, a_), "since {2} upper {3} iter [((k, v), 2, 2) ]");
}

TEST_F(Append, SinceIsCheckedAgainstTheNewUpper) {
  const std::vector<AppendBatch> up_to_upper = {{a_, Frontier(0), Frontier(5), Frontier(5), {}}};
  STASH_ASSERT_OK(s_.append(up_to_upper));
  const std::vector<AppendBatch> beyond = {{a_, Frontier(5), Frontier(6), Frontier(7), {}}};
  EXPECT_THAT(Message(s_.append(beyond)),
              HasSubstr("compact request {7} is greater than the current upper frontier {6}"));
}

TEST_F(Append, SameCollectionTwiceChainsLowerToTheEarlierUpper) {
  const std::vector<AppendBatch> batches = {
      {a_, Frontier(0), Frontier(2), {}, {At("k", "1", 0, 1)}},
      {a_, Frontier(2), Frontier(4), Frontier(1), {At("k", "2", 2, 1)}}};
  STASH_ASSERT_OK(s_.append(batches));
  EXPECT_EQ(test::State(s_, a_), "since {1} upper {4} iter [((k, 1), 1, 1) ((k, 2), 2, 1) ]");
}

TEST_F(Append, LaterEntriesAreCheckedAgainstTheEarlierBatchUpper) {
  const std::vector<AppendBatch> batches = {
      {a_, Frontier(0), Frontier(2), {}, {}},
      {a_, Frontier(2), Frontier(3), {}, {At("k", "v", 1, 1)}}};
  auto appended = s_.append(batches);
  EXPECT_EQ(Code(appended), "frontier_violation");
  EXPECT_THAT(Message(appended), HasSubstr("entry time 1 is less than the current upper frontier {2}"));
}

TEST_F(Append, EntriesBeyondTheNewUpperStayUnsealed) {
  const std::vector<AppendBatch> batches = {
      {a_, Frontier(0), Frontier(2), {}, {At("k", "now", 1, 1), At("k", "later", 7, 1)}}};
  STASH_ASSERT_OK(s_.append(batches));
  EXPECT_EQ(test::PeekOne(s_, a_), test::PeekMap({{"k", "now"}}));
  EXPECT_EQ(Iter(s_, a_), Updates({{"k", "later", 7, 1}, {"k", "now", 1, 1}}));
}

TEST_F(Append, SealAndCompactToEmptyInOneBatch) {
  const std::vector<AppendBatch> batches = {
      {a_, Frontier(0), Frontier::empty(), Frontier::empty(), {At("k", "v", 0, 1)}}};
  STASH_ASSERT_OK(s_.append(batches));
  EXPECT_EQ(Since(s_, a_), Frontier::empty());
  EXPECT_EQ(Upper(s_, a_), Frontier::empty());
}

TEST_F(Append, EmptyCallSucceeds) {
  const std::string before = Both();
  STASH_EXPECT_OK(s_.append(std::vector<AppendBatch>()));
  EXPECT_EQ(Both(), before);
}

TEST_F(Append, WrongLowerFailsTogetherInEitherOrderAndTheCorrectionCommits) {
  STASH_ASSERT_OK(s_.seal(b_, Frontier(1)));
  const std::string before = Both();
  const AppendBatch first = {a_, Frontier(0), Frontier(1), {}, {At("k", "v", 0, 1)}};
  AppendBatch second = {b_, Frontier(0), Frontier(2), {}, {At("x", "y", 1, 1)}};
  for (const auto& batches : {std::vector{first, second}, std::vector{second, first}}) {
    EXPECT_THAT(Message(s_.append(batches)), HasSubstr("unexpected lower {0}"));
    EXPECT_EQ(Both(), before);
  }
  second.lower = Frontier(1);
  STASH_ASSERT_OK(s_.append(std::vector{second, first}));
  EXPECT_EQ(Both(),
            "since {0} upper {1} iter [((k, v), 0, 1) ]"
            " | since {0} upper {2} iter [((x, y), 1, 1) ]");
}

}  // namespace
}  // namespace stash
