// Every documented error of a single in-memory stash: the exact code, and a
// message carrying the same facts as the original's (docs/spec.md, "Errors").
// Then: unknown handles, non-UTF-8 names, and "a failed call changes nothing".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stash/memory_stash.h"
#include "stash/rules.h"
#include "stash_test_util.h"

namespace stash {
namespace {

using test::Code;
using test::Message;
using test::State;
using ::testing::HasSubstr;

// A fresh stash with one collection, "c", at since {0} and upper {upper}.
class ErrorsTest : public ::testing::Test {
 protected:
  void SealTo(Frontier upper) { STASH_ASSERT_OK(s_.seal(c_, upper)); }
  std::string Id() const { return std::to_string(c_.id); }

  MemoryStash s_;
  CollectionHandle c_ = test::Collection(s_, "c");
};

// --- update ----------------------------------------------------------------

// Result compares as std::expected does, with values, with unexpected
// errors and with other Results, and its comparison operators stay out of
// unrelated comparisons that ADL brings them into (map iterators over
// Results once sent g++ 12 into a constraint loop).
TEST(ResultCompare, ComparesLikeExpected) {
  Result<int> five = 5;
  EXPECT_TRUE(five == 5);
  EXPECT_FALSE(five == 6);
  EXPECT_TRUE(five == Result<int>(5));
  Result<int> missing = fail(ErrorCode::kNotFound, "no such thing");
  EXPECT_TRUE(missing == fail(ErrorCode::kNotFound, "no such thing"));
  EXPECT_FALSE(missing == 5);
  Status failed = fail(ErrorCode::kIoError, "disk");
  EXPECT_FALSE(failed == Status());
  EXPECT_TRUE(failed == fail(ErrorCode::kIoError, "disk"));
  Result<std::optional<Bytes>> none = std::optional<Bytes>();
  EXPECT_TRUE(none == std::nullopt);
  std::map<Bytes, Result<std::optional<Bytes>>> by_key;
  by_key.emplace("k", none);
  EXPECT_TRUE(by_key.find("k") != by_key.end());
  EXPECT_TRUE(by_key.find("j") == by_key.end());
}

TEST_F(ErrorsTest, UpdateBeforeUpperIsAFrontierViolation) {
  SealTo(Frontier(3));
  auto updated = s_.update(c_, "k", "v", 2, 1);
  EXPECT_EQ(Code(updated), "frontier_violation");
  EXPECT_THAT(Message(updated),
              HasSubstr("entry time 2 is less than the current upper frontier {3}"));
}

TEST_F(ErrorsTest, UpdateManyReportsTheFirstEntryBeforeUpper) {
  SealTo(Frontier(3));
  const test::Updates entries = {test::At("a", "1", 3, 1), test::At("b", "1", 1, 1)};
  auto updated = s_.update_many(c_, entries);
  EXPECT_EQ(Code(updated), "frontier_violation");
  EXPECT_THAT(Message(updated),
              HasSubstr("entry time 1 is less than the current upper frontier {3}"));
}

TEST_F(ErrorsTest, UpdateAfterSealingToEmptyIsAFrontierViolation) {
  SealTo(Frontier::empty());
  auto updated = s_.update(c_, "k", "v", 0, 1);
  EXPECT_EQ(Code(updated), "frontier_violation");
  EXPECT_THAT(Message(updated),
              HasSubstr("entry time 0 is less than the current upper frontier {}"));
}

// --- seal ------------------------------------------------------------------

TEST_F(ErrorsTest, SealRegressionIsAFrontierViolation) {
  SealTo(Frontier(3));
  auto sealed = s_.seal(c_, Frontier(2));
  EXPECT_EQ(Code(sealed), "frontier_violation");
  EXPECT_THAT(Message(sealed),
              HasSubstr("seal request {2} is less than the current upper frontier {3}"));
}

TEST_F(ErrorsTest, FiniteSealAfterSealingToEmptyIsARegression) {
  SealTo(Frontier::empty());
  auto sealed = s_.seal(c_, Frontier(5));
  EXPECT_EQ(Code(sealed), "frontier_violation");
  EXPECT_THAT(Message(sealed),
              HasSubstr("seal request {5} is less than the current upper frontier {}"));
}

TEST_F(ErrorsTest, SealToTheCurrentUpperIsANoOpSuccess) {
  SealTo(Frontier(3));
  STASH_EXPECT_OK(s_.seal(c_, Frontier(3)));
  SealTo(Frontier::empty());
  STASH_EXPECT_OK(s_.seal(c_, Frontier::empty()));
}

// --- compact ---------------------------------------------------------------

TEST_F(ErrorsTest, CompactBeyondUpperIsAFrontierViolation) {
  SealTo(Frontier(3));
  auto compacted = s_.compact(c_, Frontier(4));
  EXPECT_EQ(Code(compacted), "frontier_violation");
  EXPECT_THAT(Message(compacted),
              HasSubstr("compact request {4} is greater than the current upper frontier {3}"));
}

TEST_F(ErrorsTest, CompactToEmptyBeforeUpperIsEmptyIsBeyondUpper) {
  SealTo(Frontier(3));
  auto compacted = s_.compact(c_, Frontier::empty());
  EXPECT_EQ(Code(compacted), "frontier_violation");
  EXPECT_THAT(Message(compacted),
              HasSubstr("compact request {} is greater than the current upper frontier {3}"));
}

TEST_F(ErrorsTest, CompactRegressionIsAFrontierViolation) {
  SealTo(Frontier(5));
  STASH_ASSERT_OK(s_.compact(c_, Frontier(3)));
  auto compacted = s_.compact(c_, Frontier(2));
  EXPECT_EQ(Code(compacted), "frontier_violation");
  EXPECT_THAT(Message(compacted),
              HasSubstr("compact request {2} is less than the current since frontier {3}"));
}

// A collection always has since <= upper (INV-2), so no request can be both
// beyond upper and before since; the order is pinned on the shared rule that
// every backend calls.
TEST(CompactRule, BeyondUpperIsCheckedBeforeRegression) {
  auto checked = rules::check_compact(Frontier(5), Frontier(3), Frontier(4));
  EXPECT_EQ(Code(checked), "frontier_violation");
  EXPECT_THAT(Message(checked),
              HasSubstr("compact request {4} is greater than the current upper frontier {3}"));
}

// --- reads -----------------------------------------------------------------

TEST_F(ErrorsTest, IterWithEmptySinceIsAFrontierViolation) {
  SealTo(Frontier::empty());
  STASH_ASSERT_OK(s_.compact(c_, Frontier::empty()));
  auto rows = s_.iter(c_);
  EXPECT_EQ(Code(rows), "frontier_violation");
  EXPECT_THAT(Message(rows), HasSubstr("cannot iterate collection with empty since frontier"));
}

TEST_F(ErrorsTest, IterKeyWithEmptySinceIsAFrontierViolation) {
  SealTo(Frontier::empty());
  STASH_ASSERT_OK(s_.compact(c_, Frontier::empty()));
  auto rows = s_.iter_key(c_, "k");
  EXPECT_EQ(Code(rows), "frontier_violation");
  EXPECT_THAT(Message(rows), HasSubstr("cannot iterate collection with empty since frontier"));
}

TEST_F(ErrorsTest, PeekTimestampOfAFreshCollectionIsAFrontierViolation) {
  auto ts = s_.peek_timestamp(c_);
  EXPECT_EQ(Code(ts), "frontier_violation");
  EXPECT_THAT(Message(ts), HasSubstr("collection " + Id() + " since {0} is not less than upper {0}"));
}

TEST_F(ErrorsTest, PeekTimestampAfterCompactingUpToUpperIsAFrontierViolation) {
  SealTo(Frontier(3));
  STASH_ASSERT_OK(s_.compact(c_, Frontier(3)));
  auto ts = s_.peek_timestamp(c_);
  EXPECT_EQ(Code(ts), "frontier_violation");
  EXPECT_THAT(Message(ts), HasSubstr("collection " + Id() + " since {3} is not less than upper {3}"));
}

TEST_F(ErrorsTest, PeekTimestampWithEmptySinceAndUpperIsAFrontierViolation) {
  SealTo(Frontier::empty());
  STASH_ASSERT_OK(s_.compact(c_, Frontier::empty()));
  auto ts = s_.peek_timestamp(c_);
  EXPECT_EQ(Code(ts), "frontier_violation");
  EXPECT_THAT(Message(ts), HasSubstr("collection " + Id() + " since {} is not less than upper {}"));
}

TEST_F(ErrorsTest, EveryPeekFailsLikePeekTimestampWhenUpperIsNotBeyondSince) {
  const std::string expected = "collection " + Id() + " since {0} is not less than upper {0}";
  EXPECT_EQ(Code(s_.peek(c_)), "frontier_violation");
  EXPECT_THAT(Message(s_.peek(c_)), HasSubstr(expected));
  EXPECT_EQ(Code(s_.peek_one(c_)), "frontier_violation");
  EXPECT_THAT(Message(s_.peek_one(c_)), HasSubstr(expected));
  EXPECT_EQ(Code(s_.peek_key_one(c_, "k")), "frontier_violation");
  EXPECT_THAT(Message(s_.peek_key_one(c_, "k")), HasSubstr(expected));
}

TEST_F(ErrorsTest, PeekOneWithMultiplicityTwoIsAMultiplicityError) {
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 0, 2));
  SealTo(Frontier(1));
  auto peeked = s_.peek_one(c_);
  EXPECT_EQ(Code(peeked), "multiplicity");
  EXPECT_THAT(Message(peeked), HasSubstr("unexpected peek multiplicity"));
}

