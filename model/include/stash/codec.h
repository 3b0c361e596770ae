// Order-preserving, self-delimiting encodings of typed keys and values.
//
// A stash stores byte strings and sorts them as unsigned bytes (std::string's
// order). The typed layer (collection.h) stores C++ values through the codecs
// below, which make that byte order equal to the values' own order:
//
//   a < b   iff  encode(a) < encode(b)
//   a == b  iff  encode(a) == encode(b)
//
// so iter, peek and every backend index sort typed data correctly without
// knowing its type. (The original stash's cache ordered by encoded bytes
// without this guarantee: with a decimal text encoding, 10 sorts before 3.)
//
// Every encoding is also self-delimiting: a decoder finds the end of a value
// without being told its length, so values concatenate into composite ones
// (pair, tuple, optional, user structs) and the composite order is again the
// lexicographic order of the components.
//
// Byte formats of the built-in codecs
// -----------------------------------
//
//   int<N>    := N/8 bytes, big-endian, of (value XOR 2^(N-1))   signed N-bit
//   uint<N>   := N/8 bytes, big-endian, of value                 unsigned N-bit
//   bool      := 0x00 (false) | 0x01 (true)
//   bytes     := { byte != 0x00 | 0x00 0xFF } 0x00 0x01          string,
//                                  vector<uint8_t>, vector<std::byte>
//   optional  := 0x00 (nullopt) | 0x01 value
//   pair      := first second
//   tuple     := element_0 element_1 ... element_{n-1}           (empty: nothing)
//
// Why each is order-preserving and self-delimiting:
//   - Integers have a fixed width, so they delimit themselves. Big-endian puts
//     the most significant byte first, so byte order is numeric order for
//     unsigned values. Flipping the sign bit maps INT_MIN..-1 to 0..2^(N-1)-1
//     and 0..INT_MAX to 2^(N-1)..2^N-1, which turns signed order into unsigned
//     order.
//   - bool is one byte and false < true as 0x00 < 0x01.
//   - bytes: only the terminator 0x00 0x01 ends a value, because every 0x00
//     inside it is followed by 0xFF. Where two byte strings first differ, the
//     first differing encoded bytes compare like the original bytes (an
//     escaped 0x00 starts with 0x00, below every other byte). If one string
//     is a prefix of the other, the shorter one's terminator 0x00 0x01 meets
//     the longer one's next encoded byte, which is either nonzero (above the
//     terminator's 0x00) or an escape 0x00 0xFF (above 0x00 0x01): the
//     shorter string sorts first, as std::string does.
//   - optional: the tag byte decides between nullopt and a value, nullopt
//     first (as std::optional's operator<); equal tags defer to the value.
//   - pair, tuple: no encoding of a self-delimiting codec is a proper prefix of
//     another, so when two first components differ their encodings differ at a
//     byte inside both, and that byte decides; when they are equal their bytes
//     are equal and the next component decides. That is std::tuple's order.
//   - Decoders reject every byte string that encode could not have produced
//     (a bool byte other than 0x00/0x01, an escape 0x00 other than 0x00 0xFF
//     or 0x00 0x01, an optional tag other than 0x00/0x01), so each value has
//     exactly one encoding: equal values iff equal bytes.
//
// Character types (char, wchar_t, char8_t, ...) and floating point have no
// codec: use an integer type, or a string.
//
// Your own types
// --------------
// A type T is Encodable once stash::Codec<T> is specialized with
//
//   static void encode(const T& value, std::string& out);   // appends
//   static Result<T> decode(std::string_view& in);          // consumes
//
// and T is totally ordered. The codec must keep the two rules above (order and
// equality match the bytes) and be self-delimiting: decode consumes exactly
// the bytes encode appended, whatever follows them. On bytes encode could not
// have produced, decode returns a kCorruption error (never throws, never reads
// past `in`) and should leave `in` at the offending byte, so the top-level
// decode below can report its offset. Encoding the fields in the order of
// their significance with the built-in codecs keeps every rule automatically:
//
//   struct Version {
//     std::uint32_t major = 0;
//     std::uint32_t minor = 0;
//     friend auto operator<=>(const Version&, const Version&) = default;
//   };
//   template <>
//   struct stash::Codec<Version> {
//     using Fields = std::tuple<std::uint32_t, std::uint32_t>;
//     static void encode(const Version& v, std::string& out) {
//       Codec<Fields>::encode(Fields(v.major, v.minor), out);
//     }
//     static Result<Version> decode(std::string_view& in) {
//       auto fields = Codec<Fields>::decode(in);
//       if (!fields) return std::unexpected(fields.error());
//       return Version{std::get<0>(*fields), std::get<1>(*fields)};
//     }
//   };
//
// Specialize Codec before the first use of Encodable<T>: concept results are
// fixed at their first check.
#ifndef STASH_CODEC_H_
#define STASH_CODEC_H_

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "stash/error.h"
#include "stash/update.h"

