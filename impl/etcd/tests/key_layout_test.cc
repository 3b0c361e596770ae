#include "key_layout.h"

#include <gtest/gtest.h>

namespace stash::etcd {
namespace {

using namespace std::string_literals;

TEST(PrefixEnd, IncrementsTheLastByteThatCan) {
  EXPECT_EQ(prefix_end("/stash/"), "/stash0");
  EXPECT_EQ(prefix_end("a\xff"s), "b");
  EXPECT_EQ(prefix_end("a\xff\xff"s), "b");
  EXPECT_EQ(prefix_end("\xff\xff"s), "\0"s);  // no end: etcd's "to the end"
  EXPECT_EQ(prefix_end(""), "\0"s);
  EXPECT_EQ(prefix_end("a\0"s), "a\x01"s);
}

}  // namespace
}  // namespace stash::etcd