TEST_F(ErrorsTest, PeekOneWithNegativeMultiplicityIsAMultiplicityError) {
  STASH_ASSERT_OK(s_.update(c_, "k", "v", 0, -1));
  SealTo(Frontier(1));
  auto peeked = s_.peek_one(c_);
  EXPECT_EQ(Code(peeked), "multiplicity");
  EXPECT_THAT(Message(peeked), HasSubstr("unexpected peek multiplicity"));
}

TEST_F(ErrorsTest, PeekOneWithTwoValuesForAKeyIsADuplicateKeyError) {
  STASH_ASSERT_OK(s_.update(c_, "k", "a", 0, 1));
  STASH_ASSERT_OK(s_.update(c_, "k", "b", 0, 1));
  SealTo(Frontier(1));
  auto peeked = s_.peek_one(c_);
  EXPECT_EQ(Code(peeked), "multiplicity");
  EXPECT_THAT(Message(peeked), HasSubstr("duplicate peek keys for collection " + Id()));
}

TEST_F(ErrorsTest, PeekKeyOneWithTwoValuesIsAMultiplicityError) {
  STASH_ASSERT_OK(s_.update(c_, "k", "a", 0, 1));
  STASH_ASSERT_OK(s_.update(c_, "k", "b", 0, 1));
  SealTo(Frontier(1));
  auto peeked = s_.peek_key_one(c_, "k");
  EXPECT_EQ(Code(peeked), "multiplicity");
  EXPECT_THAT(Message(peeked), HasSubstr("multiple values unexpected"));
}

