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
inline constexpr std::int64_t kFormatVersion = 1;

enum class FileKind {
  kEmpty,  // no tables, application_id and user_version 0: a new file
  kStash,  // one of ours, of a format version we read
};

// Classifies the open database without writing anything.
// Errors: kInvalidArgument if it is an SQLite database that is not a stash
// ("invalid application id: N") or a stash of a newer format version;
// kCorruption if it is not an SQLite database or is damaged (and `verify`
// runs PRAGMA quick_check to look); kIoError etc. from SQLite.
Result<FileKind> inspect(sqlite3* db, bool verify);

// Creates the schema and stamps application_id and user_version. Must run
// inside a write transaction, on a database that inspect() found empty.
Status create_schema(sqlite3* db);

}  // namespace stash::sqlite

#endif  // STASH_IMPL_SQLITE_SRC_SCHEMA_H_
