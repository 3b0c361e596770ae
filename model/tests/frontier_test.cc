// The frontier order and the names of the error codes (docs/spec.md,
// "Timestamps and frontiers", "Errors").
#include <gtest/gtest.h>

#include <limits>
#include <sstream>
#include <vector>

#include "stash/error.h"
#include "stash/frontier.h"

namespace stash {
namespace {

constexpr Timestamp kMin = std::numeric_limits<Timestamp>::min();
constexpr Timestamp kMax = std::numeric_limits<Timestamp>::max();

// Times that exercise both ends of int64 and the neighbourhood of zero.
const std::vector<Timestamp> kTimes = {kMin, kMin + 1, -1, 0, 1, 3, kMax - 1, kMax};

std::string Printed(const Frontier& f) {
  std::ostringstream out;
  out << f;
  return out.str();
}

TEST(Frontier, FiniteFrontiersCompareLikeTheirElements) {
  for (Timestamp a : kTimes) {
    for (Timestamp b : kTimes) {
      EXPECT_EQ(Frontier(a) <= Frontier(b), a <= b) << a << " vs " << b;
      EXPECT_EQ(Frontier(a) < Frontier(b), a < b) << a << " vs " << b;
      EXPECT_EQ(Frontier(a) == Frontier(b), a == b) << a << " vs " << b;
    }
  }
}

TEST(Frontier, EveryFiniteFrontierIsBelowEmpty) {
  for (Timestamp a : kTimes) {
    EXPECT_TRUE(Frontier(a) <= Frontier::empty()) << a;
    EXPECT_TRUE(Frontier(a) < Frontier::empty()) << a;
  }
}

TEST(Frontier, EmptyIsBelowNoFiniteFrontier) {
  for (Timestamp b : kTimes) {
    EXPECT_FALSE(Frontier::empty() <= Frontier(b)) << b;
    EXPECT_FALSE(Frontier::empty() < Frontier(b)) << b;
  }
}

TEST(Frontier, EmptyIsBelowOrEqualToItselfButNotStrictlyBelow) {
  EXPECT_TRUE(Frontier::empty() <= Frontier::empty());
  EXPECT_TRUE(Frontier::empty() == Frontier::empty());
  EXPECT_FALSE(Frontier::empty() < Frontier::empty());
}

TEST(Frontier, LessIsStrict) {
  EXPECT_FALSE(Frontier(3) < Frontier(3));
  EXPECT_TRUE(Frontier(3) <= Frontier(3));
  EXPECT_TRUE(Frontier(2) < Frontier(3));
  EXPECT_FALSE(Frontier(3) < Frontier(2));
}

TEST(Frontier, LessEqualTimeMeansTheTimeIsAtOrBeyondTheFrontier) {
  for (Timestamp f : kTimes) {
    for (Timestamp t : kTimes) {
      EXPECT_EQ(Frontier(f).less_equal(t), f <= t) << "{" << f << "} vs " << t;
    }
  }
}

TEST(Frontier, EmptyIsLessEqualToNoTimeAtAll) {
  for (Timestamp t : kTimes) EXPECT_FALSE(Frontier::empty().less_equal(t)) << t;
  EXPECT_FALSE(Frontier::empty().less_equal(kMax));
}

TEST(Frontier, PrintsAsBracesAroundItsElement) {
  EXPECT_EQ(Frontier(3).to_string(), "{3}");
  EXPECT_EQ(Frontier::empty().to_string(), "{}");
  EXPECT_EQ(Frontier(kMin).to_string(), "{-9223372036854775808}");
  EXPECT_EQ(Frontier(kMax).to_string(), "{9223372036854775807}");
  EXPECT_EQ(Printed(Frontier(3)), "{3}");
  EXPECT_EQ(Printed(Frontier::empty()), "{}");
}

TEST(Frontier, DefaultConstructedIsZero) {
  EXPECT_EQ(Frontier(), Frontier(0));
  EXPECT_EQ(Frontier().to_string(), "{0}");
}

TEST(Frontier, AtBuildsTheSameFrontierAsTheConstructor) {
  EXPECT_EQ(Frontier::at(7), Frontier(7));
}

TEST(Frontier, ElementIsTheSingleTimeOrNothing) {
  EXPECT_EQ(Frontier(5).element(), std::optional<Timestamp>(5));
  EXPECT_EQ(Frontier::empty().element(), std::nullopt);
  EXPECT_TRUE(Frontier::empty().is_empty());
  EXPECT_FALSE(Frontier(kMax).is_empty());
}

// Bug: operator<=> compared "is finite" instead of "is empty", so {} sorted
// below every finite frontier: seal({}) was refused as a regression and
// compact({}) as "less than the current since", and every finite seal after
// {} would have passed.
TEST(FrontierRegression, EmptyWasOrderedBelowEveryFiniteFrontier) {
  EXPECT_EQ(Frontier::empty() <=> Frontier(0), std::strong_ordering::greater);
  EXPECT_EQ(Frontier(kMax) <=> Frontier::empty(), std::strong_ordering::less);
  EXPECT_EQ(Frontier::empty() <=> Frontier::empty(), std::strong_ordering::equal);
  EXPECT_GT(Frontier::empty(), Frontier(kMax));
}

TEST(ErrorCodeNames, AreStableLowercaseWords) {
  EXPECT_EQ(to_string(ErrorCode::kInvalidArgument), "invalid_argument");
  EXPECT_EQ(to_string(ErrorCode::kNotFound), "not_found");
  EXPECT_EQ(to_string(ErrorCode::kFrontierViolation), "frontier_violation");
  EXPECT_EQ(to_string(ErrorCode::kMultiplicity), "multiplicity");
  EXPECT_EQ(to_string(ErrorCode::kOutOfRange), "out_of_range");
  EXPECT_EQ(to_string(ErrorCode::kFenced), "fenced");
  EXPECT_EQ(to_string(ErrorCode::kCorruption), "corruption");
  EXPECT_EQ(to_string(ErrorCode::kUnavailable), "unavailable");
  EXPECT_EQ(to_string(ErrorCode::kOutcomeUnknown), "outcome_unknown");
  EXPECT_EQ(to_string(ErrorCode::kIoError), "io_error");
  EXPECT_EQ(to_string(ErrorCode::kInternal), "internal");
}

TEST(ErrorCodeNames, ErrorPrintsCodeThenMessage) {
  const Error error(ErrorCode::kFrontierViolation, "seal request {2} is less");
  EXPECT_EQ(error.to_string(), "frontier_violation: seal request {2} is less");
  std::ostringstream out;
  out << error << " / " << ErrorCode::kNotFound;
  EXPECT_EQ(out.str(), "frontier_violation: seal request {2} is less / not_found");
}

TEST(ErrorCodeNames, ErrorsAreEqualWhenCodeAndMessageAre) {
  EXPECT_EQ(Error(ErrorCode::kFenced, "x"), Error(ErrorCode::kFenced, "x"));
  EXPECT_NE(Error(ErrorCode::kFenced, "x"), Error(ErrorCode::kInternal, "x"));
  EXPECT_NE(Error(ErrorCode::kFenced, "x"), Error(ErrorCode::kFenced, "y"));
}

}  // namespace
}  // namespace stash
