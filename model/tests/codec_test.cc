// The codecs of codec.h: for every built-in codec (and a user codec), RapidCheck
// properties that it round-trips, delimits itself, preserves order and
// equality, and decodes garbage into kCorruption without crashing; then the
// exact byte formats and each decoding error.
//
// A failing property prints RC_PARAMS="reproduce=..." to replay it.
#include "stash/codec.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

using namespace std::string_literals;

// The user type of the example in codec.h, specialized exactly as shown there.
struct Version {
  std::uint32_t major = 0;
  std::uint32_t minor = 0;
  friend auto operator<=>(const Version&, const Version&) = default;
};

template <>
struct stash::Codec<Version> {
  using Fields = std::tuple<std::uint32_t, std::uint32_t>;
  static void encode(const Version& v, std::string& out) {
    Codec<Fields>::encode(Fields(v.major, v.minor), out);
  }
  static Result<Version> decode(std::string_view& in) {
    auto fields = Codec<Fields>::decode(in);
    if (!fields) return std::unexpected(fields.error());
    return Version{std::get<0>(*fields), std::get<1>(*fields)};
  }
};

namespace stash {
namespace {

// ---------------------------------------------------------------------------
// Generators. Uniform draws almost never produce the interesting cases (edge
// integers, 0x00 / 0xFF bytes, equal values, one string a prefix of another),
// so each generator mixes them in.
// ---------------------------------------------------------------------------

template <typename T>
struct Any;

template <internal::CodecInteger T>
struct Any<T> {
  static rc::Gen<T> gen() {
    using Limits = std::numeric_limits<T>;
    return rc::gen::weightedOneOf<T>(
        {{3, rc::gen::arbitrary<T>()},
         {1, rc::gen::element<T>(Limits::min(), Limits::max(), T{0}, T{1},
                                 static_cast<T>(Limits::max() - 1),
                                 static_cast<T>(Limits::min() + 1),
                                 static_cast<T>(-1))}});
  }
};

template <>
struct Any<bool> {
  static rc::Gen<bool> gen() { return rc::gen::arbitrary<bool>(); }
};

// Bytes from a small alphabet rich in the escape bytes, so strings often
// share prefixes, contain 0x00 / 0xFF, or are equal.
rc::Gen<char> any_byte() {
  return rc::gen::weightedOneOf<char>(
      {{2, rc::gen::element('\x00', '\x01', '\xFE', '\xFF', 'a', 'b')},
       {1, rc::gen::arbitrary<char>()}});
}

template <>
struct Any<std::string> {
  static rc::Gen<std::string> gen() { return rc::gen::container<std::string>(any_byte()); }
};

template <typename B>
  requires std::same_as<B, std::uint8_t> || std::same_as<B, std::byte>
struct Any<std::vector<B>> {
  static rc::Gen<std::vector<B>> gen() {
    return rc::gen::map(Any<std::string>::gen(), [](const std::string& s) {
      std::vector<B> out;
      for (char ch : s) out.push_back(static_cast<B>(static_cast<unsigned char>(ch)));
      return out;
    });
  }
};

template <typename T>
struct Any<std::optional<T>> {
  static rc::Gen<std::optional<T>> gen() {
    return rc::gen::weightedOneOf<std::optional<T>>(
        {{1, rc::gen::just(std::optional<T>())},
         {3, rc::gen::map(Any<T>::gen(), [](T v) { return std::optional<T>(std::move(v)); })}});
  }
};

template <typename A, typename B>
struct Any<std::pair<A, B>> {
  static rc::Gen<std::pair<A, B>> gen() { return rc::gen::pair(Any<A>::gen(), Any<B>::gen()); }
};

template <typename... Ts>
struct Any<std::tuple<Ts...>> {
  static rc::Gen<std::tuple<Ts...>> gen() { return rc::gen::tuple(Any<Ts>::gen()...); }
};

template <>
struct Any<std::tuple<>> {
  static rc::Gen<std::tuple<>> gen() { return rc::gen::just(std::tuple<>()); }
};

template <>
struct Any<Version> {
  static rc::Gen<Version> gen() {
    return rc::gen::map(Any<std::pair<std::uint32_t, std::uint32_t>>::gen(),
                        [](auto p) { return Version{p.first, p.second}; });
  }
};

// Byte strings a decoder must survive: random bytes, bytes from the escape
// alphabet, and valid encodings of T cut short or with one byte changed.
template <typename T>
rc::Gen<std::string> garbage() {
  auto mutated = rc::gen::mapcat(Any<T>::gen(), [](const T& value) {
    return rc::gen::map(rc::gen::tuple(rc::gen::arbitrary<std::size_t>(), any_byte(),
                                       rc::gen::arbitrary<bool>()),
                        [bytes = encode(value)](const auto& edit) {
                          auto [at, byte, cut] = edit;
                          std::string out = bytes;
                          if (out.empty()) return std::string(1, byte);
                          if (cut) return out.substr(0, at % out.size());
                          out[at % out.size()] = byte;
                          return out;
                        });
  });
  return rc::gen::oneOf(rc::gen::container<std::string>(rc::gen::arbitrary<char>()),
                        Any<std::string>::gen(), mutated);
}

// Runs a property as part of the current test, named after it so that
// RC_PARAMS="reproduce=..." replays exactly this property.
template <typename Property>
void check_property(Property property) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string id = std::string(info->test_suite_name()) + "." + info->name();
  EXPECT_TRUE(rc::check(id, property));
}

// ---------------------------------------------------------------------------
// Properties, once per codec.
// ---------------------------------------------------------------------------

using CodecTypes = ::testing::Types<
    std::int8_t, std::int16_t, std::int32_t, std::int64_t, long long, std::uint8_t,
    std::uint16_t, std::uint32_t, std::uint64_t, unsigned long long, bool, std::string,
    std::vector<std::uint8_t>, std::vector<std::byte>, std::optional<std::int64_t>,
    std::optional<std::string>, std::optional<std::optional<bool>>,
    std::pair<std::vector<std::uint8_t>, std::uint32_t>, std::pair<std::int8_t, std::string>,
    std::tuple<>, std::tuple<std::string, std::optional<std::int64_t>, bool>,
    std::tuple<std::string, std::string, std::int16_t>, Version>;

// Readable suite names: CodecProperty/int64.RoundTrips.
struct CodecTypeNames {
  template <typename T>
  static std::string GetName(int index) {
    static const char* const kNames[] = {
        "int8",           "int16",          "int32",          "int64",
        "long_long",      "uint8",          "uint16",         "uint32",
        "uint64",         "unsigned_long_long", "bool",       "string",
        "vector_uint8",   "vector_byte",    "optional_int64", "optional_string",
        "optional_optional_bool", "pair_bytes_uint32", "pair_int8_string",
        "tuple_empty",    "tuple_string_optional_int64_bool",
        "tuple_string_string_int16", "user_Version"};
    return kNames[index];
  }
};

template <typename T>
class CodecProperty : public ::testing::Test {};
TYPED_TEST_SUITE(CodecProperty, CodecTypes, CodecTypeNames);

TYPED_TEST(CodecProperty, IsEncodable) {
  static_assert(Encodable<TypeParam>);
}

// decode(encode(a)) == a.
TYPED_TEST(CodecProperty, RoundTrips) {
  check_property([] {
    const TypeParam a = *Any<TypeParam>::gen();
    RC_LOG() << "encode(a) = " << printable(encode(a)) << "\n";
    auto decoded = decode<TypeParam>(encode(a));
    if (!decoded) RC_FAIL(decoded.error().to_string());
    RC_ASSERT(*decoded == a);
  });
}

// Codec<T>::decode consumes exactly encode(a), whatever follows it.
TYPED_TEST(CodecProperty, DelimitsItself) {
  check_property([] {
    const TypeParam a = *Any<TypeParam>::gen();
    const std::string suffix = *Any<std::string>::gen();
    const std::string bytes = encode(a) + suffix;
    std::string_view in = bytes;
    auto decoded = Codec<TypeParam>::decode(in);
    if (!decoded) RC_FAIL(decoded.error().to_string());
    RC_ASSERT(*decoded == a);
    RC_ASSERT(std::string(in) == suffix);
  });
}

// For every pair of a list of values: a < b iff encode(a) < encode(b), and
// a == b iff encode(a) == encode(b).
TYPED_TEST(CodecProperty, OrderAndEqualityMatchBytes) {
  check_property([] {
    const auto values = *rc::gen::container<std::vector<TypeParam>>(Any<TypeParam>::gen());
    std::vector<Bytes> encoded;
    encoded.reserve(values.size());
    for (const TypeParam& v : values) encoded.push_back(encode(v));
    for (std::size_t i = 0; i < values.size(); ++i) {
      for (std::size_t j = 0; j < values.size(); ++j) {
        const bool same_order = (values[i] < values[j]) == (encoded[i] < encoded[j]);
        const bool same_equality = (values[i] == values[j]) == (encoded[i] == encoded[j]);
        if (!same_order || !same_equality) {
          RC_FAIL("order or equality differs from the bytes for encode(a) = " +
                  printable(encoded[i]) + ", encode(b) = " + printable(encoded[j]));
        }
      }
    }
  });
}

// Decoding any bytes never crashes: it fails with kCorruption, or succeeds on
// exactly the canonical encoding of the value it returns.
TYPED_TEST(CodecProperty, GarbageIsCorruptionOrCanonical) {
  check_property([] {
    const std::string bytes = *garbage<TypeParam>();
    RC_LOG() << "bytes = " << printable(bytes) << "\n";
    auto whole = decode<TypeParam>(bytes);
    if (whole) RC_ASSERT(encode(*whole) == bytes);
    if (!whole) RC_ASSERT(whole.error().code() == ErrorCode::kCorruption);

    std::string_view in = bytes;
    auto prefix = Codec<TypeParam>::decode(in);
    if (prefix) RC_ASSERT(encode(*prefix) + std::string(in) == bytes);
    if (!prefix) RC_ASSERT(prefix.error().code() == ErrorCode::kCorruption);
  });
}

// ---------------------------------------------------------------------------
// The documented byte formats.
// ---------------------------------------------------------------------------

TEST(Codec, IntegersAreBigEndianWithTheSignBitFlipped) {
  EXPECT_EQ(encode(std::uint16_t{0x0102}), "\x01\x02"s);
  EXPECT_EQ(encode(std::int32_t{-1}), "\x7F\xFF\xFF\xFF"s);
  EXPECT_EQ(encode(std::int64_t{0}), "\x80\0\0\0\0\0\0\0"s);
  EXPECT_EQ(encode(std::numeric_limits<std::int64_t>::min()), std::string(8, '\0'));
  EXPECT_EQ(encode(std::numeric_limits<std::int64_t>::max()), std::string(8, '\xFF'));
  EXPECT_EQ(encode(std::int8_t{-128}), "\x00"s);
}

TEST(Codec, Int64EdgeValuesSortInOrder) {
  const std::vector<std::int64_t> sorted = {std::numeric_limits<std::int64_t>::min(), -1, 0, 1,
                                            std::numeric_limits<std::int64_t>::max()};
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    EXPECT_LT(encode(sorted[i - 1]), encode(sorted[i])) << sorted[i - 1] << " vs " << sorted[i];
  }
}

