#include "ordered_scan.h"

#include <cstring>

#include "sqlite_stash_impl.h"

namespace stash::sqlite {
namespace {

__extension__ typedef unsigned __int128 UInt128;

// Wraps instead of overflowing (undefined for signed __int128), as the sums
// of stash_sum may; only a collection holding more than 2^63 entries of
// 2^64-wide diffs could get there.
Int128 add(Int128 a, Int128 b) {
  return static_cast<Int128>(static_cast<UInt128>(a) + static_cast<UInt128>(b));
}

// memcmp order, then length: SQLite's BLOB order.
int compare(std::string_view a, std::string_view b) {
  const int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  if (c != 0 || a.size() == b.size()) return c;
  return a.size() < b.size() ? -1 : 1;
}

}  // namespace

void advance_pair(const std::vector<Entry>& entries, Timestamp since, PairRows& p) {
  p.any_at_since = false;
  p.at_since = 0;
  p.later.clear();
  for (const Entry& e : entries) {
    if (e.time <= since) {
      p.any_at_since = true;
      p.at_since = add(p.at_since, e.diff);
    } else {
      p.later.emplace_back(e.time, e.diff);
    }
  }
}

Status scan_pairs(Statement& scan, const CollectionRow& collection, Timestamp since,
                  const PairVisitor& visit) {
  sqlite3_stmt* s = scan.raw();
  PairRows pair;
  std::vector<Entry> entries;
  std::int64_t rows = 0;
  std::uint64_t digest = 0;
  for (;;) {
    auto row = scan.step("scan");
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    const std::string_view key = column_view(s, 0);
    const std::string_view value = column_view(s, 1);
    if (rows > 0) {
      const int c = compare(key, pair.key);
      if (c < 0 || (c == 0 && compare(value, pair.value) <= 0)) {
        return fail(ErrorCode::kCorruption,
                    "sqlite: data rows of collection #" + std::to_string(collection.id) +
                        " are out of order: the table's B-tree is damaged");
      }
    }
    entries.clear();
    std::int64_t crc = 0;
    if (auto ok = decode_row(s, 2, collection.id, key, value, entries, crc); !ok) return ok;
    ++rows;
    digest += digest_term(crc);
    pair.key.assign(key);
    pair.value.assign(value);
    advance_pair(entries, since, pair);
    if (auto ok = visit(pair); !ok) return ok;
  }
  if (rows != collection.rows || digest != collection.digest) {
    return fail(ErrorCode::kCorruption,
                "sqlite: collection #" + std::to_string(collection.id) + " should hold " +
                    std::to_string(collection.rows) + " data rows (digest " +
                    std::to_string(collection.digest) + ") but " + std::to_string(rows) +
                    " were found (digest " + std::to_string(digest) +
                    "): rows were lost or damaged");
  }
  return {};
}

}  // namespace stash::sqlite
