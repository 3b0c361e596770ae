// Opening SqliteStash: paths that would lose every write, settings that do
// not take effect, old formats, concurrent first opens of a new file, and
// readers on read-only media (regressions of issue #12 items 4 and 5 and its
// read-only directory item).
//
// Environment:
//   STASH_SQLITE_RACE_ROUNDS  rounds of concurrent first opens (default 60,
//                             4 processes each)
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "fault_vfs.h"
#include "stash/sqlite_stash.h"
#include "test_util.h"

namespace stash {
namespace {

using testing::code_of;
using testing::file_bytes;
using testing::TempDir;

void raw_sql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &message), SQLITE_OK) << message;
  sqlite3_free(message);
  sqlite3_close(db);
}

TEST(SqliteOpenPath, PathsSqliteNeverKeepsAreRefused) {
  TempDir dir;
  const std::string uri = "file:" + dir.file("s.db");
  for (const std::string& path :
       {std::string(""), std::string(":memory:"), uri, uri + "?mode=memory",
        std::string("file::memory:"), dir.file("s.db") + std::string("\0x", 2)}) {
    SCOPED_TRACE(path);
    auto s = SqliteStash::open(path);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument) << s.error();
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("s.db")));
}

TEST(SqliteOpenPath, NonDurableStoreOnlyWhenAskedFor) {
  SqliteOptions o;
  o.allow_non_durable = true;
  for (const char* path : {":memory:", ""}) {
    SCOPED_TRACE(path);
    auto s = SqliteStash::open(path, o);
    ASSERT_TRUE(s) << s.error();
    auto c = (*s)->collection("c");
    ASSERT_TRUE(c) << c.error();
    ASSERT_TRUE((*s)->update(*c, "k", "v", 0, 1));
    EXPECT_EQ((*s)->iter(*c), (std::vector<Update>{{"k", "v", 0, 1}}));
  }
  o.read_only = true;
  EXPECT_EQ(code_of(SqliteStash::open(":memory:", o)), "invalid_argument");
}

// Regression: on a file system without shared memory, PRAGMA journal_mode =
// WAL silently stayed "delete" and the stash opened anyway.
TEST(SqliteOpenSettings, WalThatCannotTakeEffectFailsTheOpen) {
  TempDir dir;
  testing::FaultVfs vfs("stash_no_shm");
  vfs.set_shared_memory(false);
  SqliteOptions o;
  o.vfs_name = vfs.name();
  auto s = SqliteStash::open(dir.file("s.db"), o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kIoError) << s.error();
  EXPECT_NE(s.error().message().find("write-ahead log"), std::string::npos) << s.error();
}

TEST(SqliteOpenFormat, VersionOneFilesAreRefusedUntouched) {
  TempDir dir;
  const std::string path = dir.file("v1.stash");
  raw_sql(path,
          "CREATE TABLE collections(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
          "since INTEGER, upper INTEGER) STRICT; "
          "PRAGMA application_id = 1400140648; PRAGMA user_version = 1;");
  const std::string before = file_bytes(path);
  auto s = SqliteStash::open(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message().find("format version 1 is no longer read"), std::string::npos)
      << s.error();
  EXPECT_EQ(file_bytes(path), before);
}

TEST(SqliteOpenFormat, SchemaAlteredByAnotherProgramIsCorruption) {
  TempDir dir;
  const std::string path = dir.file("s.stash");
  ASSERT_TRUE(SqliteStash::open(path));
  raw_sql(path, "CREATE INDEX extra ON data(merge_at);");
  EXPECT_EQ(code_of(SqliteStash::open(path)), "corruption");
}

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

