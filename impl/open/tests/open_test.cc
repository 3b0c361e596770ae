// stash::open: every malformed URL shape is kInvalidArgument with a message
// naming the URL and touches nothing; each scheme opens what it says.
#include "stash/open.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace stash {
namespace {

namespace fs = std::filesystem;

// A fresh temporary directory, made the working directory for the test so
// that a stray relative path would show up in it.
class OpenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "stash_open_test_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    old_cwd_ = fs::current_path();
    fs::current_path(dir_);
  }
  void TearDown() override {
    fs::current_path(old_cwd_);
    fs::remove_all(dir_);
  }
  bool dir_is_empty() const { return fs::is_empty(dir_); }

  fs::path dir_;
  fs::path old_cwd_;
};

void expect_invalid(std::string_view url, std::string_view message_part) {
  auto opened = open(url);
  ASSERT_FALSE(opened.has_value()) << "\"" << url << "\" opened";
  EXPECT_EQ(opened.error().code(), ErrorCode::kInvalidArgument) << opened.error();
  EXPECT_NE(opened.error().message().find(message_part), std::string::npos)
      << "\"" << url << "\": " << opened.error().message() << " (wanted \"" << message_part
      << "\")";
}

TEST_F(OpenTest, MalformedUrlsAreInvalidArgumentAndMakeNothing) {
  expect_invalid("", "empty URL");
  expect_invalid("memory", "not a URL");
  expect_invalid("/var/lib/x.stash", "not a URL");
  expect_invalid(":x", "empty scheme");
  expect_invalid("nosuch:x", "unknown scheme \"nosuch:\"; known schemes: memory:, sqlite:, postgres:, etcd:");
  expect_invalid("Memory:", "lowercase");
  expect_invalid("sql ite:x", "lowercase");
  expect_invalid(" memory:", "whitespace");
  expect_invalid("memory: ", "whitespace");
  expect_invalid("memory:\t", "whitespace");
  expect_invalid("memory:x ", "whitespace");
  expect_invalid("memory: x", "whitespace");
  expect_invalid("memory:a\nb", "control character");
  expect_invalid(std::string_view("memory:a\0b", 10), "control character");
  expect_invalid("memory:dir?x=1", "takes no options");
  expect_invalid("memory:dir?", "empty option list");
  EXPECT_TRUE(dir_is_empty()) << "a refused URL made something in " << dir_;
}

TEST_F(OpenTest, ErrorsNameTheUrl) {
  auto opened = open("nosuch:where");
  ASSERT_FALSE(opened.has_value());
  EXPECT_NE(opened.error().message().find("\"nosuch:where\""), std::string::npos)
      << opened.error().message();
}

TEST_F(OpenTest, MemoryIsANewEmptyStoreEachTime) {
  auto a = open("memory:");
  ASSERT_TRUE(a.has_value()) << a.error();
  auto c = (*a)->collection("x");
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE((*a)->update_many(*c, std::vector<Update>{{"k", "v", 0, 1}}).has_value());
  auto b = open("memory:");
  ASSERT_TRUE(b.has_value());
  auto cb = (*b)->collection("x");
  ASSERT_TRUE(cb.has_value());
  auto rows = (*b)->iter(*cb);
  ASSERT_TRUE(rows.has_value());
  EXPECT_TRUE(rows->empty());
  EXPECT_TRUE(dir_is_empty());
}

TEST_F(OpenTest, MemoryRefusesReadOnly) {
  auto opened = open("memory:", {.read_only = true});
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kInvalidArgument);
}

// Writes one update to collection "c" of the store at `url`, closes it,
// opens it again and reads the update back.
void expect_durable(const std::string& url) {
  {
    auto s = open(url);
    ASSERT_TRUE(s.has_value()) << url << ": " << s.error();
    auto c = (*s)->collection("c");
    ASSERT_TRUE(c.has_value()) << c.error();
    ASSERT_TRUE((*s)->update_many(*c, std::vector<Update>{{"k", "v", 0, 1}}).has_value());
  }
  auto s = open(url);
  ASSERT_TRUE(s.has_value()) << url << ": " << s.error();
  auto c = (*s)->collection("c");
  ASSERT_TRUE(c.has_value());
  auto rows = (*s)->iter(*c);
  ASSERT_TRUE(rows.has_value()) << rows.error();
  ASSERT_EQ(rows->size(), 1u) << url;
  EXPECT_EQ((*rows)[0].key, "k");
}

TEST_F(OpenTest, MemoryDirIsDurable) {
  expect_durable("memory:" + (dir_ / "store").string());
  EXPECT_TRUE(fs::is_directory(dir_ / "store"));
}

TEST_F(OpenTest, MemoryDirWithoutCreateIsNotFound) {
  auto opened = open("memory:" + (dir_ / "missing").string(), {.create_if_missing = false});
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kNotFound) << opened.error();
}

#if STASH_HAVE_SQLITE
TEST_F(OpenTest, SqliteNeedsAPath) {
  expect_invalid("sqlite:", "needs a file path");
  expect_invalid("sqlite:?synchronous=off", "needs a file path");
  EXPECT_TRUE(dir_is_empty());
}

