// One data row of format version 3 (schema.cc): everything stored for one
// (key, value) pair of a collection, as a list of entries (time, diff).
//
//   entries   a BLOB: the crc (4 bytes, big-endian), then the first entry's
//             time (LEB128 varint of its 64 bits) and diff (LEB128 varint of
//             its zigzag encoding, up to 19 bytes for 128 bits; shortest
//             encodings only), then each later entry as time (8 bytes) and
//             diff (16), big-endian two's complement, times ascending. What
//             follows the first entry must be a multiple of 24 bytes.
//             A common row (small time, small diff) is 6 bytes.
//   merge_at  NULL, or the time of the second entry: once since reaches it,
//             two entries advance to the same time (index data_to_merge
//             finds these rows for consolidate)
//
// The crc is RowChecksum over (collection_id, key, value, the entries BLOB
// after its crc): every stored field but merge_at, a hint derived from the
// entries and checked against them where it is read (consolidate, writes).
// One BLOB instead of format 2's time, diff, later and crc columns: a scan
// decodes three columns per row, not six.
//
// Entries have distinct times and non-zero exact sums. Most pairs have one
// entry (one write, or writes consolidated), so the row is the pair and its
// one (time, diff), with no second copy anywhere.
#ifndef STASH_IMPL_SQLITE_SRC_STORED_ROW_H_
#define STASH_IMPL_SQLITE_SRC_STORED_ROW_H_

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "exact_diff_sql.h"
#include "sqlite_db.h"
#include "stash/update.h"

namespace stash::sqlite {

struct Entry {
  Timestamp time;
  Int128 diff;
};

// Adds `d` to the entry at `t` (inserting one if missing), then merges every
// entry at or before `since` into one at `since` (reads advance them there
// anyway, so no read can tell) and drops zero sums. `entries` stays sorted.
void add_entry(std::vector<Entry>& entries, Timestamp t, Int128 d);
void advance_to(std::vector<Entry>& entries, Timestamp since);

// The stored columns of a row.
struct RowColumns {
  std::string entries;  // the entries BLOB, crc first
  std::optional<Timestamp> merge_at;
  std::int64_t crc = 0;  // as digest_term takes it: the 32 bits, sign-extended
};

// Encodes non-empty `entries` of pair (collection, key, value).
RowColumns encode_row(std::int64_t collection, const Bytes& key, const Bytes& value,
                      const std::vector<Entry>& entries);

// Writes into `out` (its buffer reused) the entries BLOB of a row holding a
// single entry whose diff fits in int64, the common insert; returns its crc.
std::int64_t encode_single_entry(std::int64_t collection, const Bytes& key, const Bytes& value,
                                 Timestamp time, std::int64_t diff, std::string& out);

// Binds `row` to parameters first, first+1 as entries, merge_at.
void bind_row(sqlite3_stmt* s, int first, const RowColumns& row);

// Reads a row from `s`, whose column `first` is the entries BLOB (and
// first+1 merge_at if `with_merge_at`), of pair (collection, key, value):
// checks the checksum and the encoding and appends the entries to
// `entries`. The stored crc is returned through `crc`. kCorruption, naming
// the collection and key, if the row does not check out.
Status decode_row(sqlite3_stmt* s, int first, std::int64_t collection, std::string_view key,
                  std::string_view value, std::vector<Entry>& entries, std::int64_t& crc,
                  bool with_merge_at);

// A column as bytes (a zero-length view for an empty BLOB or NULL).
std::string_view column_view(sqlite3_stmt* s, int i);

}  // namespace stash::sqlite

#endif  // STASH_IMPL_SQLITE_SRC_STORED_ROW_H_
