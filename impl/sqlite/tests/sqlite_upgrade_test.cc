// The upgrade of format-2 files to format 3 (src/upgrade.cc).
//
// A format-2 file is made by writing a stash in format 3 and rewriting its
// data rows as format 2's writer wrote them (format2_file below: format 2's
// schema text from schema.cc, its row encoding and crc as stored_row.cc had
// them before format 3). The upgrade then has to give back exactly what the
// format-3 stash held, and a crash at any sync of it must leave the format-2
// file as it was.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "checksum.h"
#include "fault_vfs.h"
#include "schema.h"
#include "sqlite_stash_impl.h"
#include "stash/sqlite_stash.h"
#include "stored_row.h"
#include "test_util.h"

namespace stash {
namespace {

using testing::code_of;
using testing::FaultVfs;
using testing::file_bytes;
using testing::TempDir;

constexpr Diff kMax = std::numeric_limits<Diff>::max();
const std::vector<std::string> kNames = {"empty", "orders", "users", "wide"};

// One-entry pairs, several-entry pairs, a wide sum, an empty collection and
// frontiers that differ per collection.
void fill(Stash& s) {
  (void)*s.collection("empty");
  auto orders = *s.collection("orders");
  auto users = *s.collection("users");
  auto wide = *s.collection("wide");
  std::vector<Update> batch;
  batch.reserve(300);
  for (int i = 0; i < 300; ++i) {
    batch.push_back({"order-" + std::to_string(i * 7919 % 1000), "v" + std::to_string(i % 7),
                     i % 3, 1});
  }
  ASSERT_TRUE(s.update_many(orders, batch));
  ASSERT_TRUE(s.seal(orders, Frontier(5)));
  for (int i = 0; i < 80; ++i) {
    ASSERT_TRUE(s.update(orders, "order-" + std::to_string(i * 7919 % 1000),
                         "v" + std::to_string(i % 7), 6 + i % 3, -1));
  }
  ASSERT_TRUE(s.seal(orders, Frontier(10)));
  ASSERT_TRUE(s.compact(orders, Frontier(1)));
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(s.update(users, "user" + std::to_string(i), "n", 0, 1));
  ASSERT_TRUE(s.seal(users, Frontier(1)));
  ASSERT_TRUE(s.update(wide, "w", "x", 3, kMax));
  ASSERT_TRUE(s.update(wide, "w", "x", 3, kMax));
  ASSERT_TRUE(s.update(wide, "w", "x", 5, kMax));
  ASSERT_TRUE(s.update(wide, "w", "y", 4, 2));
}

void exec_ok(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK) << message;
  sqlite3_free(message);
}

__extension__ typedef unsigned __int128 UInt128;
void put_be(std::string& out, UInt128 v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

// Binds one pair's entries to ?4..?8 as format 2's writer did: time, diff
// (INTEGER, or 16 bytes when wide), later, merge_at, crc; returns the crc.
std::int64_t bind_format2(sqlite3_stmt* s, std::int64_t id, const Bytes& key, const Bytes& value,
                  const std::vector<sqlite::Entry>& entries, std::string& wide,
                  std::string& later) {
  const sqlite::Entry& first = entries.front();
  const bool fits = fits_in_diff(first.diff);
  wide.clear();
  later.clear();
  if (!fits) put_be(wide, static_cast<UInt128>(first.diff), 16);
  for (std::size_t i = 1; i < entries.size(); ++i) {
    put_be(later, static_cast<std::uint64_t>(entries[i].time), 8);
    put_be(later, static_cast<UInt128>(entries[i].diff), 16);
  }
  sqlite::RowChecksum sum;
  sum.add(id).add(key).add(value).add(first.time);
  if (fits) {
    sum.add(static_cast<std::int64_t>(first.diff));
    sqlite3_bind_int64(s, 5, static_cast<std::int64_t>(first.diff));
  } else {
    sum.add(wide);
    sqlite3_bind_blob(s, 5, wide.data(), 16, SQLITE_STATIC);
  }
  sqlite3_bind_int64(s, 4, first.time);
  if (later.empty()) {
    sum.add_null();
    sqlite3_bind_null(s, 6);
    sqlite3_bind_null(s, 7);
  } else {
    sum.add(later);
    sqlite3_bind_blob(s, 6, later.data(), static_cast<int>(later.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, entries[1].time);
  }
  const std::int64_t crc = sum.value();
  sqlite3_bind_int64(s, 8, crc);
  return crc;
}

void copy_rows(sqlite3* src, sqlite3* dst);

// Rewrites the format-3 stash at `path` as format 2 at `out`.
void format2_file(const std::string& path, const std::string& out) {
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &src), SQLITE_OK);
  ASSERT_EQ(sqlite3_open(out.c_str(), &dst), SQLITE_OK);
  exec_ok(dst, "PRAGMA journal_mode = WAL; BEGIN;");
  exec_ok(dst, sqlite::format2_schema_sql());
  exec_ok(dst, "PRAGMA application_id = 1400140648; PRAGMA user_version = 2;");
  exec_ok(dst, "ATTACH '" + path + "' AS f3; INSERT INTO fence SELECT * FROM f3.fence;");
  copy_rows(src, dst);
  // Into the main file, so that a copy of it alone is the whole stash.
  exec_ok(dst, "COMMIT; DETACH f3; PRAGMA wal_checkpoint(TRUNCATE);");
  ASSERT_EQ(sqlite3_close(src), SQLITE_OK);
  ASSERT_EQ(sqlite3_close(dst), SQLITE_OK);
}

// Copies the collections and data rows of format-3 `src` into format-2 `dst`.
void copy_rows(sqlite3* src, sqlite3* dst) {
  sqlite::StatementCache src_cache(src);
  sqlite::StatementCache dst_cache(dst);
  auto rows = src_cache.get("SELECT id, name, since, upper, rows, digest, crc FROM collections");
  ASSERT_TRUE(rows);
  while (*rows->step("test")) {
    auto row = read_collection(*rows);
    ASSERT_TRUE(row) << row.error();
    auto data = src_cache.get("SELECT key, value, entries, merge_at FROM data "
                              "WHERE collection_id = ?1");
    auto insert = dst_cache.get("INSERT INTO data VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    ASSERT_TRUE(data && insert);
    data->bind(1, row->id);
    row->digest = 0;
    std::string wide, later;
    while (*data->step("test")) {
      const Bytes key(sqlite::column_view(data->raw(), 0));
      const Bytes value(sqlite::column_view(data->raw(), 1));
      std::vector<sqlite::Entry> entries;
      std::int64_t crc = 0;
      ASSERT_TRUE(sqlite::decode_row(data->raw(), 2, row->id, key, value, entries, crc, true));
      insert->reset().bind(1, row->id).bind(2, key).bind(3, value);
      row->digest += digest_term(bind_format2(insert->raw(), row->id, key, value, entries,
                                              wide, later));
      ASSERT_TRUE(insert->run("test"));
    }
    auto store = dst_cache.get("INSERT INTO collections VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->bind(1, row->id).bind(2, row->name).bind(3, row->since)
                    .bind(4, row->upper).bind(5, row->rows)
                    .bind(6, static_cast<std::int64_t>(row->digest))
                    .bind(7, collection_crc(*row)).run("test"));
  }
}

std::int64_t user_version(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  auto v = sqlite::query_int(db, "PRAGMA user_version");
  sqlite3_close(db);
  return v ? *v : -1;
}

// Every row of every table, as text, to compare two format-2 files.
std::string tables_text(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  std::string out;
  for (const char* sql :
       {"SELECT quote(id), quote(name), quote(since), quote(upper), rows, digest, crc "
        "FROM collections ORDER BY id",
        "SELECT collection_id, quote(key), quote(value), time, quote(diff), quote(later), "
        "quote(merge_at), crc FROM data ORDER BY 1, 2, 3",
        "SELECT epoch, quote(nonce), crc FROM fence"}) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) {
      out += std::string("error: ") + sqlite3_errmsg(db) + "\n";
      continue;
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(s); ++i) {
        out += reinterpret_cast<const char*>(sqlite3_column_text(s, i));
        out += ' ';
      }
      out += '\n';
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return out;
}

// A format-3 stash filled by fill() at dir/f3.stash and its format-2 copy at
// dir/f2.stash; returns what the format-3 stash shows.
std::string make_format2(const TempDir& dir) {
  std::string expected;
  {
    auto s = SqliteStash::open(dir.file("f3.stash"));
    EXPECT_TRUE(s) << s.error();
    if (!s) return "";
    fill(**s);
    expected = testing::dump(**s, kNames);
  }
  format2_file(dir.file("f3.stash"), dir.file("f2.stash"));
  EXPECT_EQ(user_version(dir.file("f2.stash")), 2);
  return expected;
}

TEST(SqliteUpgrade, AWriterUpgradesAFormat2FileAndEveryCollectionReadsTheSame) {
  TempDir dir;
  const std::string expected = make_format2(dir);
  ASSERT_NE(expected, "");
  const std::string path = dir.file("f2.stash");
  {
    auto s = SqliteStash::open(path);
    ASSERT_TRUE(s) << s.error();
    EXPECT_EQ(testing::dump(**s, kNames), expected);
    EXPECT_EQ(code_of((*s)->verify()), "ok");
  }
  EXPECT_EQ(user_version(path), 3);
  SqliteOptions reader;
  reader.read_only = true;
  auto r = SqliteStash::open(path, reader);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(testing::dump(**r, kNames), expected);
  EXPECT_EQ(code_of((*r)->verify()), "ok");
}

TEST(SqliteUpgrade, AReaderRefusesAFormat2FileNamingTheVersionAndLeavesItUntouched) {
  TempDir dir;
  ASSERT_NE(make_format2(dir), "");
  const std::string path = dir.file("f2.stash");
  const std::string before = file_bytes(path);
  SqliteOptions reader;
  reader.read_only = true;
  auto r = SqliteStash::open(path, reader);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("format version 2"), std::string::npos) << r.error();
  EXPECT_NE(r.error().message().find("open it once read-write"), std::string::npos) << r.error();
  EXPECT_EQ(file_bytes(path), before);
}

