// The gRPC side of EtcdStash: one channel per cluster member, the stubs of
// the etcd services it calls, and which member is tried next. Knows nothing
// of stashes; EtcdStash::Impl (and the fault tests) call it.
//
// Failover: calls go to the current member; a failed attempt that suggests
// the member is down, partitioned, paused or without a leader moves the
// current member to the next endpoint (round robin), so the retry goes
// elsewhere. Each attempt carries its own deadline; none waits for a
// connection (fail fast), so an unreachable member costs one attempt.
#ifndef STASH_IMPL_ETCD_SRC_ETCD_CLIENT_H_
#define STASH_IMPL_ETCD_SRC_ETCD_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "rpc.grpc.pb.h"
#include "stash/mutex.h"

namespace stash::etcd {

using Clock = std::chrono::steady_clock;

// What one attempt's failure means for the call that made it.
enum class Failure {
  kRefused,    // the server refused the request as such: nothing applied,
               // retrying it is useless (too large, too many ops, bad key)
  kTransient,  // no answer, or a transient server condition (no leader,
               // leader changed, timed out): a write may or may not apply
};

// Classifies a failed attempt's status (etcd reports its own errors as gRPC
// codes with an "etcdserver: ..." message).
Failure classify(const grpc::Status& status);

// "UNAVAILABLE: connection refused (127.0.0.1:2379)".
std::string describe(const grpc::Status& status, const std::string& endpoint);

// A test seam: when set, consulted before every Txn of every Client in the
// process, so a test can lose a request or its reply on purpose at an exact
// point (impl/etcd/testing/faults/ holds the controller). Without one, a Txn
// costs one relaxed atomic load more.
class TxnHook {
 public:
  enum class Action {
    kSend,       // send it; the reply is the server's
    kDrop,       // do not send it (it never lands); the attempt fails with *lost
    kLoseReply,  // send it, let it complete, then fail the attempt with *lost
  };
  virtual ~TxnHook() = default;
  // `lost` is preset to UNAVAILABLE; the hook may replace it (a lost reply
  // is often DEADLINE_EXCEEDED). Called from the calling thread.
  virtual Action on_txn(const etcdserverpb::TxnRequest& request, grpc::Status* lost) = 0;
};
// Installs `hook` for every Client (nullptr removes it). The hook must
// outlive every Txn that may consult it.
void set_txn_hook(TxnHook* hook);

class Client {
 public:
  // One channel per endpoint ("host:port"); nothing connects yet.
  explicit Client(std::vector<std::string> endpoints);

  // One attempt each, on the current member, ending by `deadline`. A
  // failure classified kTransient moves to the next member.
  grpc::Status txn(const etcdserverpb::TxnRequest& request, etcdserverpb::TxnResponse* response,
                   Clock::time_point deadline);
  grpc::Status compact(const etcdserverpb::CompactionRequest& request,
                       etcdserverpb::CompactionResponse* response, Clock::time_point deadline);
  // Status of member `index` (not of the current one): for health checks.
  grpc::Status status(std::size_t index, etcdserverpb::StatusResponse* response,
                      Clock::time_point deadline);

  // A watch stream on the current member; `context` must outlive it.
  std::unique_ptr<grpc::ClientReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>>
  watch(grpc::ClientContext* context);

  // Gives up the current member for the next one.
  void fail_over();

  const std::string& current_endpoint() const;
  const std::vector<std::string>& endpoints() const { return endpoints_; }

 private:
  // A member's channel and stubs. Replaced whole (see failed()) while other
  // threads may still be using the old one: they hold it by shared_ptr.
  struct Stubs {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<etcdserverpb::KV::Stub> kv;
    std::unique_ptr<etcdserverpb::Watch::Stub> watch;
    std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance;
  };
  struct Member {
    std::string endpoint;
    Mutex mutex;
    std::shared_ptr<const Stubs> stubs STASH_GUARDED_BY(mutex);
    // Attempts in a row that found no connection to this member.
    int unconnected STASH_GUARDED_BY(mutex) = 0;
  };
  static std::shared_ptr<const Stubs> connect(const std::string& endpoint);
  std::shared_ptr<const Stubs> stubs(std::size_t member) const;
  std::size_t current() const { return current_.load() % members_.size(); }
  void failed(std::size_t member, const grpc::Status& status);
  void succeeded(std::size_t member);

  const std::vector<std::string> endpoints_;
  std::vector<std::unique_ptr<Member>> members_;
  std::atomic<std::size_t> current_{0};
};

}  // namespace stash::etcd

#endif  // STASH_IMPL_ETCD_SRC_ETCD_CLIENT_H_
