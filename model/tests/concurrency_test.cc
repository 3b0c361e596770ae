// MemoryStash called from several threads at once: calls behave as if run one
// at a time, and every read is one consistent snapshot (docs/spec.md INV-17).
// The workloads are bounded and the assertions deterministic: each writer
// owns its collection, so its final state is known exactly, and every snapshot
// a reader can observe has a shape the test can check.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "stash/memory_stash.h"
#include "stash_test_util.h"

namespace stash {
namespace {

using test::At;
using test::Updates;

constexpr int kWriters = 4;
constexpr int kReaders = 2;
constexpr Timestamp kTimes = 300;
const std::vector<Bytes> kKeys = {"a", "b", "c"};

// The update_many a writer makes at time t: every key moves from value t-1
// to value t. So at every sealed time each key has exactly one value, the
// same for all keys.
Updates Step(Timestamp t) {
  Updates out;
  for (const Bytes& key : kKeys) {
    out.push_back(At(key, std::to_string(t), t, 1));
    out.push_back(At(key, std::to_string(t - 1), t, -1));
  }
  return out;
}

// Writes times 1..kTimes to c, sealing after each, compacting and
// consolidating now and then. Returns the first error, or "".
std::string Write(Stash& s, CollectionHandle c) {
  for (Timestamp t = 1; t <= kTimes; ++t) {
    if (auto ok = s.update_many(c, Step(t)); !ok) return ok.error().to_string();
    if (auto ok = s.seal(c, Frontier(t + 1)); !ok) return ok.error().to_string();
    if (t % 16 == 0) {
      if (auto ok = s.compact(c, Frontier(t)); !ok) return ok.error().to_string();
    }
    if (t % 64 == 0) {
      if (auto ok = s.consolidate(c); !ok) return ok.error().to_string();
    }
  }
  return "";
}

// Value 0 for every key at time 0, sealed: every collection is peekable
// before the writers start.
void Start(Stash& s, CollectionHandle c) {
  Updates initial;
  for (const Bytes& key : kKeys) initial.push_back(At(key, "0", 0, 1));
  STASH_ASSERT_OK(s.update_many(c, initial));
  STASH_ASSERT_OK(s.seal(c, Frontier(1)));
}

// One reader's view of one collection: the latest peeked time, which must
// never go backwards (sealed times only grow).
struct Seen {
  Timestamp time = 0;
};

// Checks one round of reads of c; returns a description of the first
// inconsistency, or "".
std::string ReadOnce(Stash& s, CollectionHandle c, Seen& seen) {
  auto one = s.peek_one(c);
  if (!one) return "peek_one: " + one.error().to_string();
  if (one->size() != kKeys.size()) return "peek_one size " + testing::PrintToString(*one);
  const Bytes value = one->begin()->second;
  for (const auto& [key, v] : *one) {
    if (v != value) return "torn peek_one " + testing::PrintToString(*one);
  }
  const Timestamp n = std::stoll(value);
  if (n < seen.time || n > kTimes) return "peek_one went back to " + value;
  seen.time = n;

  auto key_one = s.peek_key_one(c, "a");
  if (!key_one) return "peek_key_one: " + key_one.error().to_string();
  if (!*key_one || std::stoll(**key_one) < seen.time) return "peek_key_one went back";

  auto rows = s.iter(c);
  if (!rows) return "iter: " + rows.error().to_string();
  for (const Bytes& key : kKeys) {
    Diff total = 0;
    for (const Update& u : *rows) total += u.key == key ? u.diff : 0;
    if (total != 1) return "iter: key " + key + " has total diff " + std::to_string(total);
  }

  auto since = s.since(c);
  auto upper = s.upper(c);
  if (!since || !upper || !(*since <= *upper)) return "since is beyond upper";
  return "";
}

TEST(Concurrency, WritersAndReadersSeeOnlyConsistentSnapshots) {
  MemoryStash s;
  std::vector<CollectionHandle> collections;
  for (int i = 0; i < kWriters; ++i) {
    collections.push_back(test::Collection(s, "writer" + std::to_string(i)));
    ASSERT_NO_FATAL_FAILURE(Start(s, collections.back()));
  }

  std::atomic<int> writers_done = 0;
  std::vector<std::string> writer_errors(kWriters), reader_errors(kReaders);
  std::vector<int> reader_rounds(kReaders, 0);
  std::vector<std::thread> threads;
  threads.reserve(kWriters + kReaders);
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      writer_errors[i] = Write(s, collections[i]);
      ++writers_done;
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      std::vector<Seen> seen(kWriters);
      // At least one round, and rounds until every writer has finished.
      do {
        for (int i = 0; i < kWriters && reader_errors[r].empty(); ++i) {
          reader_errors[r] = ReadOnce(s, collections[i], seen[i]);
        }
        ++reader_rounds[r];
      } while (writers_done < kWriters && reader_errors[r].empty());
    });
  }
  for (std::thread& t : threads) t.join();

  RecordProperty("reader_rounds", reader_rounds[0] + reader_rounds[1]);
  EXPECT_EQ(writer_errors, std::vector<std::string>(kWriters));
  EXPECT_EQ(reader_errors, std::vector<std::string>(kReaders));
  // The final state is exactly what the same calls made one at a time leave.
  MemoryStash model;
  const CollectionHandle expected = test::Collection(model, "writer0");
  ASSERT_NO_FATAL_FAILURE(Start(model, expected));
  ASSERT_EQ(Write(model, expected), "");
  for (CollectionHandle c : collections) {
    EXPECT_EQ(test::State(s, c), test::State(model, expected)) << c;
    const std::string last = std::to_string(kTimes);
    EXPECT_EQ(test::PeekOne(s, c), test::PeekMap({{"a", last}, {"b", last}, {"c", last}}));
  }
}