TEST(SqliteUpgrade, ADamagedFormat2RowFailsTheUpgradeAndLeavesFormat2) {
  TempDir dir;
  ASSERT_NE(make_format2(dir), "");
  const std::string path = dir.file("f2.stash");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  exec_ok(db, "UPDATE data SET time = time + 1 WHERE key = CAST('user7' AS BLOB)");
  sqlite3_close(db);
  const std::string before = tables_text(path);
  auto s = SqliteStash::open(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(s.error().message().find("checksum mismatch"), std::string::npos) << s.error();
  EXPECT_EQ(user_version(path), 2);
  EXPECT_EQ(tables_text(path), before);
}

TEST(SqliteUpgrade, ACrashAtEverySyncOfTheUpgradeLeavesFormat2AndTheNextOpenUpgrades) {
  TempDir dir;
  const std::string expected = make_format2(dir);
  ASSERT_NE(expected, "");
  const std::string format2 = file_bytes(dir.file("f2.stash"));
  const std::string format2_tables = tables_text(dir.file("f2.stash"));
  FaultVfs vfs("stash_fault_upgrade");
  SqliteOptions through;
  through.vfs_name = vfs.name();
  int syncs = 0;
  {
    const std::string path = dir.file("count.stash");
    testing::write_file(path, format2);
    vfs.reset(0);
    auto s = SqliteStash::open(path, through);
    ASSERT_TRUE(s) << s.error();
    syncs = vfs.syncs();
  }
  ASSERT_GT(syncs, 0);
  int left_format2 = 0;
  for (auto mode : {FaultVfs::LossMode::kDrop, FaultVfs::LossMode::kTear,
                    FaultVfs::LossMode::kGarble}) {
    for (int point = 1; point <= syncs; ++point) {
      SCOPED_TRACE("loss mode " + std::to_string(static_cast<int>(mode)) + ", sync " +
                   std::to_string(point) + " of " + std::to_string(syncs));
      const std::string path = dir.file("crash" + std::to_string(point) + ".stash");
      testing::write_file(path, format2);
      vfs.reset(static_cast<std::uint64_t>(point));
      vfs.crash_at_sync(point, mode);
      { auto s = SqliteStash::open(path, through); }
      ASSERT_TRUE(vfs.crashed());
      const std::int64_t version = user_version(path);
      ASSERT_TRUE(version == 2 || version == 3) << version;
      if (version == 2) {
        ++left_format2;
        EXPECT_EQ(tables_text(path), format2_tables);
      }
      auto s = SqliteStash::open(path);
      ASSERT_TRUE(s) << s.error();
      EXPECT_EQ(testing::dump(**s, kNames), expected);
      EXPECT_EQ(code_of((*s)->verify()), "ok");
      s->reset();
      EXPECT_EQ(user_version(path), 3);
    }
  }
  std::printf("upgrade: %d syncs x 3 loss modes; %d crashes left format 2\n", syncs,
              left_format2);
  EXPECT_GT(left_format2, 0);
}

}  // namespace
}  // namespace stash
