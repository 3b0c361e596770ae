// Reading data rows back as (key, value) pairs advanced to since.
//
// iter, peek and peek_one read every row of a collection in one scan of the
// data table in primary-key order,
//
//   SELECT key, value, time, diff, later, merge_at, crc FROM data
//   WHERE collection_id = ?1 ORDER BY key, value     -- the primary key: no sort
//
// checking each row's checksum (stored_row.h), that the pairs come strictly
// in order, and at the end that the rows counted and their digest are the
// collection row's: a row lost, duplicated or damaged is kCorruption, never
// a wrong answer. Each row is one pair; its entries advanced to since are
// the sum of those at or before since (first), then each later one.
#ifndef STASH_IMPL_SQLITE_SRC_ORDERED_SCAN_H_
#define STASH_IMPL_SQLITE_SRC_ORDERED_SCAN_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include "exact_diff_sql.h"
#include "sqlite_db.h"
#include "stored_row.h"

namespace stash {
struct CollectionRow;
}

namespace stash::sqlite {

// The statement scan_pairs steps; ?1 is the collection id.
inline constexpr const char* kScanSql =
    "SELECT key, value, time, diff, later, merge_at, crc FROM data WHERE collection_id = ?1 "
    "ORDER BY key, value";

// One (key, value) pair's entries, advanced to since, summed exactly.
struct PairRows {
  Bytes key;
  Bytes value;
  bool any_at_since = false;  // some entry has time <= since
  Int128 at_since = 0;        // the exact sum of those entries (time since)
  std::vector<std::pair<Timestamp, Int128>> later;  // time > since, ascending
};

// Fills `p`'s advanced groups from `entries` (time ascending).
void advance_pair(const std::vector<Entry>& entries, Timestamp since, PairRows& p);

inline bool fits_int64(Int128 d) {
  return d >= std::numeric_limits<std::int64_t>::min() &&
         d <= std::numeric_limits<std::int64_t>::max();
}

// Steps `scan` (kScanSql, bound to collection.id) to the end and calls
// `visit` once per pair, in (key, value) order; stops at the first error,
// the visitor's included. Damage (see above) is kCorruption.
using PairVisitor = std::function<Status(const PairRows&)>;
Status scan_pairs(Statement& scan, const CollectionRow& collection, Timestamp since,
                  const PairVisitor& visit);

}  // namespace stash::sqlite

#endif  // STASH_IMPL_SQLITE_SRC_ORDERED_SCAN_H_