TEST_F(OpenTest, SqliteOptionsAreChecked) {
  const std::string file = (dir_ / "s.stash").string();
  expect_invalid("sqlite:" + file + "?synchronous=sometimes", "synchronous must be");
  expect_invalid("sqlite:" + file + "?busy_timeout_ms=-1", "busy_timeout_ms must be");
  expect_invalid("sqlite:" + file + "?busy_timeout_ms=5x", "busy_timeout_ms must be");
  expect_invalid("sqlite:" + file + "?nosuch=1", "unknown sqlite option \"nosuch\"");
  expect_invalid("sqlite:" + file + "?synchronous", "key=value");
  expect_invalid("sqlite:" + file + "?synchronous=off&synchronous=full", "given twice");
  expect_invalid("sqlite:" + file + "?synchronous=of%2", "%-escape");
  EXPECT_TRUE(dir_is_empty());
}

TEST_F(OpenTest, SqlitePathIsDurable) {
  expect_durable("sqlite:" + (dir_ / "a.stash").string());
  expect_durable("sqlite:" + (dir_ / "b.stash").string() + "?synchronous=normal&busy_timeout_ms=100");
  EXPECT_TRUE(fs::exists(dir_ / "a.stash"));
}

TEST_F(OpenTest, SqliteReadOnlyAndCreateIfMissing) {
  const std::string url = "sqlite:" + (dir_ / "ro.stash").string();
  auto missing = open(url, {.create_if_missing = false});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound) << missing.error();
  ASSERT_TRUE(open(url).has_value());
  auto ro = open(url, {.read_only = true});
  ASSERT_TRUE(ro.has_value()) << ro.error();
  auto c = (*ro)->collection("nope");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), ErrorCode::kNotFound);
}
#else
TEST_F(OpenTest, SqliteNotBuiltIsUnavailable) {
  auto opened = open("sqlite:x.stash");
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(opened.error().message().find("STASH_WITH_SQLITE=OFF"), std::string::npos);
  EXPECT_TRUE(dir_is_empty());
}
#endif

#if STASH_HAVE_POSTGRES
TEST_F(OpenTest, PostgresNeedsADsn) {
  expect_invalid("postgres:", "needs a libpq connection string");
  expect_invalid("postgres:schema=x", "needs a libpq connection string");
  expect_invalid("postgres:host=/tmp schema=", "schema must not be empty");
  expect_invalid("postgres:host='/tmp", "unterminated");
  expect_invalid("postgres:host=/tmp statement_timeout_ms=soon", "statement_timeout_ms must be");
  expect_invalid("postgres:host=/tmp schema=a schema=b", "given twice");
}

// Against a real server when there is one (ci/test runs every test under
// ci/with-postgres, which sets STASH_TEST_POSTGRES_URL).
TEST_F(OpenTest, PostgresSchemaFromTheDsn) {
  const char* server = std::getenv("STASH_TEST_POSTGRES_URL");
  if (server == nullptr || *server == '\0') {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && !std::string(ci).empty() && std::string(ci) != "false") {
      FAIL() << "STASH_TEST_POSTGRES_URL unset under CI=true (run via bash ci/with-postgres)";
    }
    GTEST_SKIP() << "STASH_TEST_POSTGRES_URL unset (run via bash ci/with-postgres)";
  }
  const std::string schema = "stash_open_test_" + std::to_string(::getpid());
  expect_durable("postgres:" + std::string(server) + " schema=" + schema);
  // The same schema read-only sees the data; another schema does not exist.
  auto ro = open("postgres:" + std::string(server) + " schema=" + schema, {.read_only = true});
  ASSERT_TRUE(ro.has_value()) << ro.error();
  auto missing = open("postgres:" + std::string(server) + " schema=" + schema + "_other",
                      {.create_if_missing = false});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound) << missing.error();
}
#endif

#if STASH_HAVE_ETCD
TEST_F(OpenTest, EtcdNeedsEndpoints) {
  expect_invalid("etcd:", "needs at least one endpoint");
  expect_invalid("etcd:/app", "needs at least one endpoint");
  expect_invalid("etcd:h:1,", "a trailing comma");
  expect_invalid("etcd:h:1?nope=1", "unknown etcd option \"nope\"");
  expect_invalid("etcd:h:1?max_txn_ops=many", "max_txn_ops must be an integer");
  expect_invalid("etcd:h:99999", "port must be 1-65535");
  expect_invalid("etcd:nohost", "is not host:port");
}
#else
TEST_F(OpenTest, EtcdLeftOutSaysWhichOption) {
  auto opened = open("etcd:127.0.0.1:2379");
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(opened.error().message().find("STASH_WITH_ETCD=OFF"), std::string::npos);
}
#endif

TEST(OpenSchemes, ListsEveryScheme) {
  std::string names;
  for (const SchemeInfo& s : schemes()) names += std::string(s.name) + ",";
  EXPECT_EQ(names, "memory,sqlite,postgres,etcd,");
  EXPECT_EQ(known_schemes(), "memory:, sqlite:, postgres:, etcd:");
}

}  // namespace
}  // namespace stash
