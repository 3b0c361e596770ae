// The SQLite stash file format, version 3.
//
// A stash is an SQLite 3.37+ database file (STRICT tables) in WAL mode, text
// encoding UTF-8, with
//
//   PRAGMA application_id = 0x53747368   -- "Stsh": this file is a stash
//   PRAGMA user_version   = 3            -- the format version below
//
// and exactly these tables (sqlite_schema must match schema_sql() byte for byte):
//
//   collections(id     INTEGER PRIMARY KEY,  -- the CollectionHandle id; 1, 2, ...
//               name   BLOB UNIQUE NOT NULL, -- the name's bytes
//               since  INTEGER,              -- the since frontier: NULL = {}
//               upper  INTEGER,              -- the upper frontier: NULL = {}
//               rows   INTEGER NOT NULL,     -- the collection's data rows
//               digest INTEGER NOT NULL,     -- the sum mod 2^64 of their crcs
//               crc    INTEGER NOT NULL)     -- RowChecksum of the columns before
//
//   data(collection_id INTEGER NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,
//        entries BLOB NOT NULL, merge_at INTEGER,
//        PRIMARY KEY (collection_id, key, value)) WITHOUT ROWID
//     -- one row per (key, value) pair holding all its (time, diff) entries
//     -- and its crc in one BLOB: see stored_row.h (the crc covers all but
//     -- merge_at, consolidate's hint). One B-tree holds the data, once.
//   index data_to_merge(collection_id, merge_at) WHERE merge_at IS NOT NULL
//     -- only the pairs with several entries: consolidate's work list
//
//   fence(id INTEGER PRIMARY KEY CHECK (id = 0),   -- exactly one row
//         epoch INTEGER NOT NULL,            -- +1 at every writer open
//         nonce BLOB NOT NULL,               -- 16 random bytes of that open
//         crc   INTEGER NOT NULL)
//
// Invariants:
//   - a pair's entries hold the exact sum of every diff written at its
//     (key, value, time), never 0 (zero sums are deleted), and a pair with
//     no entries has no row;
//   - entries at or before since are merged into one at since whenever the
//     pair is written, and by consolidate (rows with merge_at <= since);
//     reads advance times with max(time, since) and sum, so they cannot tell;
//   - since <= upper (INV-2); NULL compares as the top element;
//   - every row's crc matches its columns; a collection's rows and digest
//     match its data rows (checked by every whole-collection read).
// SQLite compares BLOBs with memcmp then by length: the unsigned byte order of
// stash::Bytes, so ORDER BY key, value is the order reads return.
//
// Format 2 (stored_row.h before it; format2_row.cc) had columns time, diff,
// later and crc in place of entries. A writer's open upgrades a format-2
// file in its open transaction (upgrade.cc); a reader refuses it.
//
// A writer that opened with (epoch, nonce) may write while the fence row
// still holds them; a newer writer's open replaces them (see sqlite_stash.cc).
#include "schema.h"

#include <string>
#include <vector>

#include "sqlite_db.h"

namespace stash::sqlite {
namespace {

constexpr const char* kCollectionsTable = R"sql(
CREATE TABLE collections (
  id     INTEGER PRIMARY KEY,
  name   BLOB NOT NULL UNIQUE,
  since  INTEGER,
  upper  INTEGER,
  rows   INTEGER NOT NULL,
  digest INTEGER NOT NULL,
  crc    INTEGER NOT NULL
) STRICT;
)sql";

// Format 2's data table, recognised for the upgrade only.
constexpr const char* kFormat2DataTable = R"sql(
CREATE TABLE data (
  collection_id INTEGER NOT NULL,
  key           BLOB NOT NULL,
  value         BLOB NOT NULL,
  time          INTEGER NOT NULL,
  diff          ANY NOT NULL,
  later         BLOB,
  merge_at      INTEGER,
  crc           INTEGER NOT NULL,
  PRIMARY KEY (collection_id, key, value)
) STRICT, WITHOUT ROWID;
)sql";

constexpr const char* kDataTable = R"sql(
CREATE TABLE data (
  collection_id INTEGER NOT NULL,
  key           BLOB NOT NULL,
  value         BLOB NOT NULL,
  entries       BLOB NOT NULL,
  merge_at      INTEGER,
  PRIMARY KEY (collection_id, key, value)
) STRICT, WITHOUT ROWID;
)sql";

constexpr const char* kDataIndex =
    "CREATE INDEX data_to_merge ON data(collection_id, merge_at) WHERE merge_at IS NOT NULL;\n";

constexpr const char* kFenceTable = R"sql(
CREATE TABLE fence (
  id    INTEGER PRIMARY KEY CHECK (id = 0),
  epoch INTEGER NOT NULL,
  nonce BLOB NOT NULL,
  crc   INTEGER NOT NULL
) STRICT;
)sql";

constexpr const char* kStamp = R"sql(
PRAGMA application_id = 1400140648;
PRAGMA user_version = 3;
)sql";
static_assert(kApplicationId == 1400140648 && kFormatVersion == 3, "kStamp stamps these values");

