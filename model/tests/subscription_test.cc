// Subscriptions on MemoryStash pinned to subscription.h: what the snapshot
// holds (as_of vs since and upper), one batch per advance of upper, the
// catch-up after compaction overtakes a subscriber, the end at upper {}, and
// a seal in another thread waking a blocked next().
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "stash/memory_stash.h"

namespace stash {
namespace {

using std::chrono::milliseconds;

// The batch next() has now, or a test failure.
SubscriptionBatch ready(Subscription& sub) {
  auto batch = sub.next(milliseconds(0));
  EXPECT_TRUE(batch) << batch.error();
  EXPECT_TRUE(batch && *batch) << "no batch was ready";
  return batch && *batch ? **batch : SubscriptionBatch{};
}

void expect_nothing_ready(Subscription& sub) {
  auto batch = sub.next(milliseconds(0));
  ASSERT_TRUE(batch) << batch.error();
  EXPECT_FALSE(*batch) << "unexpected batch with upper " << (*batch)->upper;
}

class SubscriptionTest : public ::testing::Test {
 protected:
  void SetUp() override { c_ = *stash_.collection("c"); }
  MemoryStash stash_;
  CollectionHandle c_;
};

TEST_F(SubscriptionTest, SnapshotWaitsForAsOfToBeSealedThenHoldsContentsAtAsOf) {
  ASSERT_TRUE(stash_.update_many(c_, std::vector<Update>{{"a", "1", 1, 1}, {"a", "1", 3, 1},
                                                          {"b", "2", 4, 1}, {"a", "1", 2, -1}}));
  auto sub = stash_.subscribe(c_, 3);
  ASSERT_TRUE(sub) << sub.error();
  ASSERT_TRUE(stash_.seal(c_, Frontier::at(3)));
  expect_nothing_ready(**sub);  // as_of 3 is not sealed yet
  ASSERT_TRUE(stash_.seal(c_, Frontier::at(6)));
  const SubscriptionBatch snapshot = ready(**sub);
  EXPECT_TRUE(snapshot.snapshot);
  EXPECT_EQ(snapshot.upper, Frontier::at(4));
  EXPECT_EQ(snapshot.updates, (std::vector<Update>{{"a", "1", 3, 1}}));  // 1 - 1 + 1
  const SubscriptionBatch rest = ready(**sub);
  EXPECT_FALSE(rest.snapshot);
  EXPECT_EQ(rest.upper, Frontier::at(6));
  EXPECT_EQ(rest.updates, (std::vector<Update>{{"b", "2", 4, 1}}));
  expect_nothing_ready(**sub);
}

TEST_F(SubscriptionTest, EachSealDeliversTheTimesItSealed) {
  auto sub = stash_.subscribe(c_, 0);
  ASSERT_TRUE(sub);
  ASSERT_TRUE(stash_.seal(c_, Frontier::at(1)));
  EXPECT_EQ(ready(**sub).updates, std::vector<Update>{});
  ASSERT_TRUE(stash_.update(c_, "k", "v", 2, 1));
  ASSERT_TRUE(stash_.update(c_, "k", "w", 7, 1));  // unsealed: not delivered
  ASSERT_TRUE(stash_.seal(c_, Frontier::at(5)));
  const SubscriptionBatch b = ready(**sub);
  EXPECT_EQ(b.upper, Frontier::at(5));
  EXPECT_EQ(b.updates, (std::vector<Update>{{"k", "v", 2, 1}}));
  ASSERT_TRUE(stash_.seal(c_, Frontier::empty()));
  const SubscriptionBatch last = ready(**sub);
  EXPECT_TRUE(last.upper.is_empty());
  EXPECT_EQ(last.updates, (std::vector<Update>{{"k", "w", 7, 1}}));
  expect_nothing_ready(**sub);
}

TEST_F(SubscriptionTest, AsOfBeforeSinceIsAFrontierViolationNamingBoth) {
  ASSERT_TRUE(stash_.seal(c_, Frontier::at(9)));
  ASSERT_TRUE(stash_.compact(c_, Frontier::at(4)));
  auto sub = stash_.subscribe(c_, 3);
  ASSERT_FALSE(sub);
  EXPECT_EQ(sub.error().code(), ErrorCode::kFrontierViolation);
  EXPECT_NE(sub.error().message().find("as of 3"), std::string::npos) << sub.error();
  EXPECT_NE(sub.error().message().find("{4}"), std::string::npos) << sub.error();
  EXPECT_TRUE(stash_.subscribe(c_, 4));
}

TEST_F(SubscriptionTest, CompactionOvertakingASubscriberYieldsACatchUpAtSince) {
  ASSERT_TRUE(stash_.update(c_, "a", "1", 0, 1));
  auto sub = stash_.subscribe(c_, 0);
  ASSERT_TRUE(stash_.seal(c_, Frontier::at(1)));
  EXPECT_EQ(ready(**sub).updates, (std::vector<Update>{{"a", "1", 0, 1}}));
  // Behind the subscriber's back: a retraction, an insertion, and compaction
  // past everything it has delivered.
  ASSERT_TRUE(stash_.update_many(c_, std::vector<Update>{{"a", "1", 2, -1}, {"b", "1", 3, 1},
                                                          {"c", "1", 6, 1}}));
  ASSERT_TRUE(stash_.seal(c_, Frontier::at(8)));
  ASSERT_TRUE(stash_.compact(c_, Frontier::at(4)));
  const SubscriptionBatch catch_up = ready(**sub);
  EXPECT_TRUE(catch_up.snapshot);
  EXPECT_EQ(catch_up.upper, Frontier::at(5));
  EXPECT_EQ(catch_up.updates, (std::vector<Update>{{"a", "1", 4, -1}, {"b", "1", 4, 1}}));
  const SubscriptionBatch rest = ready(**sub);
  EXPECT_EQ(rest.upper, Frontier::at(8));
  EXPECT_EQ(rest.updates, (std::vector<Update>{{"c", "1", 6, 1}}));
}

TEST_F(SubscriptionTest, ASealInAnotherThreadWakesABlockedNext) {
  auto sub = stash_.subscribe(c_, 0);
  ASSERT_TRUE(sub);
  std::thread sealer([&] {
    ASSERT_TRUE(stash_.update(c_, "k", "v", 0, 1));
    ASSERT_TRUE(stash_.seal(c_, Frontier::at(1)));
  });
  auto batch = (*sub)->next(std::chrono::seconds(60));
  sealer.join();
  ASSERT_TRUE(batch) << batch.error();
  ASSERT_TRUE(*batch);
  EXPECT_EQ((*batch)->updates, (std::vector<Update>{{"k", "v", 0, 1}}));
}

TEST_F(SubscriptionTest, CancelFromAnotherThreadEndsABlockedNext) {
  auto sub = stash_.subscribe(c_, 0);
  ASSERT_TRUE(sub);
  std::thread canceller([&] { (*sub)->cancel(); });
  auto batch = (*sub)->next(std::chrono::seconds(60));
  canceller.join();
  ASSERT_TRUE(batch) << batch.error();
  EXPECT_FALSE(*batch);
  EXPECT_TRUE((*sub)->cancelled());
}

}  // namespace
}  // namespace stash
