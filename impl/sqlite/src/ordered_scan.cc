#include "ordered_scan.h"

#include <cstring>

namespace stash::sqlite {
namespace {

using UInt128 = ExactDiffBits;

// Column i of the current row equals `bytes`. SQLite returns a null pointer
// for a zero-length BLOB.
bool column_equals(sqlite3_stmt* s, int i, const Bytes& bytes) {
  const void* data = sqlite3_column_blob(s, i);
  const auto size = static_cast<std::size_t>(sqlite3_column_bytes(s, i));
  return size == bytes.size() && (size == 0 || std::memcmp(data, bytes.data(), size) == 0);
}

void assign_column(sqlite3_stmt* s, int i, Bytes& out) {
  const void* data = sqlite3_column_blob(s, i);
  const auto size = static_cast<std::size_t>(sqlite3_column_bytes(s, i));
  if (size == 0) {
    out.clear();
  } else {
    out.assign(static_cast<const char*>(data), size);
  }
}

// Wraps instead of overflowing (undefined for signed __int128), as the sums
// of stash_sum may; only a collection holding more than 2^63 rows of
// 2^64-wide diffs could get there.
Int128 add(Int128 a, Int128 b) {
  return static_cast<Int128>(static_cast<UInt128>(a) + static_cast<UInt128>(b));
}

}  // namespace

Status scan_pairs(Statement& scan, Timestamp since, const PairVisitor& visit) {
  sqlite3_stmt* s = scan.raw();
  PairRows pair;
  bool open = false;
  for (;;) {
    auto row = scan.step("scan");
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    if (!open || !column_equals(s, 0, pair.key) || !column_equals(s, 1, pair.value)) {
      if (open) {
        if (auto ok = visit(pair); !ok) return ok;
      }
      assign_column(s, 0, pair.key);
      assign_column(s, 1, pair.value);
      pair.any_at_since = false;
      pair.at_since = 0;
      pair.later.clear();
      open = true;
    }
    const Timestamp time = sqlite3_column_int64(s, 2);
    auto diff = decode_diff(sqlite3_column_value(s, 3));
    if (!diff) {
      return fail(ErrorCode::kCorruption,
                  "sqlite: scan: stored diff is neither an integer nor a 16-byte sum");
    }
    if (time <= since) {
      pair.any_at_since = true;
      pair.at_since = add(pair.at_since, *diff);
    } else {
      pair.later.emplace_back(time, *diff);
    }
  }
  if (open) return visit(pair);
  return {};
}

}  // namespace stash::sqlite
