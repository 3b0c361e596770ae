// Errors are values. Every fallible operation returns `stash::Result<T>`;
// nothing throws across the public API.
//
// The codes form a small closed set chosen by what the caller should do next,
// not by where the failure happened. Backend specifics (SQLite result codes,
// SQLSTATEs, errno) belong in the message, never in the code.
#ifndef STASH_ERROR_H_
#define STASH_ERROR_H_

#include <expected>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>

namespace stash {

enum class ErrorCode {
  // The request is malformed whatever the state: a collection name that is not
  // UTF-8, a URL or path that names no stash, a file that is not a stash.
  // Do not retry: fix the request.
  kInvalidArgument,
  // The request names something that does not exist, e.g. a collection handle
  // that this stash never issued. Do not retry.
  kNotFound,
  // The request conflicts with a collection's since or upper frontier: an
  // update before upper, a seal or compaction that regresses, a compaction past
  // upper, an append whose lower is not the current upper, reading a collection
  // whose since is {} or peeking one whose upper is not beyond since.
  // Retrying the same call fails the same way until the frontiers change.
  kFrontierViolation,
  // peek_one / peek_key_one found data that is not a function from key to one
  // value with multiplicity 1. The data is as written; the expectation is not.
  kMultiplicity,
  // A diff that a read must return does not fit in a signed 64-bit integer.
  // Nothing is lost: the stored sum is exact; writing a compensating update
  // makes the read succeed again.
  kOutOfRange,
  // Another writer opened the same store after this one. Unrecoverable: this
  // handle will never write again; open a new one.
  kFenced,
  // Stored bytes do not check out (bad checksum, garbage, undecodable key or
  // value). Nothing was changed by the call that found it.
  kCorruption,
  // A transient condition: a lock wait timed out, a connection dropped before
  // the request was sent, a serialization conflict outlived its retries.
  // The call had no effect; retrying it is safe.
  kUnavailable,
  // A commit was sent but its outcome could not be learned. The call either
  // took effect entirely or not at all; read the state before retrying.
  kOutcomeUnknown,
  // The operating system refused: permission denied, read-only file system,
  // missing directory, no space, EIO. The call had no effect.
  kIoError,
  // A bug: the implementation broke one of its own invariants.
  kInternal,
};

// A stable lowercase name for the code: "frontier_violation", "fenced", ...
std::string_view to_string(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "frontier_violation: seal request {2} is less than ..."
  std::string to_string() const;

  friend bool operator==(const Error&, const Error&) = default;

 private:
  ErrorCode code_;
  std::string message_;
};

std::ostream& operator<<(std::ostream& os, ErrorCode code);
std::ostream& operator<<(std::ostream& os, const Error& error);

// The result of every fallible operation: a value or an Error. It is a
// std::expected<T, Error> in every way (construct it from a value or from
// stash::fail(...), test it, take value() or error()), with one addition:
// it is [[nodiscard]], and the build makes ignoring one an error
// (-Werror=unused-result), because an ignored error is a lost write or a
// missed failure. Discard one on purpose with `(void)`, and say why.
template <typename T>
class [[nodiscard]] Result : public std::expected<T, Error> {
 public:
  using Base = std::expected<T, Error>;
  using Base::Base;
  Result() = default;
  // From a plain std::expected, e.g. what and_then() or transform() return.
  Result(Base base) : Base(std::move(base)) {}  // NOLINT(google-explicit-constructor)
  // Result == Result compares as std::expected does (without this, the
  // value-comparison overload of std::expected would also match).
  friend bool operator==(const Result& a, const Result& b) {
    return static_cast<const Base&>(a) == static_cast<const Base&>(b);
  }
  // Result == value and Result == std::unexpected compare as std::expected
  // does; without these, clang finds the Result == Result overload above
  // (through an implicit conversion) as good a match as std::expected's,
  // ambiguous. The value overload is constrained by a type trait, not by
  // an `==` expression: ADL brings this operator into unrelated comparisons
  // (iterators of a map holding Results), and an `==` constraint there sends
  // g++ 12 round in a loop ("satisfaction ... depends on itself").
  template <typename U>
    requires(!std::is_same_v<U, Result>) && (!std::is_void_v<T>) &&
            std::is_convertible_v<const U&, T>
  friend bool operator==(const Result& a, const U& other) {
    return static_cast<const Base&>(a) == other;
  }
  template <typename E>
  friend bool operator==(const Result& a, const std::unexpected<E>& other) {
    return static_cast<const Base&>(a) == other;
  }
};

// The result of an operation that returns nothing but may fail.
using Status = Result<void>;

// Shorthand for `return stash::fail(ErrorCode::kNotFound, "...")`.
inline std::unexpected<Error> fail(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error(code, std::move(message)));
}

}  // namespace stash

#endif  // STASH_ERROR_H_
