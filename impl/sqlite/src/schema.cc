// The SQLite stash file format, version 1.
//
// A stash is an SQLite 3.37+ database file (STRICT tables) in WAL mode with
//
//   PRAGMA application_id = 0x53747368   -- "Stsh": this file is a stash
//   PRAGMA user_version   = 1            -- the format version below
//
// and exactly these tables:
//
//   collections(id INTEGER PRIMARY KEY,      -- the CollectionHandle id; 1, 2, ...
//               name TEXT UNIQUE NOT NULL,   -- UTF-8, any bytes, never in SQL text
//               since INTEGER,               -- the since frontier: NULL = {}
//               upper INTEGER)               -- the upper frontier: NULL = {}
//
//   data(collection_id INTEGER NOT NULL REFERENCES collections(id),
//        key   BLOB NOT NULL,                -- the key's bytes
//        value BLOB NOT NULL,                -- the value's bytes
//        time  INTEGER NOT NULL,
//        diff  ANY NOT NULL,                 -- see exact_diff_sql.h
//        PRIMARY KEY (collection_id, key, value, time)) WITHOUT ROWID
//   index data_by_time(collection_id, time)  -- consolidate finds rows <= since
//
//   fence(id INTEGER PRIMARY KEY CHECK (id = 0),   -- exactly one row
//         epoch INTEGER NOT NULL,            -- +1 at every writer open
//         nonce BLOB NOT NULL)               -- 16 random bytes of that open
//
// Invariants:
//   - a data row holds the exact sum of every diff written at its (key,
//     value, time), never 0 (zero sums are deleted);
//   - a collection's rows before its since are merged into since only by
//     consolidate; reads advance times with max(time, since);
//   - since <= upper (INV-2); NULL compares as the top element.
// SQLite compares BLOBs with memcmp then by length: the unsigned byte order of
// stash::Bytes, so ORDER BY key, value, time is the order reads return.
//
// A writer that opened with (epoch, nonce) may write while the fence row
// still holds them; a newer writer's open replaces them (see sqlite_stash.cc).
#include "schema.h"

#include <string>

#include "sqlite_db.h"

namespace stash::sqlite {
namespace {

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE collections (
  id    INTEGER PRIMARY KEY,
  name  TEXT NOT NULL UNIQUE,
  since INTEGER,
  upper INTEGER
) STRICT;
CREATE TABLE data (
  collection_id INTEGER NOT NULL REFERENCES collections(id),
  key           BLOB NOT NULL,
  value         BLOB NOT NULL,
  time          INTEGER NOT NULL,
  diff          ANY NOT NULL,
  PRIMARY KEY (collection_id, key, value, time)
) STRICT, WITHOUT ROWID;
CREATE INDEX data_by_time ON data(collection_id, time);
CREATE TABLE fence (
  id    INTEGER PRIMARY KEY CHECK (id = 0),
  epoch INTEGER NOT NULL,
  nonce BLOB NOT NULL
) STRICT;
INSERT INTO fence(id, epoch, nonce) VALUES (0, 0, x'');
PRAGMA application_id = 1400140648;
PRAGMA user_version = 1;
)sql";
static_assert(kApplicationId == 1400140648 && kFormatVersion == 1,
              "kSchemaV1 stamps these values");

Error not_a_stash(std::int64_t application_id) {
  return Error(ErrorCode::kInvalidArgument,
               "invalid application id: " + std::to_string(application_id));
}

// PRAGMA quick_check: "ok", or the first problem it found.
Status quick_check(sqlite3* db) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &raw, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(sqlite_error(db, rc, "quick_check"));
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  rc = sqlite3_step(raw);
  if (rc != SQLITE_ROW) return std::unexpected(sqlite_error(db, rc, "quick_check"));
  const std::string result = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
  if (result == "ok") return {};
  return fail(ErrorCode::kCorruption, "sqlite: quick_check failed: " + result);
}

}  // namespace

Result<FileKind> inspect(sqlite3* db, bool verify) {
  // Reading the header and the schema writes nothing. A file that is not an
  // SQLite database fails here with SQLITE_NOTADB (kCorruption).
  auto application_id = query_int(db, "PRAGMA application_id");
  if (!application_id) return std::unexpected(application_id.error());
  auto version = query_int(db, "PRAGMA user_version");
  if (!version) return std::unexpected(version.error());
  auto tables = query_int(db, "SELECT count(*) FROM sqlite_schema");
  if (!tables) return std::unexpected(tables.error());
  if (*application_id == 0 && *version == 0 && *tables == 0) return FileKind::kEmpty;
  if (*application_id != kApplicationId) return std::unexpected(not_a_stash(*application_id));
  if (*version > kFormatVersion) {
    return fail(ErrorCode::kInvalidArgument,
                "stash format version " + std::to_string(*version) +
                    " is newer than this library reads (" +
                    std::to_string(kFormatVersion) + ")");
  }
  if (*version < 1) {
    return fail(ErrorCode::kCorruption,
                "stash format version " + std::to_string(*version) + " is not valid");
  }
  if (verify) {
    if (auto ok = quick_check(db); !ok) return std::unexpected(ok.error());
  }
  return FileKind::kStash;
}

Status create_schema(sqlite3* db) { return exec(db, kSchemaV1); }

}  // namespace stash::sqlite
