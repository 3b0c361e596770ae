// Damage in a closed stash file is either harmless or a typed error, never a
// wrong answer (issue #12 item 8): row checksums, collection counts, the
// schema check at open, and verify().
//
// BitFlips flips one bit at a time of a closed stash file (a deterministic
// sample of bit positions), reopens it read-only, reads everything and runs
// verify(). Whole-collection reads (iter, peek) and verify() must give the
// original data or a typed error. A point read (iter_key, peek_key_one)
// misrouted by a damaged interior page can miss a key it cannot know exists:
// then verify() must report the damage. The counts are printed.
//
// Environment:
//   STASH_BITFLIP_FLIPS  bits to flip (default 300)
//   STASH_BITFLIP_SEED   seed of the sample (default 1)
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <map>
#include <random>
#include <sstream>

#include "stash/memory_stash.h"
#include "stash/sqlite_stash.h"
#include "test_util.h"

namespace stash {
namespace {

using testing::code_of;
using testing::file_bytes;
using testing::TempDir;

constexpr Diff kMax = std::numeric_limits<Diff>::max();

void raw_sql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &message), SQLITE_OK) << message;
  sqlite3_free(message);
  sqlite3_close(db);
}

const std::vector<std::string> kNames = {"orders", "users", "wide"};

// Fills a stash with pairs of one and of several entries, a wide sum, and
// frontiers that differ per collection.
void fill(Stash& s) {
  auto orders = *s.collection("orders");
  auto users = *s.collection("users");
  auto wide = *s.collection("wide");
  std::vector<Update> batch;
  batch.reserve(200);
  for (int i = 0; i < 200; ++i) {
    batch.push_back({"order-" + std::to_string(i * 7919 % 1000), std::string(20 + i % 40, 'a' + i % 26),
                     i % 3, 1});
  }
  ASSERT_TRUE(s.update_many(orders, batch));
  ASSERT_TRUE(s.seal(orders, Frontier(5)));
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(s.update(orders, "order-" + std::to_string(i * 7919 % 1000),
                         std::string(20 + i % 40, 'a' + i % 26), 6 + i % 2, -1));
  }
  ASSERT_TRUE(s.seal(orders, Frontier(10)));
  ASSERT_TRUE(s.compact(orders, Frontier(6)));
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(s.update(users, "user" + std::to_string(i), "name of user " + std::to_string(i), 0, 1));
  }
  ASSERT_TRUE(s.seal(users, Frontier(1)));
  ASSERT_TRUE(s.update(wide, "w", "x", 3, kMax));
  ASSERT_TRUE(s.update(wide, "w", "x", 3, kMax));
  ASSERT_TRUE(s.update(wide, "w", "y", 4, 2));
}

// Everything a reader can see, errors included (as their codes), and the
// first kCorruption on the way.
struct Reading {
  std::string text;   // whole-collection reads and frontiers
  std::string point;  // point reads
  std::optional<Error> corruption;
};

Reading read_all(Stash& s) {
  Reading r;
  std::ostringstream out;
  auto note = [&](const auto& result) {
    if (result) return true;
    out << "error " << to_string(result.error().code()) << "\n";
    if (result.error().code() == ErrorCode::kCorruption && !r.corruption) {
      r.corruption = result.error();
    }
    return false;
  };
  for (const std::string& name : kNames) {
    auto c = s.collection(name);
    if (!note(c)) continue;
    auto since = s.since(*c);
    auto upper = s.upper(*c);
    if (note(since) && note(upper)) out << name << " " << *since << " " << *upper << "\n";
    auto rows = s.iter(*c);
    if (note(rows)) {
      for (const Update& u : *rows) out << u << "\n";
      for (const Update& u : *rows) {
        auto by_key = s.iter_key(*c, u.key);
        if (!by_key && by_key.error().code() == ErrorCode::kCorruption && !r.corruption) {
          r.corruption = by_key.error();
        }
        r.point += by_key ? std::to_string(by_key->size()) + "," : "error,";
      }
    }
    auto peek = s.peek(*c);
    if (note(peek)) {
      for (const PeekEntry& e : *peek) out << e.key << "/" << e.value << "/" << e.diff << "\n";
    }
    auto key_one = s.peek_key_one(*c, "user7");
    if (!key_one && key_one.error().code() == ErrorCode::kCorruption && !r.corruption) {
      r.corruption = key_one.error();
    }
    r.point += key_one ? key_one->value_or("none") + "\n" : "error\n";
  }
  r.text = out.str();
  return r;
}

TEST(SqliteChecksums, AlteredValueIsCorruptionOnEveryReadOfIt) {
  TempDir dir;
  const std::string path = dir.file("s.stash");
  ASSERT_NO_FATAL_FAILURE(fill(**SqliteStash::open(path)));
  raw_sql(path, "UPDATE data SET value = x'00' WHERE key = CAST('user7' AS BLOB)");
  auto s = SqliteStash::open(path);
  ASSERT_TRUE(s) << s.error();
  auto users = *(*s)->collection("users");
  EXPECT_EQ(code_of((*s)->iter(users)), "corruption");
  EXPECT_EQ(code_of((*s)->peek_one(users)), "corruption");
  EXPECT_EQ(code_of((*s)->iter_key(users, "user7")), "corruption");
  EXPECT_EQ(code_of((*s)->peek_key_one(users, "user7")), "corruption");
  EXPECT_EQ(code_of((*s)->iter_key(users, "user8")), "ok");
  EXPECT_EQ(code_of((*s)->verify()), "corruption");
  SqliteOptions o;
  o.verify_on_open = true;
  EXPECT_EQ(code_of(SqliteStash::open(path, o)), "corruption");
}

