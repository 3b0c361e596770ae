// Subscriptions across processes: a forked writer process seals a catalog
// step by step; a read-only SqliteStash in this process follows it. The
// writer waits for the follower to acknowledge each seal before the next, so
// every seal must reach the follower on its own, through the file-change
// wake-up (change_wait.cc). Assertions are on content; the waits are bounded
// (a missed wake-up still arrives through the subscription's periodic
// re-read, so this checks delivery, not latency; benchmarks measure that).
// The wait itself is checked on its own too: SqliteStash::wait_for_change
// has no periodic re-read, so it returns only through the file-change
// wake-up, and only once upper really moved (commits to another collection
// of the file wake it, and must not end the wait).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "stash/sqlite_stash.h"
#include "test_util.h"

namespace stash {
namespace {

constexpr int kSeals = 12;
constexpr auto kBound = std::chrono::seconds(20);

// The child: open a writer on `path`, then for each step write one key, seal
// past it and wait for the parent's byte on `acks`. Returns the exit code.
int writer_process(const std::string& path, int acks) {
  auto stash = SqliteStash::open(path);
  if (!stash) return 10;
  auto c = (*stash)->collection("catalog");
  if (!c) return 11;
  for (int i = 1; i <= kSeals; ++i) {
    if (!(*stash)->update(*c, "key" + std::to_string(i), "value", i, 1)) return 12;
    if (!(*stash)->seal(*c, Frontier::at(i + 1))) return 13;
    char ack = 0;
    if (read(acks, &ack, 1) != 1) return 14;
  }
  return 0;
}

TEST(SqliteSubscribeCrossProcess, FollowerSeesEverySealOfAnotherProcess) {
  testing::TempDir dir;
  const std::string path = dir.file("catalog.db");
  {
    auto creator = SqliteStash::open(path);
    ASSERT_TRUE(creator) << creator.error();
    ASSERT_TRUE((*creator)->collection("catalog"));
  }
  SqliteOptions read_only;
  read_only.read_only = true;
  auto follower = SqliteStash::open(path, read_only);
  ASSERT_TRUE(follower) << follower.error();
  auto c = (*follower)->collection("catalog");
  ASSERT_TRUE(c) << c.error();
  auto sub = (*follower)->subscribe(*c, 0);
  ASSERT_TRUE(sub) << sub.error();

  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[1]);
    _exit(writer_process(path, pipe_fds[0]));
  }
  close(pipe_fds[0]);

  std::vector<Update> delivered;
  Frontier upper;
  bool saw_snapshot = false;
  for (int i = 1; i <= kSeals; ++i) {
    const Frontier want = Frontier::at(i + 1);
    const auto give_up = std::chrono::steady_clock::now() + kBound;
    while (upper < want && std::chrono::steady_clock::now() < give_up) {
      auto batch = (*sub)->next(std::chrono::seconds(1));
      ASSERT_TRUE(batch) << batch.error();
      if (!*batch) continue;
      saw_snapshot = saw_snapshot || (*batch)->snapshot;
      for (const Update& u : (*batch)->updates) {
        EXPECT_FALSE((*batch)->upper.less_equal(u.time)) << u << " at or beyond " << (*batch)->upper;
        delivered.push_back(u);
      }
      upper = (*batch)->upper;
    }
    ASSERT_EQ(upper, want) << "seal " << i << " of the writer process did not arrive";
    ASSERT_EQ(write(pipe_fds[1], "a", 1), 1);
  }
  close(pipe_fds[1]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);

  EXPECT_TRUE(saw_snapshot);
  std::vector<Update> expected;
  for (int i = 1; i <= kSeals; ++i) expected.push_back({"key" + std::to_string(i), "value", i, 1});
  EXPECT_EQ(delivered, expected);
}

// The child for the wait test: many commits to collection "other" (each moves
// data_version but not catalog's upper), then one seal of "catalog".
int other_then_catalog(const std::string& path) {
  auto stash = SqliteStash::open(path);
  if (!stash) return 20;
  auto other = (*stash)->collection("other");
  auto catalog = (*stash)->collection("catalog");
  if (!other || !catalog) return 21;
  for (int i = 0; i < 30; ++i) {
    if (!(*stash)->update(*other, "k", "v", i, 1)) return 22;
    if (!(*stash)->seal(*other, Frontier::at(i + 1))) return 23;
  }
  if (!(*stash)->seal(*catalog, Frontier::at(7))) return 24;
  return 0;
}

TEST(SqliteSubscribeCrossProcess, WaitEndsOnlyWhenAnotherProcessMovesUpper) {
  testing::TempDir dir;
  const std::string path = dir.file("catalog.db");
  {
    auto creator = SqliteStash::open(path);
    ASSERT_TRUE(creator) << creator.error();
    ASSERT_TRUE((*creator)->collection("other"));
    ASSERT_TRUE((*creator)->collection("catalog"));
  }
  SqliteOptions read_only;
  read_only.read_only = true;
  auto follower = SqliteStash::open(path, read_only);
  ASSERT_TRUE(follower) << follower.error();
  auto c = (*follower)->collection("catalog");
  ASSERT_TRUE(c) << c.error();

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(other_then_catalog(path));

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  ASSERT_TRUE((*follower)->wait_for_change(*c, Frontier::at(0), deadline));
  EXPECT_LT(std::chrono::steady_clock::now(), deadline) << "the wait ran to its deadline";
  auto upper = (*follower)->upper(*c);
  ASSERT_TRUE(upper) << upper.error();
  EXPECT_EQ(*upper, Frontier::at(7)) << "the wait ended before the catalog seal";

  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace stash
