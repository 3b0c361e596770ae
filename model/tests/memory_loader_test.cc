// MemoryStash::Loader, the load seam a snapshot decoder builds a stash with:
// whatever order the updates arrive in, the stash it builds holds exactly
// what the stash the image came from held.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>

#include "stash/memory_stash.h"

namespace stash {
namespace {

MemoryStashImage written_through_the_api() {
  MemoryStash s;
  auto a = *s.collection("a");
  auto b = *s.collection("b");
  (void)s.collection("empty");
  std::vector<Update> batch;
  batch.reserve(200);
  for (int i = 0; i < 200; ++i) {
    batch.push_back({"k" + std::to_string(i % 37), "v" + std::to_string(i % 5), i % 7, 1 + i % 3});
  }
  EXPECT_TRUE(s.update_many(a, batch));
  // A sum beyond int64: image() spreads it over several entries.
  constexpr Diff kMax = std::numeric_limits<Diff>::max();
  EXPECT_TRUE(s.update_many(b, std::vector<Update>{{"big", "x", 1, kMax}, {"big", "x", 1, kMax}}));
  EXPECT_TRUE(s.seal(a, Frontier::at(10)));
  EXPECT_TRUE(s.compact(a, Frontier::at(4)));
  EXPECT_TRUE(s.consolidate(a));
  return s.image();
}

TEST(MemoryStashLoader, ShuffledUpdatesBuildTheSameStash) {
  const MemoryStashImage image = written_through_the_api();
  ASSERT_EQ(image.collections.size(), 3u);
  ASSERT_GT(image.collections[1].updates.size(), 1u);  // the spread sum
  for (unsigned seed = 0; seed < 5; ++seed) {
    MemoryStash::Loader loader;
    std::mt19937 rng(seed);
    for (const auto& c : image.collections) {
      loader.add_collection(c.name, c.since, c.upper);
      std::vector<Update> updates = c.updates;
      std::shuffle(updates.begin(), updates.end(), rng);
      for (const Update& u : updates) loader.add(u.key, u.value, u.time, u.diff);
    }
    auto loaded = loader.finish();
    EXPECT_EQ(loaded->image(), image) << "seed " << seed;
    auto a = loaded->collection("a");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->id, 1);
    EXPECT_EQ(*loaded->since(*a), Frontier::at(4));
    EXPECT_EQ(*loaded->upper(*a), Frontier::at(10));
  }
}

TEST(MemoryStashLoader, TheImageConstructorLoadsTheSame) {
  const MemoryStashImage image = written_through_the_api();
  MemoryStash s(image);
  EXPECT_EQ(s.image(), image);
  auto c = s.collection("new");  // Ids continue after the loaded ones.
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id, 4);
}

}  // namespace
}  // namespace stash
