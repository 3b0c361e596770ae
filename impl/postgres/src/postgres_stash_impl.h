// PostgresStash::Impl: one connection (replaced on loss), the prepared SQL,
// this writer's cache of frontiers, and the transaction discipline every
// call follows (transaction.cc). Opening lives in open.cc, the operations in
// postgres_stash.cc.
//
// A call's transaction is one round trip:
//   read:   BEGIN REPEATABLE READ, READ ONLY; [fence check]; the reads; COMMIT
//                                                               (pipelined)
//   write:  one statement, its own READ COMMITTED transaction: the claim
//           (fence check, stamp, and the guard, all on the fence row's lock;
//           schema.cc says why this is serializable), then the writes:
//             update_one   one entry, scalar parameters
//             write_rows   rows and frontiers as arrays
//             S.write(...) consolidations and creations
// A write checks the rules against the frontiers in the cache; the claim
// makes the statement fail (SX001) if they, or the fence row's stamp the
// writer knows, are no longer the stored ones, and the runner then forgets
// the cache and runs the call again. Only a collection missing from the
// cache costs a read round trip first.
//
// The runner retries transient failures (Next::kRetry / kReconnect) with
// backoff, at most options.max_retries times and never past the call's
// deadline (options.call_timeout_ms).
#ifndef STASH_IMPL_POSTGRES_SRC_POSTGRES_STASH_IMPL_H_
#define STASH_IMPL_POSTGRES_SRC_POSTGRES_STASH_IMPL_H_

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "errors.h"
#include "listener.h"
#include "schema.h"
#include "stash/mutex.h"
#include "stash/postgres_connection.h"
#include "stash/postgres_stash.h"

namespace stash {

// The fence row a writer wrote when it opened.
struct FenceToken {
  std::int64_t epoch = 0;
  std::string nonce;
};

namespace postgres {

struct Frontiers {
  Frontier since;
  Frontier upper;
};

// Everything one write call changes, sent as one S.write statement.
struct WriteSet {
  // The frontiers the rules were checked against, per collection touched.
  std::map<CollectionHandle, Frontiers> expected;
  // The frontiers after the call, for the collections whose frontiers move.
  std::map<CollectionHandle, Frontiers> next;
  // Data rows.
  std::vector<std::int64_t> ids;
  std::vector<std::string> keys, values;
  std::vector<std::int64_t> times, diffs;
  std::vector<std::int64_t> hashes;  // key_hash of each key (key_hash.h)
  // Collections to consolidate (after the rows and frontiers above).
  std::vector<std::int64_t> consolidate;
  // A collection to create; its id is what write() returns.
  std::optional<std::string> create;

  void add(CollectionHandle c, std::span<const Update> entries);
};

// One attempt at one call's transaction.
class Txn {
 public:
  Txn(PostgresStash::Impl& impl, std::int64_t id) : impl_(impl), id_(id) {}

  // One read round trip: BEGIN READ ONLY, the fence check (for a writer,
  // which also learns the fence row's stamp), `queries`, COMMIT. Returns the
  // rows of `queries`.
  Result<std::vector<Rows>> read(std::vector<Query> queries);

  // The frontiers of each collection in `handles` (nullopt: no such
  // collection), from this writer's cache if it has them all, else all read
  // in one read round trip (so that they come from one snapshot).
  Result<std::map<CollectionHandle, std::optional<Frontiers>>> frontiers(
      const std::vector<CollectionHandle>& handles);

  // One write round trip: w as one statement in its own transaction.
  // Returns the id of the collection w.create names (0 when none). If the
  // write was sent and
  // the connection is lost (or the deadline passes) before the reply,
  // learns from the commit counter whether it landed: ok if it did, a
  // retryable failure if it did not, kOutcomeUnknown if that cannot be
  // learned.
  Result<std::int64_t> write(const WriteSet& w);

  // What the runner does after this attempt failed.
  Next next() const { return next_; }

