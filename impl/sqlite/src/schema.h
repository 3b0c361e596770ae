// The on-disk format of a SQLite stash: see schema.cc for the grammar.
#ifndef STASH_IMPL_SQLITE_SRC_SCHEMA_H_
#define STASH_IMPL_SQLITE_SRC_SCHEMA_H_

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "stash/error.h"

namespace stash::sqlite {

// PRAGMA application_id of every stash file: the bytes "Stsh".
inline constexpr std::int64_t kApplicationId = 0x53747368;

// PRAGMA user_version: the format version this library writes and reads.
// Version 1 (one row per (key, value, time) and a time index) is refused;
// version 2 (time, diff, later, crc columns) is upgraded by a writer's open.
inline constexpr std::int64_t kFormatVersion = 3;

enum class FileKind {
  kEmpty,  // no tables, application_id and user_version 0: a new file
  kStash,    // one of ours, of the format version we read, schema intact
  kFormat2,  // one of ours, of format version 2, schema intact: to upgrade
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

// The upgrade's schema steps (upgrade.cc), inside its write transaction:
// renames format 2's data table to data_format2 and creates format 3's data
// table and index; then, once the rows are copied, drops data_format2 and
// stamps user_version 3.
Status replace_format2_data_table(sqlite3* db);
Status finish_format2_upgrade(sqlite3* db);

// Format 2's whole schema, for tests that build format-2 files.
std::string format2_schema_sql();

}  // namespace stash::sqlite

#endif  // STASH_IMPL_SQLITE_SRC_SCHEMA_H_