TEST_F(ErrorsTest, PeekKeyOneWithDiffOtherThanOneIsAMultiplicityError) {
  STASH_ASSERT_OK(s_.update(c_, "two", "v", 0, 2));
  STASH_ASSERT_OK(s_.update(c_, "minus", "v", 0, -1));
  SealTo(Frontier(1));
  EXPECT_EQ(Code(s_.peek_key_one(c_, "two")), "multiplicity");
  EXPECT_THAT(Message(s_.peek_key_one(c_, "two")), HasSubstr("multiple values unexpected"));
  EXPECT_EQ(Code(s_.peek_key_one(c_, "minus")), "multiplicity");
  EXPECT_THAT(Message(s_.peek_key_one(c_, "minus")), HasSubstr("multiple values unexpected"));
}

// --- append ----------------------------------------------------------------

TEST_F(ErrorsTest, AppendWithALowerOtherThanUpperIsAFrontierViolation) {
  SealTo(Frontier(2));
  const std::vector<AppendBatch> batches = {{c_, Frontier(1), Frontier(3), {}, {}}};
  auto appended = s_.append(batches);
  EXPECT_EQ(Code(appended), "frontier_violation");
  EXPECT_THAT(Message(appended), HasSubstr("unexpected lower {1}"));
  EXPECT_THAT(Message(appended), HasSubstr("current upper frontier is {2}"));
}

