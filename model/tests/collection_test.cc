// The typed façade of collection.h over MemoryStash: it does what the
// byte-level Stash does, orders by the key and value types' order, and turns
// undecodable stored bytes into kCorruption.
//
// A failing property prints RC_PARAMS="reproduce=..." to replay it.
#include "stash/collection.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "stash/memory_stash.h"

using namespace std::string_literals;

namespace stash {

// Failure messages show typed entries as `((k, v), t, d)`. Declared in
// namespace stash so googletest finds them by argument-dependent lookup.
template <typename K, typename V>
void PrintTo(const TypedUpdate<K, V>& u, std::ostream* os) {
  *os << "((" << ::testing::PrintToString(u.key) << ", " << ::testing::PrintToString(u.value)
      << "), " << u.time << ", " << u.diff << ")";
}

template <typename V>
void PrintTo(const TypedValueUpdate<V>& u, std::ostream* os) {
  *os << "(" << ::testing::PrintToString(u.value) << ", " << u.time << ", " << u.diff << ")";
}

template <typename K, typename V>
void PrintTo(const TypedPeekEntry<K, V>& e, std::ostream* os) {
  *os << "(" << ::testing::PrintToString(e.key) << ", " << ::testing::PrintToString(e.value)
      << ", " << e.diff << ")";
}

namespace {

// "ok", or "<code>: <message>": each assertion on an outcome is one line.
template <typename T>
std::string outcome(const Result<T>& result) {
  return result ? "ok" : result.error().to_string();
}

// The code of a failed result; kInternal if it unexpectedly succeeded.
template <typename T>
ErrorCode code_of(const Result<T>& result) {
  return result ? ErrorCode::kInternal : result.error().code();
}

template <typename K, typename V>
Collection<K, V> open(Stash& stash, std::string_view name) {
  // value() throws on an error, which fails the test with the error shown.
  return Collection<K, V>::open(stash, name).value();
}

// ---------------------------------------------------------------------------
// The byte-level scenarios, typed.
// ---------------------------------------------------------------------------

TEST(Collection, IterAndIterKeyReturnTypedEntries) {
  MemoryStash stash;
  auto orders = open<std::string, std::int64_t>(stash, "orders");
  ASSERT_EQ(outcome(orders.update("widgets", 1, 1, 1)), "ok");
  ASSERT_EQ(outcome(orders.update("wombats", 2, 1, 2)), "ok");

  using Row = TypedUpdate<std::string, std::int64_t>;
  EXPECT_EQ(orders.iter(), (std::vector<Row>{{"widgets", 1, 1, 1}, {"wombats", 2, 1, 2}}));
  using ValueRow = TypedValueUpdate<std::int64_t>;
  EXPECT_EQ(orders.iter_key("widgets"), (std::vector<ValueRow>{{1, 1, 1}}));
  EXPECT_EQ(orders.iter_key("wombats"), (std::vector<ValueRow>{{2, 1, 2}}));
  EXPECT_EQ(orders.iter_key("nobody"), (std::vector<ValueRow>{}));
}

TEST(Collection, IterFollowsTheKeyTypesOrderNotDecimalText) {
  MemoryStash stash;
  auto typed = open<std::int64_t, std::string>(stash, "typed");
  const CollectionHandle text = *stash.collection("text");
  for (std::int64_t key : {3, -5, 10, -100}) {
    ASSERT_EQ(outcome(typed.update(key, "v", 0, 1)), "ok");
    ASSERT_EQ(outcome(stash.update(text, std::to_string(key), "v", 0, 1)), "ok");
  }

  auto rows = typed.iter();
  ASSERT_EQ(outcome(rows), "ok");
  std::vector<std::int64_t> typed_keys;
  for (const auto& row : *rows) typed_keys.push_back(row.key);
  EXPECT_EQ(typed_keys, (std::vector<std::int64_t>{-100, -5, 3, 10}));

  // Decimal text sorts as bytes, which is why keys need order-preserving codecs.
  auto text_rows = stash.iter(text);
  ASSERT_EQ(outcome(text_rows), "ok");
  std::vector<Bytes> text_keys;
  for (const Update& u : *text_rows) text_keys.push_back(u.key);
  EXPECT_EQ(text_keys, (std::vector<Bytes>{"-100", "-5", "10", "3"}));
}

TEST(Collection, UpdateManySealAndPeekAreTyped) {
  MemoryStash stash;
  auto c = open<std::int64_t, std::string>(stash, "c");
  const std::vector<TypedUpdate<std::int64_t, std::string>> entries = {
      {3, "b", 1, 1}, {-5, "a", 1, 1}, {7, "late", 2, 1}};
  ASSERT_EQ(outcome(c.update_many(entries)), "ok");
  ASSERT_EQ(outcome(c.seal(Frontier(2))), "ok");

  EXPECT_EQ(c.peek_timestamp(), Timestamp{1});
  using Entry = TypedPeekEntry<std::int64_t, std::string>;
  EXPECT_EQ(c.peek(), (std::vector<Entry>{{-5, "a", 1}, {3, "b", 1}}));
  EXPECT_EQ(c.peek_one(), (std::map<std::int64_t, std::string>{{-5, "a"}, {3, "b"}}));
  EXPECT_EQ(c.peek_key_one(3).value(), std::optional<std::string>("b"));
  EXPECT_EQ(c.peek_key_one(7).value(), std::optional<std::string>());  // Not sealed yet.
}

TEST(Collection, FrontierOperationsBehaveAsTheStashs) {
  MemoryStash stash;
  auto c = open<std::string, std::int64_t>(stash, "c");
  ASSERT_EQ(outcome(c.update_many(std::vector<TypedUpdate<std::string, std::int64_t>>{
                {"widgets", 1, 2, 1}, {"widgets", 1, 3, 1}, {"widgets", 1, 4, 1}})),
            "ok");
  ASSERT_EQ(outcome(c.seal(Frontier(4))), "ok");
  ASSERT_EQ(outcome(c.compact(Frontier(3))), "ok");
  EXPECT_EQ(c.since(), Frontier(3));
  EXPECT_EQ(c.upper(), Frontier(4));

  using Row = TypedUpdate<std::string, std::int64_t>;
  const std::vector<Row> compacted = {{"widgets", 1, 3, 2}, {"widgets", 1, 4, 1}};
  EXPECT_EQ(c.iter(), compacted);
  ASSERT_EQ(outcome(c.consolidate()), "ok");
  EXPECT_EQ(c.iter(), compacted);

  // Errors come through unchanged: same code, same message.
  EXPECT_EQ(outcome(c.seal(Frontier(2))), outcome(stash.seal(c.handle(), Frontier(2))));
  EXPECT_EQ(code_of(c.seal(Frontier(2))), ErrorCode::kFrontierViolation);
  EXPECT_EQ(code_of(c.compact(Frontier(2))), ErrorCode::kFrontierViolation);
  EXPECT_EQ(code_of(c.update("widgets", 1, 2, 1)), ErrorCode::kFrontierViolation);
  EXPECT_EQ(code_of(c.peek_one()), ErrorCode::kMultiplicity);  // widgets has diff 2.
  EXPECT_EQ(code_of(c.peek_key_one("widgets")), ErrorCode::kMultiplicity);

  ASSERT_EQ(outcome(c.seal(Frontier::empty())), "ok");
  ASSERT_EQ(outcome(c.compact(Frontier::empty())), "ok");
  EXPECT_EQ(code_of(c.iter()), ErrorCode::kFrontierViolation);
  EXPECT_EQ(code_of(c.iter_key("widgets")), ErrorCode::kFrontierViolation);
}

TEST(Collection, OpenRejectsAnInvalidName) {
  MemoryStash stash;
  auto c = Collection<bool, bool>::open(stash, "\xFF");
  EXPECT_EQ(code_of(c), ErrorCode::kInvalidArgument);
}

TEST(Collection, TypedViewsOfOneNameShareItsData) {
  MemoryStash stash;
  auto writer = open<std::int32_t, bool>(stash, "flags");
  auto reader = open<std::int32_t, bool>(stash, "flags");
  EXPECT_EQ(writer.handle(), reader.handle());
  ASSERT_EQ(outcome(writer.update(-1, true, 0, 1)), "ok");
  EXPECT_EQ(reader.iter_key(-1), (std::vector<TypedValueUpdate<bool>>{{true, 0, 1}}));
  // The byte-level stash holds exactly the encodings.
  EXPECT_EQ(stash.iter(writer.handle()), (std::vector<Update>{{encode(std::int32_t{-1}),
                                                               encode(true), 0, 1}}));
}

TEST(Collection, AppendBatchesOfDifferentTypesCommitTogether) {
  MemoryStash stash;
  auto names = open<std::string, std::int64_t>(stash, "names");
  auto flags = open<std::int64_t, bool>(stash, "flags");
  const std::vector<TypedUpdate<std::string, std::int64_t>> name_rows = {{"a", 1, 0, 1}};
  const std::vector<TypedUpdate<std::int64_t, bool>> flag_rows = {{1, true, 0, 1}};
  const std::vector<AppendBatch> batches = {
      names.append_batch(Frontier(0), Frontier(2), std::nullopt, name_rows),
      flags.append_batch(Frontier(0), Frontier(2), Frontier(1), flag_rows)};
  ASSERT_EQ(outcome(stash.append(batches)), "ok");
  EXPECT_EQ(names.peek_one(), (std::map<std::string, std::int64_t>{{"a", 1}}));
  EXPECT_EQ(flags.peek_one(), (std::map<std::int64_t, bool>{{1, true}}));
  EXPECT_EQ(flags.since(), Frontier(1));
}

// ---------------------------------------------------------------------------
// Stored bytes that do not decode.
// ---------------------------------------------------------------------------

TEST(Collection, GarbageStoredValueIsCorruption) {
  MemoryStash stash;
  auto c = open<std::int64_t, bool>(stash, "c");
  ASSERT_EQ(outcome(stash.update(c.handle(), encode(std::int64_t{1}), "\x02", 0, 1)), "ok");
  ASSERT_EQ(outcome(c.seal(Frontier(1))), "ok");

  const std::string expected = "corruption: collection " + std::to_string(c.handle().id) +
                               ": undecodable value: at byte 0 of 1: bool: byte 0x02 is "
                               "neither 0x00 nor 0x01";
  EXPECT_EQ(outcome(c.iter()), expected);
  EXPECT_EQ(outcome(c.iter_key(1)), expected);
  EXPECT_EQ(outcome(c.peek()), expected);
  EXPECT_EQ(outcome(c.peek_one()), expected);
  EXPECT_EQ(outcome(c.peek_key_one(1)), expected);
  // Other keys and the frontiers are still readable.
  EXPECT_EQ(c.peek_key_one(2).value(), std::optional<bool>());
  EXPECT_EQ(c.upper(), Frontier(1));
}

TEST(Collection, GarbageStoredKeyIsCorruption) {
  MemoryStash stash;
  auto c = open<std::int64_t, bool>(stash, "c");
  ASSERT_EQ(outcome(stash.update(c.handle(), "abc", encode(true), 0, 1)), "ok");
  EXPECT_EQ(outcome(c.iter()), "corruption: collection " + std::to_string(c.handle().id) +
                                   ": undecodable key: at byte 0 of 3: int64: truncated: "
                                   "needs 8 byte(s), 3 left");
}

TEST(Collection, TrailingBytesInAStoredValueAreCorruption) {
  MemoryStash stash;
  auto c = open<std::int64_t, bool>(stash, "c");
  ASSERT_EQ(outcome(stash.update(c.handle(), encode(std::int64_t{1}), "\x01\x01", 0, 1)),
            "ok");
  EXPECT_EQ(code_of(c.iter()), ErrorCode::kCorruption);
  EXPECT_EQ(code_of(c.iter_key(1)), ErrorCode::kCorruption);
}

// ---------------------------------------------------------------------------
// A random workload: the typed reads are the byte-level reads decoded, in the
// types' order.
// ---------------------------------------------------------------------------

using Key = std::pair<std::int64_t, std::string>;
using Value = std::optional<std::int8_t>;
using Row = TypedUpdate<Key, Value>;

rc::Gen<Row> any_row() {
  // Few distinct keys and values, so updates collide and consolidate.
  auto key = rc::gen::pair(rc::gen::element<std::int64_t>(-3, 0, 2, INT64_MIN, INT64_MAX),
                           rc::gen::element("a"s, ""s, "a\0"s, "b\xFF"s));
  auto value = rc::gen::element(Value(), Value(-1), Value(0), Value(5));
  return rc::gen::apply(
      [](Key k, Value v, Timestamp t, Diff d) { return Row{std::move(k), v, t, d}; },
      key, value, rc::gen::inRange<Timestamp>(0, 4), rc::gen::inRange<Diff>(-2, 3));
}

// What iter must return for `rows` written at since {0}: summed per (key,
// value, time), zeros dropped, in (key, value, time) order of the types.
std::vector<Row> typed_model(const std::vector<Row>& rows) {
  std::map<std::tuple<Key, Value, Timestamp>, Diff> sums;
  for (const Row& r : rows) sums[{r.key, r.value, r.time}] += r.diff;
  std::vector<Row> out;
  for (const auto& [kvt, diff] : sums) {
    if (diff != 0) out.push_back({std::get<0>(kvt), std::get<1>(kvt), std::get<2>(kvt), diff});
  }
  return out;
}

TEST(CollectionProperty, TypedIterIsTheByteLevelIterDecodedInTypeOrder) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  EXPECT_TRUE(rc::check(std::string(info->test_suite_name()) + "." + info->name(), [] {
    const auto rows = *rc::gen::container<std::vector<Row>>(any_row());
    MemoryStash stash;
    auto opened = Collection<Key, Value>::open(stash, "c");
    RC_ASSERT(opened.has_value());
    const Collection<Key, Value>& c = *opened;
    RC_ASSERT(c.update_many(rows).has_value());

    auto typed = c.iter();
    RC_ASSERT(typed.has_value());
    RC_ASSERT(*typed == typed_model(rows));
    auto raw = stash.iter(c.handle());
    RC_ASSERT(raw.has_value());
    RC_ASSERT(raw->size() == typed->size());
    for (std::size_t i = 0; i < raw->size(); ++i) {
      const Update expected{encode((*typed)[i].key), encode((*typed)[i].value),
                            (*typed)[i].time, (*typed)[i].diff};
      RC_ASSERT((*raw)[i] == expected);
    }
  }));
}

}  // namespace
}  // namespace stash
