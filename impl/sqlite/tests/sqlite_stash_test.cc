// SqliteStash's own tests: opening (and refusing) files, the durability
// settings, fencing, lock timeouts, and the int64 edges of exact diff sums.
// The full contract is checked by sqlite_conformance_test.cc.
#include "stash/sqlite_stash.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <limits>

#include "stash/memory_stash.h"
#include "test_util.h"

namespace stash {
namespace {

using testing::code_of;
using testing::dump;
using testing::file_bytes;
using testing::TempDir;

constexpr Diff kMax = std::numeric_limits<Diff>::max();
constexpr Diff kMin = std::numeric_limits<Diff>::min();

std::unique_ptr<SqliteStash> open_ok(const std::string& path, const SqliteOptions& o = {}) {
  auto s = SqliteStash::open(path, o);
  EXPECT_TRUE(s.has_value()) << s.error();
  return s ? std::move(*s) : nullptr;
}

// Runs SQL on `path` through a plain SQLite connection.
void raw_sql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &message), SQLITE_OK) << message;
  sqlite3_free(message);
  sqlite3_close(db);
}

// A stash file with a little data in it, closed.
void make_stash(const std::string& path, int updates = 3) {
  auto s = open_ok(path);
  auto c = s->collection("orders");
  for (int i = 0; i < updates; ++i) {
    ASSERT_TRUE(s->update(*c, "key" + std::to_string(i), std::string(100, 'v'), 1, 1));
  }
  ASSERT_TRUE(s->seal(*c, Frontier(2)));
}

TEST(SqliteOpen, CreatesThenReopensWithData) {
  TempDir dir;
  make_stash(dir.file("s.db"));
  auto s = open_ok(dir.file("s.db"));
  auto c = s->collection("orders");
  EXPECT_EQ(s->upper(*c), Frontier(2));
  EXPECT_EQ(s->iter(*c)->size(), 3u);
}

TEST(SqliteOpen, DefaultsAreDurable) {
  TempDir dir;
  auto s = open_ok(dir.file("s.db"));
  auto settings = s->settings();
  ASSERT_TRUE(settings) << settings.error();
  EXPECT_EQ(settings->journal_mode, "wal");
  EXPECT_EQ(settings->synchronous, 2);  // FULL
  EXPECT_TRUE(settings->foreign_keys);
  EXPECT_EQ(settings->busy_timeout_ms, 5000);
  EXPECT_FALSE(settings->read_only);
}

TEST(SqliteOpen, RelaxedSynchronousIsApplied) {
  TempDir dir;
  SqliteOptions o;
  o.synchronous = SqliteOptions::Synchronous::kNormal;
  o.busy_timeout_ms = 250;
  auto s = open_ok(dir.file("s.db"), o);
  EXPECT_EQ(s->settings()->synchronous, 1);
  EXPECT_EQ(s->settings()->busy_timeout_ms, 250);
}

TEST(SqliteOpen, SqliteFileOfAnotherApplicationIsRefusedUntouched) {
  TempDir dir;
  const std::string path = dir.file("other.db");
  raw_sql(path, "CREATE TABLE t(x); INSERT INTO t VALUES (1); PRAGMA application_id = 42;");
  const std::string before = file_bytes(path);
  auto s = SqliteStash::open(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), Error(ErrorCode::kInvalidArgument, "invalid application id: 42"));
  EXPECT_EQ(file_bytes(path), before);
}

TEST(SqliteOpen, PlainSqliteDatabaseIsRefusedUntouched) {
  TempDir dir;
  const std::string path = dir.file("plain.db");
  raw_sql(path, "CREATE TABLE t(x);");
  const std::string before = file_bytes(path);
  auto s = SqliteStash::open(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), Error(ErrorCode::kInvalidArgument, "invalid application id: 0"));
  EXPECT_EQ(file_bytes(path), before);
}

TEST(SqliteOpen, ForeignWalDatabaseIsNotCheckpointedIntoOnRefusal) {
  TempDir dir;
  const std::string path = dir.file("wal.db");
  // Leave committed data in the foreign database's WAL: a plain close would
  // checkpoint it into the main file.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE t(x);", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE); INSERT INTO t VALUES (1);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  const std::string before = file_bytes(path);
  auto s = SqliteStash::open(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(file_bytes(path), before);
  sqlite3_close(db);
}

TEST(SqliteOpen, NewerFormatVersionIsRefusedUntouched) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  make_stash(path);
  raw_sql(path, "PRAGMA user_version = 4;");
  const std::string before = file_bytes(path);
  auto s = SqliteStash::open(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message().find("format version 4 is newer"), std::string::npos)
      << s.error();
  EXPECT_EQ(file_bytes(path), before);
}