TEST(SqliteChecksums, LostRowIsCorruptionOnWholeCollectionReads) {
  TempDir dir;
  const std::string path = dir.file("s.stash");
  ASSERT_NO_FATAL_FAILURE(fill(**SqliteStash::open(path)));
  raw_sql(path, "DELETE FROM data WHERE key = CAST('user7' AS BLOB)");
  auto s = SqliteStash::open(path);
  ASSERT_TRUE(s) << s.error();
  auto users = *(*s)->collection("users");
  EXPECT_EQ(code_of((*s)->iter(users)), "corruption");
  EXPECT_EQ(code_of((*s)->peek(users)), "corruption");
  EXPECT_EQ(code_of((*s)->verify()), "corruption");
}

TEST(SqliteChecksums, AlteredFrontierOrFenceIsCorruption) {
  TempDir dir;
  const std::string path = dir.file("s.stash");
  ASSERT_NO_FATAL_FAILURE(fill(**SqliteStash::open(path)));
  raw_sql(path, "UPDATE collections SET upper = 99 WHERE name = CAST('users' AS BLOB)");
  {
    auto s = SqliteStash::open(path);
    ASSERT_TRUE(s) << s.error();
    auto users = (*s)->collection("users");
    EXPECT_EQ(code_of(users), "corruption");
  }
  raw_sql(path, "UPDATE fence SET epoch = epoch + 7");
  EXPECT_EQ(code_of(SqliteStash::open(path)), "corruption");
}

TEST(SqliteChecksums, IntactFileVerifies) {
  TempDir dir;
  const std::string path = dir.file("s.stash");
  ASSERT_NO_FATAL_FAILURE(fill(**SqliteStash::open(path)));
  auto s = SqliteStash::open(path);
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(code_of((*s)->verify()), "ok");
  MemoryStash model;
  ASSERT_NO_FATAL_FAILURE(fill(model));
  EXPECT_EQ(read_all(**s).text, read_all(model).text);
}

// One data row, found by `where`, its entries BLOB read and written directly.
class RawRow {
 public:
  RawRow(const std::string& path, const std::string& where) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    const std::string sql =
        "SELECT collection_id, key, value, entries FROM data WHERE " + where + " LIMIT 1";
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(s), SQLITE_ROW) << where;
    id_ = sqlite3_column_int64(s, 0);
    for (int i = 1; i <= 3; ++i) {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(s, i));
      columns_[i - 1].assign(p, p + sqlite3_column_bytes(s, i));
    }
    sqlite3_finalize(s);
  }
  ~RawRow() { sqlite3_close(db_); }
  RawRow(const RawRow&) = delete;
  RawRow& operator=(const RawRow&) = delete;

  const std::string& entries() const { return columns_[2]; }
  void write(const std::string& entries) {
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db_,
                                 "UPDATE data SET entries = ?4 WHERE collection_id = ?1 AND "
                                 "key = ?2 AND value = ?3",
                                 -1, &s, nullptr),
              SQLITE_OK);
    sqlite3_bind_int64(s, 1, id_);
    for (int i = 0; i < 3; ++i) {
      const std::string& b = i < 2 ? columns_[i] : entries;
      sqlite3_bind_blob(s, 2 + i, b.data(), static_cast<int>(b.size()), SQLITE_STATIC);
    }
    ASSERT_EQ(sqlite3_step(s), SQLITE_DONE);
    ASSERT_EQ(sqlite3_changes(db_), 1);
    sqlite3_finalize(s);
  }

 private:
  sqlite3* db_ = nullptr;
  std::int64_t id_ = 0;
  std::string columns_[3];  // key, value, entries
};

// What a reader of collection `name` and verify() make of the file.
std::string reads_of(const std::string& path, const std::string& name) {
  SqliteOptions o;
  o.read_only = true;
  auto s = SqliteStash::open(path, o);
  if (!s) return "open " + code_of(s);
  auto c = (*s)->collection(name);
  if (!c) return "collection " + code_of(c);
  return "iter " + code_of((*s)->iter(*c)) + ", verify " + code_of((*s)->verify());
}

