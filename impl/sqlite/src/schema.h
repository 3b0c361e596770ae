// The on-disk format of a SQLite stash: see schema.cc for the grammar.
#ifndef STASH_IMPL_SQLITE_SRC_SCHEMA_H_
#define STASH_IMPL_SQLITE_SRC_SCHEMA_H_

#include <sqlite3.h>

#include <cstdint>

#include "stash/error.h"

namespace stash::sqlite {

// PRAGMA application_id of every stash file: the bytes "Stsh".
inline constexpr std::int64_t kApplicationId = 0x53747368;

// PRAGMA user_version: the format version this library writes and reads.
// Version 1 (one row per (key, value, time) and a time index) is refused.
inline constexpr std::int64_t kFormatVersion = 2;

enum class FileKind {
  kEmpty,  // no tables, application_id and user_version 0: a new file
  kStash,  // one of ours, of the format version we read, schema intact
};

// Classifies the open database without writing anything, reading the header
// fields and the schema in one read transaction (or inside the caller's
// transaction if one is open), so that a concurrent creator is seen either
// not at all or completely.
// Errors: kInvalidArgument if it is an SQLite database that is not a stash
// ("invalid application id: N") or a stash of another format version;
// kCorruption if it is not an SQLite database, its text encoding is not
// UTF-8, or its schema is not exactly ours; kUnavailable on a lock timeout;
// kIoError etc. from SQLite.
Result<FileKind> inspect(sqlite3* db);

// PRAGMA quick_check: ok, or kCorruption with the first problem it found.
Status quick_check(sqlite3* db);

// Creates the schema and stamps application_id and user_version. Must run
// inside a write transaction, on a database that inspect() found empty.
Status create_schema(sqlite3* db);

}  // namespace stash::sqlite

#endif  // STASH_IMPL_SQLITE_SRC_SCHEMA_H_