TEST_F(ErrorsTest, AppendReportsEntrySealAndCompactFailuresLikeTheSingleCalls) {
  SealTo(Frontier(2));
  const std::vector<AppendBatch> early_entry = {
      {c_, Frontier(2), Frontier(3), {}, {test::At("k", "v", 1, 1)}}};
  EXPECT_THAT(Message(s_.append(early_entry)),
              HasSubstr("entry time 1 is less than the current upper frontier {2}"));
  const std::vector<AppendBatch> regressing = {{c_, Frontier(2), Frontier(1), {}, {}}};
  EXPECT_THAT(Message(s_.append(regressing)),
              HasSubstr("seal request {1} is less than the current upper frontier {2}"));
  const std::vector<AppendBatch> overcompacting = {
      {c_, Frontier(2), Frontier(3), Frontier(4), {}}};
  EXPECT_THAT(Message(s_.append(overcompacting)),
              HasSubstr("compact request {4} is greater than the current upper frontier {3}"));
  EXPECT_EQ(Code(s_.append(overcompacting)), "frontier_violation");
}

// --- unknown handles --------------------------------------------------------

// One call of every operation on a handle, reduced to its error code.
using Call = std::function<std::string(Stash&, CollectionHandle)>;

std::vector<std::pair<std::string, Call>> EveryOperation() {
  const test::Updates none;
  return {
      {"iter", [](Stash& s, CollectionHandle c) { return Code(s.iter(c)); }},
      {"iter_key", [](Stash& s, CollectionHandle c) { return Code(s.iter_key(c, "k")); }},
      {"update_many", [=](Stash& s, CollectionHandle c) { return Code(s.update_many(c, none)); }},
      {"update", [](Stash& s, CollectionHandle c) { return Code(s.update(c, "k", "v", 5, 1)); }},
      {"seal", [](Stash& s, CollectionHandle c) { return Code(s.seal(c, Frontier(5))); }},
      {"compact", [](Stash& s, CollectionHandle c) { return Code(s.compact(c, Frontier(0))); }},
      {"consolidate", [](Stash& s, CollectionHandle c) { return Code(s.consolidate(c)); }},
      {"since", [](Stash& s, CollectionHandle c) { return Code(s.since(c)); }},
      {"upper", [](Stash& s, CollectionHandle c) { return Code(s.upper(c)); }},
      {"append", [](Stash& s, CollectionHandle c) {
         const std::vector<AppendBatch> batches = {{c, Frontier(0), Frontier(1), {}, {}}};
         return Code(s.append(batches));
       }},
      {"peek_timestamp", [](Stash& s, CollectionHandle c) { return Code(s.peek_timestamp(c)); }},
      {"peek", [](Stash& s, CollectionHandle c) { return Code(s.peek(c)); }},
      {"peek_one", [](Stash& s, CollectionHandle c) { return Code(s.peek_one(c)); }},
      {"peek_key_one", [](Stash& s, CollectionHandle c) { return Code(s.peek_key_one(c, "k")); }},
      {"seal_batch", [](Stash& s, CollectionHandle c) {
         const std::vector<FrontierRequest> seals = {{c, Frontier(5)}};
         return Code(s.seal_batch(seals));
       }},
      {"compact_batch", [](Stash& s, CollectionHandle c) {
         const std::vector<FrontierRequest> compactions = {{c, Frontier(0)}};
         return Code(s.compact_batch(compactions));
       }},
      {"consolidate_batch", [](Stash& s, CollectionHandle c) {
         const std::vector<CollectionHandle> collections = {c};
         return Code(s.consolidate_batch(collections));
       }},
  };
}

