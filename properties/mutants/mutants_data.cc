// Mutants of issue #10's byte-level classes: keys, values and names handled
// as C strings or signed chars, names folded or keyed by a prefix, a lax
// UTF-8 check, and sentinel / overflow bugs at the ends of int64.
#include <algorithm>
#include <cctype>
#include <limits>
#include <string>
#include <tuple>

#include "mutant_support.h"
#include "mutants.h"
#include "stash/memory_stash.h"

namespace stash::mutants {
namespace {

using namespace std::string_literals;

template <typename T>
std::unique_ptr<Stash> over_memory() {
  return std::make_unique<T>(std::make_unique<MemoryStash>());
}

constexpr Timestamp kMaxT = std::numeric_limits<Timestamp>::max();

// A DerivedStash that rewrites every key and value written or asked for.
class RewritingStash : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Status update_many(CollectionHandle c, std::span<const Update> entries) override {
    std::vector<Update> out(entries.begin(), entries.end());
    for (Update& u : out) rewrite(u);
    return inner().update_many(c, out);
  }
  Status append(std::span<const AppendBatch> batches) override {
    std::vector<AppendBatch> out(batches.begin(), batches.end());
    for (AppendBatch& b : out) {
      for (Update& u : b.entries) rewrite(u);
    }
    return inner().append(out);
  }
  Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c, const Bytes& key) override {
    return inner().iter_key(c, key_of(key));
  }

 protected:
  virtual Bytes key_of(const Bytes& key) const { return key; }
  virtual Bytes value_of(const Bytes& value) const { return value; }

 private:
  void rewrite(Update& u) const {
    u.key = key_of(u.key);
    u.value = value_of(u.value);
  }
};

// Passes keys through a C string (strlen): everything from the first NUL on
// is lost, so "k\0" and "k" are one key.
class KeysTruncatedAtNul : public RewritingStash {
 public:
  using RewritingStash::RewritingStash;

 protected:
  Bytes key_of(const Bytes& key) const override { return key.substr(0, key.find('\0')); }
};

// Stores values in a VARCHAR(2048): longer values are cut.
class LongValuesTruncated : public RewritingStash {
 public:
  using RewritingStash::RewritingStash;

 protected:
  Bytes value_of(const Bytes& value) const override { return value.substr(0, 2048); }
};

// Sorts iter with signed chars (memcmp done on char*): bytes >= 0x80 sort
// before ASCII. The peeks derive from iter, so they are sorted so too.
class SignedByteOrder : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Result<std::vector<Update>> iter(CollectionHandle c) override {
    auto it = inner().iter(c);
    if (!it) return it;
    auto signed_less = [](const Bytes& a, const Bytes& b) {
      return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                          [](char x, char y) { return static_cast<signed char>(x) < static_cast<signed char>(y); });
    };
    std::stable_sort(it->begin(), it->end(), [&](const Update& a, const Update& b) {
      if (a.key != b.key) return signed_less(a.key, b.key);
      if (a.value != b.value) return signed_less(a.value, b.value);
      return a.time < b.time;
    });
    return it;
  }
};

// A DerivedStash that maps every collection name before looking it up.
class NameMapping : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Result<CollectionHandle> collection(std::string_view name) override {
    return inner().collection(map(std::string(name)));
  }

 protected:
  virtual std::string map(std::string name) const = 0;
};

// Looks names up case-insensitively (a COLLATE NOCASE column).
class NamesCaseFolded : public NameMapping {
 public:
  using NameMapping::NameMapping;

 protected:
  std::string map(std::string name) const override {
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return name;
  }
};

// Caches handles by the first 16 bytes of the name.
class NamesKeyedByFirst16Bytes : public NameMapping {
 public:
  using NameMapping::NameMapping;

 protected:
  std::string map(std::string name) const override { return name.substr(0, 16); }
};

// Normalises names to NFC (here: just "e" + combining acute to "é"), so
// the two spellings of one word are one collection.
class NamesNormalisedNfc : public NameMapping {
 public:
  using NameMapping::NameMapping;

 protected:
  std::string map(std::string name) const override {
    for (std::size_t at; (at = name.find("e\xCC\x81")) != std::string::npos;) name.replace(at, 3, "\xC3\xA9");
    return name;
  }
};

// Checks only the shape of UTF-8 (lead byte, continuation bytes), not the
// code point: overlong forms, surrogates and code points past U+10FFFF are
// accepted (stored under an escaped name).
class AcceptsOverlongUtf8 : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Result<CollectionHandle> collection(std::string_view name) override {
    auto h = inner().collection(name);
    if (h || !well_shaped(name)) return h;
    std::string escaped = "lax:";
    for (unsigned char ch : name) escaped += std::to_string(ch) + ",";
    return inner().collection(escaped);
  }

 private:
  static bool well_shaped(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
      const auto b = static_cast<unsigned char>(s[i]);
      const std::size_t n = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
      if (n == 0 || i + n > s.size()) return false;
      for (std::size_t k = 1; k < n; ++k) {
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
      }
      i += n;
    }
    return true;
  }
};

// Stores upper in an integer column with INT64_MAX meaning {}: sealing to
// {INT64_MAX} seals everything.
class SealMaxIsEmpty : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Status seal(CollectionHandle c, Frontier f) override {
    if (f == Frontier(kMaxT)) f = Frontier::empty();
    return inner().seal(c, f);
  }
};

// Checks `time + 1 > upper` in wrapping arithmetic: an entry at INT64_MAX
// wraps to INT64_MIN and is refused.
class UpdateAtMaxTimeRefused : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Status update_many(CollectionHandle c, std::span<const Update> entries) override {
    auto upper = inner().upper(c);
    if (!upper) return std::unexpected(upper.error());
    for (const Update& u : entries) {
      if (u.time == kMaxT && !upper->is_empty()) {
        return fail(ErrorCode::kFrontierViolation, "entry time " + std::to_string(u.time) +
                                                       " is less than the current upper frontier " +
                                                       upper->to_string());
      }
    }
    return inner().update_many(c, entries);
  }
};

}  // namespace

std::vector<Mutant> data_mutants() {
  return {
      {"keys_truncated_at_nul", "keys pass through a C string: \"k\\0x\" is stored and looked up as \"k\"",
       over_memory<KeysTruncatedAtNul>},
      {"long_values_truncated", "values longer than 2048 bytes are cut (keys and values are any bytes)",
       over_memory<LongValuesTruncated>},
      {"signed_byte_order", "iter sorts bytes as signed chars, 0x80..0xFF before ASCII (unsigned order)",
       over_memory<SignedByteOrder>},
      {"names_case_folded", "collection names are looked up case-insensitively (names are bytes)",
       over_memory<NamesCaseFolded>},
      {"names_keyed_by_first_16_bytes", "a name cache keyed by the first 16 bytes merges longer names",
       over_memory<NamesKeyedByFirst16Bytes>},
      {"names_normalised_nfc", "names are normalised to NFC, merging two spellings of one word",
       over_memory<NamesNormalisedNfc>},
      {"accepts_overlong_utf8", "a lax UTF-8 check accepts overlong forms, surrogates, > U+10FFFF",
       over_memory<AcceptsOverlongUtf8>},
      {"seal_max_is_empty", "upper {INT64_MAX} is stored as the sentinel for {} (seals everything)",
       over_memory<SealMaxIsEmpty>},
      {"update_at_max_time_refused", "time + 1 overflows: an entry at INT64_MAX is refused",
       over_memory<UpdateAtMaxTimeRefused>},
  };
}

}  // namespace stash::mutants
