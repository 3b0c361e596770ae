// Subscriptions on PostgreSQL (wait_for_change over LISTEN/NOTIFY,
// change_wait.cc and listener.h):
//   - a forked writer process seals step by step; this process's waits wake
//     on each seal long before their deadline (so through the
//     notification, not the subscription's periodic re-read), and the
//     subscription delivers exactly iter;
//   - the server restarts twice while a subscriber follows a busy writer:
//     the listener reconnects and LISTENs again, and what the subscriber
//     delivered afterwards still equals iter, nothing missed or repeated.
//
// Every wait is bounded: a wake-up that never comes fails the test at its
// bound instead of hanging it.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "pg_test_util.h"

namespace stash::testing {
namespace {

using Clock = std::chrono::steady_clock;
using Sums = std::map<std::tuple<Bytes, Bytes, Timestamp>, __int128>;

// A wait for a notification must end long before this; only a notification
// that never came lets it run out.
constexpr auto kWakeBound = std::chrono::seconds(30);

void add(Sums& sums, const Update& u) {
  auto& s = sums[{u.key, u.value, u.time}];
  s += u.diff;
  if (s == 0) sums.erase({u.key, u.value, u.time});
}

// iter of `c` restricted to times before `upper`, as sums.
Sums sealed_contents(Stash& s, CollectionHandle c, const Frontier& upper) {
  Sums out;
  auto rows = s.iter(c);
  EXPECT_TRUE(rows) << rows.error();
  if (!rows) return out;
  for (const Update& u : *rows) {
    if (!upper.less_equal(u.time)) add(out, u);
  }
  return out;
}

// The forked writer: for each byte read from `commands`, writes one key at
// time i and seals to i + 1, then answers with one byte on `done`.
int writer_process(const std::string& schema, int commands, int done) {
  auto stash = PostgresStash::open(server_url(), options_for(schema));
  if (!stash) return 10;
  auto c = (*stash)->collection("catalog");
  if (!c) return 11;
  char command = 0;
  for (int i = 1; read(commands, &command, 1) == 1; ++i) {
    if (!(*stash)->update(*c, "key" + std::to_string(i), "v", i, 1)) return 12;
    if (!(*stash)->seal(*c, Frontier::at(i + 1))) return 13;
    if (write(done, "d", 1) != 1) return 14;
  }
  return 0;
}

TEST(PostgresSubscribe, SealsOfAnotherProcessWakeTheWaitAndTheSubscription) {
  const std::string schema = fresh_schema("stash_sub_xproc");
  {
    auto creator = open_or_die(options_for(schema));
    ASSERT_TRUE(creator);
    ASSERT_TRUE(creator->collection("catalog"));
  }
  int commands[2], done[2];
  ASSERT_EQ(pipe(commands), 0);
  ASSERT_EQ(pipe(done), 0);
  // Fork before this process opens anything more or starts a thread.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(commands[1]);
    close(done[0]);
    _exit(writer_process(schema, commands[0], done[1]));
  }
  close(commands[0]);
  close(done[1]);

  PostgresOptions read_only = options_for(schema);
  read_only.read_only = true;
  auto follower = open_or_die(read_only);
  ASSERT_TRUE(follower);
  auto c = follower->collection("catalog");
  ASSERT_TRUE(c) << c.error();

  // The first waits return as soon as LISTEN is in effect.
  const auto listening_by = Clock::now() + kWakeBound;
  while (follower->listen_sessions() == 0 && Clock::now() < listening_by) {
    ASSERT_TRUE(follower->wait_for_change(*c, Frontier::at(0), Clock::now() + std::chrono::milliseconds(50)));
  }
  ASSERT_EQ(follower->listen_sessions(), 1u);

  // Each seal of the other process wakes a wait whose deadline is far away.
  constexpr int kSeals = 8;
  std::vector<double> wake_ms;
  for (int i = 1; i <= kSeals; ++i) {
    const Frontier before = Frontier::at(i == 1 ? 0 : i);  // a new collection's upper is {0}
    ASSERT_EQ(write(commands[1], "c", 1), 1);
    const auto started = Clock::now();
    const auto deadline = started + kWakeBound;
    Frontier upper = before;
    while (upper == before && Clock::now() < deadline) {
      ASSERT_TRUE(follower->wait_for_change(*c, before, deadline));
      auto now_upper = follower->upper(*c);
      ASSERT_TRUE(now_upper) << now_upper.error();
      upper = *now_upper;
    }
    ASSERT_EQ(upper, Frontier::at(i + 1)) << "seal " << i << " of the writer process never woke the wait";
    ASSERT_LT(Clock::now(), deadline);
    wake_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
    char ack = 0;
    ASSERT_EQ(read(done[0], &ack, 1), 1);
  }
  std::printf("seal-to-wake across processes, ms:");
  for (double ms : wake_ms) std::printf(" %.1f", ms);
  std::printf("\n");

