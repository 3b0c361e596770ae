// Reading data rows back as (key, value) pairs advanced to since.
//
// iter, peek and peek_one read every row of a collection in one scan of the
// data table in primary-key order,
//
//   SELECT key, value, entries FROM data
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
    "SELECT key, value, entries FROM data WHERE collection_id = ?1 "
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

inline bool fits_int64(Int128 d) { return fits_in_diff(d); }

// What scan_pairs checks as it goes (ordered_scan.cc).
class ScanChecks {
 public:
  explicit ScanChecks(const CollectionRow& collection) : collection_(collection) {}
  // The row at (key, value) with checksum `crc` comes next, after the row
  // `previous` holds (ignored for the first row): kCorruption if it is not
  // strictly after it.
  Status next(std::string_view key, std::string_view value, const PairRows& previous,
              std::int64_t crc);
  // At the end of the scan: kCorruption unless the rows seen are those the
  // collection row counts.
  Status finish() const;

 private:
  const CollectionRow& collection_;
  std::int64_t rows_ = 0;
  std::uint64_t digest_ = 0;
};

std::int64_t collection_id(const CollectionRow& collection);

// Steps `scan` (kScanSql, bound to the collection's id) to the end and calls
// visit(const PairRows&) once per pair, in (key, value) order. The pair
// stays as it is until the next row has been checked against it (the order
// check), so its bytes are copied out, never moved: one copy per row, into
// the result. Stops at the first error, the visitor's included. Damage (see
// above) is kCorruption.
template <typename Visit>
Status scan_pairs(Statement& scan, const CollectionRow& collection, Timestamp since,
                  Visit&& visit) {
  sqlite3_stmt* s = scan.raw();
  const std::int64_t id = collection_id(collection);
  ScanChecks checks(collection);
  PairRows pair;
  std::vector<Entry> entries;
  for (;;) {
    auto row = scan.step("scan");
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    const std::string_view key = column_view(s, 0);
    const std::string_view value = column_view(s, 1);
    entries.clear();
    std::int64_t crc = 0;
    if (auto ok = decode_row(s, 2, id, key, value, entries, crc, false); !ok) return ok;
    if (auto ok = checks.next(key, value, pair, crc); !ok) return ok;
    pair.key.assign(key);  // Reuses the previous row's buffers.
    pair.value.assign(value);
    advance_pair(entries, since, pair);
    if (auto ok = visit(static_cast<const PairRows&>(pair)); !ok) return ok;
  }
  return checks.finish();
}

}  // namespace stash::sqlite

#endif  // STASH_IMPL_SQLITE_SRC_ORDERED_SCAN_H_
