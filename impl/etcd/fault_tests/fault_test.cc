// EtcdStash under faults of the cluster ci/with-etcd runs (issue #16 item
// 5): kill -9 the leader mid-workload, kill -9 a follower, restart every
// member, pause the leader (SIGSTOP) past the election timeout. Throughout,
// the workload of workload.h writes through one EtcdStash from several
// threads; each fault comes after the workload has made progress, the
// workload must make progress again during the fault (but in the restart
// of every member, where it waits for the cluster to come back) and after
// the repair, and then verify() must find every acknowledged write exactly
// once, nothing unacknowledged but what returned kOutcomeUnknown, and every
// window's history linearizable. Each test prints its counts.
//
// Deeper runs: STASH_ETCD_FAULT_ROUNDS=N repeats each fault N times in one
// workload (default 1); STASH_ETCD_FAULT_WRITES=N writes acknowledged per
// phase (default 30); STASH_ETCD_FAULT_THREADS=N workload threads
// (default 4).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <random>

#include "cluster.h"
#include "etcd_test_main.h"
#include "stash/open.h"
#include "workload.h"

namespace stash::testing {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kHealthy{30'000};
// How long a phase may take to see its writes acknowledged: a leader
// election, a failover (attempt deadline 2 s) and a loaded machine.
constexpr milliseconds kProgress{30'000};

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::max(1, std::atoi(v)) : fallback;
}

class EtcdFault : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = EtcdCluster::from_environment();
    ASSERT_TRUE(c) << c.error();
    cluster_.emplace(std::move(*c));
    ASSERT_TRUE(cluster_->heal(kHealthy)) << cluster_->describe();
    std::random_device random;
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    url_ = "etcd:" + cluster_->endpoint_list() + "/stash-fault-" + test + "-" +
           std::to_string(random());
  }
  void TearDown() override {
    if (cluster_) {
      EXPECT_TRUE(cluster_->heal(kHealthy)) << cluster_->describe();
    }
  }

  EtcdCluster& cluster() { return *cluster_; }

  // One fault, `rounds` times, under the workload: progress, inject(),
  // progress (unless `stalls`), repair(), a healthy cluster, progress; then
  // the checks.
  void run(const std::string& fault, const std::function<Status(EtcdCluster&)>& inject,
           const std::function<Status(EtcdCluster&)>& repair, bool stalls = false) {
    const int rounds = env_int("STASH_ETCD_FAULT_ROUNDS", 1);
    const int writes = env_int("STASH_ETCD_FAULT_WRITES", 30);
    auto writer = stash::open(url_);
    ASSERT_TRUE(writer) << url_ << ": " << writer.error();
    Workload w(std::shared_ptr<Stash>(std::move(*writer)),
               {.threads = env_int("STASH_ETCD_FAULT_THREADS", 4),
                .calls_per_window = 16,
                .seed = std::random_device{}()});
    w.start();
    for (int round = 0; round < rounds; ++round) {
      ASSERT_TRUE(w.wait_for_progress(writes, kProgress))
          << "round " << round << ": no progress before the fault; " << cluster().describe();
      const std::string before = cluster().describe();
      const auto fault_start = std::chrono::steady_clock::now();
      ASSERT_TRUE(inject(cluster())) << cluster().describe();
      const std::string during = cluster().describe();
      if (!stalls) {
        EXPECT_TRUE(w.wait_for_progress(writes, kProgress))
            << "round " << round << ": no writes acknowledged during " << fault << "; "
            << cluster().describe();
      }
      ASSERT_TRUE(repair(cluster())) << cluster().describe();
      ASSERT_TRUE(cluster().wait_healthy(kHealthy));
      const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() -
                                                                 fault_start);
      std::printf("[%s] round %d: before: %s\n  during: %s\n  %lld ms until repaired and "
                  "healthy: %s\n",
                  fault.c_str(), round, before.c_str(), during.c_str(),
                  static_cast<long long>(took.count()), cluster().describe().c_str());
      EXPECT_TRUE(w.wait_for_progress(writes, kProgress))
          << "round " << round << ": no progress after " << fault << "; " << cluster().describe();
    }
    w.stop();
    // Read back through another object (it fences the writer: done anyway).
    auto reader = stash::open(url_);
    ASSERT_TRUE(reader) << reader.error();
    const WorkloadReport r = w.verify(**reader, kHealthy);
    std::printf("[%s] %d round(s): %s\n", fault.c_str(), rounds, r.summary().c_str());
    for (const std::string& f : r.failures) std::printf("  failed call: %s\n", f.c_str());
    RecordProperty("writes_acked", std::to_string(r.writes_acked));
    RecordProperty("writes_unknown", std::to_string(r.writes_unknown));
    RecordProperty("writes_failed", std::to_string(r.writes_failed));
    RecordProperty("histories", std::to_string(r.histories));
    RecordProperty("linearizable", std::to_string(r.linearizable));
    std::string problems;
    for (std::size_t i = 0; i < r.problems.size() && i < 10; ++i) {
      problems += r.problems[i].substr(0, 4000) + "\n";
    }
    EXPECT_TRUE(r.problems.empty()) << r.problems.size() << " problems, the first ones:\n"
                                    << problems;
    EXPECT_EQ(r.checker_unknown, 0) << "histories the checker could not decide within its bound";
    EXPECT_EQ(r.linearizable, r.histories);
    EXPECT_GE(r.writes_acked, static_cast<std::int64_t>(writes) * (stalls ? 2 : 3) * rounds);
  }

 private:
  std::optional<EtcdCluster> cluster_;
  std::string url_;
};

