// MemoryStash's own peeks (one streaming pass under its lock) against the
// provided ones of stash.cc, derived from iter/iter_key by rules.h: the same
// value or the same error, code and message, on the cases where the order of
// the checks decides the answer and on random histories.
#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "stash/memory_stash.h"
#include "stash/rules.h"

namespace stash {
namespace {

constexpr Diff kMax = std::numeric_limits<Diff>::max();

// MemoryStash seen through the required operations only, so that every
// provided operation runs stash.cc's version.
class RequiredOnly final : public Stash {
 public:
  explicit RequiredOnly(MemoryStash& inner) : inner_(inner) {}
  Result<std::vector<NamedCollection>> collections() override { return inner_.collections(); }
  Result<CollectionHandle> collection(std::string_view n) override { return inner_.collection(n); }
  Result<std::vector<Update>> iter(CollectionHandle c) override { return inner_.iter(c); }
  Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c, const Bytes& k) override {
    return inner_.iter_key(c, k);
  }
  Status update_many(CollectionHandle c, std::span<const Update> e) override {
    return inner_.update_many(c, e);
  }
  Status seal(CollectionHandle c, Frontier f) override { return inner_.seal(c, f); }
  Status compact(CollectionHandle c, Frontier f) override { return inner_.compact(c, f); }
  Status consolidate(CollectionHandle c) override { return inner_.consolidate(c); }
  Result<Frontier> since(CollectionHandle c) override { return inner_.since(c); }
  Result<Frontier> upper(CollectionHandle c) override { return inner_.upper(c); }
  Status append(std::span<const AppendBatch> b) override { return inner_.append(b); }

