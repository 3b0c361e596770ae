// SqliteStash::Impl: one SQLite connection and the transaction discipline
// every call follows. Opening lives in open.cc, the operations in
// sqlite_stash.cc.
#ifndef STASH_IMPL_SQLITE_SRC_SQLITE_STASH_IMPL_H_
#define STASH_IMPL_SQLITE_SRC_SQLITE_STASH_IMPL_H_

#include <span>
#include <string>
#include <utility>

#include "sqlite_db.h"
#include "stash/mutex.h"
#include "stash/sqlite_stash.h"

namespace stash {

// The fence row a writer wrote when it opened (see schema.cc).
struct FenceToken {
  std::int64_t epoch = 0;
  Bytes nonce;
};

struct Frontiers {
  Frontier since;
  Frontier upper;
};

class SqliteStash::Impl {
 public:
  // `token` is nullopt for a read-only stash, which is never fenced.
  Impl(sqlite::DbPtr db, std::string path, SqliteOptions options,
       std::optional<FenceToken> token)
      : db_(std::move(db)),
        statements_(db_.get()),
        path_(std::move(path)),
        options_(std::move(options)),
        token_(std::move(token)) {}

  // Runs `body` in one transaction: BEGIN IMMEDIATE for a write (taking the
  // write lock up front, so a write never fails half way on a lock), BEGIN
  // for a read (one snapshot from its first statement). Commits if `body`
  // returns a value, rolls back otherwise. Serializes callers.
  template <typename Body>
  auto write(Body body) -> decltype(body()) { return transact(true, body); }
  template <typename Body>
  auto read(Body body) -> decltype(body()) { return transact(false, body); }

  sqlite3* db() const { return db_.get(); }
  const SqliteOptions& options() const { return options_; }

  // The prepared statement for `sql` (a string literal).
  Result<sqlite::Statement> statement(const char* sql) { return statements_.get(sql); }

  // Statement helpers used by the operations, valid inside read()/write().
  Result<Frontiers> frontiers(CollectionHandle c);
  Status set_upper(CollectionHandle c, const Frontier& upper);
  Status set_since(CollectionHandle c, const Frontier& since);
  Status add_all(CollectionHandle c, std::span<const Update> entries);

 private:
  template <typename Body>
  auto transact(bool write, Body& body) -> decltype(body()) {
    MutexLock lock(mutex_);
    if (auto ok = usable(write); !ok) return std::unexpected(ok.error());
    // Prepared once (the statement cache), not parsed per call.
    if (auto ok = run(write ? "BEGIN IMMEDIATE" : "BEGIN"); !ok) {
      return std::unexpected(ok.error());
    }
    // (No lambda here: -Wthread-safety does not see mutex_ held inside one.)
    const Status fence = check_fence();
    auto result = fence ? body() : decltype(body())(std::unexpected(fence.error()));
    if (result) {
      if (auto ok = run("COMMIT"); !ok) {
        rollback();
        return std::unexpected(ok.error());
      }
    } else {
      rollback();
    }
    return result;
  }

  // Runs the cached statement for `sql` (a string literal) to completion.
  Status run(const char* sql) STASH_REQUIRES(mutex_);
  // The slow path of add_all: `u` lands on a stored row.
  Status add_to_existing(CollectionHandle c, const Update& u);
  // ok, or why no call may run: fenced, broken, or a write when read-only.
  Status usable(bool write) const STASH_REQUIRES(mutex_);
  // kFenced (and latches it) if a newer writer replaced our fence row.
  Status check_fence() STASH_REQUIRES(mutex_);
  // Rolls back an open transaction; marks the handle broken if it cannot.
  void rollback() STASH_REQUIRES(mutex_);

  Mutex mutex_;
  sqlite::DbPtr db_;
  sqlite::StatementCache statements_;  // Destroyed before db_.
  const std::string path_;
  const SqliteOptions options_;
  const std::optional<FenceToken> token_;
  bool fenced_ STASH_GUARDED_BY(mutex_) = false;
  std::optional<Error> broken_ STASH_GUARDED_BY(mutex_);
};

}  // namespace stash

#endif  // STASH_IMPL_SQLITE_SRC_SQLITE_STASH_IMPL_H_
