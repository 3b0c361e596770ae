#include <gtest/gtest.h>

#include "stash/memory_stash.h"

namespace stash {
namespace {

TEST(MemoryStashSmoke, UpdateSealPeek) {
  MemoryStash s;
  auto c = s.collection("orders");
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE(s.update(*c, "widgets", "1", 1, 1));
  ASSERT_TRUE(s.seal(*c, Frontier(2)));
  auto peek = s.peek_one(*c);
  ASSERT_TRUE(peek.has_value()) << peek.error();
  EXPECT_EQ(peek->at("widgets"), "1");
}

}  // namespace
}  // namespace stash