TEST(Codec, BoolIsOneByte) {
  EXPECT_EQ(encode(false), "\x00"s);
  EXPECT_EQ(encode(true), "\x01"s);
}

TEST(Codec, StringEscapesZeroAndEndsWithTerminator) {
  EXPECT_EQ(encode(""s), "\x00\x01"s);
  EXPECT_EQ(encode("a\0\xFF"s), "a\x00\xFF\xFF\x00\x01"s);
  EXPECT_EQ(encode(std::vector<std::uint8_t>{'a', 0}), encode("a\0"s));
  EXPECT_EQ(encode(std::vector<std::byte>{std::byte{0xFF}}), encode("\xFF"s));
}

TEST(Codec, StringsWithZeroBytesSortAsStdString) {
  const std::vector<std::string> sorted = {""s, "\0"s, "\0\0"s, "\0\x01"s, "\x01"s,
                                           "a"s, "a\0"s, "a\x01"s, "ab"s, "\xFF"s};
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    EXPECT_LT(encode(sorted[i - 1]), encode(sorted[i]))
        << printable(sorted[i - 1]) << " vs " << printable(sorted[i]);
  }
}

TEST(Codec, OptionalIsATagThenTheValue) {
  EXPECT_EQ(encode(std::optional<bool>()), "\x00"s);
  EXPECT_EQ(encode(std::optional<bool>(false)), "\x01\x00"s);
  EXPECT_LT(encode(std::optional<std::int64_t>()),
            encode(std::optional<std::int64_t>(std::numeric_limits<std::int64_t>::min())));
}