namespace stash {

// Specialize for each type that keys or values may have. Not defined for
// other types, so they are not Encodable.
template <typename T>
struct Codec;

// T can be stored as a key or value of a typed collection.
template <typename T>
concept Encodable =
    std::totally_ordered<T> && std::move_constructible<T> &&
    requires(const T& value, std::string& out, std::string_view& in) {
      { Codec<T>::encode(value, out) } -> std::same_as<void>;
      { Codec<T>::decode(in) } -> std::same_as<Result<T>>;
    };

namespace internal {

// kCorruption "<type>: <problem>", the error every built-in decoder returns.
Error corrupt(std::string_view type, std::string_view problem);
// kCorruption for a fixed-width value with fewer than `needed` bytes left.
Error truncated(std::string_view type, std::size_t needed, std::size_t remaining);
// A tag byte (bool, optional) that is neither 0x00 nor 0x01.
Error bad_tag(std::string_view type, char tag);
// Prefixes an error with the offset where decoding `total` bytes failed.
Error at_offset(const Error& error, std::size_t offset, std::size_t total);

// The `bytes` grammar: escapes each 0x00 as 0x00 0xFF, ends with 0x00 0x01.
void append_escaped(std::string_view bytes, std::string& out);
// Reads one `bytes` value from the front of `in` into `out` and consumes it.
// On failure leaves `in` at the offending byte (or empty when truncated).
Status read_escaped(std::string_view type, std::string_view& in, std::string& out);

// Character types are text, not numbers: they get no integer codec.
template <typename T>
concept CharacterType =
    std::same_as<T, char> || std::same_as<T, wchar_t> ||
    std::same_as<T, char8_t> || std::same_as<T, char16_t> ||
    std::same_as<T, char32_t>;

template <typename T>
concept CodecInteger = std::integral<T> && !std::same_as<T, bool> && !CharacterType<T>;

// "int64", "uint8", ...: names the type in error messages.
template <CodecInteger T>
constexpr std::string_view integer_name() {
  constexpr bool kSigned = std::is_signed_v<T>;
  switch (sizeof(T)) {
    case 1: return kSigned ? "int8" : "uint8";
    case 2: return kSigned ? "int16" : "uint16";
    case 4: return kSigned ? "int32" : "uint32";
    default: return kSigned ? "int64" : "uint64";
  }
}

}  // namespace internal

// int<N> / uint<N>: fixed width, big-endian, sign bit flipped if signed.
template <internal::CodecInteger T>
struct Codec<T> {
  using Unsigned = std::make_unsigned_t<T>;
  static constexpr std::size_t kWidth = sizeof(T);
  static constexpr Unsigned kSignBit =
      std::is_signed_v<T> ? static_cast<Unsigned>(Unsigned{1} << (8 * kWidth - 1)) : 0;

  static void encode(const T& value, std::string& out) {
    const Unsigned bits = static_cast<Unsigned>(static_cast<Unsigned>(value) ^ kSignBit);
    for (std::size_t i = kWidth; i-- > 0;) {
      out.push_back(static_cast<char>(static_cast<unsigned char>(bits >> (8 * i))));
    }
  }

  static Result<T> decode(std::string_view& in) {
    if (in.size() < kWidth) {
      return std::unexpected(internal::truncated(internal::integer_name<T>(), kWidth, in.size()));
    }
    Unsigned bits = 0;
    for (std::size_t i = 0; i < kWidth; ++i) {
      bits = static_cast<Unsigned>((bits << 8) | static_cast<unsigned char>(in[i]));
    }
    in.remove_prefix(kWidth);
    // Unsigned-to-signed conversion is modular since C++20: no UB.
    return static_cast<T>(static_cast<Unsigned>(bits ^ kSignBit));
  }
};

// bool: 0x00 or 0x01; any other byte is corruption.
template <>
struct Codec<bool> {
  static void encode(const bool& value, std::string& out) {
    out.push_back(value ? '\x01' : '\x00');
  }

  static Result<bool> decode(std::string_view& in) {
    if (in.empty()) return std::unexpected(internal::truncated("bool", 1, 0));
    if (in[0] != '\x00' && in[0] != '\x01') {
      return std::unexpected(internal::bad_tag("bool", in[0]));
    }
    const bool value = in[0] == '\x01';
    in.remove_prefix(1);
    return value;
  }
};

// std::string: the escaped, terminated `bytes` form.
template <>
struct Codec<std::string> {
  static void encode(const std::string& value, std::string& out) {
    internal::append_escaped(value, out);
  }

