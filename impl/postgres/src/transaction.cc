// The transaction discipline: round trips, fencing, retries, and resolving
// a COMMIT whose reply was lost (see postgres_stash_impl.h).
#include <chrono>
#include <random>
#include <thread>

#include "postgres_stash_impl.h"
#include "wire.h"

namespace stash {
namespace postgres {

std::unexpected<Error> Txn::failed(const DbError& e, std::string_view what) {
  Failure f = classify(e, what);
  next_ = f.next;
  if (f.next == Next::kReconnect) impl_.connection_.reset();
  return std::unexpected(std::move(f.error));
}

Result<std::vector<Rows>> Txn::first(std::vector<Query> queries) {
  const Sql& sql = impl_.sql_;
  const auto& token = impl_.token_;
  std::vector<Query> all;
  all.push_back({write_ ? &sql.begin_write : &sql.begin_read, {}});
  if (write_) {
    all.push_back({&sql.claim, {wire::int8(token->epoch), wire::bytea(token->nonce),
                                wire::int8(id_)}});
  } else if (token) {
    all.push_back({&sql.fence_check, {wire::int8(token->epoch), wire::bytea(token->nonce)}});
  }
  const std::size_t prologue = all.size();
  for (Query& q : queries) all.push_back(std::move(q));
  if (!write_) all.push_back({&sql.commit, {}});

  auto rows = impl_.connection_->pipeline(all);
  if (!rows) return failed(rows.error(), write_ ? "write" : "read");
  // The claim returns its row, the fence check its count, only while the
  // fence row still holds this writer's (epoch, nonce).
  if (token) {
    const Rows& fence = (*rows)[1];
    const bool ours = write_ ? !fence.rows.empty()
                             : !fence.rows.empty() && wire::to_int8(fence.rows[0][0]) == 1;
    if (!ours) {
      impl_.fenced_ = true;
      return std::unexpected(impl_.usable(false).error());
    }
  }
  std::vector<Rows> out;
  for (std::size_t i = prologue; i < prologue + queries.size(); ++i) {
    out.push_back(std::move((*rows)[i]));
  }
  return out;
}

Status Txn::commit(std::vector<Query> queries) {
  queries.push_back({&impl_.sql_.commit, {}});
  auto rows = impl_.connection_->pipeline(queries);
  if (rows) return {};
  if (!rows.error().connection_lost) return failed(rows.error(), "commit");
  // COMMIT may have reached the server: find out before anything is retried.
  impl_.connection_.reset();
  auto landed = impl_.landed(id_);
  if (!landed) return std::unexpected(landed.error());  // next_ stays kReturn
  if (*landed) return {};
  next_ = Next::kRetry;
  return fail(ErrorCode::kUnavailable,
              "postgres: connection lost before the commit landed: " + rows.error().message);
}

DbResult<void> set_up_session(Connection& c, const PostgresOptions& options) {
  return c.exec("SET statement_timeout = " + std::to_string(std::max(0, options.statement_timeout_ms)));
}

}  // namespace postgres

using postgres::DbError;
using postgres::Next;

Status PostgresStash::Impl::usable(bool write) const {
  if (fenced_) {
    return fail(ErrorCode::kFenced, "fenced: a newer writer opened stash schema \"" +
                                        options_.schema + "\"; this handle cannot be used");
  }
  if (write && !token_) {
    return fail(ErrorCode::kInvalidArgument,
                "stash schema \"" + options_.schema + "\" is open read-only");
  }
  return {};
}

Status PostgresStash::Impl::connected(std::string_view what) {
  if (connection_) return {};
  auto c = connector_->connect();
  if (!c) return std::unexpected(postgres::classify(c.error(), what).error);
  if (auto ok = postgres::set_up_session(**c, options_); !ok) {
    return std::unexpected(postgres::classify(ok.error(), what).error);
  }
  connection_ = std::move(*c);
  return {};
}

void PostgresStash::Impl::end_transaction() {
  if (!connection_ || !connection_->in_transaction()) return;
  if (!connection_->exec(sql_.rollback)) connection_.reset();
}

void PostgresStash::Impl::backoff(int attempt) const {
  thread_local std::mt19937 jitter{std::random_device{}()};
  long long wait_ms = options_.backoff_initial_ms;
  for (int i = 0; i < attempt && wait_ms < options_.backoff_max_ms; ++i) wait_ms *= 2;
  wait_ms = std::min<long long>(wait_ms, options_.backoff_max_ms);
  // Up to 50% jitter, so that colliding writers drift apart.
  wait_ms -= std::uniform_int_distribution<long long>(0, wait_ms / 2)(jitter);
  std::this_thread::sleep_for(std::chrono::milliseconds(std::max(0LL, wait_ms)));
}

Error PostgresStash::Impl::gave_up(std::string_view what, const Error& last) const {
  return Error(ErrorCode::kUnavailable,
               std::string(what) + ": gave up after " + std::to_string(options_.max_retries + 1) +
                   " attempts; last error: " + last.message());
}

Result<bool> PostgresStash::Impl::landed(std::int64_t id) {
  std::string last = "no attempt";
  for (int attempt = 0; attempt <= options_.max_retries; ++attempt) {
    if (attempt > 0) backoff(attempt - 1);
    if (auto ok = connected("resolve commit"); !ok) {
      last = ok.error().message();
      continue;
    }
    // FOR UPDATE waits until the transaction that claimed `id` has ended, so
    // the counter read is final: it cannot land after we looked.
    const postgres::Query q{&sql_.recover, {postgres::wire::int8(token_->epoch)}};
    auto rows = connection_->pipeline(std::span(&q, 1));
    if (!rows) {
      last = rows.error().message;
      if (rows.error().connection_lost) connection_.reset();
      continue;
    }
    if (rows->at(0).rows.empty()) break;
    return postgres::wire::to_int8(rows->at(0).rows[0][0]) == id;
  }
  return fail(ErrorCode::kOutcomeUnknown,
              "postgres: the connection was lost after COMMIT was sent, and whether it landed "
              "could not be learned (" + last + "); read the state before retrying");
}

}  // namespace stash
