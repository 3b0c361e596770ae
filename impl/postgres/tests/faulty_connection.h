// A connection seam that fails at chosen points, for the fault tests.
//
// Every write is one pipeline holding one statement that stamps the fence
// row: SELECT S.write(...) or a plain statement whose claim sets the fence
// row's txn (see postgres_stash_impl.h, is_write below). At the commits the plan picks, the
// connection is dropped either before that pipeline is sent (the server rolls
// the transaction back) or after the server answered it (the commit landed,
// the reply is lost). A dropped connection stays dead; the stash reconnects
// through the FaultyConnector, which the plan may tell to refuse.
#ifndef STASH_IMPL_POSTGRES_TESTS_FAULTY_CONNECTION_H_
#define STASH_IMPL_POSTGRES_TESTS_FAULTY_CONNECTION_H_

#include <mutex>
#include <vector>

#include "pg_test_util.h"
#include "stash/mutex.h"

namespace stash::testing {

enum class FaultPoint { kNone, kBeforeCommit, kAfterCommit };

// The connections take `mutex` to read and count; the test thread sets and
// reads the fields between calls (no call is running then), so they are not
// declared guarded.
struct FaultPlan {
  Mutex mutex;
  // Commit pipelines seen so far, 1-based; commit n faults if faults[n] set.
  int commits = 0;
  std::map<int, FaultPoint> faults;
  bool refuse_connects = false;
  int injected_before = 0;
  int injected_after = 0;

  FaultPoint next_commit() {
    MutexLock lock(mutex);
    auto it = faults.find(++commits);
    if (it == faults.end()) return FaultPoint::kNone;
    (it->second == FaultPoint::kBeforeCommit ? injected_before : injected_after)++;
    return it->second;
  }
};

// Whether `queries` is a write call's one statement.
inline bool is_write(std::span<const postgres::Query> queries) {
  if (queries.size() != 1) return false;
  const std::string& sql = *queries.front().sql;
  return sql.find(".write(") != std::string::npos ||
         sql.find("fence f SET txn = $3") != std::string::npos;
}

inline postgres::DbError injected(const std::string& what) {
  return postgres::DbError{"", "injected fault: " + what, /*connection_lost=*/true};
}

class FaultyConnection : public postgres::ForwardingConnection {
 public:
  FaultyConnection(std::unique_ptr<postgres::Connection> target, std::shared_ptr<FaultPlan> plan)
      : ForwardingConnection(std::move(target)), plan_(std::move(plan)) {}

  postgres::DbResult<std::vector<postgres::Rows>> pipeline(
      std::span<const postgres::Query> queries) override {
    if (dropped_) return std::unexpected(injected("connection already dropped"));
    const bool write_commit = is_write(queries);
    const FaultPoint point = write_commit ? plan_->next_commit() : FaultPoint::kNone;
    if (point == FaultPoint::kBeforeCommit) {
      drop();
      return std::unexpected(injected("connection dropped before COMMIT was sent"));
    }
    auto result = ForwardingConnection::pipeline(queries);
    if (point == FaultPoint::kAfterCommit) {
      drop();
      return std::unexpected(injected("connection dropped after COMMIT was sent"));
    }
    return result;
  }
  postgres::DbResult<void> exec(const std::string& script) override {
    if (dropped_) return std::unexpected(injected("connection already dropped"));
    return ForwardingConnection::exec(script);
  }
  bool in_transaction() const override {
    return !dropped_ && ForwardingConnection::in_transaction();
  }
  postgres::DbResult<std::string> quote_identifier(std::string_view name) override {
    if (dropped_) return std::unexpected(injected("connection already dropped"));
    return ForwardingConnection::quote_identifier(name);
  }

 private:
  void drop() {
    dropped_ = true;
    drop_target();
  }

  std::shared_ptr<FaultPlan> plan_;
  bool dropped_ = false;
};

class FaultyConnector : public postgres::Connector {
 public:
  explicit FaultyConnector(std::shared_ptr<FaultPlan> plan)
      : inner_(postgres::libpq_connector(server_url(), 5)), plan_(std::move(plan)) {}
  postgres::DbResult<std::unique_ptr<postgres::Connection>> connect(
      postgres::Deadline deadline) override {
    {
      MutexLock lock(plan_->mutex);
      if (plan_->refuse_connects) return std::unexpected(injected("server unreachable"));
    }
    auto c = inner_->connect(deadline);
    if (!c) return std::unexpected(c.error());
    return std::make_unique<FaultyConnection>(std::move(*c), plan_);
  }

 private:
  std::shared_ptr<postgres::Connector> inner_;
  std::shared_ptr<FaultPlan> plan_;
};

}  // namespace stash::testing

#endif  // STASH_IMPL_POSTGRES_TESTS_FAULTY_CONNECTION_H_
