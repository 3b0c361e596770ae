// Group commit: concurrent writers share log syncs, and every write any of
// them saw acknowledged is there after a power cut.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "fault_env.h"
#include "stash/durable_memory_stash.h"

namespace stash::test {
namespace {

TEST(GroupCommitTest, ConcurrentWritersShareSyncsAndAllSurvive) {
  constexpr int kThreads = 8;
  constexpr int kWrites = 40;
  FaultEnv env;
  env.set_sync_delay(std::chrono::microseconds(500));  // A slow disk.
  MemoryStashOptions options;
  options.env = &env;
  options.snapshot_log_bytes_min = 1 << 20;
  {
    auto stash = DurableMemoryStash::open("/gc", options);
    ASSERT_TRUE(stash) << stash.error();
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        auto c = (*stash)->collection("t" + std::to_string(t));
        ASSERT_TRUE(c) << c.error();
        for (int i = 0; i < kWrites; ++i) {
          ASSERT_TRUE((*stash)->update(*c, "k", std::to_string(i), 1, 1));
        }
      });
    }
    for (auto& thread : threads) thread.join();
    const DurableStats stats = (*stash)->stats();
    EXPECT_EQ(stats.records, std::uint64_t{kThreads * (kWrites + 1)});
    EXPECT_LT(stats.syncs, stats.records / 2) << "writers did not share syncs";
    std::cout << stats.records << " records, " << stats.syncs << " syncs\n";
  }
  env.restart();
  auto reopened = DurableMemoryStash::open("/gc", options);
  ASSERT_TRUE(reopened) << reopened.error();
  for (int t = 0; t < kThreads; ++t) {
    auto c = (*reopened)->collection("t" + std::to_string(t));
    EXPECT_EQ((*reopened)->iter(*c)->size(), std::size_t{kWrites});
  }
}

}  // namespace
}  // namespace stash::test