TEST_F(EtcdFault, KillLeaderMidWorkload) {
  int killed = -1;
  run(
      "kill -9 leader",
      [&](EtcdCluster& c) -> Status {
        auto l = c.leader();
        if (!l) return std::unexpected(l.error());
        killed = *l;
        return c.kill(killed);
      },
      [&](EtcdCluster& c) { return c.start(killed); });
}

TEST_F(EtcdFault, KillFollowerMidWorkload) {
  int killed = -1;
  run(
      "kill -9 follower",
      [&](EtcdCluster& c) -> Status {
        auto f = c.follower();
        if (!f) return std::unexpected(f.error());
        killed = *f;
        return c.kill(killed);
      },
      [&](EtcdCluster& c) { return c.start(killed); });
}

// Every member killed and started again at once: the workload stalls until
// the cluster is back (calls fail kUnavailable or wait within their
// deadline), and nothing acknowledged before is lost.
TEST_F(EtcdFault, RestartAllMembersMidWorkload) {
  run(
      "restart all members", [](EtcdCluster& c) { return c.restart_all(); },
      [](EtcdCluster&) -> Status { return {}; }, /*stalls=*/true);
}

// The leader frozen (a hung host, a paused VM) for longer than the election
// timeout: the others elect a new leader and the workload goes on through
// them while the old one is still stopped; then it wakes up as a follower.
TEST_F(EtcdFault, PauseLeaderPastTheElectionTimeout) {
  int paused = -1;
  run(
      "SIGSTOP leader",
      [&](EtcdCluster& c) -> Status {
        auto l = c.leader();
        if (!l) return std::unexpected(l.error());
        paused = *l;
        if (auto s = c.pause(paused); !s) return s;
        // Past the election timeout: until the other two agree on another
        // leader (bounded), and at least twice the timeout.
        const auto start = std::chrono::steady_clock::now();
        const auto deadline = start + kHealthy;
        while (std::chrono::steady_clock::now() < deadline) {
          auto now = c.leader();
          if (now && *now != paused &&
              std::chrono::steady_clock::now() - start >= 2 * c.election_timeout()) {
            return {};
          }
          std::this_thread::sleep_for(milliseconds(50));
        }
        return fail(ErrorCode::kUnavailable, "no new leader while m" + std::to_string(paused) +
                                                 " is paused: " + c.describe());
      },
      [&](EtcdCluster& c) { return c.resume(paused); });
}

}  // namespace
}  // namespace stash::testing

int main(int argc, char** argv) { return stash::testing::run_etcd_tests(argc, argv); }