TEST(UnknownCollection, EveryOperationReportsNotFound) {
  MemoryStash s;
  test::Collection(s, "known");  // id 1 exists; the handles below do not.
  const std::vector<CollectionHandle> unknown = {
      {0}, {-1}, {2}, {std::numeric_limits<std::int64_t>::max()},
      {std::numeric_limits<std::int64_t>::min()}};
  for (const auto& [name, call] : EveryOperation()) {
    for (CollectionHandle c : unknown) EXPECT_EQ(call(s, c), "not_found") << name << " " << c;
  }
}

TEST(UnknownCollection, MessageNamesTheId) {
  MemoryStash s;
  EXPECT_THAT(Message(s.upper(CollectionHandle{42})), HasSubstr("42"));
}

TEST(UnknownCollection, HandleFromAnotherStashIsNotFound) {
  MemoryStash other;
  test::Collection(other, "a");
  const CollectionHandle b = test::Collection(other, "b");
  MemoryStash s;
  test::Collection(s, "a");
  EXPECT_EQ(Code(s.upper(b)), "not_found");
}

TEST(UnknownCollection, BatchWithOneUnknownHandleAppliesNothing) {
  MemoryStash s;
  const CollectionHandle c = test::Collection(s, "c");
  const CollectionHandle unknown{99};
  const std::vector<FrontierRequest> seals = {{c, Frontier(5)}, {unknown, Frontier(5)}};
  EXPECT_EQ(Code(s.seal_batch(seals)), "not_found");
  const std::vector<AppendBatch> batches = {
      {c, Frontier(0), Frontier(5), {}, {test::At("k", "v", 0, 1)}},
      {unknown, Frontier(0), Frontier(5), {}, {}}};
  EXPECT_EQ(Code(s.append(batches)), "not_found");
  EXPECT_EQ(State(s, c), "since {0} upper {0} iter []");
}

// --- collection names ------------------------------------------------------

TEST(CollectionName, NonUtf8NamesAreInvalidArguments) {
  MemoryStash s;
  const std::vector<std::string> malformed = {
      "\xff",              // never valid in UTF-8
      "abc\x80",           // stray continuation byte
      "\xc0\x80",          // overlong encoding of U+0000
      "\xe0\x80\xaf",      // overlong encoding of '/'
      "\xed\xa0\x80",      // UTF-16 surrogate U+D800
      "\xf4\x90\x80\x80",  // past U+10FFFF
      "\xe2\x82",          // truncated sequence
      "\xf8\x88\x80\x80\x80",  // five-byte form
  };
  for (const std::string& name : malformed) {
    auto c = s.collection(name);
    EXPECT_EQ(Code(c), "invalid_argument") << test::Outcome(c);
    EXPECT_THAT(Message(c), HasSubstr("UTF-8"));
  }
}

TEST(CollectionName, AnyUtf8StringIsAName) {
  MemoryStash s;
  const std::vector<std::string> names = {
      "", "orders", "na\xc3\xafve", "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x98\x80",
      std::string("a\0b", 3), "\xf4\x8f\xbf\xbf", "'; DROP TABLE collections; --"};
  std::vector<CollectionHandle> handles;
  handles.reserve(names.size());
  for (const std::string& name : names) handles.push_back(test::Collection(s, name));
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(test::Collection(s, names[i]), handles[i]) << "same name, same collection";
    for (std::size_t j = 0; j < i; ++j) EXPECT_NE(handles[i], handles[j]);
  }
}

}  // namespace
}  // namespace stash