TEST(SqliteOpen, GarbageFileIsCorruptionUntouched) {
  TempDir dir;
  const std::string path = dir.file("garbage.db");
  std::string garbage;
  for (int i = 0; i < 8192; ++i) garbage.push_back(static_cast<char>(i * 7919 % 251));
  testing::write_file(path, garbage);
  auto s = SqliteStash::open(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kCorruption) << s.error();
  EXPECT_EQ(file_bytes(path), garbage);
}

TEST(SqliteOpen, TruncatedFileIsCorruptionUntouched) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  make_stash(path, 400);  // many pages
  const std::string whole = file_bytes(path);
  ASSERT_GT(whole.size(), 16u * 4096);
  for (std::size_t size : {whole.size() / 2, std::size_t{4096}, std::size_t{100}}) {
    SCOPED_TRACE(size);
    testing::write_file(path, whole.substr(0, size));
    auto s = SqliteStash::open(path);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code(), ErrorCode::kCorruption) << s.error();
    EXPECT_EQ(file_bytes(path), whole.substr(0, size));
  }
}

TEST(SqliteOpen, MissingDirectoryIsIoError) {
  TempDir dir;
  auto s = SqliteStash::open(dir.file("no/such/dir/s.db"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kIoError) << s.error();
}

TEST(SqliteOpen, MissingFileWithoutCreateIsNotFound) {
  TempDir dir;
  SqliteOptions o;
  o.create_if_missing = false;
  EXPECT_EQ(code_of(SqliteStash::open(dir.file("s.db"), o)), "not_found");
  o.read_only = true;
  EXPECT_EQ(code_of(SqliteStash::open(dir.file("s.db"), o)), "not_found");
  EXPECT_FALSE(std::filesystem::exists(dir.file("s.db")));
}

// The error codes of opening `path` read-write and read-only, as "a,b", from
// a child process. Root ignores file permissions, so a root child first gives
// its identity up for nobody's (uid and gid 65534).
std::string open_codes_in_unprivileged_child(const std::string& path) {
  int out[2];
  if (::pipe(out) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(out[0]);
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    SqliteOptions read_only;
    read_only.read_only = true;
    const std::string codes =
        code_of(SqliteStash::open(path)) + "," + code_of(SqliteStash::open(path, read_only));
    const bool written = ::write(out[1], codes.data(), codes.size()) ==
                         static_cast<ssize_t>(codes.size());
    ::_exit(written ? 0 : 4);
  }
  ::close(out[1]);
  std::string codes;
  char buffer[256];
  for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;) codes.append(buffer, n);
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return "child failed with status " + std::to_string(status);
  }
  return codes;
}

TEST(SqliteOpen, PermissionDeniedIsIoError) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  make_stash(path);
  namespace fs = std::filesystem;
  // Anyone may enter the directory; nobody but root may read or write the file.
  fs::permissions(path.substr(0, path.rfind('/')),
                  fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
  fs::permissions(path, fs::perms::none);
  const std::string before = file_bytes(path);
  EXPECT_EQ(open_codes_in_unprivileged_child(path), "io_error,io_error");
  EXPECT_EQ(file_bytes(path), before);
}

TEST(SqliteFence, NewWriterFencesOlderOnEveryCall) {
  TempDir dir;
  auto a = open_ok(dir.file("s.db"));
  auto c = a->collection("orders");
  ASSERT_TRUE(a->update(*c, "k", "v", 1, 1));
  auto b = open_ok(dir.file("s.db"));
  EXPECT_EQ(code_of(a->update(*c, "k", "v", 1, 1)), "fenced");
  EXPECT_EQ(code_of(a->iter(*c)), "fenced");
  EXPECT_EQ(code_of(a->collection("orders")), "fenced");
  EXPECT_EQ(code_of(a->peek(*c)), "fenced");
  // The fenced write did nothing; the new writer works.
  EXPECT_EQ(b->iter(*c), (std::vector<Update>{{"k", "v", 1, 1}}));
  ASSERT_TRUE(b->seal(*c, Frontier(2)));
  // Fencing is permanent, even after the newer writer is gone.
  b.reset();
  EXPECT_EQ(code_of(a->upper(*c)), "fenced");
}