TEST(Codec, TupleAndPairConcatenate) {
  using Row = std::tuple<std::string, std::optional<std::int64_t>, bool>;
  EXPECT_EQ(encode(Row("a", std::nullopt, true)), "a\x00\x01\x00\x01"s);
  EXPECT_EQ(encode(std::pair<std::uint8_t, bool>(7, false)), "\x07\x00"s);
  EXPECT_EQ(encode(std::tuple<>()), ""s);
}

TEST(Codec, UserCodecFromTheHeaderExampleWorks) {
  EXPECT_EQ(encode(Version{1, 2}), "\0\0\0\x01\0\0\0\x02"s);
  EXPECT_LT(encode(Version{1, 2}), encode(Version{1, 10}));
  EXPECT_EQ(decode<Version>(encode(Version{3, 4})), (Version{3, 4}));
}

TEST(Codec, OnlyTypesWithACodecAreEncodable) {
  static_assert(!Encodable<double>);
  static_assert(!Encodable<char>);
  static_assert(!Encodable<std::vector<int>>);
  static_assert(!Encodable<std::optional<double>>);
  static_assert(!Encodable<std::tuple<int, float>>);
  static_assert(!Encodable<std::pair<std::string, char>>);
}

// ---------------------------------------------------------------------------
// Each decoding error, with its exact code and message.
// ---------------------------------------------------------------------------

