// PostgresStash::read_all (stash/consistent_read.h): every collection from
// one snapshot. It returns what collections(), since, upper and iter return,
// and under a writer that moves a balance between two collections in one
// atomic append per step, every read_all sees the two sum to zero, with
// equal uppers: a cut across collections.
#include <atomic>
#include <thread>

#include "pg_test_util.h"

namespace stash::testing {
namespace {

TEST(PostgresReadAll, EqualsCollectionsFrontiersAndIterOfEach) {
  auto s = open_or_die(options_for(fresh_schema("stash_read_all")));
  ASSERT_TRUE(s);
  auto a = s->collection("a");
  auto b = s->collection(std::string("b\0nul", 5));
  auto gone = s->collection("gone");
  auto empty = s->collection("");
  ASSERT_TRUE(a && b && gone && empty);
  ASSERT_TRUE(s->update_many(*a, std::vector<Update>{{"k", "v", 1, 2}, {"k", "v", 3, -1}, {"j", "w", 7, 1}}));
  ASSERT_TRUE(s->seal(*a, Frontier::at(5)));
  ASSERT_TRUE(s->compact(*a, Frontier::at(4)));
  ASSERT_TRUE(s->update(*b, "x", "y", 0, -3));
  ASSERT_TRUE(s->update(*gone, "x", "y", 0, 1));
  ASSERT_TRUE(s->seal(*gone, Frontier::empty()));
  ASSERT_TRUE(s->compact(*gone, Frontier::empty()));

  auto all = s->read_all();
  ASSERT_TRUE(all) << all.error();
  auto list = s->collections();
  ASSERT_TRUE(list);
  ASSERT_EQ(all->size(), list->size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    const CollectionContents& got = (*all)[i];
    const NamedCollection& c = (*list)[i];
    EXPECT_EQ(got.collection.name, c.name);
    EXPECT_EQ(got.collection.handle, c.handle);
    EXPECT_EQ(got.since, s->since(c.handle).value());
    EXPECT_EQ(got.upper, s->upper(c.handle).value());
    if (got.since.is_empty()) {
      EXPECT_TRUE(got.updates.empty());
    } else {
      EXPECT_EQ(got.updates, s->iter(c.handle).value()) << printable(c.name);
    }
  }
  // The compacted history reads as iter does: advanced to since, summed.
  EXPECT_EQ((*all)[1].updates, (std::vector<Update>{{"j", "w", 7, 1}, {"k", "v", 4, 1}}));
}

// The sum of every diff of (key "balance") in a collection.
__int128 balance(const CollectionContents& c) {
  __int128 sum = 0;
  for (const Update& u : c.updates) sum += u.diff;
  return sum;
}

TEST(PostgresReadAll, IsOneCutUnderAWriterMovingBetweenCollections) {
  const std::string schema = fresh_schema("stash_read_all_cut");
  auto writer = open_or_die(options_for(schema));
  ASSERT_TRUE(writer);
  auto a = writer->collection("a");
  auto b = writer->collection("b");
  ASSERT_TRUE(a && b);
  PostgresOptions read_only = options_for(schema);
  read_only.read_only = true;
  auto reader = open_or_die(read_only);
  ASSERT_TRUE(reader);

  // Each step moves step % 7 + 1 from a to b (one append over both), and
  // every tenth step compacts both too.
  std::atomic<bool> stop{false};
  std::atomic<int> steps{0};
  std::thread writing([&] {
    for (Timestamp t = 0; !stop && t < 100000; ++t) {
      const Diff amount = t % 7 + 1;
      const std::optional<Frontier> since =
          t % 10 == 9 ? std::optional(Frontier::at(t - 4)) : std::nullopt;
      const std::vector<Update> from = {{"balance", "", t, -amount}};
      const std::vector<Update> to = {{"balance", "", t, amount}};
      const std::vector<AppendBatch> batches = {
          {*a, Frontier::at(t), Frontier::at(t + 1), since, from},
          {*b, Frontier::at(t), Frontier::at(t + 1), since, to}};
      auto ok = writer->append(batches);
      EXPECT_TRUE(ok) << ok.error();
      if (!ok) break;
      ++steps;
    }
  });
  auto wait_for_steps = [&](int n) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (steps < n && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
    return steps >= n;
  };
  ASSERT_TRUE(wait_for_steps(20));

  constexpr int kReads = 40;
  int torn_by_separate_reads = 0;
  Frontier last_upper = Frontier::at(0);
  int moved = 0;  // reads that saw the writer further on than the one before
  for (int i = 0; i < kReads; ++i) {
    // Each read waits (bounded) for the writer to have moved on since the
    // read before, so the reads are spread over the writer's run however the
    // two threads happen to be scheduled; the writer keeps writing during
    // the read itself.
    ASSERT_TRUE(wait_for_steps(steps.load() + 1)) << "the writer stopped at step " << steps.load();
    auto all = reader->read_all();
    ASSERT_TRUE(all) << all.error();
    ASSERT_EQ(all->size(), 2u);
    const CollectionContents& ra = (*all)[0];
    const CollectionContents& rb = (*all)[1];
    ASSERT_EQ(ra.collection.name, "a");
    EXPECT_EQ(ra.upper, rb.upper) << "read " << i;
    EXPECT_EQ(ra.since, rb.since) << "read " << i;
    EXPECT_TRUE(balance(ra) + balance(rb) == 0)
        << "read " << i << ": a and b are from different moments (upper " << ra.upper << ")";
    if (last_upper < ra.upper) ++moved;
    last_upper = ra.upper;
    // What reading one collection after the other gives, for comparison.
    auto ia = reader->iter(ra.collection.handle);
    auto ib = reader->iter(rb.collection.handle);
    ASSERT_TRUE(ia && ib);
    __int128 separate = 0;
    for (const Update& u : *ia) separate += u.diff;
    for (const Update& u : *ib) separate += u.diff;
    if (separate != 0) ++torn_by_separate_reads;
  }
  stop = true;
  writing.join();
  // The writer was writing all along: most reads saw a newer state.
  EXPECT_GT(moved, kReads / 2) << "the writer stood still; the check proves nothing";
  std::printf("%d read_all calls under %d writer steps, all one cut; %d of the same number of "
              "separate iter pairs were torn\n",
              kReads, steps.load(), torn_by_separate_reads);
}

}  // namespace
}  // namespace stash::testing

int main(int argc, char** argv) {
  return stash::testing::run_postgres_tests(argc, argv, {"STASH_TEST_POSTGRES_URL"});
}