// Every byte of a format-3 entries BLOB is covered: its crc, the first
// entry's time and diff (int64 and wide), each later entry, and its length.
TEST(SqliteChecksums, EveryByteAndTheLengthOfTheEntriesBlobAreChecked) {
  TempDir dir;
  const std::string path = dir.file("s.stash");
  ASSERT_NO_FATAL_FAILURE(fill(**SqliteStash::open(path)));
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"users", "key = CAST('user7' AS BLOB)"},         // one small entry: 6 bytes in all
      {"wide", "key = CAST('w' AS BLOB)"},               // a sum wider than int64
      {"orders", "merge_at IS NOT NULL"},                // several entries
  };
  int damaged = 0;
  for (const auto& [name, where] : rows) {
    SCOPED_TRACE(std::string(name).append(": ").append(where));
    // (iter of "wide" is kOutOfRange: its sum does not fit in a Diff.)
    const std::string intact = reads_of(path, name);
    ASSERT_NE(intact.find("verify ok"), std::string::npos) << intact;
    std::string original;
    {
      RawRow row(path, where);
      original = row.entries();
    }
    ASSERT_GE(original.size(), 6u);
    std::vector<std::string> variants = {original.substr(0, original.size() - 1),
                                         original + '\0', original + std::string(24, '\1')};
    for (std::size_t i = 0; i < original.size(); ++i) {
      for (unsigned char bit : {0x01, 0x80}) {
        std::string v = original;
        v[i] = static_cast<char>(v[i] ^ bit);
        variants.push_back(v);
      }
    }
    for (const std::string& v : variants) {
      { RawRow(path, where).write(v); }
      EXPECT_EQ(reads_of(path, name), "iter corruption, verify corruption")
          << "entries of " << v.size() << " bytes";
      ++damaged;
    }
    { RawRow(path, where).write(original); }
    EXPECT_EQ(reads_of(path, name), intact);
  }
  std::printf("entries BLOB damage: %d variants, each kCorruption\n", damaged);
}

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

TEST(SqliteBitFlips, EveryFlipIsHarmlessOrATypedErrorNeverWrongData) {
  const int flips = static_cast<int>(env_or("STASH_BITFLIP_FLIPS", 300));
  const std::uint64_t seed = env_or("STASH_BITFLIP_SEED", 1);
  TempDir dir;
  const std::string path = dir.file("s.stash");
  {
    auto s = SqliteStash::open(path);
    ASSERT_TRUE(s) << s.error();
    ASSERT_NO_FATAL_FAILURE(fill(**s));
  }
  const std::string original = file_bytes(path);
  ASSERT_FALSE(std::filesystem::exists(path + "-wal"));
  MemoryStash model;
  ASSERT_NO_FATAL_FAILURE(fill(model));
  const Reading expected = read_all(model);
  ASSERT_FALSE(expected.corruption);

  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> bit(0, original.size() * 8 - 1);
  std::map<std::string, int> outcomes;
  int wrong = 0, verify_missed = 0;
  std::string first_wrong;
  for (int i = 0; i < flips; ++i) {
    const std::size_t b = bit(rng);
    std::string damaged = original;
    damaged[b / 8] = static_cast<char>(damaged[b / 8] ^ (1 << (b % 8)));
    for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(path + suffix);
    testing::write_file(path, damaged);
    SqliteOptions o;
    o.read_only = true;
    auto s = SqliteStash::open(path, o);
    if (!s) {
      ++outcomes["open: " + std::string(to_string(s.error().code()))];
      continue;
    }
    const Reading got = read_all(**s);
    const Status verified = (*s)->verify();
    if (got.corruption) {
      ++outcomes["read: corruption"];
    } else if (got.text == expected.text && got.point == expected.point) {
      ++outcomes[verified ? "correct data, verify ok" : "correct data, verify: corruption"];
    } else if (got.text == expected.text && !verified &&
               verified.error().code() == ErrorCode::kCorruption) {
      ++outcomes["a point read missed a key, verify: corruption"];
    } else {
      ++wrong;
      if (first_wrong.empty()) {
        const std::string& g = got.text == expected.text ? got.point : got.text;
        const std::string& e = got.text == expected.text ? expected.point : expected.text;
        std::size_t at = 0;
        while (at < g.size() && at < e.size() && g[at] == e[at]) ++at;
        const std::size_t line = at < 40 ? 0 : at - 40;
        first_wrong = "read \"" + g.substr(line, 80) + "\" instead of \"" + e.substr(line, 80) +
                      "\"; bit " + std::to_string(b) + " (byte " + std::to_string(b / 8) +
                      ", page " + std::to_string(b / 8 / 4096 + 1) + ")";
      }
      if (verified) ++verify_missed;
    }
  }
  std::printf("bit flips in a %zu-byte stash file (seed %llu): %d flips\n", original.size(),
              static_cast<unsigned long long>(seed), flips);
  for (const auto& [what, n] : outcomes) std::printf("  %4d  %s\n", n, what.c_str());
  std::printf("  %4d  silently wrong data (%d also passed verify)\n", wrong, verify_missed);
  EXPECT_EQ(wrong, 0) << "first at " << first_wrong;
  // Only typed errors a caller can act on: damage, or (a flipped
  // application id or format version) not a stash of ours.
  for (const auto& [what, n] : outcomes) {
    EXPECT_TRUE(what.starts_with("correct") || what.ends_with("corruption") ||
                what.ends_with("invalid_argument"))
        << n << " x " << what;
  }
}

}  // namespace
}  // namespace stash