std::string schema_sql(const char* data_table) {
  return std::string(kCollectionsTable) + data_table + kDataIndex + kFenceTable;
}

constexpr const char* kSchemaRows =
    "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema ORDER BY name";

Error not_a_stash(std::int64_t application_id) {
  return Error(ErrorCode::kInvalidArgument,
               "invalid application id: " + std::to_string(application_id));
}

// sqlite_schema as one string, row by row.
Result<std::string> schema_text(sqlite3* db) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, kSchemaRows, -1, &raw, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(sqlite_error(db, rc, "read schema"));
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  std::string out;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    for (int i = 0; i < 4; ++i) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, i));
      out += text != nullptr ? text : "";
      out += '\x1f';
    }
    out += '\n';
  }
  if (rc != SQLITE_DONE) return std::unexpected(sqlite_error(db, rc, "read schema"));
  return out;
}

// What sqlite_schema holds for `sql` as SQLite records it, taken from a
// scratch in-memory database.
std::string recorded_schema(const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK &&
      sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK) {
    auto t = schema_text(db);
    if (t) out = *t;
  }
  sqlite3_close(db);
  return out;
}

const std::string& expected_schema(std::int64_t version) {
  static const std::string v3 = recorded_schema(schema_sql(kDataTable));
  static const std::string v2 = recorded_schema(schema_sql(kFormat2DataTable));
  return version == 2 ? v2 : v3;
}

Result<FileKind> classify(sqlite3* db) {
  // A file that is not an SQLite database fails here with SQLITE_NOTADB.
  auto application_id = query_int(db, "PRAGMA application_id");
  if (!application_id) return std::unexpected(application_id.error());
  auto version = query_int(db, "PRAGMA user_version");
  if (!version) return std::unexpected(version.error());
  auto tables = query_int(db, "SELECT count(*) FROM sqlite_schema");
  if (!tables) return std::unexpected(tables.error());
  if (*application_id == 0 && *version == 0 && *tables == 0) return FileKind::kEmpty;
  if (*application_id != kApplicationId) return std::unexpected(not_a_stash(*application_id));
  if (*version == 1) {
    return fail(ErrorCode::kInvalidArgument,
                "stash format version 1 is no longer read: this library reads version " +
                    std::to_string(kFormatVersion) +
                    " (one row per key and value, with checksums); read the data with the "
                    "older library and write it to a new stash");
  }
  if (*version > kFormatVersion) {
    return fail(ErrorCode::kInvalidArgument,
                "stash format version " + std::to_string(*version) +
                    " is newer than this library reads (" + std::to_string(kFormatVersion) +
                    ")");
  }
  if (*version < 1) {
    return fail(ErrorCode::kCorruption,
                "stash format version " + std::to_string(*version) + " is not valid");
  }
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA encoding", -1, &raw, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(sqlite_error(db, rc, "PRAGMA encoding"));
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  rc = sqlite3_step(raw);
  if (rc != SQLITE_ROW) return std::unexpected(sqlite_error(db, rc, "PRAGMA encoding"));
  const std::string encoding = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
  if (encoding != "UTF-8") {
    return fail(ErrorCode::kCorruption, "stash file text encoding is " + encoding +
                                            ", not UTF-8: the header is damaged");
  }
  auto schema = schema_text(db);
  if (!schema) return std::unexpected(schema.error());
  if (*schema != expected_schema(*version)) {
    return fail(ErrorCode::kCorruption,
                "stash file schema is not the one format version " + std::to_string(*version) +
                    " defines: damaged or altered by another program");
  }
  return *version == 2 ? FileKind::kFormat2 : FileKind::kStash;
}

}  // namespace

Result<FileKind> inspect(sqlite3* db) {
  const bool own_transaction = sqlite3_get_autocommit(db) != 0;
  if (own_transaction) {
    if (auto ok = exec(db, "BEGIN"); !ok) return std::unexpected(ok.error());
  }
  auto kind = classify(db);
  if (own_transaction) {
    // A read: nothing to commit, only the snapshot to end.
    if (auto ok = exec(db, "COMMIT"); !ok && kind) kind = std::unexpected(ok.error());
    if (!sqlite3_get_autocommit(db)) (void)exec(db, "ROLLBACK");
  }
  return kind;
}

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

Status create_schema(sqlite3* db) {
  if (auto ok = exec(db, schema_sql(kDataTable).c_str()); !ok) return ok;
  return exec(db, kStamp);
}

Status replace_format2_data_table(sqlite3* db) {
  // The index first: renaming the table would rewrite its SQL text, and the
  // new one must be kDataIndex byte for byte.
  if (auto ok = exec(db, "DROP INDEX data_to_merge; ALTER TABLE data RENAME TO data_format2");
      !ok) {
    return ok;
  }
  return exec(db, (std::string(kDataTable) + kDataIndex).c_str());
}

Status finish_format2_upgrade(sqlite3* db) {
  if (auto ok = exec(db, "DROP TABLE data_format2"); !ok) return ok;
  return exec(db, kStamp);
}

std::string format2_schema_sql() { return schema_sql(kFormat2DataTable); }

}  // namespace stash::sqlite
