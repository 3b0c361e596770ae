// The test side of the Txn fault seam (src/etcd_client.h, TxnHook): loses
// chosen requests or replies of one stash's writes and of the burns that
// resolve them, so a test can drive Call::commit and Call::landed
// (src/txn.cc) through every lost-reply path deterministically.
//
// It only touches Txns of the stash under `prefix`, told apart by the fence
// compare every write carries:
//   write  compares the fence's value and puts more than the fence;
//   burn   compares the fence's value and puts only the fence (the Txn that
//          moves the counter past a write whose reply was lost).
// Reads, and other stashes' Txns, always pass.
//
// Not installed, not part of the public API: linked by the etcd tests only.
#ifndef STASH_IMPL_ETCD_TESTING_FAULTS_TXN_FAULTS_H_
#define STASH_IMPL_ETCD_TESTING_FAULTS_TXN_FAULTS_H_

#include <cstddef>
#include <string>

#include "etcd_client.h"
#include "stash/mutex.h"

namespace stash::etcd::faults {

// How many of the coming writes (or burns) to hit; kEvery: all of them.
inline constexpr int kEvery = -1;

struct TxnCounts {
  int writes = 0, writes_dropped = 0, writes_lost = 0;
  int burns = 0, burns_dropped = 0, burns_lost = 0;
  std::size_t write_bytes = 0;  // the serialized size of every write seen
};

// Installs itself as the process's TxnHook for its lifetime (one at a time).
class TxnFaults final : public TxnHook {
 public:
  explicit TxnFaults(const std::string& prefix);
  ~TxnFaults() override;
  TxnFaults(const TxnFaults&) = delete;
  TxnFaults& operator=(const TxnFaults&) = delete;

  // The next n writes are not sent (they never land; the attempt fails
  // UNAVAILABLE, as a connection lost before sending).
  void drop_writes(int n);
  // The next n writes are sent and land; their replies are lost (the attempt
  // fails DEADLINE_EXCEEDED, as a deadline that passed after the commit).
  void lose_write_replies(int n);
  // The same for the burns that follow.
  void drop_burns(int n);
  void lose_burn_replies(int n);
  // Nothing more is hit (counts are kept).
  void clear();

  TxnCounts counts() const;

  Action on_txn(const etcdserverpb::TxnRequest& request, grpc::Status* lost) override;

 private:
  // Takes one from a plan of n: true if this Txn is hit.
  static bool take(int& n);

  const std::string fence_key_;
  mutable Mutex mutex_;
  int drop_writes_ STASH_GUARDED_BY(mutex_) = 0;
  int lose_writes_ STASH_GUARDED_BY(mutex_) = 0;
  int drop_burns_ STASH_GUARDED_BY(mutex_) = 0;
  int lose_burns_ STASH_GUARDED_BY(mutex_) = 0;
  TxnCounts counts_ STASH_GUARDED_BY(mutex_);
};

}  // namespace stash::etcd::faults

#endif  // STASH_IMPL_ETCD_TESTING_FAULTS_TXN_FAULTS_H_