// Regression (issue #12 item 5): the header fields were read in separate
// autocommit queries, so an opener racing the creator of a new file could see
// application_id 0 with tables present and fail with kInvalidArgument
// ("invalid application id: 0", 5 of 800 opens with 4 processes).
TEST(SqliteOpenRace, ConcurrentFirstOpensOfANewFileAllSucceed) {
  const int rounds = static_cast<int>(env_or("STASH_SQLITE_RACE_ROUNDS", 60));
  constexpr int kProcesses = 4;
  int failures = 0;
  std::string first_failure;
  for (int round = 0; round < rounds; ++round) {
    TempDir dir;
    const std::string path = dir.file("new.stash");
    int go[2], report[2];
    ASSERT_EQ(::pipe(go), 0);
    ASSERT_EQ(::pipe(report), 0);
    std::vector<pid_t> children;
    for (int p = 0; p < kProcesses; ++p) {
      const pid_t pid = ::fork();
      if (pid == 0) {
        ::close(go[1]);
        ::close(report[0]);
        char byte;
        if (::read(go[0], &byte, 1) != 1) ::_exit(3);  // all start together
        SqliteOptions o;
        o.synchronous = SqliteOptions::Synchronous::kOff;
        auto s = SqliteStash::open(path, o);
        if (s) ::_exit(0);
        const std::string line = s.error().to_string() + "\n";
        (void)!::write(report[1], line.data(), line.size());
        ::_exit(1);
      }
      children.push_back(pid);
    }
    ::close(go[0]);
    ::close(report[1]);
    const std::string start(kProcesses, 'g');
    ASSERT_EQ(::write(go[1], start.data(), start.size()), kProcesses);
    ::close(go[1]);
    std::string errors;
    char buffer[512];
    for (ssize_t n; (n = ::read(report[0], buffer, sizeof buffer)) > 0;) errors.append(buffer, n);
    ::close(report[0]);
    for (pid_t pid : children) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
    }
    if (!errors.empty() && first_failure.empty()) first_failure = errors;
    auto reopened = SqliteStash::open(path);
    ASSERT_TRUE(reopened) << reopened.error();
  }
  std::printf("concurrent first opens: %d rounds x %d processes, %d failed\n", rounds,
              kProcesses, failures);
  EXPECT_EQ(failures, 0) << first_failure;
}

// Runs `body` in a child process as nobody (uid/gid 65534) when we are root,
// so that file permissions apply; returns what it wrote, or why it failed.
template <typename Body>
std::string in_unprivileged_child(Body body) {
  int out[2];
  if (::pipe(out) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(out[0]);
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    const std::string text = body();
    const bool written =
        ::write(out[1], text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::_exit(written ? 0 : 4);
  }
  ::close(out[1]);
  std::string text;
  char buffer[256];
  for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return "child failed with status " + std::to_string(status);
  }
  return text;
}

// Regression: a read-only open failed in a read-only directory, because WAL
// mode reads through a -shm file SQLite could not create there.
TEST(SqliteOpenReadOnly, CleanlyClosedStashInAReadOnlyDirectoryIsReadable) {
  TempDir dir;
  const std::string sub = dir.file("media");
  std::filesystem::create_directory(sub);
  const std::string path = sub + "/s.stash";
  {
    auto s = SqliteStash::open(path);
    ASSERT_TRUE(s) << s.error();
    auto c = (*s)->collection("orders");
    ASSERT_TRUE((*s)->update(*c, "k1", "v1", 0, 1));
    ASSERT_TRUE((*s)->update(*c, "k2", "v2", 0, 1));
    ASSERT_TRUE((*s)->seal(*c, Frontier(1)));
  }
  ASSERT_FALSE(std::filesystem::exists(path + "-wal"));  // closed cleanly
  namespace fs = std::filesystem;
  fs::permissions(dir.file(""), fs::perms::owner_all | fs::perms::others_exec |
                                    fs::perms::group_exec);
  // Readable by all, writable by nobody.
  fs::permissions(sub, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                           fs::perms::group_exec | fs::perms::others_read |
                           fs::perms::others_exec);
  fs::permissions(path, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  const std::string before = file_bytes(path);
  const std::string seen = in_unprivileged_child([&] {
    SqliteOptions o;
    o.read_only = true;
    auto r = SqliteStash::open(path, o);
    if (!r) return "open: " + r.error().to_string();
    auto c = (*r)->collection("orders");
    if (!c) return "collection: " + c.error().to_string();
    auto one = (*r)->peek_one(*c);
    if (!one) return "peek_one: " + one.error().to_string();
    std::string out;
    for (const auto& [k, v] : *one) out.append(k).append("=").append(v).append(";");
    return out + " writer: " + code_of(SqliteStash::open(path));
  });
  fs::permissions(sub, fs::perms::owner_all);
  EXPECT_EQ(seen, "k1=v1;k2=v2; writer: io_error");
  EXPECT_EQ(file_bytes(path), before);
}

}  // namespace
}  // namespace stash
