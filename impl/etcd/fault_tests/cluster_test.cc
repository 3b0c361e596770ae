// The fault fixture on its own (cluster.h), against the cluster of
// ci/with-etcd and through etcdctl only: it finds the leader, a killed
// leader is replaced and rejoins when started again, a paused member stops
// answering and answers again once resumed, and data written before a
// restart of every member is there after it, and a member that exits at
// once (its port taken) is started again.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "cluster.h"
#include "etcd_test_main.h"

namespace stash::testing {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kHealthy{30'000};

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = EtcdCluster::from_environment();
    ASSERT_TRUE(c) << c.error();
    cluster_.emplace(std::move(*c));
    ASSERT_TRUE(cluster_->heal(kHealthy)) << cluster_->describe();
  }
  void TearDown() override {
    if (cluster_) {
      EXPECT_TRUE(cluster_->heal(kHealthy)) << cluster_->describe();
    }
  }
  EtcdCluster& cluster() { return *cluster_; }

  // The value etcdctl reads for `key` (linearizable), or the error.
  std::string get(const std::string& key) {
    auto out = cluster().etcdctl("get --print-value-only " + key);
    return out ? *out : out.error().message();
  }

 private:
  std::optional<EtcdCluster> cluster_;
};

TEST_F(ClusterTest, FindsTheOneLeaderEveryMemberFollows) {
  ASSERT_EQ(cluster().members(), 3);
  auto leader = cluster().leader();
  ASSERT_TRUE(leader) << leader.error();
  auto follower = cluster().follower();
  ASSERT_TRUE(follower);
  EXPECT_NE(*follower, *leader);
  const auto all = cluster().status();
  for (const auto& s : all) {
    EXPECT_TRUE(s.reachable) << "m" << s.member;
    EXPECT_EQ(s.leader, all[*leader].id) << "m" << s.member;
  }
}

TEST_F(ClusterTest, KilledLeaderIsReplacedAndRejoinsWithWhatItMissed) {
  auto old = cluster().leader();
  ASSERT_TRUE(old) << old.error();
  ASSERT_TRUE(cluster().kill(*old));
  EXPECT_FALSE(cluster().running(*old));
  // Two members are a quorum: they elect one of themselves and take writes.
  auto put = cluster().etcdctl("put fixture-missed yes");
  for (int i = 0; !put && i < 20; ++i) put = cluster().etcdctl("put fixture-missed yes");
  ASSERT_TRUE(put) << put.error() << "\n" << cluster().describe();
  auto now = cluster().leader();
  ASSERT_TRUE(now) << now.error();
  EXPECT_NE(*now, *old);
  ASSERT_TRUE(cluster().start(*old));
  ASSERT_TRUE(cluster().wait_healthy(kHealthy));
  // The restarted member caught up: a serializable read answered by it alone.
  auto local = cluster().etcdctl("--endpoints=" + cluster().endpoint(*old) +
                                 " get --consistency=s --print-value-only fixture-missed");
  ASSERT_TRUE(local) << local.error();
  EXPECT_EQ(*local, "yes\n");
}

TEST_F(ClusterTest, PausedMemberStopsAnsweringUntilResumed) {
  auto f = cluster().follower();
  ASSERT_TRUE(f) << f.error();
  ASSERT_TRUE(cluster().pause(*f));
  EXPECT_TRUE(cluster().running(*f));  // stopped, not dead
  EXPECT_FALSE(cluster().status()[*f].reachable);
  EXPECT_FALSE(cluster().wait_healthy(milliseconds(500)));
  ASSERT_TRUE(cluster().resume(*f));
  EXPECT_TRUE(cluster().wait_healthy(kHealthy)) << cluster().describe();
}

TEST_F(ClusterTest, RestartingEveryMemberKeepsTheData) {
  ASSERT_TRUE(cluster().etcdctl("put fixture-restart kept"));
  std::vector<pid_t> before;
  before.reserve(static_cast<std::size_t>(cluster().members()));
  for (int m = 0; m < cluster().members(); ++m) before.push_back(cluster().pid(m));
  ASSERT_TRUE(cluster().restart_all());
  for (int m = 0; m < cluster().members(); ++m) EXPECT_NE(cluster().pid(m), before[m]);
  ASSERT_TRUE(cluster().wait_healthy(kHealthy)) << cluster().describe();
  EXPECT_EQ(get("fixture-restart"), "kept\n");
}

// Listens on 127.0.0.1:`port` until destroyed (no SO_REUSEPORT: while it
// listens, another bind of the port fails).
class PortHolder {
 public:
  explicit PortHolder(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // SO_REUSEADDR: the killed member's connections leave the port in
    // TIME_WAIT; a listener still keeps every other bind out.
    const int one = 1;
    if (fd_ >= 0) (void)::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    held_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd_, 1) == 0;
    if (!held_) error_ = errno;
  }
  ~PortHolder() {
    if (fd_ >= 0) ::close(fd_);
  }
  PortHolder(const PortHolder&) = delete;
  PortHolder& operator=(const PortHolder&) = delete;
  bool held() const { return held_; }
  int error() const { return error_; }

 private:
  int fd_;
  bool held_ = false;
  int error_ = 0;
};

// The port bind race of a restart, made certain: the member's client port is
// taken when it starts, so it exits at once; start() must start it again
// once the port is free (without the retry, start() returned as soon as the
// process existed and the cluster never became healthy).
TEST_F(ClusterTest, MemberThatCannotBindItsPortIsStartedAgain) {
  auto f = cluster().follower();
  ASSERT_TRUE(f) << f.error();
  const std::string& endpoint = cluster().endpoint(*f);
  const int port = std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
  ASSERT_TRUE(cluster().kill(*f));
  // The killed member's sockets can keep the port for a moment (the very
  // race start() retries for): try for a while.
  auto holder = std::make_unique<PortHolder>(port);
  for (int i = 0; i < 100 && !holder->held(); ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    holder = std::make_unique<PortHolder>(port);
  }
  ASSERT_TRUE(holder->held()) << "could not take " << endpoint << ": " << std::strerror(holder->error());
  // Freed while start() retries (its attempts span several seconds).
  std::thread release([&holder] {
    std::this_thread::sleep_for(milliseconds(800));
    holder.reset();
  });
  const Status started = cluster().start(*f);
  release.join();
  ASSERT_TRUE(started) << started.error();
  EXPECT_TRUE(cluster().wait_healthy(kHealthy)) << cluster().describe();
}

}  // namespace
}  // namespace stash::testing

int main(int argc, char** argv) { return stash::testing::run_etcd_tests(argc, argv); }
