// PostgresStash::Impl: one connection (replaced on loss), the prepared SQL,
// and the transaction discipline every call follows (transaction.cc).
// Opening lives in open.cc, the operations in postgres_stash.cc.
//
// A call's transaction is at most two pipelined round trips:
//   read:   BEGIN READ ONLY; [fence check]; the reads; COMMIT
//   write:  BEGIN; claim; the reads        -- claim checks the fence and sets
//                                             this writer's commit counter
//           the writes; COMMIT
// The runner retries transient failures (Next::kRetry / kReconnect) with
// backoff, at most options.max_retries times.
#ifndef STASH_IMPL_POSTGRES_SRC_POSTGRES_STASH_IMPL_H_
#define STASH_IMPL_POSTGRES_SRC_POSTGRES_STASH_IMPL_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "errors.h"
#include "schema.h"
#include "stash/postgres_connection.h"
#include "stash/mutex.h"
#include "stash/postgres_stash.h"

namespace stash {

// The fence row a writer wrote when it opened.
struct FenceToken {
  std::int64_t epoch = 0;
  std::string nonce;
};


namespace postgres {

// One attempt at one call's transaction. The body of a call runs first()
// once, then (for a write) commit() once.
class Txn {
 public:
  Txn(PostgresStash::Impl& impl, bool write, std::int64_t id)
      : impl_(impl), write_(write), id_(id) {}

  // Round trip 1: BEGIN, the fence check (and for a write, the claim of a
  // new commit counter value), then `queries`; a read also COMMITs. Returns
  // the rows of `queries`.
  Result<std::vector<Rows>> first(std::vector<Query> queries);

  // Round trip 2 of a write: `queries`, then COMMIT. If the connection is
  // lost with COMMIT in flight, learns from the commit counter whether it
  // landed: ok if it did, a retryable failure if it did not, kOutcomeUnknown
  // if the server cannot be reached to find out.
  Status commit(std::vector<Query> queries);

  // What the runner does after this attempt failed.
  Next next() const { return next_; }

 private:
  std::unexpected<Error> failed(const DbError& e, std::string_view what);

  PostgresStash::Impl& impl_;
  const bool write_;
  const std::int64_t id_;  // the commit counter value a write claims
  Next next_ = Next::kReturn;
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
  const PostgresOptions& options() const { return options_; }

 private:
  friend class postgres::Txn;

  template <typename R, typename Body>
  R run(bool write, const char* what, Body& body) {
    MutexLock lock(mutex_);
    if (auto ok = usable(write); !ok) return std::unexpected(ok.error());
    std::optional<Error> last;
    for (int attempt = 0;; ++attempt) {
      if (auto ok = connected(what); !ok) {
        if (ok.error().code() == ErrorCode::kInvalidArgument) return std::unexpected(ok.error());
        last = ok.error();
      } else {
        postgres::Txn txn(*this, write, write ? ++last_txn_ : 0);
        R result = body(txn);
        end_transaction();
        if (result || txn.next() == postgres::Next::kReturn) return result;
        last = result.error();
      }
      if (attempt >= options_.max_retries) break;
      backoff(attempt);
    }
    return std::unexpected(gave_up(what, *last));
  }

  // ok, or why no call may run: fenced, or a write when read-only.
  Status usable(bool write) const;
  // Makes sure there is a connection, connecting if the last one was lost.
  Status connected(std::string_view what);
  // Rolls back whatever the body left open; drops the connection if it can't.
  void end_transaction();
  void backoff(int attempt) const;
  Error gave_up(std::string_view what, const Error& last) const;
  // After losing the connection with COMMIT of transaction `id` in flight:
  // true if it landed, false if not, kOutcomeUnknown if the server cannot be
  // reached to tell.
  Result<bool> landed(std::int64_t id);

  Mutex mutex_;
  const std::shared_ptr<postgres::Connector> connector_;
  std::unique_ptr<postgres::Connection> connection_;  // null after a loss
  const PostgresOptions options_;
  const postgres::Sql sql_;
  const std::optional<FenceToken> token_;  // nullopt: read-only, never fenced
  std::int64_t last_txn_ = 0;  // the last commit counter value claimed
  bool fenced_ = false;
};

namespace postgres {
// Session settings every new connection gets (statement_timeout).
DbResult<void> set_up_session(Connection& c, const PostgresOptions& options);
}  // namespace postgres

}  // namespace stash

#endif  // STASH_IMPL_POSTGRES_SRC_POSTGRES_STASH_IMPL_H_
