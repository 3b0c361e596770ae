// EtcdStash::Impl: the cluster client, this writer's fence token and its
// cache of frontiers, and the discipline every call follows (txn.cc):
//
//   read:   one read-only Txn of Ranges (plus the fence key, for a writer,
//           checked against this writer's token), retried on transient
//           failures with failover and backoff;
//   write:  one Txn: compare the fence value (epoch, nonce, counter) and
//           the frontier keys' mod_revisions the plan was made against,
//           then the writes and the next counter. A failed compare on the
//           frontiers means the cache was stale: it is dropped and the call
//           planned again. A lost reply is resolved (Call::commit).
//
// The operations (etcd_stash.cc, consolidate.cc) are bodies run by
// Impl::run, which holds the object's mutex for the call and gives it a
// deadline and a retry budget.
#ifndef STASH_IMPL_ETCD_SRC_ETCD_STASH_IMPL_H_
#define STASH_IMPL_ETCD_SRC_ETCD_STASH_IMPL_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "etcd_client.h"
#include "key_layout.h"
#include "stash/etcd_stash.h"
#include "stash/mutex.h"

namespace stash {
namespace etcd {

using etcdserverpb::Compare;
using etcdserverpb::RequestOp;
using etcdserverpb::ResponseOp;

// Request pieces.
RequestOp range_op(const std::string& key, const std::string& range_end = "");
RequestOp prefix_op(const std::string& prefix);  // every key starting with prefix
RequestOp put_op(const std::string& key, const std::string& value);
RequestOp delete_op(const std::string& key, const std::string& range_end = "");
Compare mod_is(const std::string& key, std::int64_t mod_revision);  // 0: absent
Compare value_is(const std::string& key, const std::string& value);

// A collection's frontiers and the mod_revision of its frontier key.
struct Cached {
  Meta meta;
  std::int64_t mod_revision = 0;
};

// What a read returned: the responses of its ops, at one revision.
struct Snapshot {
  std::int64_t revision = 0;
  std::vector<etcdserverpb::RangeResponse> ranges;
};

// Everything one write changes, besides the fence.
struct Write {
  std::vector<Compare> compares;
  std::vector<RequestOp> ops;
  std::map<std::int64_t, Meta> metas;  // frontier keys put, for the cache
  bool empty() const { return ops.empty(); }
};

// What the runner does after a body failed.
enum class Next { kReturn, kRetry };

class Call;

}  // namespace etcd

class EtcdStash::Impl {
 public:
  Impl(EtcdOptions options, std::unique_ptr<etcd::Client> client, std::optional<etcd::Fence> token,
       std::int64_t revision)
      : options_(std::move(options)),
        client_(std::move(client)),
        keys_(options_.prefix),
        writer_(token.has_value()),
        token_(std::move(token)),
        compacted_(revision) {}

  // Runs `body(call)` as one call: the mutex held, a deadline, retries when
  // the body asks for them (a stale cache, a write known not to have landed).
  template <typename Body>
  auto run(const char* what, bool write, Body body) -> decltype(body(std::declval<etcd::Call&>()));

  const EtcdOptions& options() const { return options_; }
  const etcd::Keys& keys() const { return keys_; }
  bool writer() const { return writer_; }
  etcd::Client& client() { return *client_; }

 private:
  friend class etcd::Call;

  Status usable(bool write) const STASH_REQUIRES(mutex_);
  Error fenced_error() const;

  const EtcdOptions options_;
  const std::unique_ptr<etcd::Client> client_;
  const etcd::Keys keys_;
  const bool writer_;  // opened to write (token_ is set)
  // One call at a time per object; waiting for the others counts against
  // the waiting call's own deadline (call_timeout_ms).
  TimedMutex mutex_;
  // This writer's fence; its txn is the counter value the fence key holds
  // now (as far as this writer knows). nullopt: read-only.
  std::optional<etcd::Fence> token_ STASH_GUARDED_BY(mutex_);
  bool fenced_ STASH_GUARDED_BY(mutex_) = false;
  // The frontiers as of this writer's last call, per collection id. Only
  // this writer changes them while it is not fenced; the compares catch it
  // if not. Dropped after any failed write.
  std::map<std::int64_t, etcd::Cached> cache_ STASH_GUARDED_BY(mutex_);
  // The revision etcd's history was last compacted to (by this handle).
  std::int64_t compacted_ STASH_GUARDED_BY(mutex_);
};

namespace etcd {

// One call in progress: its deadline, its attempts, and the two kinds of
// transaction. Only valid inside Impl::run.
class Call {
 public:
  Call(EtcdStash::Impl& impl, const char* what, Clock::time_point deadline)
      : impl_(impl), what_(what), deadline_(deadline) {}