 private:
  MemoryStash& inner_;
};

template <typename T>
std::string Outcome(const Result<T>& r) {
  if (r) return "ok";
  return std::string(to_string(r.error().code())) + ": " + r.error().message();
}

// Every peek of `c`, and of `keys`, agrees between the two.
void ExpectSamePeeks(MemoryStash& s, CollectionHandle c, const std::vector<Bytes>& keys) {
  RequiredOnly derived(s);
  EXPECT_EQ(Outcome(s.peek_timestamp(c)), Outcome(derived.peek_timestamp(c)));
  auto peek = s.peek(c);
  auto derived_peek = derived.peek(c);
  ASSERT_EQ(Outcome(peek), Outcome(derived_peek));
  if (peek) {
    EXPECT_EQ(*peek, *derived_peek);
  }
  auto one = s.peek_one(c);
  auto derived_one = derived.peek_one(c);
  ASSERT_EQ(Outcome(one), Outcome(derived_one));
  if (one) {
    EXPECT_EQ(*one, *derived_one);
  }
  for (const Bytes& k : keys) {
    auto key_one = s.peek_key_one(c, k);
    auto derived_key_one = derived.peek_key_one(c, k);
    ASSERT_EQ(Outcome(key_one), Outcome(derived_key_one)) << "key " << k;
    if (key_one) {
      EXPECT_EQ(*key_one, *derived_key_one) << "key " << k;
    }
  }
}

TEST(MemoryPeeks, MultiplicityOfAnEarlierValueWinsOverALaterSealedSumOutOfRange) {
  MemoryStash s;
  const auto c = *s.collection("c");
  // k: value a has sealed sum 2 (multiplicity); value b's two sealed rows each
  // fit but sum beyond int64.
  ASSERT_TRUE(s.update_many(c, std::vector<Update>{{"k", "a", 0, 2}, {"k", "b", 1, kMax},
                                                   {"k", "b", 2, kMax}}));
  ASSERT_TRUE(s.seal(c, Frontier(3)));
  EXPECT_EQ(s.peek_key_one(c, "k").error().code(), ErrorCode::kMultiplicity);
  EXPECT_EQ(s.peek_one(c).error().code(), ErrorCode::kOutOfRange);
  ExpectSamePeeks(s, c, {"k"});
}

TEST(MemoryPeeks, AnUnsealedRowOutOfRangeFailsEveryPeek) {
  MemoryStash s;
  const auto c = *s.collection("c");
  ASSERT_TRUE(s.update_many(c, std::vector<Update>{{"a", "x", 0, 3}, {"z", "y", 9, kMax},
                                                   {"z", "y", 9, kMax}}));
  ASSERT_TRUE(s.seal(c, Frontier(1)));
  EXPECT_EQ(s.peek_one(c).error().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(s.peek_key_one(c, "z").error().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(s.peek_key_one(c, "a").error().code(), ErrorCode::kMultiplicity);
  ExpectSamePeeks(s, c, {"a", "z"});
}

TEST(MemoryPeeks, RowsBeforeSinceMergeBeforeTheyAreChecked) {
  MemoryStash s;
  const auto c = *s.collection("c");
  // Beyond int64 at times 0 and 1, back in range once both read at since 2.
  ASSERT_TRUE(s.update_many(c, std::vector<Update>{{"k", "v", 0, kMax}, {"k", "v", 1, kMax},
                                                   {"k", "v", 2, -kMax}, {"k", "v", 2, -kMax},
                                                   {"k", "v", 2, 1}}));
  ASSERT_TRUE(s.seal(c, Frontier(3)));
  ASSERT_TRUE(s.compact(c, Frontier(2)));
  ExpectSamePeeks(s, c, {"k"});
  EXPECT_EQ(*s.peek_key_one(c, "k"), std::optional<Bytes>("v"));
  ASSERT_TRUE(s.consolidate(c));
  EXPECT_EQ(*s.iter(c), (std::vector<Update>{{"k", "v", 2, 1}}));
  ExpectSamePeeks(s, c, {"k"});
}

TEST(MemoryPeeks, DuplicateKeysAndWrongMultiplicityComeInOrder) {
  MemoryStash s;
  const auto c = *s.collection("c");
  ASSERT_TRUE(s.update_many(c, std::vector<Update>{{"a", "1", 0, 1}, {"a", "2", 0, 1},
                                                   {"b", "1", 0, 2}}));
  ASSERT_TRUE(s.seal(c, Frontier(1)));
  EXPECT_EQ(Outcome(s.peek_one(c)), Outcome(Result<int>(std::unexpected(rules::duplicate_peek_keys(c)))));
  ExpectSamePeeks(s, c, {"a", "b", "missing"});
}

// Random histories over few keys, values and times, with big diffs so that
// sums leave int64, compactions and consolidations in between.
TEST(MemoryPeeks, RandomHistoriesAgreeWithTheDerivedPeeks) {
  std::mt19937_64 rng(20261201);
  const std::vector<Bytes> keys = {"", "a", "b", std::string("a\0", 2)};
  const std::vector<Diff> diffs = {1, 1, 1, -1, 2, kMax, -kMax, std::numeric_limits<Diff>::min()};
  for (int history = 0; history < 300; ++history) {
    MemoryStash s;
    const auto c = *s.collection("c");
    Timestamp upper = 0, since = 0;
    for (int step = 0; step < 12; ++step) {
      switch (rng() % 4) {
        case 0:
        case 1: {
          std::vector<Update> batch;
          for (int i = 0, n = 1 + static_cast<int>(rng() % 3); i < n; ++i) {
            batch.push_back({keys[rng() % keys.size()], std::string(1, "xyz"[rng() % 3]),
                             upper + static_cast<Timestamp>(rng() % 3), diffs[rng() % diffs.size()]});
          }
          ASSERT_TRUE(s.update_many(c, batch));
          break;
        }
        case 2:
          upper += static_cast<Timestamp>(rng() % 3);
          ASSERT_TRUE(s.seal(c, Frontier(upper)));
          break;
        case 3:
          since += static_cast<Timestamp>(rng() % (upper - since + 1));
          ASSERT_TRUE(s.compact(c, Frontier(since)));
          if (rng() % 2) {
            ASSERT_TRUE(s.consolidate(c));
          }
          break;
      }
      ExpectSamePeeks(s, c, keys);
      if (HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace stash
