// The upgrade of a format-2 file to format 3 (schema.cc), run by a writer's
// open inside its open transaction: a crash at any point leaves the format-2
// file as it was (SQLite rolls the transaction back), and the next writer's
// open upgrades it again. Every format-2 row is checked as format 2's reader
// checked it (its crc, and each collection's row count and digest) before its
// entries are written again as format 3, so damage is reported, not carried.
#include "upgrade.h"

#include <vector>

#include "format2_row.h"
#include "schema.h"
#include "sqlite_stash_impl.h"

namespace stash::sqlite {
namespace {

Result<std::vector<CollectionRow>> read_collections(StatementCache& cache) {
  auto s = cache.get("SELECT id, name, since, upper, rows, digest, crc FROM collections "
                     "ORDER BY id");
  if (!s) return std::unexpected(s.error());
  std::vector<CollectionRow> out;
  for (;;) {
    auto row = s->step("upgrade");
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    auto collection = read_collection(*s);
    if (!collection) return std::unexpected(collection.error());
    out.push_back(std::move(*collection));
  }
}

Error mismatch(const CollectionRow& row, std::int64_t rows, std::uint64_t digest) {
  return Error(ErrorCode::kCorruption,
               "sqlite: upgrade to format 3: collection #" + std::to_string(row.id) +
                   " should hold " + std::to_string(row.rows) + " data rows (digest " +
                   std::to_string(row.digest) + ") but " + std::to_string(rows) +
                   " were found (digest " + std::to_string(digest) + "): rows were lost or "
                   "damaged; nothing was upgraded");
}

// Copies collection `row`'s data rows into format 3's table and sets its
// digest to theirs.
Status upgrade_collection(StatementCache& cache, CollectionRow& row) {
  auto read = cache.get(
      "SELECT key, value, time, diff, later, crc FROM data_format2 WHERE collection_id = ?1");
  auto write = cache.get(
      "INSERT INTO data(collection_id, key, value, entries, merge_at) VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!read) return std::unexpected(read.error());
  if (!write) return std::unexpected(write.error());
  read->bind(1, row.id);
  std::int64_t rows = 0;
  std::uint64_t old_digest = 0;
  std::uint64_t new_digest = 0;
  std::vector<Entry> entries;
  for (;;) {
    auto next = read->step("upgrade");
    if (!next) return std::unexpected(next.error());
    if (!*next) break;
    const Bytes key(column_view(read->raw(), 0));
    const Bytes value(column_view(read->raw(), 1));
    entries.clear();
    if (auto ok = decode_format2_row(read->raw(), 2, row.id, key, value, entries); !ok) return ok;
    ++rows;
    old_digest += digest_term(read->column_int(5));
    const RowColumns columns = encode_row(row.id, key, value, entries);
    new_digest += digest_term(columns.crc);
    write->reset().bind(1, row.id).bind(2, key).bind(3, value);
    bind_row(write->raw(), 4, columns);
    if (auto ok = write->run("upgrade"); !ok) return ok;
  }
  if (rows != row.rows || old_digest != row.digest) {
    return std::unexpected(mismatch(row, rows, old_digest));
  }
  row.digest = new_digest;
  auto store = cache.get("UPDATE collections SET digest = ?2, crc = ?3 WHERE id = ?1");
  if (!store) return std::unexpected(store.error());
  return store->bind(1, row.id)
      .bind(2, static_cast<std::int64_t>(row.digest))
      .bind(3, collection_crc(row))
      .run("upgrade");
}

}  // namespace

Status upgrade_format2(sqlite3* db) {
  if (auto ok = replace_format2_data_table(db); !ok) return ok;
  StatementCache cache(db);
  auto collections = read_collections(cache);
  if (!collections) return std::unexpected(collections.error());
  std::int64_t rows = 0;
  for (CollectionRow& row : *collections) {
    if (auto ok = upgrade_collection(cache, row); !ok) return ok;
    rows += row.rows;
  }
  // Rows of no collection would be dropped without a word: refuse instead.
  auto all = query_int(db, "SELECT count(*) FROM data_format2");
  if (!all) return std::unexpected(all.error());
  if (*all != rows) {
    return fail(ErrorCode::kCorruption,
                "sqlite: upgrade to format 3: the data table holds " + std::to_string(*all) +
                    " rows but the collections account for " + std::to_string(rows) +
                    "; nothing was upgraded");
  }
  return finish_format2_upgrade(db);
}

}  // namespace stash::sqlite
