// Subscriptions across processes: a forked writer process seals a catalog
// step by step; a read-only SqliteStash in this process follows it. The
// writer waits for the follower to acknowledge each seal before the next, so
// every seal must reach the follower on its own, through the file-change
// wake-up (change_wait.cc). Assertions are on content; the waits are bounded
// (a missed wake-up still arrives through the subscription's periodic
// re-read, so this checks delivery, not latency; benchmarks measure that).
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

}  // namespace
}  // namespace stash
