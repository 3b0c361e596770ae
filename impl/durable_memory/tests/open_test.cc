// Opening without writing (issue #12, item 6) and error messages that name
// the right files. A store must open, and be readable, when the disk is full
// (open writes nothing unless the log ends in a torn record, and a failed
// rewrite of that leaves it readable), and read-only opens write nothing at
// all. Errors while appending name LOG, not the LOG.tmp it was written as.
#include <gtest/gtest.h>

#include <cerrno>

#include "fault_env.h"
#include "stash/durable_memory_stash.h"

namespace stash::test {
namespace {

const std::string kDir = "/store";

MemoryStashOptions with(FaultEnv& env, bool read_only = false) {
  MemoryStashOptions options;
  options.env = &env;
  options.read_only = read_only;
  return options;
}

// A store with two writes, one of them only in the log.
void populate(FaultEnv& env) {
  auto stash = DurableMemoryStash::open(kDir, with(env));
  ASSERT_TRUE(stash) << stash.error();
  auto c = (*stash)->collection("orders");
  ASSERT_TRUE((*stash)->update(*c, "widgets", "1", 1, 1));
  ASSERT_TRUE((*stash)->snapshot());
  ASSERT_TRUE((*stash)->update(*c, "wombats", "2", 1, 2));
}

std::size_t rows(DurableMemoryStash& stash) {
  auto c = stash.collection("orders");
  if (!c) return 0;
  auto all = stash.iter(*c);
  return all ? all->size() : 0;
}

TEST(OpenTest, FullDiskStillOpensAndReads) {
  FaultEnv env;
  populate(env);
  env.set_disk_full(true);
  auto stash = DurableMemoryStash::open(kDir, with(env));
  ASSERT_TRUE(stash) << stash.error();
  EXPECT_EQ(rows(**stash), 2u);
  // A write meets the full disk: not acknowledged, and the store still opens.
  auto c = (*stash)->collection("orders");
  EXPECT_FALSE((*stash)->update(*c, "more", "3", 1, 1));
  stash->reset();
  auto again = DurableMemoryStash::open(kDir, with(env));
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(rows(**again), 2u);
}

// A torn tail must be cut off before appending; on a full disk that fails,
// and the store opens readable, refusing writes with a message that says so.
TEST(OpenTest, FullDiskWithATornLogOpensReadableAndRefusesWrites) {
  FaultEnv env;
  populate(env);
  const std::string log = env.contents(kDir + "/LOG");
  env.set_contents(kDir + "/LOG", log + log.substr(20, 7));  // A record cut short.
  env.set_disk_full(true);
  auto stash = DurableMemoryStash::open(kDir, with(env));
  ASSERT_TRUE(stash) << stash.error();
  EXPECT_EQ(rows(**stash), 2u);
  auto c = (*stash)->collection("orders");
  ASSERT_TRUE(c) << c.error();
  auto write = (*stash)->update(*c, "more", "3", 1, 1);
  ASSERT_FALSE(write);
  EXPECT_EQ(write.error().code(), ErrorCode::kIoError);
  EXPECT_NE(write.error().message().find("refuses writes until reopened: writing the log again "
                                         "without its torn last record failed at open"),
            std::string::npos) << write.error();
  EXPECT_NE(write.error().message().find("No space left on device"), std::string::npos)
      << write.error();
  stash->reset();
  env.set_disk_full(false);  // Space again: the next open cuts the tear off and writes.
  auto again = DurableMemoryStash::open(kDir, with(env));
  ASSERT_TRUE(again) << again.error();
  EXPECT_TRUE((*again)->update(*(*again)->collection("orders"), "more", "3", 1, 1));
  EXPECT_EQ(rows(**again), 3u);
}

TEST(OpenTest, ReadOnlyWritesNothingAndRefusesEveryWrite) {
  FaultEnv env;
  populate(env);
  const std::string snapshot = env.contents(kDir + "/SNAPSHOT");
  const std::string log = env.contents(kDir + "/LOG");
  env.set_contents(kDir + "/LOG", log + log.substr(20, 7));  // Torn: still no write.
  env.restart();
  env.set_disk_full(true);
  auto stash = DurableMemoryStash::open(kDir, with(env, /*read_only=*/true));
  ASSERT_TRUE(stash) << stash.error();
  EXPECT_EQ(rows(**stash), 2u);
  auto c = (*stash)->collection("orders");
  ASSERT_TRUE(c);
  for (const Status& s : {(*stash)->update(*c, "k", "v", 5, 1), (*stash)->seal(*c, Frontier::at(9)),
                          (*stash)->compact(*c, Frontier::at(1)), (*stash)->consolidate(*c),
                          (*stash)->snapshot()}) {
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument) << s.error();
    EXPECT_NE(s.error().message().find("is open read-only"), std::string::npos) << s.error();
  }
  auto missing = (*stash)->collection("absent");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(env.fallible_calls(), 0) << "a read-only open wrote";
  EXPECT_EQ(env.contents(kDir + "/SNAPSHOT"), snapshot);
  EXPECT_EQ(env.contents(kDir + "/LOG"), log + log.substr(20, 7));
}

TEST(OpenTest, ReadersShareTheLockAndExcludeWriters) {
  FaultEnv env;
  populate(env);
  auto reader = DurableMemoryStash::open(kDir, with(env, true));
  ASSERT_TRUE(reader) << reader.error();
  auto second = DurableMemoryStash::open(kDir, with(env, true));
  ASSERT_TRUE(second) << second.error();
  auto writer = DurableMemoryStash::open(kDir, with(env));
  ASSERT_FALSE(writer);
  EXPECT_EQ(writer.error().code(), ErrorCode::kIoError);
  reader->reset();
  second->reset();
  auto now = DurableMemoryStash::open(kDir, with(env));
  ASSERT_TRUE(now) << now.error();
  auto blocked = DurableMemoryStash::open(kDir, with(env, true));
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code(), ErrorCode::kIoError);
}

TEST(OpenTest, ReadOnlyOfAMissingStoreIsNotFound) {
  FaultEnv env;
  auto stash = DurableMemoryStash::open(kDir, with(env, true));
  ASSERT_FALSE(stash);
  EXPECT_EQ(stash.error().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(env.file_exists(kDir + "/LOCK"));
}

// The log is written as LOG.tmp and renamed; errors after that must name
// the file that is there, LOG.
TEST(OpenTest, AppendErrorsNameTheLiveLog) {
  for (bool reopened : {false, true}) {
    FaultEnv env;
    if (reopened) populate(env);
    auto stash = DurableMemoryStash::open(kDir, with(env));
    ASSERT_TRUE(stash) << stash.error();
    auto c = (*stash)->collection("orders");
    ASSERT_TRUE(c);
    ASSERT_TRUE((*stash)->snapshot());  // A log started by a snapshot, too.
    env.fail_nth(env.fallible_calls() + 1, EIO);  // The next fallible call: the append.
    auto write = (*stash)->update(*c, "k", "v", 5, 1);
    ASSERT_FALSE(write);
    EXPECT_NE(write.error().message().find("append " + kDir + "/LOG:"), std::string::npos)
        << write.error();
    EXPECT_EQ(write.error().message().find("LOG.tmp"), std::string::npos) << write.error();
  }
}

}  // namespace
}  // namespace stash::test
