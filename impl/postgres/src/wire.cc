#include "wire.h"

#include <algorithm>

namespace stash::postgres::wire {
namespace {

void put_be(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// The binary array format: ndim, has-nulls flag, element type, then per
// dimension (length, lower bound), then each element as (length, bytes).
std::string array_header(Type element, std::size_t n, bool has_nulls = false) {
  std::string out;
  put_be(out, n == 0 ? 0 : 1, 4);
  put_be(out, has_nulls ? 1 : 0, 4);
  put_be(out, static_cast<unsigned>(element), 4);
  if (n > 0) {
    put_be(out, n, 4);
    put_be(out, 1, 4);
  }
  return out;
}

}  // namespace

Param int8(std::int64_t v) {
  std::string out;
  put_be(out, static_cast<std::uint64_t>(v), 8);
  return {Type::kInt8, std::move(out)};
}

Param bytea(std::string bytes) { return {Type::kBytea, std::move(bytes)}; }

Param frontier(const Frontier& f) {
  if (f.is_empty()) return {Type::kInt8, std::nullopt};
  return int8(*f.element());
}

Param bytea_array(const std::vector<std::string>& items) {
  std::string out = array_header(Type::kBytea, items.size());
  for (const std::string& item : items) {
    put_be(out, item.size(), 4);
    out += item;
  }
  return {Type::kByteaArray, std::move(out)};
}

Param int8_array(const std::vector<std::int64_t>& items) {
  std::string out = array_header(Type::kInt8, items.size());
  for (std::int64_t item : items) {
    put_be(out, 8, 4);
    put_be(out, static_cast<std::uint64_t>(item), 8);
  }
  return {Type::kInt8Array, std::move(out)};
}

Param frontier_array(const std::vector<Frontier>& items) {
  const bool has_nulls =
      std::any_of(items.begin(), items.end(), [](const Frontier& f) { return f.is_empty(); });
  std::string out = array_header(Type::kInt8, items.size(), has_nulls);
  for (const Frontier& f : items) {
    if (f.is_empty()) {
      put_be(out, 0xffffffffu, 4);  // length -1: NULL
    } else {
      put_be(out, 8, 4);
      put_be(out, static_cast<std::uint64_t>(*f.element()), 8);
    }
  }
  return {Type::kInt8Array, std::move(out)};
}

std::optional<std::int64_t> to_int8(const std::optional<std::string>& cell) {
  if (!cell || cell->size() != 8) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : *cell) v = (v << 8) | static_cast<unsigned char>(c);
  return static_cast<std::int64_t>(v);
}

std::optional<Frontier> to_frontier(const std::optional<std::string>& cell) {
  if (!cell) return Frontier::empty();
  auto t = to_int8(cell);
  if (!t) return std::nullopt;
  return Frontier::at(*t);
}

std::optional<WideDiff> to_wide(const std::optional<std::string>& cell) {
  if (!cell || cell->empty()) return std::nullopt;
  const std::string& s = *cell;
  const bool negative = s[0] == '-';
  const std::size_t first = negative ? 1 : 0;
  // 37 decimal digits always fit in 127 bits; a stash never gets near that.
  if (s.size() == first || s.size() - first > 37) return std::nullopt;
  WideDiff v = 0;
  for (std::size_t i = first; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return negative ? -v : v;
}

}  // namespace stash::postgres::wire