  // Whether the server answered this attempt (and so checked the fence).
  bool reached_server() const { return reached_server_; }

 private:
  std::unexpected<Error> failed(const DbError& e, std::string_view what);

  PostgresStash::Impl& impl_;
  const std::int64_t id_;  // the commit counter value a write claims
  Next next_ = Next::kReturn;
  bool reached_server_ = false;
};

}  // namespace postgres

class PostgresStash::Impl {
 public:
  Impl(std::shared_ptr<postgres::Connector> connector,
       std::unique_ptr<postgres::Connection> connection, PostgresOptions options,
       postgres::Sql sql, std::optional<FenceToken> token)
      : connector_(std::move(connector)),
        connection_(std::move(connection)),
        options_(std::move(options)),
        sql_(std::move(sql)),
        token_(std::move(token)) {}

  // Runs `body(txn)` as one transaction, retrying transient failures.
  // `what` names the call in error messages.
  template <typename Body>
  auto write(const char* what, Body body) -> decltype(body(std::declval<postgres::Txn&>())) {
    return run<decltype(body(std::declval<postgres::Txn&>()))>(true, what, body);
  }
  template <typename Body>
  auto read(const char* what, Body body) -> decltype(body(std::declval<postgres::Txn&>())) {
    return run<decltype(body(std::declval<postgres::Txn&>()))>(false, what, body);
  }

  const postgres::Sql& sql() const { return sql_; }

  // The stash's listener (listener.h), made on first use.
  postgres::Listener& listener() STASH_EXCLUDES(listener_mutex_) {
    MutexLock lock(listener_mutex_);
    if (!listener_) {
      postgres::ListenerOptions o;
      o.listen_sql = sql_.listen;
      o.channel = options_.schema;
      o.connect_timeout =
          std::chrono::seconds(options_.connect_timeout_s > 0 ? options_.connect_timeout_s : 5);
      o.backoff_initial = std::chrono::milliseconds(std::max(1, options_.backoff_initial_ms));
      o.backoff_max = std::chrono::milliseconds(
          std::max(options_.backoff_initial_ms, options_.backoff_max_ms));
      listener_ = std::make_unique<postgres::Listener>(connector_, std::move(o));
    }
    return *listener_;
  }
  const PostgresOptions& options() const { return options_; }

  // The frontiers a read saw; a writer caches them for its next writes.
  // Called only from a call's body (which runs holding calls_).
  void saw(CollectionHandle c, const postgres::Frontiers& f) {
    calls_.assert_held();
    if (token_) cache_[c] = f;
  }
  // A read saw the fence row's stamp `txn`: the cache holds what was read at
  // known_txn_, so it is dropped if the stamp moved (a write of this writer
  // whose reply was lost landed after all).
  void saw_stamp(std::int64_t txn) {
    calls_.assert_held();
    if (known_txn_ != txn) cache_.clear();
    known_txn_ = txn;
  }

 private:
  friend class postgres::Txn;

  template <typename R, typename Body>
  R run(bool write, const char* what, Body& body) STASH_EXCLUDES(calls_) {
    const postgres::Deadline deadline =
        options_.call_timeout_ms > 0
            ? std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.call_timeout_ms)
            : postgres::kNoDeadline;
    // One call at a time per object; waiting for the others is part of this
    // call's deadline (kNoDeadline waits for ever).
    if (!calls_.try_lock_until(deadline)) return std::unexpected(busy(what));
    TimedMutexRelease release(calls_);
    deadline_ = deadline;
    if (auto ok = usable(write); !ok) return std::unexpected(ok.error());
    std::optional<Error> last;
    for (int attempt = 0;; ++attempt) {
      if (auto ok = connected(what); !ok) {
        if (ok.error().code() == ErrorCode::kInvalidArgument) return std::unexpected(ok.error());
        last = ok.error();
      } else {
        connection_->set_deadline(deadline_);
        postgres::Txn txn(*this, write ? ++last_txn_ : 0);
        R result = body(txn);
        end_transaction();
        // A write refused by the rules against cached frontiers never asked
        // the server; a fenced handle must say kFenced first, so ask.
        if (!result && write && !txn.reached_server() && txn.next() == postgres::Next::kReturn) {
          if (auto ok = check_fence(txn); !ok) return std::unexpected(ok.error());
        }
        if (result || txn.next() == postgres::Next::kReturn) return result;
        last = result.error();
      }
      if (attempt >= options_.max_retries || !backoff(attempt)) break;
    }
    return std::unexpected(gave_up(what, *last));
  }

