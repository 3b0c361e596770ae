#include "txn_faults.h"

#include <algorithm>

namespace stash::etcd::faults {

TxnFaults::TxnFaults(const std::string& prefix) : fence_key_(prefix + "fence") { set_txn_hook(this); }

TxnFaults::~TxnFaults() { set_txn_hook(nullptr); }

void TxnFaults::drop_writes(int n) {
  MutexLock lock(mutex_);
  drop_writes_ = n;
}
void TxnFaults::lose_write_replies(int n) {
  MutexLock lock(mutex_);
  lose_writes_ = n;
}
void TxnFaults::drop_burns(int n) {
  MutexLock lock(mutex_);
  drop_burns_ = n;
}
void TxnFaults::lose_burn_replies(int n) {
  MutexLock lock(mutex_);
  lose_burns_ = n;
}
void TxnFaults::clear() {
  MutexLock lock(mutex_);
  drop_writes_ = lose_writes_ = drop_burns_ = lose_burns_ = 0;
}

TxnCounts TxnFaults::counts() const {
  MutexLock lock(mutex_);
  return counts_;
}

bool TxnFaults::take(int& n) {
  if (n == 0) return false;
  if (n > 0) --n;
  return true;
}

TxnHook::Action TxnFaults::on_txn(const etcdserverpb::TxnRequest& request, grpc::Status* lost) {
  const bool ours = std::any_of(request.compare().begin(), request.compare().end(), [&](const auto& c) {
    return c.key() == fence_key_ && c.target() == etcdserverpb::Compare::VALUE;
  });
  if (!ours || request.success_size() == 0) return Action::kSend;
  const bool burn = request.success_size() == 1 && request.success(0).has_request_put() &&
                    request.success(0).request_put().key() == fence_key_;
  MutexLock lock(mutex_);
  int& drop = burn ? drop_burns_ : drop_writes_;
  int& lose = burn ? lose_burns_ : lose_writes_;
  ++(burn ? counts_.burns : counts_.writes);
  if (!burn) counts_.write_bytes += request.ByteSizeLong();
  if (take(drop)) {
    ++(burn ? counts_.burns_dropped : counts_.writes_dropped);
    *lost = grpc::Status(grpc::StatusCode::UNAVAILABLE, "txn_faults: request dropped before sending");
    return Action::kDrop;
  }
  if (take(lose)) {
    ++(burn ? counts_.burns_lost : counts_.writes_lost);
    *lost = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "txn_faults: reply lost after the commit");
    return Action::kLoseReply;
  }
  return Action::kSend;
}

}  // namespace stash::etcd::faults
