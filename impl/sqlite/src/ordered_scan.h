// Whole-collection reads as one scan of the data table in primary-key order.
//
// iter, peek and peek_one read every row of a collection. Rather than group
// in SQL (a sort, and a custom aggregate call per row), they step through
//
//   SELECT key, value, time, diff FROM data WHERE collection_id = ?1
//   ORDER BY key, value, time          -- the primary key: no sort
//
// and consolidate in C++ with 128-bit sums, one (key, value) pair at a time:
// its rows are adjacent in this order. Advancing a time to since maps every
// row at or before since onto since, and since is below every later time,
// so a pair's advanced groups are the sum of its rows at or before since
// (first), then each later row on its own (times ascending, unique by the
// primary key).
#ifndef STASH_IMPL_SQLITE_SRC_ORDERED_SCAN_H_
#define STASH_IMPL_SQLITE_SRC_ORDERED_SCAN_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include "exact_diff_sql.h"
#include "sqlite_db.h"

namespace stash::sqlite {

// The statement scan_pairs steps; ?1 is the collection id.
inline constexpr const char* kScanSql =
    "SELECT key, value, time, diff FROM data WHERE collection_id = ?1 "
    "ORDER BY key, value, time";

// One (key, value) pair's stored rows, advanced to since, summed exactly.
struct PairRows {
  Bytes key;
  Bytes value;
  bool any_at_since = false;  // some row has time <= since
  Int128 at_since = 0;        // the exact sum of those rows (time since)
  std::vector<std::pair<Timestamp, Int128>> later;  // time > since, ascending
};

inline bool fits_int64(Int128 d) { return fits_in_diff(d); }

// Steps `scan` (kScanSql, bound) to the end and calls `visit` once per pair,
// in (key, value) order; stops at the first error, the visitor's included.
// A stored diff that is not a diff is kCorruption.
using PairVisitor = std::function<Status(const PairRows&)>;
Status scan_pairs(Statement& scan, Timestamp since, const PairVisitor& visit);

}  // namespace stash::sqlite

#endif  // STASH_IMPL_SQLITE_SRC_ORDERED_SCAN_H_
