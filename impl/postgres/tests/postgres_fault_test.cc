// Fault tests through the connection seam (faulty_connection.h): the
// connection drops before COMMIT is sent, or after the server committed but
// before its reply arrives. After each the store must equal the model of what
// was acknowledged, every write applied exactly once (a diff never doubles),
// and a commit whose outcome cannot be learned is reported as
// kOutcomeUnknown and is applied once or not at all.
#include <cstdio>

#include "faulty_connection.h"
#include "stash/memory_stash.h"

namespace stash::testing {
namespace {

struct Faulty {
  std::shared_ptr<FaultPlan> plan = std::make_shared<FaultPlan>();
  std::unique_ptr<PostgresStash> stash;
  std::string schema = fresh_schema("stash_fault");

  explicit Faulty(int max_retries = 10) {
    PostgresOptions options = options_for(schema);
    options.max_retries = max_retries;
    options.backoff_initial_ms = 1;
    options.backoff_max_ms = 20;
    auto s = PostgresStash::open_with(std::make_shared<FaultyConnector>(plan), options);
    EXPECT_TRUE(s) << (s ? "" : s.error().to_string());
    if (s) stash = std::move(*s);
  }
  // What a fresh, fault-free handle sees (it fences `stash`).
  std::string stored(const std::string& name) {
    return dump(*open_or_die(options_for(schema)), name);
  }
};

TEST(PostgresFault, DropBeforeCommitIsRetriedAndAppliedOnce) {
  Faulty f;
  auto c = f.stash->collection("c");
  ASSERT_TRUE(c);
  f.plan->faults[f.plan->commits + 1] = FaultPoint::kBeforeCommit;
  ASSERT_EQ(code_of(f.stash->update(*c, "k", "v", 1, 1)), "ok");
  EXPECT_EQ(f.plan->injected_before, 1);
  EXPECT_EQ(f.stored("c"), "c since {0} upper {0}: ((k, v), 1, 1)");
}

TEST(PostgresFault, LostCommitReplyIsResolvedNotReapplied) {
  Faulty f;
  auto c = f.stash->collection("c");
  ASSERT_TRUE(c);
  // A retraction is the write the original applied twice (diff -2).
  ASSERT_EQ(code_of(f.stash->update(*c, "k", "v", 1, 1)), "ok");
  f.plan->faults[f.plan->commits + 1] = FaultPoint::kAfterCommit;
  ASSERT_EQ(code_of(f.stash->update(*c, "k", "v", 1, -1)), "ok");
  ASSERT_EQ(code_of(f.stash->update(*c, "k", "w", 1, 1)), "ok");
  EXPECT_EQ(f.plan->injected_after, 1);
  EXPECT_EQ(f.stored("c"), "c since {0} upper {0}: ((k, w), 1, 1)");
}

TEST(PostgresFault, UnreachableAfterCommitIsOutcomeUnknownAndAppliedOnce) {
  Faulty f(/*max_retries=*/2);
  auto c = f.stash->collection("c");
  ASSERT_TRUE(c);
  f.plan->faults[f.plan->commits + 1] = FaultPoint::kAfterCommit;
  f.plan->refuse_connects = true;
  EXPECT_EQ(code_of(f.stash->update(*c, "landed", "", 1, 1)), "outcome_unknown");
  f.plan->faults[f.plan->commits + 1] = FaultPoint::kBeforeCommit;
  f.plan->refuse_connects = false;
  // The next call reconnects, then loses its own commit before sending it.
  f.plan->refuse_connects = false;
  ASSERT_EQ(code_of(f.stash->update(*c, "second", "", 1, 1)), "ok");
  f.plan->faults[f.plan->commits + 1] = FaultPoint::kBeforeCommit;
  f.plan->refuse_connects = true;
  EXPECT_EQ(code_of(f.stash->update(*c, "not_landed", "", 1, 1)), "outcome_unknown");
  f.plan->refuse_connects = false;
  EXPECT_EQ(f.stored("c"), "c since {0} upper {0}: ((landed, ), 1, 1) ((second, ), 1, 1)");
}

// A random mix of writes, with every third commit failing, alternately before
// and after it is sent: every call still succeeds, and the store equals the
// model exactly.
TEST(PostgresFault, WorkloadWithFaultsEqualsTheModel) {
  Faulty f;
  MemoryStash model;
  for (int n = 3; n <= 800; n += 3) {
    f.plan->faults[n] = n % 2 ? FaultPoint::kBeforeCommit : FaultPoint::kAfterCommit;
  }
  std::mt19937 random(20240611);
  std::printf("seed 20240611\n");
  std::vector<std::string> names = {"a", "b"};
  Timestamp upper = 0;
  for (int i = 0; i < 240; ++i) {
    const std::string& name = names[random() % names.size()];
    auto c = f.stash->collection(name);
    auto m = model.collection(name);
    ASSERT_TRUE(c && m) << i;
    const std::string key = "k" + std::to_string(random() % 8);
    switch (random() % 4) {
      case 0:
      case 1: {
        const Diff d = random() % 2 ? 1 : -1;
        ASSERT_EQ(code_of(f.stash->update(*c, key, "v", upper + 1, d)), "ok") << i;
        ASSERT_TRUE(model.update(*m, key, "v", upper + 1, d));
        break;
      }
      case 2: {
        ++upper;
        ASSERT_EQ(code_of(f.stash->seal_batch(std::vector<FrontierRequest>{
                      {*f.stash->collection("a"), Frontier::at(upper)},
                      {*f.stash->collection("b"), Frontier::at(upper)}})), "ok") << i;
        ASSERT_TRUE(model.seal(*model.collection("a"), Frontier::at(upper)));
        ASSERT_TRUE(model.seal(*model.collection("b"), Frontier::at(upper)));
        break;
      }
      default:
        ASSERT_EQ(code_of(f.stash->compact(*c, Frontier::at(upper))), "ok") << i;
        ASSERT_EQ(code_of(f.stash->consolidate(*c)), "ok") << i;
        ASSERT_TRUE(model.compact(*m, Frontier::at(upper)));
        ASSERT_TRUE(model.consolidate(*m));
    }
  }
  std::printf("faults injected: %d before COMMIT, %d after COMMIT, of %d commits\n",
              f.plan->injected_before, f.plan->injected_after, f.plan->commits);
  EXPECT_GT(f.plan->injected_before, 10);
  EXPECT_GT(f.plan->injected_after, 10);
  for (const std::string& name : names) EXPECT_EQ(f.stored(name), dump(model, name));
}

}  // namespace
}  // namespace stash::testing

int main(int argc, char** argv) {
  return stash::testing::run_postgres_tests(argc, argv, {"STASH_TEST_POSTGRES_URL"});
}
