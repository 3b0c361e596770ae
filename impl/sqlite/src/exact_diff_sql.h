// Exact diff sums inside SQL.
//
// The spec keeps the exact sum of every diff written at one (key, value,
// time): writes never fail for overflow, and a read fails with kOutOfRange
// only when a diff it must return does not fit in int64 (MemoryStash keeps
// 128-bit sums). SQLite's own + and SUM() raise "integer overflow" instead,
// even when a later addend brings the sum back into range, so the schema
// stores a diff as
//
//   diff := INTEGER                 when the exact sum fits in int64
//         | BLOB of 16 bytes        otherwise: the sum as a big-endian
//                                   two's-complement 128-bit integer
//
// and two SQL functions, registered on every connection, do the arithmetic:
//
//   stash_add(a, b)  the exact sum of two diffs, encoded as above (scalar)
//   stash_sum(d)     the exact sum of a group of diffs, encoded as above
//                    (aggregate; 0 for an empty group)
//
// A reader maps a BLOB result to kOutOfRange. Anything else in a diff column
// (text, a real, a BLOB of another size) fails the statement with
// SQLITE_CORRUPT. Readers that sum in C++ instead (the ordered scans of
// sqlite_stash.cc) decode each stored diff with decode_diff.
#ifndef STASH_IMPL_SQLITE_SRC_EXACT_DIFF_SQL_H_
#define STASH_IMPL_SQLITE_SRC_EXACT_DIFF_SQL_H_

#include <sqlite3.h>

#include <optional>

#include "stash/exact_diff.h"

namespace stash::sqlite {

using Int128 = ExactDiff;

// The exact value of a stored diff (an INTEGER, or a 16-byte BLOB as above),
// or nullopt if `v` is neither: the file is corrupt.
std::optional<Int128> decode_diff(sqlite3_value* v);

// Registers stash_add and stash_sum on `db`. Returns an SQLite result code.
int register_exact_diff_functions(sqlite3* db);

}  // namespace stash::sqlite

#endif  // STASH_IMPL_SQLITE_SRC_EXACT_DIFF_SQL_H_
