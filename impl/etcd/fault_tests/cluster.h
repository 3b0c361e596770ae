// Control of the etcd cluster ci/with-etcd started, for fault tests: which
// member leads, kill -9 a member, pause (SIGSTOP) and resume it, start it
// again on its data, restart them all, and wait (bounded) until the cluster
// is healthy again.
//
// It reads the cluster from the environment ci/with-etcd exports:
//   STASH_ETCD_ENDPOINTS        the members' client addresses
//   STASH_ETCD_MEMBERS          the members' names ("m1 m2 m3"), and for each
//                               name M (upper case):
//   STASH_ETCD_<M>_ENDPOINT     its client address, host:port
//   STASH_ETCD_<M>_PIDFILE      the file holding its pid
//   STASH_ETCD_<M>_START        the command starting it again
//   STASH_ETCDCTL               the etcdctl binary (default: etcdctl on PATH)
//   STASH_ETCD_ELECTION_TIMEOUT_MS  the members' election timeout (default
//                               1000, etcd's)
// Members are numbered 0, 1, ... in the order of STASH_ETCD_MEMBERS.
//
// Member status comes from `etcdctl endpoint status -w json`, one member at
// a time (a paused or dead member then costs one short timeout and does not
// hide the others), so the fixture depends on no client code of ours: it
// can check a client without trusting it.
//
// Not thread-safe: one test thread drives the faults while workload threads
// talk to the cluster through the stash.
#ifndef STASH_IMPL_ETCD_FAULT_TESTS_CLUSTER_H_
#define STASH_IMPL_ETCD_FAULT_TESTS_CLUSTER_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "stash/error.h"

namespace stash::testing {

class EtcdCluster {
 public:
  // The cluster of the environment. kInvalidArgument naming the variable
  // when one is missing or the files it names are not there.
  static Result<EtcdCluster> from_environment();

  int members() const { return static_cast<int>(members_.size()); }
  const std::string& name(int member) const { return members_.at(member).name; }
  // "127.0.0.1:p0,127.0.0.1:p1,...": what an etcd: URL lists.
  std::string endpoint_list() const;
  const std::string& endpoint(int member) const { return members_.at(member).endpoint; }
  std::chrono::milliseconds election_timeout() const { return election_timeout_; }

  // What one member says about itself. `reachable` is false when it did not
  // answer within a second (dead, paused, or not serving yet).
  struct MemberStatus {
    int member = 0;
    bool reachable = false;
    std::uint64_t id = 0;
    std::uint64_t leader = 0;  // the member id it follows; 0: none
    std::uint64_t raft_term = 0;
    std::int64_t revision = 0;
  };
  std::vector<MemberStatus> status() const;

  // The index of the member that every reachable member names as leader
  // (and that is itself reachable). kUnavailable with what each member said
  // when there is none or they disagree.
  Result<int> leader() const;
  // A member that is not the leader.
  Result<int> follower() const;

  // SIGKILLs member `m` and waits (bounded) until its process is gone.
  Status kill(int m);
  // SIGSTOP / SIGCONT of member `m`'s process.
  Status pause(int m);
  Status resume(int m);
  // Starts member `m` again (its start command) on its data; it must be
  // down. Returns once the new process has stayed up for 1 s (one that
  // exits sooner, e.g. failing to bind a port, is started again, up to 5
  // times), not once it serves.
  Status start(int m);
  // Every member killed, then every member started.
  Status restart_all();

  // Waits until every member answers, all name the same leader, which is
  // one of them, and a linearizable read through every member succeeds;
  // kUnavailable with the last status seen after `bound`.
  Status wait_healthy(std::chrono::milliseconds bound) const;

  // Undoes whatever a test left: resumes every member, starts every member
  // whose process is gone, and waits (bounded) until the cluster is healthy.
  Status heal(std::chrono::milliseconds bound);

  // Runs `etcdctl --endpoints=<every member> ARGS` (ARGS as shell words),
  // returning its stdout; kUnavailable with the output when it fails.
  Result<std::string> etcdctl(const std::string& args) const;

  // "m0 (leader, term 3, rev 812) m1 (follower ...) m2 (unreachable)".
  std::string describe() const;

  // Whether member `m`'s process exists (and is not a zombie).
  bool running(int m) const;
  pid_t pid(int m) const;

 private:
  EtcdCluster() = default;

  struct Member {
    std::string name;
    std::string endpoint;
    std::string pid_file;
    std::string start;
  };
  std::vector<Member> members_;
  std::string etcdctl_;
  std::chrono::milliseconds election_timeout_{1000};
  std::set<int> paused_;
};

}  // namespace stash::testing

#endif  // STASH_IMPL_ETCD_FAULT_TESTS_CLUSTER_H_
