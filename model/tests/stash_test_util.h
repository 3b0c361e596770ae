// Helpers that let the model's tests read like the spec: each one returns a
// plain comparable value, so every assertion is one line, e.g.
//
//   EXPECT_EQ(Iter(s, orders), Updates({{"widgets", "1", 1, 1}}));
//   EXPECT_EQ(Code(s.seal(orders, Frontier(2))), "frontier_violation");
//
// Read helpers (Iter, Peek, ...) expect the read to succeed: on an error they
// record a failure at the caller's line and return an empty value. Use Code()
// and Message() on the raw call to check an expected error.
#ifndef STASH_MODEL_TESTS_STASH_TEST_UTIL_H_
#define STASH_MODEL_TESTS_STASH_TEST_UTIL_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <source_location>
#include <sstream>
#include <string>
#include <vector>

#include "stash/stash.h"

namespace stash::test {

using Updates = std::vector<Update>;
using ValueUpdates = std::vector<ValueUpdate>;
using PeekEntries = std::vector<PeekEntry>;
using PeekMap = std::map<Bytes, Bytes>;

// "ok", or the error code's stable name: "frontier_violation".
template <typename T>
std::string Code(const Result<T>& r) {
  return r ? "ok" : std::string(to_string(r.error().code()));
}

// "" on success, else the error's message.
template <typename T>
std::string Message(const Result<T>& r) {
  return r ? "" : r.error().message();
}

// "ok", or "code: message": for asserting that a setup step worked while
// still printing why it did not.
template <typename T>
std::string Outcome(const Result<T>& r) {
  return r ? "ok" : r.error().to_string();
}

// The value printed, or "code: message": for comparing whole outcomes of
// reads that may fail.
template <typename T>
std::string Show(const Result<T>& r) {
  return r ? ::testing::PrintToString(*r) : r.error().to_string();
}

// The value of a read that must succeed.
template <typename T>
T Value(Result<T> r, std::source_location where = std::source_location::current()) {
  if (!r) {
    ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line()))
        << "expected ok, got " << r.error();
    return T{};
  }
  return std::move(*r);
}

inline CollectionHandle Collection(
    Stash& s, std::string_view name,
    std::source_location where = std::source_location::current()) {
  return Value(s.collection(name), where);
}

inline Updates Iter(Stash& s, CollectionHandle c,
                    std::source_location where = std::source_location::current()) {
  return Value(s.iter(c), where);
}

inline ValueUpdates IterKey(Stash& s, CollectionHandle c, const Bytes& key,
                            std::source_location where = std::source_location::current()) {
  return Value(s.iter_key(c, key), where);
}

inline PeekEntries Peek(Stash& s, CollectionHandle c,
                        std::source_location where = std::source_location::current()) {
  return Value(s.peek(c), where);
}

inline PeekMap PeekOne(Stash& s, CollectionHandle c,
                       std::source_location where = std::source_location::current()) {
  return Value(s.peek_one(c), where);
}

inline std::optional<Bytes> PeekKeyOne(
    Stash& s, CollectionHandle c, const Bytes& key,
    std::source_location where = std::source_location::current()) {
  return Value(s.peek_key_one(c, key), where);
}

inline Timestamp PeekTimestamp(Stash& s, CollectionHandle c,
                               std::source_location where = std::source_location::current()) {
  return Value(s.peek_timestamp(c), where);
}

inline Frontier Since(Stash& s, CollectionHandle c,
                      std::source_location where = std::source_location::current()) {
  return Value(s.since(c), where);
}

inline Frontier Upper(Stash& s, CollectionHandle c,
                      std::source_location where = std::source_location::current()) {
  return Value(s.upper(c), where);
}

// Everything a reader can learn about a collection, as one string:
// "since {0} upper {3} iter [((k, v), 1, 1) ...]". Two equal states print
// equal; a failing iter prints its error instead of the rows.
inline std::string State(Stash& s, CollectionHandle c) {
  std::ostringstream out;
  auto since = s.since(c);
  auto upper = s.upper(c);
  out << "since " << (since ? since->to_string() : since.error().to_string());
  out << " upper " << (upper ? upper->to_string() : upper.error().to_string());
  auto rows = s.iter(c);
  if (!rows) return out.str() + " iter " + rows.error().to_string();
  out << " iter [";
  for (const Update& u : *rows) out << u << " ";
  out << "]";
  return out.str();
}

// One update, for update_many and append batches.
inline Update At(Bytes key, Bytes value, Timestamp time, Diff diff) {
  return Update{std::move(key), std::move(value), time, diff};
}

}  // namespace stash::test

// Asserts that a call returned ok, printing its error otherwise.
#define STASH_ASSERT_OK(expr) ASSERT_EQ(::stash::test::Outcome(expr), "ok")
#define STASH_EXPECT_OK(expr) EXPECT_EQ(::stash::test::Outcome(expr), "ok")

#endif  // STASH_MODEL_TESTS_STASH_TEST_UTIL_H_