  // One linearizable read-only Txn of `ops` (Range ops), with the fence
  // check for a writer: kFenced if a newer writer opened. Retried on
  // transient failures within the call's budget, then kUnavailable.
  Result<Snapshot> read(std::vector<RequestOp> ops) STASH_NO_THREAD_SAFETY_ANALYSIS;

  // The cached frontiers of each id (reading the missing ones in one read);
  // nullopt: no such collection.
  Result<std::map<std::int64_t, std::optional<Cached>>> frontiers(
      const std::vector<std::int64_t>& ids) STASH_NO_THREAD_SAFETY_ANALYSIS;

  // The transaction counter the next commit stamps (chunk keys use it).
  std::int64_t next_txn() const STASH_NO_THREAD_SAFETY_ANALYSIS;
  std::int64_t epoch() const STASH_NO_THREAD_SAFETY_ANALYSIS;

  // Commits `w` as one Txn. Returns the revision it committed at. On a stale
  // frontier compare: kUnavailable with next() == kRetry (the cache is
  // dropped). On a lost reply: resolves it (ok if it landed; kRetry if it
  // is known not to have and never to land; kOutcomeUnknown if that cannot
  // be learned in time). An empty write only checks the fence (a read).
  Result<std::int64_t> commit(const Write& w) STASH_NO_THREAD_SAFETY_ANALYSIS;

  // `rule` (a frontier rule's error), unless this writer is fenced: then
  // kFenced, which every call reports first.
  Status refused(Error rule);

  Next next() const { return next_; }
  void begin_attempt() { next_ = Next::kReturn; }
  // Sleeps before the next attempt; false if the retries or the deadline
  // would run out.
  bool backoff();
  const char* what() const { return what_; }
  Clock::time_point deadline() const { return deadline_; }
  bool expired() const { return Clock::now() >= deadline_; }
  // The deadline of one RPC attempt.
  Clock::time_point attempt_deadline() const;
  // kUnavailable for a call that ran out of attempts or time, with `last`.
  Error gave_up(const std::string& last) const;
  Error too_large(const etcdserverpb::TxnRequest& request, std::size_t ops) const;

 private:
  // Sleeps before attempt `attempts` + 1 of a retry budget of max_retries
  // and counts it; false if the budget or the call's deadline would run out.
  bool wait(int& attempts) const;
  Result<bool> landed(std::int64_t txn, const std::string& why) STASH_NO_THREAD_SAFETY_ANALYSIS;
  void compact_history(std::int64_t revision) STASH_NO_THREAD_SAFETY_ANALYSIS;

  EtcdStash::Impl& impl_;
  const char* what_;
  const Clock::time_point deadline_;
  int attempts_ = 0;
  Next next_ = Next::kReturn;
};

}  // namespace etcd

template <typename Body>
auto EtcdStash::Impl::run(const char* what, bool write, Body body)
    -> decltype(body(std::declval<etcd::Call&>())) {
  using R = decltype(body(std::declval<etcd::Call&>()));
  // The deadline starts before the wait for the object: calls queued behind
  // others fail with kUnavailable at their deadline instead of waiting for
  // every call ahead of them to use up its own (the header's promise).
  const auto deadline = etcd::Clock::now() + std::chrono::milliseconds(options_.call_timeout_ms);
  if (!mutex_.try_lock_until(deadline)) {
    return std::unexpected(Error(
        ErrorCode::kUnavailable,
        std::string(what) + ": other calls on this stash held it past this call's deadline "
                            "(call_timeout_ms " + std::to_string(options_.call_timeout_ms) +
            "); nothing was sent"));
  }
  TimedMutexRelease release(mutex_);
  if (auto ok = usable(write); !ok) return std::unexpected(ok.error());
  etcd::Call call(*this, what, deadline);
  for (;;) {
    call.begin_attempt();
    R result = body(call);
    if (result || call.next() != etcd::Next::kRetry) return result;
    if (!call.backoff()) return std::unexpected(call.gave_up(result.error().message()));
  }
}

}  // namespace stash

#endif  // STASH_IMPL_ETCD_SRC_ETCD_STASH_IMPL_H_