TEST(SqliteFence, ReadOnlyOpenFencesNobodyAndCannotWrite) {
  TempDir dir;
  auto a = open_ok(dir.file("s.db"));
  auto c = a->collection("orders");
  SqliteOptions o;
  o.read_only = true;
  auto r = open_ok(dir.file("s.db"), o);
  ASSERT_TRUE(a->update(*c, "k", "v", 1, 1));
  EXPECT_EQ(r->iter(*c), (std::vector<Update>{{"k", "v", 1, 1}}));
  EXPECT_EQ(code_of(r->update(*c, "k", "v", 1, 1)), "invalid_argument");
  EXPECT_EQ(code_of(r->collection("missing")), "not_found");
  EXPECT_TRUE(r->settings()->read_only);
  // A later writer does not fence the reader either.
  auto b = open_ok(dir.file("s.db"));
  EXPECT_EQ(code_of(r->upper(*c)), "ok");
}

TEST(SqliteLocks, HeldWriteLockEndsInUnavailableNotAHang) {
  TempDir dir;
  SqliteOptions o;
  o.busy_timeout_ms = 200;
  auto s = open_ok(dir.file("s.db"), o);
  auto c = s->collection("orders");
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("s.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(code_of(s->update(*c, "k", "v", 1, 1)), "unavailable");
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_LT(waited, std::chrono::seconds(3));
  EXPECT_EQ(code_of(SqliteStash::open(dir.file("s.db"), o)), "unavailable");
  // Reads do not need the write lock (WAL).
  EXPECT_EQ(code_of(s->iter(*c)), "ok");
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  // The failed call changed nothing and the handle keeps working.
  EXPECT_EQ(code_of(s->update(*c, "k", "v", 1, 1)), "ok");
  EXPECT_EQ(s->iter(*c)->size(), 1u);
}

// Applies the same calls to a SqliteStash and a MemoryStash and expects the
// same results, error codes and messages included.
class SqliteVersusModel : public ::testing::Test {
 protected:
  void SetUp() override {
    sqlite_ = open_ok(dir_.file("s.db"));
    c_ = *sqlite_->collection("c");
    ASSERT_EQ(*model_.collection("c"), c_);
  }
  void update(const Bytes& k, const Bytes& v, Timestamp t, Diff d) {
    auto result = sqlite_->update(c_, k, v, t, d);
    ASSERT_TRUE(result) << result.error();
    ASSERT_EQ(result, model_.update(c_, k, v, t, d));
  }
  void expect_same_reads() {
    EXPECT_EQ(sqlite_->iter(c_), model_.iter(c_));
    EXPECT_EQ(sqlite_->iter_key(c_, "k"), model_.iter_key(c_, "k"));
    EXPECT_EQ(sqlite_->peek(c_), model_.peek(c_));
    EXPECT_EQ(sqlite_->peek_one(c_), model_.peek_one(c_));
    EXPECT_EQ(sqlite_->peek_key_one(c_, "k"), model_.peek_key_one(c_, "k"));
    EXPECT_EQ(sqlite_->peek_timestamp(c_), model_.peek_timestamp(c_));
  }
  TempDir dir_;
  std::unique_ptr<SqliteStash> sqlite_;
  MemoryStash model_;
  CollectionHandle c_;
};

TEST_F(SqliteVersusModel, SumPastInt64IsStoredExactlyAndReadAsOutOfRange) {
  update("k", "v", 5, kMax);
  update("k", "v", 5, 1);  // the write succeeds: the stored sum is exact
  ASSERT_EQ(code_of(sqlite_->iter(c_)), "out_of_range");
  ASSERT_TRUE(sqlite_->seal(c_, Frontier(5)) && model_.seal(c_, Frontier(5)));
  expect_same_reads();
  update("k", "v", 5, -1);  // back in range
  expect_same_reads();
  update("k", "v", 5, kMin);
  update("k", "v", 5, kMin);  // below INT64_MIN
  expect_same_reads();
  update("k", "v", 5, kMax);  // MAX + 2 MIN + MAX = -2
  update("k", "v", 5, 2);     // exactly 0: the row disappears
  ASSERT_TRUE(sqlite_->seal(c_, Frontier(6)) && model_.seal(c_, Frontier(6)));
  expect_same_reads();
  EXPECT_EQ(sqlite_->iter(c_), Result<std::vector<Update>>(std::vector<Update>{}));
}

TEST_F(SqliteVersusModel, GroupsThatFitButSealedSumDoesNot) {
  // Two times that each fit, whose sealed sum does not: peek and
  // peek_key_one are out of range (as the provided ops are).
  update("k", "v", 1, kMax);
  update("k", "v", 2, kMax);
  update("k", "w", 9, kMax);
  update("k", "w", 9, kMax);  // unsealed and out of range
  ASSERT_TRUE(sqlite_->seal(c_, Frontier(3)) && model_.seal(c_, Frontier(3)));
  expect_same_reads();
  update("k", "w", 9, kMin);
  update("k", "w", 9, kMin);
  update("k", "w", 9, 2);
  expect_same_reads();
  EXPECT_EQ(code_of(sqlite_->peek_key_one(c_, "k")), "out_of_range");
}

TEST_F(SqliteVersusModel, CompactAndConsolidateKeepExactSums) {
  update("k", "v", 1, kMax);
  update("k", "v", 2, kMax);
  update("k", "v", 3, kMin);
  update("k", "v", 4, kMin);
  update("k", "v", 5, 1);
  update("k", "u", 1, 1);
  update("k", "u", 2, -1);
  ASSERT_TRUE(sqlite_->seal(c_, Frontier(6)) && model_.seal(c_, Frontier(6)));
  ASSERT_TRUE(sqlite_->compact(c_, Frontier(3)) && model_.compact(c_, Frontier(3)));
  expect_same_reads();
  ASSERT_TRUE(sqlite_->consolidate(c_) && model_.consolidate(c_));
  expect_same_reads();
  ASSERT_TRUE(sqlite_->compact(c_, Frontier(5)) && model_.compact(c_, Frontier(5)));
  ASSERT_TRUE(sqlite_->consolidate(c_) && model_.consolidate(c_));
  expect_same_reads();
  EXPECT_EQ(dump(*sqlite_, {"c"}), dump(model_, {"c"}));
}

TEST_F(SqliteVersusModel, EmptyAndBinaryBytesAreDistinct) {
  update("", "", 1, 1);
  update(std::string("\0", 1), std::string("\xff\0", 2), 1, 1);
  update("k", std::string("\0", 1), 1, 1);
  update("k", "", 1, 1);
  expect_same_reads();
  auto named = sqlite_->collection(std::string("nul\0inside", 10));
  ASSERT_TRUE(named);
  EXPECT_NE(*named, *sqlite_->collection("nul"));
}

// Regression: a read that stopped early (out of range) left its statement
// mid-step, which kept an old snapshot open; the next BEGIN IMMEDIATE after
// another writer committed failed with SQLITE_BUSY_SNAPSHOT (kUnavailable)
// instead of reporting kFenced.
TEST(SqliteFence, FencedAfterAnAbortedReadNotUnavailable) {
  TempDir dir;
  auto a = open_ok(dir.file("s.db"));
  auto c = a->collection("c");
  ASSERT_TRUE(a->update(*c, "k", "v", 1, kMax));
  ASSERT_TRUE(a->update(*c, "k", "w", 1, kMax));
  ASSERT_TRUE(a->update(*c, "k", "w", 1, 1));
  ASSERT_TRUE(a->update(*c, "k", "x", 1, 1));
  EXPECT_EQ(code_of(a->iter_key(*c, "k")), "out_of_range");
  auto b = open_ok(dir.file("s.db"));
  EXPECT_EQ(code_of(a->seal(*c, Frontier(-1))), "fenced");
}

TEST(SqliteConsolidate, VisitsOnlyRowsAtOrBeforeSince) {
  TempDir dir;
  make_stash(dir.file("s.db"));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("s.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* plan = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "EXPLAIN QUERY PLAN SELECT key, value, entries, "
                               "merge_at FROM data WHERE collection_id = 1 AND merge_at <= 5",
                               -1, &plan, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(plan), SQLITE_ROW);
  const std::string detail = reinterpret_cast<const char*>(sqlite3_column_text(plan, 3));
  EXPECT_NE(detail.find("data_to_merge"), std::string::npos) << detail;
  sqlite3_finalize(plan);
  sqlite3_close(db);
}

}  // namespace
}  // namespace stash