// "kCorruption: <message>", or "ok" so a wrong success shows in the failure.
template <typename T>
std::string decode_error(std::string_view bytes) {
  auto decoded = decode<T>(bytes);
  if (decoded) return "ok";
  return decoded.error().to_string();
}

TEST(CodecErrors, TruncatedIntegerIsCorruption) {
  EXPECT_EQ(decode_error<std::int64_t>("\x80\0\0"s),
            "corruption: at byte 0 of 3: int64: truncated: needs 8 byte(s), 3 left");
  EXPECT_EQ(decode_error<std::uint16_t>(""), "corruption: at byte 0 of 0: uint16: truncated: "
                                             "needs 2 byte(s), 0 left");
}

TEST(CodecErrors, TruncatedStringIsCorruption) {
  EXPECT_EQ(decode_error<std::string>("abc"),
            "corruption: at byte 3 of 3: string: truncated: no terminator 0x00 0x01");
  EXPECT_EQ(decode_error<std::string>("abc\0"s),
            "corruption: at byte 4 of 4: string: truncated: no terminator 0x00 0x01");
  EXPECT_EQ(decode_error<std::vector<std::uint8_t>>(""),
            "corruption: at byte 0 of 0: bytes: truncated: no terminator 0x00 0x01");
}

TEST(CodecErrors, TruncatedCompositeIsCorruption) {
  EXPECT_EQ(decode_error<std::optional<bool>>(""),
            "corruption: at byte 0 of 0: optional: truncated: needs 1 byte(s), 0 left");
  using Flags = std::pair<bool, bool>;
  EXPECT_EQ(decode_error<Flags>("\x01"s),
            "corruption: at byte 1 of 1: bool: truncated: needs 1 byte(s), 0 left");
}

TEST(CodecErrors, BadBoolByteIsCorruption) {
  EXPECT_EQ(decode_error<bool>("\x02"s),
            "corruption: at byte 0 of 1: bool: byte 0x02 is neither 0x00 nor 0x01");
  EXPECT_EQ(decode_error<bool>("\xFF"s),
            "corruption: at byte 0 of 1: bool: byte 0xFF is neither 0x00 nor 0x01");
}

TEST(CodecErrors, BadOptionalTagIsCorruption) {
  EXPECT_EQ(decode_error<std::optional<bool>>("\x02\x01"s),
            "corruption: at byte 0 of 2: optional: byte 0x02 is neither 0x00 nor 0x01");
}

TEST(CodecErrors, BadEscapeIsCorruption) {
  EXPECT_EQ(decode_error<std::string>("a\x00\x02\x00\x01"s),
            "corruption: at byte 1 of 5: string: bad escape: 0x00 followed by 0x02, not "
            "0xFF (a 0x00 byte) or 0x01 (the end)");
}

TEST(CodecErrors, TrailingBytesAreCorruption) {
  EXPECT_EQ(decode_error<bool>("\x01\x01"s),
            "corruption: trailing bytes: the value ends at byte 1 of 2");
  EXPECT_EQ(decode_error<std::string>("a\x00\x01z"s),
            "corruption: trailing bytes: the value ends at byte 3 of 4");
  EXPECT_EQ(decode_error<std::tuple<>>("x"), "corruption: trailing bytes: the value ends at "
                                             "byte 0 of 1");
}

TEST(CodecErrors, OffsetPointsInsideNestedValues) {
  using Row = std::tuple<std::int8_t, std::optional<bool>>;
  EXPECT_EQ(decode_error<Row>("\x80\x01\x05"s),
            "corruption: at byte 2 of 3: bool: byte 0x05 is neither 0x00 nor 0x01");
}

}  // namespace
}  // namespace stash
