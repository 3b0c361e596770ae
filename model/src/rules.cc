#include "stash/rules.h"

#include <cstdint>
#include <limits>
#include <string>

#include "exact_diff.h"

namespace stash::rules {
namespace {

std::string collection_prefix(CollectionHandle c) {
  return "collection " + std::to_string(c.id) + ": ";
}

}  // namespace

Status check_update_time(Timestamp time, const Frontier& upper) {
  if (upper.less_equal(time)) return {};
  return fail(ErrorCode::kFrontierViolation,
              "entry time " + std::to_string(time) +
                  " is less than the current upper frontier " + upper.to_string());
}

Status check_seal(const Frontier& upper, const Frontier& new_upper) {
  if (upper <= new_upper) return {};
  return fail(ErrorCode::kFrontierViolation,
              "seal request " + new_upper.to_string() +
                  " is less than the current upper frontier " + upper.to_string());
}

Status check_compact(const Frontier& since, const Frontier& upper,
                     const Frontier& new_since) {
  if (!(new_since <= upper)) {
    return fail(ErrorCode::kFrontierViolation,
                "compact request " + new_since.to_string() +
                    " is greater than the current upper frontier " +
                    upper.to_string());
  }
  if (!(since <= new_since)) {
    return fail(ErrorCode::kFrontierViolation,
                "compact request " + new_since.to_string() +
                    " is less than the current since frontier " +
                    since.to_string());
  }
  return {};
}

Status check_readable(const Frontier& since) {
  if (!since.is_empty()) return {};
  return fail(ErrorCode::kFrontierViolation,
              "cannot iterate collection with empty since frontier");
}

Result<Timestamp> peek_timestamp(CollectionHandle c, const Frontier& since,
                                 const Frontier& upper) {
  if (upper <= since) {
    return fail(ErrorCode::kFrontierViolation,
                "collection " + std::to_string(c.id) + " since " +
                    since.to_string() + " is not less than upper " +
                    upper.to_string());
  }
  // upper > since >= some time, so an element of upper is never INT64_MIN.
  if (upper.is_empty()) return std::numeric_limits<Timestamp>::max();
  return *upper.element() - 1;
}

Status check_lower(CollectionHandle c, const Frontier& upper,
                   const Frontier& lower) {
  if (lower == upper) return {};
  return fail(ErrorCode::kFrontierViolation,
              collection_prefix(c) + "unexpected lower " + lower.to_string() +
                  ", the current upper frontier is " + upper.to_string());
}

Status check_append_batch(CollectionHandle c, const Frontier& lower,
                          std::span<const Update> entries, const Frontier& new_upper,
                          const std::optional<Frontier>& new_since, Frontier& since,
                          Frontier& upper) {
  if (auto ok = check_lower(c, upper, lower); !ok) return ok;
  for (const Update& u : entries) {
    if (auto ok = check_update_time(u.time, upper); !ok) return ok;
  }
  if (auto ok = check_seal(upper, new_upper); !ok) return ok;
  if (new_since) {
    if (auto ok = check_compact(since, new_upper, *new_since); !ok) return ok;
    since = *new_since;
  }
  upper = new_upper;
  return {};
}

namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 if it is malformed
// (overlong forms, surrogates and code points past U+10FFFF are malformed).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t length;
  std::uint32_t min_code_point;
  std::uint32_t code_point;
  if ((b0 & 0xE0) == 0xC0) {
    length = 2, min_code_point = 0x80, code_point = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3, min_code_point = 0x800, code_point = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4, min_code_point = 0x10000, code_point = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i + k) & 0x3F);
  }
  const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
  if (code_point < min_code_point || code_point > 0x10FFFF || surrogate) return 0;
  return length;
}

}  // namespace

Status check_collection_name(std::string_view name) {
  for (std::size_t i = 0; i < name.size();) {
    const std::size_t length = utf8_sequence_length(name, i);
    if (length == 0) {
      return fail(ErrorCode::kInvalidArgument,
                  "collection name is not valid UTF-8 (byte offset " +
                      std::to_string(i) + ")");
    }
    i += length;
  }
  return {};
}

Result<std::vector<PeekEntry>> peek_of(CollectionHandle c, std::span<const Update> updates,
                                       Timestamp ts) {
  // Sorted by (key, value, time): equal (key, value) are adjacent.
  std::vector<PeekEntry> out;
  internal::ExactDiff sum = 0;
  for (std::size_t i = 0; i < updates.size(); ++i) {
    const Update& u = updates[i];
    if (u.time <= ts) sum += u.diff;
    const bool last_of_pair = i + 1 == updates.size() || updates[i + 1].key != u.key ||
                              updates[i + 1].value != u.value;
    if (!last_of_pair) continue;
    if (!internal::fits_in_diff(sum)) return std::unexpected(diff_out_of_range(c));
    if (sum != 0) out.push_back({u.key, u.value, static_cast<Diff>(sum)});
    sum = 0;
  }
  return out;
}

Result<std::map<Bytes, Bytes>> peek_one_of(CollectionHandle c, std::vector<PeekEntry> entries) {
  // Sorted by key, so each entry goes at the end (constant time); a map
  // that does not grow had the key already.
  std::map<Bytes, Bytes> out;
  for (PeekEntry& e : entries) {
    if (e.diff != 1) return std::unexpected(unexpected_peek_multiplicity(c));
    const std::size_t size = out.size();
    out.emplace_hint(out.end(), std::move(e.key), std::move(e.value));
    if (out.size() == size) return std::unexpected(duplicate_peek_keys(c));
  }
  return out;
}

Result<std::optional<Bytes>> peek_key_one_of(CollectionHandle c,
                                             std::span<const ValueUpdate> updates, Timestamp ts) {
  // Sorted by (value, time): sum each value's sealed diffs.
  std::optional<Bytes> found;
  internal::ExactDiff sum = 0;
  for (std::size_t i = 0; i < updates.size(); ++i) {
    const ValueUpdate& u = updates[i];
    if (u.time <= ts) sum += u.diff;
    const bool last_of_value = i + 1 == updates.size() || updates[i + 1].value != u.value;
    if (!last_of_value || sum == 0) continue;
    // As peek: a sum that does not fit is out of range before it is the
    // wrong multiplicity.
    if (!internal::fits_in_diff(sum)) return std::unexpected(diff_out_of_range(c));
    if (found.has_value() || sum != 1) return std::unexpected(multiple_values_unexpected(c));
    found = u.value;
    sum = 0;
  }
  return found;
}

Error unexpected_peek_multiplicity(CollectionHandle c) {
  return Error(ErrorCode::kMultiplicity,
               collection_prefix(c) + "unexpected peek multiplicity");
}

Error duplicate_peek_keys(CollectionHandle c) {
  return Error(ErrorCode::kMultiplicity,
               "duplicate peek keys for collection " + std::to_string(c.id));
}

Error multiple_values_unexpected(CollectionHandle c) {
  return Error(ErrorCode::kMultiplicity,
               collection_prefix(c) + "multiple values unexpected");
}

Error diff_out_of_range(CollectionHandle c) {
  return Error(ErrorCode::kOutOfRange,
               collection_prefix(c) +
                   "a consolidated diff does not fit in a signed 64-bit integer");
}

Error unknown_collection(CollectionHandle c) {
  return Error(ErrorCode::kNotFound,
               "no collection with id " + std::to_string(c.id) + " in this stash");
}

}  // namespace stash::rules
