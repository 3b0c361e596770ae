// One data row of format version 2 (schema.cc): everything stored for one
// (key, value) pair of a collection, as a list of entries (time, diff).
//
//   time, diff   the first entry (diff as in exact_diff_sql.h)
//   later        NULL, or the entries after the first: 24 bytes each, the
//                time (8 bytes) then the diff (16 bytes), big-endian two's
//                complement, times ascending
//   merge_at     NULL, or the time of the second entry: once since reaches
//                it, two entries advance to the same time (index
//                data_to_merge finds these rows for consolidate)
//   crc          RowChecksum over (collection_id, key, value, time, diff,
//                later); merge_at, a hint derived from later, is checked
//                against it where it is read (consolidate, writes)
//
// Entries have distinct times and non-zero exact sums. Most pairs have one
// entry (one write, or writes consolidated), so the row is the pair and its
// one (time, diff), with no second copy anywhere.
#ifndef STASH_IMPL_SQLITE_SRC_STORED_ROW_H_
#define STASH_IMPL_SQLITE_SRC_STORED_ROW_H_

#include <sqlite3.h>

#include <cstdint>
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

// The stored columns of a row; `later` empty and has_later false for one entry.
struct RowColumns {
  Timestamp time = 0;
  Int128 diff = 0;
  std::string later;  // the encoded later entries ("" when single)
  std::optional<Timestamp> merge_at;
  std::int64_t crc = 0;
};

// Encodes non-empty `entries` of pair (collection, key, value).
RowColumns encode_row(std::int64_t collection, const Bytes& key, const Bytes& value,
                      const std::vector<Entry>& entries);

// The checksum of a row holding a single entry whose diff fits in int64: the
// common insert, without building a RowColumns.
std::int64_t single_entry_crc(std::int64_t collection, const Bytes& key, const Bytes& value,
                              Timestamp time, std::int64_t diff);

// Binds `row` to parameters first..first+4 as time, diff, later, merge_at, crc.
void bind_row(sqlite3_stmt* s, int first, const RowColumns& row);

// Reads a row from `s`, whose columns from `first` are time, diff, later,
// crc (and merge_at if `with_merge_at`), of pair (collection, key, value):
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