TEST(Concurrency, UpdatesFromManyThreadsToOneCollectionAreAllKept) {
  constexpr int kThreads = 4;
  constexpr int kUpdates = 250;
  MemoryStash s;
  std::vector<CollectionHandle> handles(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      handles[i] = test::Collection(s, "shared");
      for (int n = 0; n < kUpdates; ++n) {
        STASH_EXPECT_OK(s.update(handles[i], "t" + std::to_string(i), "v", n, 1));
      }
    });
  }
  for (std::thread& t : threads) t.join();

  for (CollectionHandle h : handles) EXPECT_EQ(h, handles[0]);
  Updates expected;
  for (int i = 0; i < kThreads; ++i) {
    for (int n = 0; n < kUpdates; ++n) expected.push_back(At("t" + std::to_string(i), "v", n, 1));
  }
  EXPECT_EQ(test::Iter(s, handles[0]), expected);
}

// compact_batch reads the frontiers, then appends; a seal_batch in another
// thread moves the uppers in between, and compact_batch must retry, not fail.
TEST(Concurrency, CompactBatchAndSealBatchInterleave) {
  constexpr Timestamp kSeals = 300;
  MemoryStash s;
  const CollectionHandle a = test::Collection(s, "a");
  const CollectionHandle b = test::Collection(s, "b");
  std::atomic<bool> sealing_done = false;
  std::string sealer_error, compactor_error;

  std::thread sealer([&] {
    for (Timestamp t = 1; t <= kSeals && sealer_error.empty(); ++t) {
      const std::vector<FrontierRequest> seals = {{a, Frontier(t)}, {b, Frontier(t)}};
      if (auto ok = s.seal_batch(seals); !ok) sealer_error = ok.error().to_string();
    }
    sealing_done = true;
  });
  std::thread compactor([&] {
    Timestamp since = 0;
    do {
      // The upper only grows, so a target read from it is never beyond upper.
      auto upper = s.upper(a);
      if (!upper) return void(compactor_error = upper.error().to_string());
      const Timestamp target = *upper->element() - 1;
      if (target <= since) continue;
      const std::vector<FrontierRequest> compactions = {{a, Frontier(target)}, {b, Frontier(target)}};
      if (auto ok = s.compact_batch(compactions); !ok) {
        return void(compactor_error = ok.error().to_string());
      }
      since = target;
    } while (!sealing_done);
  });
  sealer.join();
  compactor.join();

  EXPECT_EQ(sealer_error, "");
  EXPECT_EQ(compactor_error, "");
  EXPECT_EQ(test::Upper(s, a), Frontier(kSeals));
  EXPECT_EQ(test::Upper(s, b), Frontier(kSeals));
  EXPECT_EQ(test::Since(s, a), test::Since(s, b));
}

}  // namespace
}  // namespace stash
