// The checks every whole-collection scan makes as it reads rows
// (ordered_scan.h): rows strictly in (key, value) order, compared with the
// previous row the scan still holds, and at the end the count and digest of
// the collection row. A scan cannot be made to return rows out of order
// without damaging a B-tree page, so the order check is exercised here
// directly.
#include <gtest/gtest.h>

#include "ordered_scan.h"
#include "sqlite_stash_impl.h"

namespace stash::sqlite {
namespace {

PairRows row(std::string key, std::string value) {
  PairRows p;
  p.key = std::move(key);
  p.value = std::move(value);
  return p;
}

TEST(ScanChecks, RowsInOrderWithTheCountedDigestPass) {
  CollectionRow collection;
  collection.id = 3;
  collection.rows = 3;
  collection.digest = digest_term(7) + digest_term(-1) + digest_term(9);
  ScanChecks checks(collection);
  const PairRows none;
  ASSERT_TRUE(checks.next("a", "x", none, 7));
  ASSERT_TRUE(checks.next("a", "y", row("a", "x"), -1));
  ASSERT_TRUE(checks.next("ab", "", row("a", "y"), 9));
  EXPECT_TRUE(checks.finish());
}

TEST(ScanChecks, ARowNotAfterThePreviousIsCorruption) {
  CollectionRow collection;
  collection.id = 3;
  for (const auto& [key, value] :
       {std::pair{"a", "x"} /* equal */, {"a", "w"} /* value back */, {"", "z"} /* key back */}) {
    ScanChecks checks(collection);
    ASSERT_TRUE(checks.next("a", "x", PairRows{}, 1));
    auto ok = checks.next(key, value, row("a", "x"), 2);
    ASSERT_FALSE(ok) << key << "/" << value;
    EXPECT_EQ(ok.error().code(), ErrorCode::kCorruption);
    EXPECT_NE(ok.error().message().find("out of order"), std::string::npos);
  }
}

TEST(ScanChecks, AMissingOrAlteredRowFailsTheFinish) {
  CollectionRow collection;
  collection.id = 3;
  collection.rows = 2;
  collection.digest = digest_term(1) + digest_term(2);
  ScanChecks lost(collection);
  ASSERT_TRUE(lost.next("a", "x", PairRows{}, 1));
  EXPECT_EQ(lost.finish().error().code(), ErrorCode::kCorruption);
  ScanChecks altered(collection);
  ASSERT_TRUE(altered.next("a", "x", PairRows{}, 1));
  ASSERT_TRUE(altered.next("b", "x", row("a", "x"), 3));
  EXPECT_EQ(altered.finish().error().code(), ErrorCode::kCorruption);
}

}  // namespace
}  // namespace stash::sqlite
