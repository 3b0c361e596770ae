// One data row of format version 2, read for the upgrade to format 3: see
// format2_row.cc for its columns and upgrade.cc for the upgrade.
#ifndef STASH_IMPL_SQLITE_SRC_FORMAT2_ROW_H_
#define STASH_IMPL_SQLITE_SRC_FORMAT2_ROW_H_

#include <sqlite3.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "stored_row.h"

namespace stash::sqlite {

// Reads a format-2 row from `s`, whose columns from `first` are time, diff,
// later, crc, of pair (collection, key, value): checks the checksum and the
// encoding exactly as format 2's reader did and appends the entries to
// `entries`. kCorruption, naming the collection and key, if the row does not
// check out: the upgrade never carries damage into format 3.
Status decode_format2_row(sqlite3_stmt* s, int first, std::int64_t collection,
                          std::string_view key, std::string_view value,
                          std::vector<Entry>& entries);

}  // namespace stash::sqlite

#endif  // STASH_IMPL_SQLITE_SRC_FORMAT2_ROW_H_
