// The transaction discipline: round trips, fencing, the frontier cache,
// retries, deadlines, and resolving a write whose reply was lost (see
// postgres_stash_impl.h).
#include <chrono>
#include <random>
#include <thread>

#include "key_hash.h"
#include "postgres_stash_impl.h"
#include "wire.h"

namespace stash {
namespace postgres {
namespace {

// PostgreSQL refuses a protocol message over 1 GiB; stay clear of it, with
// room for the other parameters and the message framing.
constexpr std::size_t kMaxWriteBytes = (std::size_t{1} << 30) - (std::size_t{1} << 20);

}  // namespace

void WriteSet::add(CollectionHandle c, std::span<const Update> entries) {
  for (const Update& u : entries) {
    ids.push_back(c.id);
    keys.push_back(u.key), values.push_back(u.value);
    hashes.push_back(key_hash(u.key));
    times.push_back(u.time), diffs.push_back(u.diff);
  }
}

std::unexpected<Error> Txn::failed(const DbError& e, std::string_view what) {
  impl_.calls_.assert_held();  // a Txn lives inside its call (Impl::run)
  Failure f = classify(e, what);
  next_ = f.next;
  if (f.next == Next::kReconnect) impl_.connection_.reset();
  return std::unexpected(std::move(f.error));
}

Result<std::vector<Rows>> Txn::read(std::vector<Query> queries) {
  impl_.calls_.assert_held();  // a Txn lives inside its call (Impl::run)
  const Sql& sql = impl_.sql_;
  const auto& token = impl_.token_;
  std::vector<Query> all;
  all.push_back({&sql.begin_read, {}});
  if (token) {
    all.push_back({&sql.fence_check, {wire::int8(token->epoch), wire::bytea(token->nonce)}});
  }
  const std::size_t prologue = all.size();
  for (Query& q : queries) all.push_back(std::move(q));
  all.push_back({&sql.commit, {}});

  auto rows = impl_.connection_->pipeline(all);
  if (!rows) return failed(rows.error(), "read");
  reached_server_ = true;
  // The fence check returns a row only while the fence row still holds this
  // writer's (epoch, nonce): the stamp, as of this read's snapshot.
  if (token) {
    if ((*rows)[1].rows.size() != 1) {
      impl_.fenced_ = true;
      return std::unexpected(impl_.usable(false).error());
    }
    auto stamp = wire::to_int8((*rows)[1].rows[0][0]);
    if (!stamp) return fail(ErrorCode::kInternal, "postgres: malformed fence stamp");
    impl_.saw_stamp(*stamp);
  }
  std::vector<Rows> out;
  for (std::size_t i = prologue; i < prologue + queries.size(); ++i) {
    out.push_back(std::move((*rows)[i]));
  }
  return out;
}

Result<std::map<CollectionHandle, std::optional<Frontiers>>> Txn::frontiers(
    const std::vector<CollectionHandle>& handles) {
  impl_.calls_.assert_held();  // a Txn lives inside its call (Impl::run)
  std::map<CollectionHandle, std::optional<Frontiers>> out;
  bool all_cached = impl_.known_txn_.has_value();
  for (CollectionHandle c : handles) {
    if (auto it = impl_.cache_.find(c); it != impl_.cache_.end()) {
      out[c] = it->second;
    } else {
      all_cached = false;
    }
  }
  if (all_cached) return out;
  // Read them all, not only the missing ones: the read may find the stamp
  // moved, which makes every cached entry suspect.
  out.clear();
  std::vector<CollectionHandle> missing;
  for (CollectionHandle c : handles) {
    if (out.emplace(c, std::nullopt).second) missing.push_back(c);
  }
  std::vector<Query> queries;
  queries.reserve(missing.size());
  for (CollectionHandle c : missing) queries.push_back({&impl_.sql_.frontiers, {wire::int8(c.id)}});
  auto rows = read(std::move(queries));
  if (!rows) return std::unexpected(rows.error());
  for (std::size_t i = 0; i < missing.size(); ++i) {
    const Rows& r = (*rows)[i];
    if (r.rows.empty()) continue;  // no such collection
    auto since = wire::to_frontier(r.rows[0][0]);
    auto upper = wire::to_frontier(r.rows[0][1]);
    if (!since || !upper) return fail(ErrorCode::kInternal, "postgres: malformed frontiers");
    out[missing[i]] = Frontiers{*since, *upper};
    impl_.saw(missing[i], {*since, *upper});
  }
  return out;
}

Result<std::int64_t> Txn::write(const WriteSet& w) {
  impl_.calls_.assert_held();  // a Txn lives inside its call (Impl::run)
  const auto& token = impl_.token_;
  std::size_t bytes = w.create ? w.create->size() : 0;
  for (std::size_t i = 0; i < w.keys.size(); ++i) bytes += w.keys[i].size() + w.values[i].size() + 40;
  if (bytes > kMaxWriteBytes) {
    return fail(ErrorCode::kInvalidArgument,
                "postgres: one call writes " + std::to_string(bytes) +
                    " bytes of keys, values and names; a PostgreSQL message holds at most " +
                    std::to_string(kMaxWriteBytes) + ": split it into several calls");
  }
  // The guard is what keeps data rows inside existing collections (there is
  // no foreign key): every row's collection must be one it checks.
  for (std::int64_t id : w.ids) {
    if (!w.expected.contains(CollectionHandle{id})) {
      return fail(ErrorCode::kInternal, "postgres: a write of collection id " + std::to_string(id) +
                                            " that does not check its frontiers");
    }
  }
  // The claim needs the stamp; after a failed write, learn it first.
  if (!impl_.known_txn_) {
    auto fence = read({});
    if (!fence) return std::unexpected(fence.error());
  }
  const std::int64_t known = *impl_.known_txn_;
  const bool rows_only = w.consolidate.empty() && !w.create;
  const bool one_entry = rows_only && w.ids.size() == 1 && w.next.empty() && w.expected.size() == 1;
  std::vector<Param> params = {wire::int8(token->epoch), wire::bytea(token->nonce),
                               wire::int8(id_), wire::int8(known)};
  const std::string* sql = nullptr;
  if (one_entry) {
    const Frontiers& f = w.expected.begin()->second;
    params.push_back(wire::int8(w.ids[0]));
    params.push_back(wire::frontier(f.since));
    params.push_back(wire::frontier(f.upper));
    params.push_back(wire::bytea(w.keys[0]));
    params.push_back(wire::bytea(w.values[0]));
    params.push_back(wire::int8(w.times[0]));
    params.push_back(wire::int8(w.diffs[0]));
    params.push_back(wire::int8(w.hashes[0]));
    sql = &impl_.sql_.update_one;
  } else {
    std::vector<std::int64_t> expect_ids, set_ids;
    std::vector<Frontier> expect_since, expect_upper, set_since, set_upper;
    for (const auto& [c, f] : w.expected) {
      expect_ids.push_back(c.id), expect_since.push_back(f.since), expect_upper.push_back(f.upper);
    }
    for (const auto& [c, f] : w.next) {
      set_ids.push_back(c.id), set_since.push_back(f.since), set_upper.push_back(f.upper);
    }
    params.push_back(wire::int8_array(expect_ids));
    params.push_back(wire::frontier_array(expect_since));
    params.push_back(wire::frontier_array(expect_upper));
    params.push_back(wire::int8_array(set_ids));
    params.push_back(wire::frontier_array(set_since));
    params.push_back(wire::frontier_array(set_upper));
    params.push_back(wire::int8_array(w.ids));
    params.push_back(wire::bytea_array(w.keys));
    params.push_back(wire::bytea_array(w.values));
    params.push_back(wire::int8_array(w.times));
    params.push_back(wire::int8_array(w.diffs));
    if (rows_only) {
      params.push_back(wire::int8_array(w.hashes));
      sql = &impl_.sql_.write_rows;
    } else {
      params.push_back(wire::int8_array(w.consolidate));
      params.push_back(w.create ? wire::bytea(*w.create) : Param{Type::kBytea, std::nullopt});
      params.push_back(wire::int8_array(w.hashes));
      sql = &impl_.sql_.write;
    }
  }
  // Whatever happens next, the cache and the stamp may be wrong until this
  // call succeeds.
  auto cache = std::move(impl_.cache_);
  impl_.cache_.clear();
  impl_.known_txn_.reset();
  auto succeeded = [&] {
    impl_.calls_.assert_held();  // a lambda: the analysis does not see run()'s lock
    impl_.cache_ = std::move(cache);
    for (const auto& [c, f] : w.expected) impl_.cache_[c] = f;
    for (const auto& [c, f] : w.next) impl_.cache_[c] = f;
    impl_.known_txn_ = id_;
  };
  const Query q{sql, std::move(params)};
  auto rows = impl_.connection_->pipeline(std::span(&q, 1));
  reached_server_ = reached_server_ || rows || !rows.error().connection_lost;
  if (rows) {
    const bool claimed = rows->size() == 1 && (one_entry ? rows->at(0).affected == 1
                                                         : rows->at(0).rows.size() == 1);
    if (!claimed && rows_only) {
      // Nothing was written. Fenced, or this writer's view was stale: the
      // fence check tells (and learns the stamp for the retry).
      auto fence = read({});
      if (!fence) return std::unexpected(fence.error());
      next_ = Next::kRetry;  // the cache stays forgotten
      return fail(ErrorCode::kUnavailable,
                  "postgres: write: the stored frontiers or write stamp were not the ones this "
                  "writer knew; nothing was written");
    }
    succeeded();
    if (rows_only || rows->at(0).rows.empty()) return std::int64_t{0};
    return wire::to_int8(rows->at(0).rows[0][0]).value_or(0);
  }
  const DbError& e = rows.error();
  if (e.sqlstate == "SX002") {
    impl_.fenced_ = true;
    return std::unexpected(impl_.usable(false).error());
  }
  if (!e.connection_lost || e.unsent) return failed(e, "write");
  // The write may have reached the server and committed: find out before
  // anything is retried.
  impl_.connection_.reset();
  auto landed = impl_.landed(id_, e.message);
  if (!landed) return std::unexpected(landed.error());  // next_ stays kReturn
  if (*landed) {
    succeeded();
    // A created collection's id is not known here; the caller looks it up.
    return std::int64_t{0};
  }
  next_ = Next::kRetry;
  return fail(ErrorCode::kUnavailable,
              "postgres: connection lost before the write committed: " + e.message);
}

DbResult<void> set_up_session(Connection& c, const PostgresOptions& options) {
  // force_generic_plan: the statements are prepared once per connection and
  // their plans do not depend on the parameter values, but PostgreSQL would
  // re-plan the write statement at every call (a custom plan looks cheaper
  // to it when it can count the arrays), which cost more than the write.
  // read committed: set, not left to the server's default, because the
  // write statements are built for it (schema.cc).
  return c.exec("SET statement_timeout = " + std::to_string(std::max(0, options.statement_timeout_ms)) +
                "; SET default_transaction_isolation = 'read committed'"
                "; SET plan_cache_mode = force_generic_plan");
}

}  // namespace postgres

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

Status PostgresStash::Impl::check_fence(postgres::Txn& txn) {
  if (!token_ || !connection_) return {};
  auto rows = txn.read({});
  if (!rows && rows.error().code() == ErrorCode::kFenced) return std::unexpected(rows.error());
  return {};  // not fenced, or the check failed: the rule error stands
}

Status PostgresStash::Impl::connected(std::string_view what) {
  if (connection_) return {};
  auto c = connector_->connect(deadline_);
  if (!c) return std::unexpected(postgres::classify(c.error(), what).error);
  (*c)->set_deadline(deadline_);
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

bool PostgresStash::Impl::backoff(int attempt) const {
  thread_local std::mt19937 jitter{std::random_device{}()};
  long long wait_ms = options_.backoff_initial_ms;
  for (int i = 0; i < attempt && wait_ms < options_.backoff_max_ms; ++i) wait_ms *= 2;
  wait_ms = std::min<long long>(wait_ms, options_.backoff_max_ms);
  // Up to 50% jitter, so that colliding writers drift apart.
  wait_ms -= std::uniform_int_distribution<long long>(0, wait_ms / 2)(jitter);
  const auto wake = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(0LL, wait_ms));
  if (wake >= deadline_) return false;
  std::this_thread::sleep_until(wake);
  return true;
}

Error PostgresStash::Impl::gave_up(std::string_view what, const Error& last) const {
  if (expired()) {
    return Error(ErrorCode::kUnavailable,
                 std::string(what) + ": the call's deadline (call_timeout_ms " +
                     std::to_string(options_.call_timeout_ms) +
                     ") passed; nothing was committed; last error: " + last.message());
  }
  return Error(ErrorCode::kUnavailable,
               std::string(what) + ": gave up after " + std::to_string(options_.max_retries + 1) +
                   " attempts; last error: " + last.message());
}

Error PostgresStash::Impl::busy(std::string_view what) const {
  return Error(ErrorCode::kUnavailable,
               std::string(what) + ": another call on this stash ran past this call's deadline "
                                   "(call_timeout_ms " + std::to_string(options_.call_timeout_ms) +
                                   "); nothing was sent");
}

Result<bool> PostgresStash::Impl::landed(std::int64_t id, const std::string& why) {
  std::string last = why;
  for (int attempt = 0; attempt <= options_.max_retries && !expired(); ++attempt) {
    if (attempt > 0 && !backoff(attempt - 1)) break;
    if (auto ok = connected("resolve commit"); !ok) {
      last = ok.error().message();
      continue;
    }
    connection_->set_deadline(deadline_);
    // The lock waits until the transaction that claimed `id` has ended; the
    // read after it (a new snapshot) then sees its final stamp.
    const std::vector<postgres::Query> queries = {
        {&sql_.begin_recover, {}},
        {&sql_.recover_lock, {}},
        {&sql_.recover, {postgres::wire::int8(token_->epoch)}},
        {&sql_.commit, {}}};
    auto rows = connection_->pipeline(queries);
    if (!rows) {
      last = rows.error().message;
      if (rows.error().connection_lost) {
        connection_.reset();
      } else {
        end_transaction();
      }
      continue;
    }
    const postgres::Rows& r = rows->at(2);
    if (r.rows.empty() || r.rows[0].size() != 2) break;  // no fence row
    // The fence row's stamp while the epoch is this writer's, else the one
    // archived when a newer writer fenced it (none if trimmed: unknown).
    auto stamp = postgres::wire::to_int8(r.rows[0][0]);
    if (!stamp) stamp = postgres::wire::to_int8(r.rows[0][1]);
    if (!stamp) break;
    return *stamp == id;
  }
  return fail(ErrorCode::kOutcomeUnknown,
              "postgres: the write was sent, and whether it committed could not be learned "
              "before the call's deadline or retries ran out (" + last +
                  "); read the state before retrying");
}

}  // namespace stash
