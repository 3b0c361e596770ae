// The transaction discipline (etcd_stash_impl.h): reads, commits, the
// frontier cache, retries with failover, resolving a lost reply, and
// compacting etcd's history.
#include <random>
#include <thread>

#include "etcd_stash_impl.h"

namespace stash {
namespace etcd {

RequestOp range_op(const std::string& key, const std::string& range_end) {
  RequestOp op;
  auto* r = op.mutable_request_range();
  r->set_key(key);
  r->set_range_end(range_end);
  return op;
}

RequestOp prefix_op(const std::string& prefix) { return range_op(prefix, prefix_end(prefix)); }

RequestOp put_op(const std::string& key, const std::string& value) {
  RequestOp op;
  op.mutable_request_put()->set_key(key);
  op.mutable_request_put()->set_value(value);
  return op;
}

RequestOp delete_op(const std::string& key, const std::string& range_end) {
  RequestOp op;
  op.mutable_request_delete_range()->set_key(key);
  op.mutable_request_delete_range()->set_range_end(range_end);
  return op;
}

Compare mod_is(const std::string& key, std::int64_t mod_revision) {
  Compare c;
  c.set_result(Compare::EQUAL);
  c.set_target(Compare::MOD);
  c.set_key(key);
  c.set_mod_revision(mod_revision);
  return c;
}

Compare value_is(const std::string& key, const std::string& value) {
  Compare c;
  c.set_result(Compare::EQUAL);
  c.set_target(Compare::VALUE);
  c.set_key(key);
  c.set_value(value);
  return c;
}

namespace {

// etcd counts its limit on the raft request that wraps the Txn; leave room.
constexpr std::size_t kRaftOverheadBytes = 1024;

// A request the server refused as such: kInvalidArgument, except a full
// cluster (etcd's NOSPACE alarm), which is the operator's to fix: kIoError.
Error refusal(const char* what, const grpc::Status& s, const std::string& why) {
  const bool full = s.error_message().find("database space exceeded") != std::string::npos;
  return Error(full ? ErrorCode::kIoError : ErrorCode::kInvalidArgument,
               "etcd: " + std::string(what) + ": " + why);
}

bool same_writer(const Fence& a, const Fence& b) { return a.epoch == b.epoch && a.nonce == b.nonce; }

Fence with_txn(Fence f, std::int64_t txn) {
  f.txn = txn;
  return f;
}

}  // namespace

Clock::time_point Call::attempt_deadline() const {
  return std::min(deadline_, Clock::now() + std::chrono::milliseconds(impl_.options_.attempt_timeout_ms));
}

bool Call::backoff() { return wait(attempts_); }

bool Call::wait(int& attempts) const {
  if (attempts >= impl_.options_.max_retries) return false;
  thread_local std::mt19937 jitter{std::random_device{}()};
  long long wait_ms = impl_.options_.backoff_initial_ms;
  for (int i = 0; i < attempts && wait_ms < impl_.options_.backoff_max_ms; ++i) wait_ms *= 2;
  wait_ms = std::min<long long>(wait_ms, impl_.options_.backoff_max_ms);
  // Up to 50% jitter, so that colliding callers drift apart.
  wait_ms -= std::uniform_int_distribution<long long>(0, wait_ms / 2)(jitter);
  ++attempts;
  const auto wake = Clock::now() + std::chrono::milliseconds(std::max(0LL, wait_ms));
  if (wake >= deadline_) return false;
  std::this_thread::sleep_until(wake);
  return true;
}

Error Call::gave_up(const std::string& last) const {
  const std::string why =
      expired() ? "the call's deadline (call_timeout_ms " +
                      std::to_string(impl_.options_.call_timeout_ms) + ") passed"
                : "gave up after " + std::to_string(attempts_ + 1) + " attempts";
  return Error(ErrorCode::kUnavailable, "etcd: " + std::string(what_) + ": " + why +
                                            "; nothing was written; last error: " + last);
}

Error Call::too_large(const etcdserverpb::TxnRequest& request, std::size_t ops) const {
  return Error(ErrorCode::kInvalidArgument,
               "etcd: " + std::string(what_) + ": this call is one transaction of " +
                   std::to_string(request.ByteSizeLong()) + " bytes and " + std::to_string(ops) +
                   " operations; the cluster accepts at most " +
                   std::to_string(impl_.options_.max_request_bytes) + " bytes (max_request_bytes) and " +
                   std::to_string(impl_.options_.max_txn_ops) +
                   " operations (max_txn_ops) per transaction; nothing was written (a call is "
                   "never split, it would not be atomic): write fewer or smaller entries per call");
}

std::int64_t Call::next_txn() const { return impl_.token_ ? impl_.token_->txn + 1 : 0; }
std::int64_t Call::epoch() const { return impl_.token_ ? impl_.token_->epoch : 0; }

Result<Snapshot> Call::read(std::vector<RequestOp> ops) {
  etcdserverpb::TxnRequest request;
  const bool check_fence = impl_.token_.has_value();
  if (check_fence) *request.add_success() = range_op(impl_.keys_.fence());
  for (RequestOp& op : ops) *request.add_success() = std::move(op);
  for (;;) {
    etcdserverpb::TxnResponse response;
    grpc::Status s = impl_.client_->txn(request, &response, attempt_deadline());
    if (s.ok()) {
      Snapshot out;
      out.revision = response.header().revision();
      for (const ResponseOp& r : response.responses()) out.ranges.push_back(r.response_range());
      if (check_fence) {
        const auto& kvs = out.ranges.front().kvs();
        auto stored = kvs.empty() ? std::nullopt : decode_fence(kvs[0].value());
        if (!stored || !same_writer(*stored, *impl_.token_)) {
          impl_.fenced_ = true;
          return std::unexpected(impl_.fenced_error());
        }
        out.ranges.erase(out.ranges.begin());
      }
      return out;
    }
    const std::string why = describe(s, impl_.client_->current_endpoint());
    if (classify(s) == Failure::kRefused) return std::unexpected(refusal(what_, s, why));
    if (!backoff()) return std::unexpected(gave_up(why));
  }
}

Result<std::map<std::int64_t, std::optional<Cached>>> Call::frontiers(
    const std::vector<std::int64_t>& ids) {
  std::map<std::int64_t, std::optional<Cached>> out;
  std::vector<std::int64_t> missing;
  for (std::int64_t id : ids) {
    if (out.contains(id)) continue;
    if (auto it = impl_.cache_.find(id); it != impl_.cache_.end()) {
      out[id] = it->second;
    } else {
      out[id] = std::nullopt;
      missing.push_back(id);
    }
  }
  if (missing.empty() && impl_.token_) return out;
  std::vector<RequestOp> ops;
  ops.reserve(missing.size());
  for (std::int64_t id : missing) ops.push_back(range_op(impl_.keys_.meta(id)));
  // Even with every frontier cached, a read-only handle has nothing to go
  // on: it never caches. (A writer's cache is exact while it is unfenced.)
  auto snap = read(std::move(ops));
  if (!snap) return std::unexpected(snap.error());
  for (std::size_t i = 0; i < missing.size(); ++i) {
    const auto& kvs = snap->ranges[i].kvs();
    if (kvs.empty()) continue;  // no such collection
    auto meta = decode_meta(kvs[0].value());
    if (!meta) {
      return fail(ErrorCode::kCorruption, "etcd: the frontier key of collection " +
                                              std::to_string(missing[i]) + " does not decode");
    }
    Cached c{*meta, kvs[0].mod_revision()};
    out[missing[i]] = c;
    if (impl_.token_) impl_.cache_[missing[i]] = c;
  }
  return out;
}

Status Call::refused(Error rule) {
  auto snap = read({});
  if (!snap && snap.error().code() == ErrorCode::kFenced) return std::unexpected(snap.error());
  return std::unexpected(std::move(rule));  // not fenced, or unknown: the rule stands
}

Result<std::int64_t> Call::commit(const Write& w) {
  if (w.empty()) {
    auto snap = read({});
    if (!snap) return std::unexpected(snap.error());
    return snap->revision;
  }
  Fence& token = *impl_.token_;
  const std::int64_t txn = token.txn + 1;
  etcdserverpb::TxnRequest request;
  *request.add_compare() = value_is(impl_.keys_.fence(), encode_fence(token));
  for (const Compare& c : w.compares) *request.add_compare() = c;
  for (const RequestOp& op : w.ops) *request.add_success() = op;
  *request.add_success() = put_op(impl_.keys_.fence(), encode_fence(with_txn(token, txn)));
  *request.add_failure() = range_op(impl_.keys_.fence());
  const std::size_t ops = static_cast<std::size_t>(request.success_size());
  if (request.ByteSizeLong() + kRaftOverheadBytes > impl_.options_.max_request_bytes ||
      ops > static_cast<std::size_t>(impl_.options_.max_txn_ops) ||
      request.compare_size() > impl_.options_.max_txn_ops) {
    return std::unexpected(too_large(request, ops));
  }
  // Whatever happens next, the cache may be wrong until this call succeeds.
  auto cache = std::move(impl_.cache_);
  impl_.cache_.clear();
  auto keep_cache = [&](std::int64_t revision) STASH_NO_THREAD_SAFETY_ANALYSIS {
    impl_.cache_ = std::move(cache);
    for (const auto& [id, meta] : w.metas) impl_.cache_[id] = Cached{meta, revision};
  };
  etcdserverpb::TxnResponse response;
  grpc::Status s = impl_.client_->txn(request, &response, attempt_deadline());
  if (s.ok() && response.succeeded()) {
    token.txn = txn;
    keep_cache(response.header().revision());
    compact_history(response.header().revision());
    return response.header().revision();
  }
  if (s.ok()) {
    // A compare failed: the fence moved (fenced), or a frontier key is not
    // the one the plan read (the cache was stale: plan again).
    const auto& kvs = response.responses(0).response_range().kvs();
    auto stored = kvs.empty() ? std::nullopt : decode_fence(kvs[0].value());
    if (!stored || !same_writer(*stored, token)) {
      impl_.fenced_ = true;
      return std::unexpected(impl_.fenced_error());
    }
    token.txn = stored->txn;  // (it is ours; normally unchanged)
    next_ = Next::kRetry;
    return fail(ErrorCode::kUnavailable,
                "etcd: " + std::string(what_) + ": the stored frontiers were not the ones checked");
  }
  const std::string why = describe(s, impl_.client_->current_endpoint());
  if (classify(s) == Failure::kRefused) {
    if (s.error_message().find("too large") != std::string::npos ||
        s.error_message().find("too many operations") != std::string::npos) {
      return fail(ErrorCode::kInvalidArgument, too_large(request, ops).message() + " (" + why + ")");
    }
    return std::unexpected(refusal(what_, s, why));
  }
  // The request may have reached the leader and may still apply: learn
  // whether it did, and make sure it cannot later, before anything else.
  auto did = landed(txn, why);
  if (!did) return std::unexpected(did.error());
  if (*did) {
    keep_cache(0);  // the revision is unknown: the next write compares and re-reads
    for (const auto& [id, meta] : w.metas) impl_.cache_.erase(id);
    return std::int64_t{0};
  }
  next_ = Next::kRetry;
  return fail(ErrorCode::kUnavailable, "etcd: " + std::string(what_) +
                                           ": the write did not commit (" + why + ")");
}

// After the write stamped `txn` lost its reply: true if it committed, false
// if it did not and now never will (the fence counter was moved past it).
Result<bool> Call::landed(std::int64_t txn, const std::string& why) {
  Fence& token = *impl_.token_;
  std::string last = why;
  // The burn: from txn - 1 straight to txn + 1, so the lost write (which
  // compares txn - 1) can no longer apply, and a burn whose reply is lost
  // too is told apart from the write by the value it leaves.
  const Fence before = with_txn(token, txn - 1);
  etcdserverpb::TxnRequest burn;
  *burn.add_compare() = value_is(impl_.keys_.fence(), encode_fence(before));
  *burn.add_success() = put_op(impl_.keys_.fence(), encode_fence(with_txn(token, txn + 1)));
  *burn.add_failure() = range_op(impl_.keys_.fence());
  // The burns have a retry budget of their own (max_retries more attempts,
  // within the call's deadline): on the call's, a write that never landed
  // could not be proven so once the attempts before it had used the budget
  // up, and the call ended kOutcomeUnknown where kUnavailable was provable
  // (etcd_lost_reply_test, *_write_dropped_always / *_burns_fail).
  int burns = 0;
  while (wait(burns)) {
    etcdserverpb::TxnResponse response;
    grpc::Status s = impl_.client_->txn(burn, &response, attempt_deadline());
    if (!s.ok()) {
      last = describe(s, impl_.client_->current_endpoint());
      continue;
    }
    if (response.succeeded()) {
      token.txn = txn + 1;
      return false;
    }
    const auto& kvs = response.responses(0).response_range().kvs();
    auto stored = kvs.empty() ? std::nullopt : decode_fence(kvs[0].value());
    if (!stored) break;
    if (same_writer(*stored, token)) {
      if (stored->txn != txn && stored->txn != txn + 1) break;
      token.txn = stored->txn;
      return stored->txn == txn;
    }
    // A newer writer opened meanwhile; it recorded the counter it found.
    impl_.fenced_ = true;
    if (stored->prev_epoch == token.epoch) {
      if (stored->prev_txn == txn) return true;
      if (stored->prev_txn == txn - 1 || stored->prev_txn == txn + 1) {
        return std::unexpected(impl_.fenced_error());
      }
    }
    last = "a newer writer opened the stash while the reply was lost, and another after it";
    break;
  }
  return fail(ErrorCode::kOutcomeUnknown,
              "etcd: " + std::string(what_) + ": the write was sent, and whether it committed "
              "could not be learned before the call's deadline or retries ran out (" + last +
              "); read the state before retrying");
}

void Call::compact_history(std::int64_t revision) {
  const std::int64_t every = impl_.options_.compact_history_every;
  if (every <= 0 || revision - impl_.compacted_ < 2 * every) return;
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision - every);
  etcdserverpb::CompactionResponse response;
  // Best effort, one attempt: a compaction that fails (or that another
  // client already made) is tried again after the next `every` revisions.
  (void)impl_.client_->compact(request, &response, attempt_deadline());
  impl_.compacted_ = revision - every;
}

}  // namespace etcd

Status EtcdStash::Impl::usable(bool write) const {
  if (fenced_) return std::unexpected(fenced_error());
  if (write && !token_) {
    return fail(ErrorCode::kInvalidArgument,
                "etcd: the stash under prefix \"" + printable(options_.prefix) + "\" is open read-only");
  }
  return {};
}

Error EtcdStash::Impl::fenced_error() const {
  return Error(ErrorCode::kFenced, "etcd: fenced: a newer writer opened the stash under prefix \"" +
                                       printable(options_.prefix) + "\"; this handle cannot be used");
}

}  // namespace stash