  // ok, or why no call may run: fenced, or a write when read-only.
  Status usable(bool write) const STASH_REQUIRES(calls_);
  // One read round trip that only checks the fence: kFenced if it moved.
  Status check_fence(postgres::Txn& txn) STASH_REQUIRES(calls_);
  // Makes sure there is a connection, connecting if the last one was lost.
  Status connected(std::string_view what) STASH_REQUIRES(calls_);
  // Rolls back whatever the body left open; drops the connection if it can't.
  void end_transaction() STASH_REQUIRES(calls_);
  // Sleeps before retry `attempt + 1`; false if the deadline would pass first.
  bool backoff(int attempt) const STASH_REQUIRES(calls_);
  bool expired() const STASH_REQUIRES(calls_) {
    return std::chrono::steady_clock::now() >= deadline_;
  }
  Error gave_up(std::string_view what, const Error& last) const STASH_REQUIRES(calls_);
  Error busy(std::string_view what) const;
  // After losing the connection with write `id` in flight: true if it
  // landed, false if not, kOutcomeUnknown if the server cannot be reached to
  // tell before the deadline.
  Result<bool> landed(std::int64_t id, const std::string& why) STASH_REQUIRES(calls_);

  // Held for the whole of each call (run): every member guarded by it
  // belongs to the one running call. The Txn a call's body gets runs inside
  // it too (Txn's methods assert it for the analysis).
  mutable TimedMutex calls_;
  const std::shared_ptr<postgres::Connector> connector_;
  // null after a loss
  std::unique_ptr<postgres::Connection> connection_ STASH_GUARDED_BY(calls_);
  const PostgresOptions options_;
  const postgres::Sql sql_;
  const std::optional<FenceToken> token_;  // nullopt: read-only, never fenced
  // the last write id claimed (unique in the epoch)
  std::int64_t last_txn_ STASH_GUARDED_BY(calls_) = 0;
  // The fence row's stamp as of this writer's last call: its own last write
  // that committed, or what its last read saw (0 after the open). The claim
  // requires it; nullopt (after a failed write) makes the next write read it
  // first.
  std::optional<std::int64_t> known_txn_ STASH_GUARDED_BY(calls_) = 0;
  bool fenced_ STASH_GUARDED_BY(calls_) = false;
  // of the running call
  postgres::Deadline deadline_ STASH_GUARDED_BY(calls_) = postgres::kNoDeadline;
  // The stored frontiers as of known_txn_, per collection. Only this writer
  // changes them while it is not fenced, so they stay true; the claim
  // catches it if not. Forgotten after any failed write.
  std::map<CollectionHandle, postgres::Frontiers> cache_ STASH_GUARDED_BY(calls_);
  // Last, so that it stops (and drops its connection) first.
  Mutex listener_mutex_;
  std::unique_ptr<postgres::Listener> listener_ STASH_GUARDED_BY(listener_mutex_);
};

namespace postgres {
// Session settings every new connection gets (statement_timeout, READ
// COMMITTED as the default isolation, which the write statements run at
// whatever the server's default, and generic plans for the prepared
// statements).
DbResult<void> set_up_session(Connection& c, const PostgresOptions& options);
}  // namespace postgres

}  // namespace stash

#endif  // STASH_IMPL_POSTGRES_SRC_POSTGRES_STASH_IMPL_H_