  // The subscription built on those waits delivers exactly iter, and follows
  // further seals of the other process.
  auto sub = follower->subscribe(*c, 0);
  ASSERT_TRUE(sub) << sub.error();
  Sums delivered;
  Frontier upper = Frontier::at(0);
  for (int i = kSeals + 1; i <= kSeals + 4; ++i) {
    ASSERT_EQ(write(commands[1], "c", 1), 1);
    const auto give_up = Clock::now() + kWakeBound;
    while (upper < Frontier::at(i + 1) && Clock::now() < give_up) {
      auto batch = (*sub)->next(std::chrono::seconds(1));
      ASSERT_TRUE(batch) << batch.error();
      if (!*batch) continue;
      for (const Update& u : (*batch)->updates) add(delivered, u);
      upper = (*batch)->upper;
    }
    ASSERT_EQ(upper, Frontier::at(i + 1));
    char ack = 0;
    ASSERT_EQ(read(done[0], &ack, 1), 1);
  }
  close(commands[1]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  close(done[0]);
  EXPECT_EQ(delivered, sealed_contents(*follower, *c, upper));
  EXPECT_EQ(delivered.size(), static_cast<std::size_t>(kSeals + 4));
}

TEST(PostgresSubscribe, ServerRestartsWhileSubscribedLoseAndRepeatNothing) {
  const std::string schema = fresh_schema("stash_sub_restart");
  auto writer = open_or_die(options_for(schema));
  ASSERT_TRUE(writer);
  auto wc = writer->collection("catalog");
  ASSERT_TRUE(wc);
  PostgresOptions read_only = options_for(schema);
  read_only.read_only = true;
  auto follower = open_or_die(read_only);
  ASSERT_TRUE(follower);
  auto c = follower->collection("catalog");
  ASSERT_TRUE(c);
  auto sub = follower->subscribe(*c, 0);
  ASSERT_TRUE(sub) << sub.error();

  // The writer: one key per step at time i, sealed to i + 1. A call may fail
  // during a restart (kUnavailable, kOutcomeUnknown); the seal is retried
  // until it lands, so upper keeps climbing.
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> sealed{0};
  std::thread writing([&] {
    for (std::int64_t i = 1; !stop; ++i) {
      // A failed update only leaves its key out: the check compares with iter.
      (void)writer->update(*wc, "key" + std::to_string(i), "v", i, 1);
      bool landed = false;
      while (!stop && !landed) {
        landed = writer->seal(*wc, Frontier::at(i + 1)).has_value();
        auto upper = writer->upper(*wc);  // an outcome_unknown seal may have landed
        landed = landed || (upper && *upper == Frontier::at(i + 1));
      }
      if (!landed) break;
      sealed = i + 1;
    }
  });

  // The subscriber, on this thread: collects every batch; an error from
  // next() (the server is down) is retried, as the contract allows.
  Sums delivered;
  Frontier upper = Frontier::at(0);
  int errors = 0, batches = 0;
  auto follow_until = [&](std::int64_t target) {
    const auto give_up = Clock::now() + kWakeBound;
    while (upper < Frontier::at(target) && Clock::now() < give_up) {
      auto batch = (*sub)->next(std::chrono::milliseconds(500));
      if (!batch) {
        ++errors;
        continue;
      }
      if (!*batch) continue;
      ++batches;
      for (const Update& u : (*batch)->updates) {
        EXPECT_FALSE((*batch)->upper.less_equal(u.time)) << u << " at or beyond " << (*batch)->upper;
        add(delivered, u);
      }
      EXPECT_TRUE(upper < (*batch)->upper || (*batch)->snapshot) << "upper did not advance";
      upper = (*batch)->upper;
    }
    return !(upper < Frontier::at(target));
  };

  // Deliveries go on without LISTEN too (each wait re-reads upper every 100
  // ms), so catching up does not show the listener is back: wait for its
  // session count, driving it with short waits as a subscriber would.
  auto listening_again = [&](std::uint64_t sessions) {
    const auto give_up = Clock::now() + kWakeBound;
    while (follower->listen_sessions() < sessions && Clock::now() < give_up) {
      if (!follower->wait_for_change(*c, upper, Clock::now() + std::chrono::milliseconds(50))) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the server is coming back
      }
    }
    return follower->listen_sessions() >= sessions;
  };

  constexpr int kRestarts = 2;
  for (int r = 0; r < kRestarts; ++r) {
    ASSERT_TRUE(follow_until(sealed + 20)) << "the subscriber fell behind before restart " << r;
    // Each restart must cut an established LISTEN session.
    ASSERT_TRUE(listening_again(1u + r)) << "the listener did not listen again after restart " << r;
    ASSERT_EQ(std::system(env("STASH_TEST_POSTGRES_RESTART").c_str()), 0);
  }
  // After the last restart: the writer goes on, the subscriber catches up.
  const bool caught_up = follow_until(sealed + 20);
  stop = true;
  writing.join();
  ASSERT_TRUE(caught_up) << "no delivery after the last restart";
  ASSERT_TRUE(follow_until(sealed));
  std::printf("%d restarts: %d batches, %d next() errors, %llu LISTEN sessions, upper %s\n",
              kRestarts, batches, errors,
              static_cast<unsigned long long>(follower->listen_sessions()),
              upper.to_string().c_str());
  EXPECT_EQ(upper, Frontier::at(sealed));
  EXPECT_EQ(delivered, sealed_contents(*follower, *c, upper));
  // The listener lost its connection at each restart and listened again.
  EXPECT_TRUE(listening_again(1u + kRestarts)) << follower->listen_sessions() << " LISTEN sessions";

  // And waits wake on notifications again: a seal after the restarts ends a
  // wait long before its deadline.
  const Frontier before = upper;
  const auto deadline = Clock::now() + kWakeBound;
  std::thread one_more([&] { EXPECT_TRUE(writer->seal(*wc, Frontier::at(sealed + 5))); });
  Frontier now_upper = before;
  while (now_upper == before && Clock::now() < deadline) {
    ASSERT_TRUE(follower->wait_for_change(*c, before, deadline));
    auto u = follower->upper(*c);
    ASSERT_TRUE(u) << u.error();
    now_upper = *u;
  }
  one_more.join();
  EXPECT_EQ(now_upper, Frontier::at(sealed + 5));
  EXPECT_LT(Clock::now(), deadline);
}

}  // namespace
}  // namespace stash::testing

int main(int argc, char** argv) {
  return stash::testing::run_postgres_tests(
      argc, argv, {"STASH_TEST_POSTGRES_URL", "STASH_TEST_POSTGRES_RESTART"});
}
