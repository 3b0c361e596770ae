// The key layout and record encodings (src/key_layout.h), and the etcd:
// location grammar; no cluster needed.
#include "key_layout.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "stash/etcd_stash.h"

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

TEST(PrefixEnd, BoundsEveryExtensionOfThePrefix) {
  const Keys keys("/p/");
  const std::string log = keys.log(7);
  for (const std::string& tail : {""s, "\0"s, "\xff"s, "\xff\xff\xff"s, "zz"s}) {
    EXPECT_LT(log + tail, prefix_end(log)) << printable(tail);
    EXPECT_GE(log + tail, log);
  }
  EXPECT_GE(keys.log(8), prefix_end(log));  // the next collection's log is outside
}

// Base keys of one collection sort as their user keys do (unsigned bytes),
// NUL, 0xFF and prefixes included, and stay inside the collection's range.
TEST(Keys, BaseKeysPreserveTheOrderOfUserKeys) {
  const Keys keys("/stash/");
  std::vector<Bytes> user = {""s, "\0"s, "\0\0"s, "\x01"s, "a"s, "a\0"s, "a\xff"s, "ab"s,
                             "\x7f"s, "\x80"s, "\xff"s, "\xff\0"s, "\xff\xff"s};
  std::sort(user.begin(), user.end());
  for (std::size_t i = 0; i + 1 < user.size(); ++i) {
    EXPECT_LT(keys.base(3, user[i]), keys.base(3, user[i + 1]))
        << printable(user[i]) << " vs " << printable(user[i + 1]);
  }
  for (const Bytes& k : user) {
    EXPECT_EQ(keys.base_key_of(3, keys.base(3, k)), k);
    EXPECT_LT(keys.base(3, k), prefix_end(keys.base(3)));
    EXPECT_GT(keys.base(4), keys.base(3, k));  // ids are fixed-width: no overlap
  }
  EXPECT_EQ(keys.base_key_of(4, keys.base(3, "a")), std::nullopt);
}

TEST(Keys, NamesSortAsBytesAndCollectionIdsAsNumbers) {
  const Keys keys("/stash/");
  EXPECT_LT(keys.name("Orders"), keys.name("orders"));
  EXPECT_LT(keys.name(""), keys.name("\0"s));
  EXPECT_LT(keys.name("\x7f"), keys.name("\x80"));
  EXPECT_EQ(keys.name_of(keys.name("caf\xC3\xA9")), "caf\xC3\xA9");
  EXPECT_LT(keys.meta(255), keys.meta(256));  // big-endian
  EXPECT_LT(keys.meta(1), keys.meta(std::int64_t{1} << 40));
}

TEST(Records, RoundTrip) {
  const Meta m{Frontier(-5), Frontier::empty()};
  auto back = decode_meta(encode_meta(m));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->since, m.since);
  EXPECT_EQ(back->upper, m.upper);
  const Fence f{7, std::string(16, '\xee'), 42, 6, 41};
  auto fence = decode_fence(encode_fence(f));
  ASSERT_TRUE(fence);
  EXPECT_EQ(fence->epoch, 7);
  EXPECT_EQ(fence->nonce, f.nonce);
  EXPECT_EQ(fence->txn, 42);
  EXPECT_EQ(fence->prev_epoch, 6);
  EXPECT_EQ(fence->prev_txn, 41);
  const std::vector<Update> chunk = {{"k\0"s, ""s, INT64_MIN, INT64_MAX}, {""s, "\xff"s, 3, -1}};
  EXPECT_EQ(decode_chunk(encode_chunk(chunk)), chunk);
  const ExactDiff big = ExactDiff{INT64_MAX} * 3;
  const std::vector<BaseEntry> base = {{"v", big}, {""s, -big}};
  auto entries = decode_base(encode_base(base));
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_TRUE((*entries)[0].value == "v" && (*entries)[0].diff == big);
  EXPECT_TRUE((*entries)[1].value.empty() && (*entries)[1].diff == -big);
}

TEST(Records, TruncatedOrGarbledRecordsDoNotDecode) {
  const std::string chunk = encode_chunk(std::vector<Update>{{"key", "value", 1, 1}});
  EXPECT_EQ(decode_chunk(chunk.substr(0, chunk.size() - 1)), std::nullopt);
  EXPECT_EQ(decode_chunk(chunk + "x"), std::nullopt);
  EXPECT_EQ(decode_meta("\x02"), std::nullopt);
  EXPECT_EQ(decode_fence("short"), std::nullopt);
  EXPECT_EQ(decode_base("\xff\xff\xff\xff"), std::nullopt);
}

TEST(Location, EndpointsPrefixAndOptions) {
  auto o = parse_etcd_location("127.0.0.1:2379,[::1]:22379/app/catalog?max_request_bytes=8388608&max_txn_ops=256");
  ASSERT_TRUE(o) << o.error();
  EXPECT_EQ(o->endpoints, (std::vector<std::string>{"127.0.0.1:2379", "[::1]:22379"}));
  EXPECT_EQ(o->prefix, "/app/catalog/");
  EXPECT_EQ(o->max_request_bytes, 8388608u);
  EXPECT_EQ(o->max_txn_ops, 256);
  auto plain = parse_etcd_location("h:1");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->prefix, "/stash/");
}

TEST(Location, MalformedLocationsAreInvalidArguments) {
  for (const char* bad : {"", "/app", "h:1,", "h:1,,h:2", "h:1?nope=1", "h:1?max_txn_ops=x",
                          "h:1?max_request_bytes=1", "h:1?call_timeout_ms"}) {
    auto o = parse_etcd_location(bad);
    ASSERT_FALSE(o) << bad;
    EXPECT_EQ(o.error().code(), ErrorCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace stash::etcd
