// DurableMemoryStash on the real file system: reopen, file modes, locking,
// and corrupt stores refused with the files left as they were.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "stash/durable_memory_stash.h"

namespace stash {
namespace {

namespace fs = std::filesystem;

class PosixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "stash-durable-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern + "/store";
  }
  void TearDown() override { fs::remove_all(fs::path(dir_).parent_path()); }

  std::string read(const std::string& name) {
    std::ifstream in(dir_ + "/" + name, std::ios::binary);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
  }
  void write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ + "/" + name, std::ios::binary | std::ios::trunc) << bytes;
  }
  // A store with one write in the snapshot and one in the log.
  void populate() {
    auto stash = DurableMemoryStash::open(dir_);
    ASSERT_TRUE(stash) << stash.error();
    auto c = (*stash)->collection("orders");
    ASSERT_TRUE((*stash)->update(*c, "widgets", "1", 1, 1));
    ASSERT_TRUE((*stash)->snapshot());
    ASSERT_TRUE((*stash)->update(*c, "wombats", "2", 1, 2));
  }

  std::string dir_;
};

TEST_F(PosixTest, AcknowledgedWritesSurviveReopen) {
  populate();
  auto stash = DurableMemoryStash::open(dir_);
  ASSERT_TRUE(stash) << stash.error();
  auto c = (*stash)->collection("orders");
  EXPECT_EQ(c->id, 1);
  auto rows = (*stash)->iter(*c);
  ASSERT_TRUE(rows);
  EXPECT_EQ(*rows, (std::vector<Update>{{"widgets", "1", 1, 1}, {"wombats", "2", 1, 2}}));
}

TEST_F(PosixTest, FilesAreReadableByTheOwnerOnly) {
  populate();
  for (const char* name : {"SNAPSHOT", "LOG"}) {
    struct stat st {};
    ASSERT_EQ(::stat((dir_ + "/" + name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << name;
  }
}

TEST_F(PosixTest, SecondOpenOfTheSameDirectoryIsRefused) {
  auto first = DurableMemoryStash::open(dir_);
  ASSERT_TRUE(first) << first.error();
  auto second = DurableMemoryStash::open(dir_);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::kIoError);
}

// flock(2): readers share LOCK, a writer excludes them; a reader needs no
// LOCK file and creates none.
TEST_F(PosixTest, ReadOnlyOpensShareTheLockAndExcludeTheWriter) {
  populate();
  MemoryStashOptions read_only;
  read_only.read_only = true;
  {
    auto writer = DurableMemoryStash::open(dir_);
    ASSERT_TRUE(writer) << writer.error();
    auto reader = DurableMemoryStash::open(dir_, read_only);
    ASSERT_FALSE(reader);
    EXPECT_EQ(reader.error().code(), ErrorCode::kIoError);
  }
  auto first = DurableMemoryStash::open(dir_, read_only);
  ASSERT_TRUE(first) << first.error();
  auto second = DurableMemoryStash::open(dir_, read_only);
  ASSERT_TRUE(second) << second.error();
  auto c = (*second)->collection("orders");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ((*second)->iter(*c)->size(), 2u);
  EXPECT_FALSE(DurableMemoryStash::open(dir_));
  first->reset();
  second->reset();
  fs::remove(dir_ + "/LOCK");
  auto unlocked = DurableMemoryStash::open(dir_, read_only);
  ASSERT_TRUE(unlocked) << unlocked.error();
  EXPECT_FALSE(fs::exists(dir_ + "/LOCK"));
}

TEST_F(PosixTest, MissingStoreWithoutCreateIsNotFound) {
  MemoryStashOptions options;
  options.create_if_missing = false;
  auto stash = DurableMemoryStash::open(dir_, options);
  ASSERT_FALSE(stash);
  EXPECT_EQ(stash.error().code(), ErrorCode::kNotFound);
}

TEST_F(PosixTest, CorruptSnapshotIsRefusedAndLeftAsItWas) {
  populate();
  std::string snapshot = read("SNAPSHOT");
  snapshot[snapshot.size() / 2] ^= 0x40;
  write("SNAPSHOT", snapshot);
  const std::string log = read("LOG");
  auto stash = DurableMemoryStash::open(dir_);
  ASSERT_FALSE(stash);
  EXPECT_EQ(stash.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(stash.error().message().find(dir_ + "/SNAPSHOT at byte "), std::string::npos)
      << stash.error();
  EXPECT_EQ(read("SNAPSHOT"), snapshot);
  EXPECT_EQ(read("LOG"), log);
}

TEST_F(PosixTest, TruncatedSnapshotIsCorruption) {
  populate();
  const std::string snapshot = read("SNAPSHOT");
  write("SNAPSHOT", snapshot.substr(0, snapshot.size() - 3));
  auto stash = DurableMemoryStash::open(dir_);
  ASSERT_FALSE(stash);
  EXPECT_EQ(stash.error().code(), ErrorCode::kCorruption);
}

TEST_F(PosixTest, TornLogTailIsDroppedAndTheRestKept) {
  populate();
  const std::string log = read("LOG");
  write("LOG", log.substr(0, log.size() - 5));  // Tears the wombats record.
  auto stash = DurableMemoryStash::open(dir_);
  ASSERT_TRUE(stash) << stash.error();
  auto c = (*stash)->collection("orders");
  EXPECT_EQ(*(*stash)->iter(*c), (std::vector<Update>{{"widgets", "1", 1, 1}}));
}

}  // namespace
}  // namespace stash
