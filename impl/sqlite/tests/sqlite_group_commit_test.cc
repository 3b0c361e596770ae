// Group commit: writer threads sharing one SqliteStash commit in groups, and
// each call still gets exactly its own outcome: a failed call is rolled back
// alone, the others of its group stay applied, and all of it is durable.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "stash/memory_stash.h"
#include "stash/sqlite_stash.h"
#include "test_util.h"

namespace stash {
namespace {

using testing::code_of;
using testing::TempDir;

TEST(SqliteGroupCommit, EachCallOfAGroupGetsItsOwnOutcome) {
  TempDir dir;
  const std::string path = dir.file("s.stash");
  SqliteOptions o;
  o.synchronous = SqliteOptions::Synchronous::kNormal;
  auto s = SqliteStash::open(path, o);
  ASSERT_TRUE(s) << s.error();
  MemoryStash model;
  constexpr int kThreads = 8;
  constexpr int kCalls = 60;
  std::vector<std::string> names;
  for (int t = 0; t < kThreads; ++t) {
    names.push_back("c" + std::to_string(t));
    ASSERT_EQ(*(*s)->collection(names.back()), *model.collection(names.back()));
  }
  std::vector<std::string> mismatches(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const CollectionHandle c{t + 1};
      for (int i = 0; i < kCalls; ++i) {
        // Every fifth call is refused (a time below upper); the rest apply.
        const Timestamp time = i % 5 == 4 ? i - 3 : i;
        std::vector<Update> batch = {{"k" + std::to_string(i % 7), "v", time, 1},
                                     {"k" + std::to_string(i % 3), "w", time, -1}};
        const std::string got = code_of((*s)->update_many(c, batch));
        const std::string want = code_of(model.update_many(c, batch));
        if (got != want) {
          mismatches[t].append("update ").append(std::to_string(i)).append(": ");
          mismatches[t].append(got).append(" vs ").append(want).append("; ");
        }
        const std::string sealed = code_of((*s)->seal(c, Frontier(i)));
        const std::string model_sealed = code_of(model.seal(c, Frontier(i)));
        if (sealed != model_sealed) mismatches[t] += "seal " + std::to_string(i) + "; ";
        if (i % 10 == 9) {
          (void)(*s)->compact(c, Frontier(i - 5));
          (void)model.compact(c, Frontier(i - 5));
          (void)(*s)->consolidate(c);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], "") << "thread " << t;
  EXPECT_EQ(testing::dump(**s, names), testing::dump(model, names));
  EXPECT_EQ(code_of((*s)->verify()), "ok");
  s->reset();
  auto reopened = SqliteStash::open(path, o);
  ASSERT_TRUE(reopened) << reopened.error();
  EXPECT_EQ(testing::dump(**reopened, names), testing::dump(model, names));
}

}  // namespace
}  // namespace stash