  static Result<std::string> decode(std::string_view& in) {
    std::string value;
    if (auto ok = internal::read_escaped("string", in, value); !ok) {
      return std::unexpected(ok.error());
    }
    return value;
  }
};

// std::vector<std::uint8_t>, std::vector<std::byte>: the same `bytes` form as
// std::string, so a byte vector and a string with the same bytes encode alike.
template <typename B>
  requires std::same_as<B, std::uint8_t> || std::same_as<B, std::byte>
struct Codec<std::vector<B>> {
  static void encode(const std::vector<B>& value, std::string& out) {
    internal::append_escaped(
        std::string_view(reinterpret_cast<const char*>(value.data()), value.size()), out);
  }

  static Result<std::vector<B>> decode(std::string_view& in) {
    std::string bytes;
    if (auto ok = internal::read_escaped("bytes", in, bytes); !ok) {
      return std::unexpected(ok.error());
    }
    std::vector<B> value(bytes.size());
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      value[i] = static_cast<B>(static_cast<unsigned char>(bytes[i]));
    }
    return value;
  }
};

// std::optional<T>: 0x00 for nullopt (sorts first), 0x01 then the value.
template <Encodable T>
struct Codec<std::optional<T>> {
  static void encode(const std::optional<T>& value, std::string& out) {
    if (!value.has_value()) {
      out.push_back('\x00');
      return;
    }
    out.push_back('\x01');
    Codec<T>::encode(*value, out);
  }

  static Result<std::optional<T>> decode(std::string_view& in) {
    if (in.empty()) return std::unexpected(internal::truncated("optional", 1, 0));
    if (in[0] != '\x00' && in[0] != '\x01') {
      return std::unexpected(internal::bad_tag("optional", in[0]));
    }
    const bool present = in[0] == '\x01';
    in.remove_prefix(1);
    if (!present) return std::optional<T>();
    auto value = Codec<T>::decode(in);
    if (!value) return std::unexpected(std::move(value.error()));
    return std::optional<T>(std::move(*value));
  }
};

// std::tuple<Ts...>: the elements' encodings, concatenated in order.
template <Encodable... Ts>
struct Codec<std::tuple<Ts...>> {
  static void encode(const std::tuple<Ts...>& value, std::string& out) {
    std::apply([&](const Ts&... elements) { (Codec<Ts>::encode(elements, out), ...); },
               value);
  }

  static Result<std::tuple<Ts...>> decode(std::string_view& in) {
    return decode_elements<Ts...>(in);
  }

 private:
  // Decodes the elements one at a time from the front, so that no element
  // type needs a default constructor.
  template <typename... Rest>
  static Result<std::tuple<Rest...>> decode_elements(std::string_view& in) {
    if constexpr (sizeof...(Rest) == 0) {
      return std::tuple<>();
    } else {
      return decode_first<Rest...>(in);
    }
  }

  template <typename First, typename... Rest>
  static Result<std::tuple<First, Rest...>> decode_first(std::string_view& in) {
    auto first = Codec<First>::decode(in);
    if (!first) return std::unexpected(std::move(first.error()));
    auto rest = decode_elements<Rest...>(in);
    if (!rest) return std::unexpected(std::move(rest.error()));
    return std::tuple_cat(std::tuple<First>(std::move(*first)), std::move(*rest));
  }
};

// std::pair<A, B>: first's encoding, then second's (the tuple format).
template <Encodable A, Encodable B>
struct Codec<std::pair<A, B>> {
  static void encode(const std::pair<A, B>& value, std::string& out) {
    Codec<A>::encode(value.first, out);
    Codec<B>::encode(value.second, out);
  }

  static Result<std::pair<A, B>> decode(std::string_view& in) {
    auto first = Codec<A>::decode(in);
    if (!first) return std::unexpected(std::move(first.error()));
    auto second = Codec<B>::decode(in);
    if (!second) return std::unexpected(std::move(second.error()));
    return std::pair<A, B>(std::move(*first), std::move(*second));
  }
};

// The encoding of `value`, as stored in a stash.
template <Encodable T>
Bytes encode(const T& value) {
  Bytes out;
  Codec<T>::encode(value, out);
  return out;
}

// The value whose encoding is exactly `bytes`.
// Errors: kCorruption if `bytes` does not start with a valid encoding ("at
// byte N of M: <type>: <problem>"), or if bytes follow the encoded value
// ("trailing bytes ...").
template <Encodable T>
Result<T> decode(std::string_view bytes) {
  std::string_view rest = bytes;
  auto value = Codec<T>::decode(rest);
  // A well-behaved decoder leaves `rest` a suffix of `bytes`; do not trust it.
  const std::size_t consumed = rest.size() <= bytes.size() ? bytes.size() - rest.size() : 0;
  if (!value) return std::unexpected(internal::at_offset(value.error(), consumed, bytes.size()));
  if (!rest.empty()) {
    return fail(ErrorCode::kCorruption,
                "trailing bytes: the value ends at byte " + std::to_string(consumed) +
                    " of " + std::to_string(bytes.size()));
  }
  return value;
}

}  // namespace stash

#endif  // STASH_CODEC_H_
