// SqliteStash::Impl: one SQLite connection and the transaction discipline
// every call follows. Opening lives in open.cc, the operations in
// sqlite_stash.cc, the row checksums in stored_row.h (the collection and
// fence rows' at the top of sqlite_stash.cc).
#ifndef STASH_IMPL_SQLITE_SRC_SQLITE_STASH_IMPL_H_
#define STASH_IMPL_SQLITE_SRC_SQLITE_STASH_IMPL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <optional>
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

// A collections row, checksum verified when read.
struct CollectionRow {
  std::int64_t id = 0;
  Bytes name;
  Frontier since;
  Frontier upper;
  std::int64_t rows = 0;     // data rows of the collection
  std::uint64_t digest = 0;  // sum of their crcs (as uint32), mod 2^64
};

// Reads a collections row from `s` (columns id, name, since, upper, rows,
// digest, crc): kCorruption unless its checksum and column types check out.
Result<CollectionRow> read_collection(const sqlite::Statement& s);

// The checksum stored with a collections row / the fence row.
std::int64_t collection_crc(const CollectionRow& row);
std::int64_t fence_crc(std::int64_t epoch, const Bytes& nonce);
// A data row's crc as a digest term.
inline std::uint64_t digest_term(std::int64_t crc) { return static_cast<std::uint32_t>(crc); }

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

  // Runs `body` in a transaction that commits if `body` returns a value and
  // undoes `body`'s effects otherwise.
  //
  // write(): group commit. Concurrent writers queue; one of them (the
  // leader) takes every queued call, runs them in one BEGIN IMMEDIATE
  // transaction, each inside its own savepoint (a failed call is rolled back
  // alone), and commits once: one sync acknowledges the whole group. Every
  // call returns only after the commit that made it durable; if that commit
  // fails, every call of the group fails with its error.
  //
  // read(): BEGIN (one snapshot from its first statement). Serialized with
  // everything else on the connection.
  template <typename Body>
  auto write(Body body) -> decltype(body()) {
    std::optional<decltype(body())> result;
    WriteRequest request;
    request.run = [&]() -> Status {
      result.emplace(body());
      if (*result) return {};
      return std::unexpected(result->error());
    };
    if (auto ok = submit(request); !ok) {
      // Failed outside the body (begin, fence, commit), or rolled back
      // because its group's transaction was lost.
      return std::unexpected(ok.error());
    }
    return std::move(*result);
  }
  template <typename Body>
  auto read(Body body) -> decltype(body()) {
    MutexLock lock(mutex_);
    if (auto ok = usable(false); !ok) return std::unexpected(ok.error());
    if (auto ok = run("BEGIN"); !ok) return std::unexpected(ok.error());
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

  sqlite3* db() const { return db_.get(); }
  const SqliteOptions& options() const { return options_; }
  const std::string& path() const { return path_; }

  // The prepared statement for `sql` (a string literal).
  Result<sqlite::Statement> statement(const char* sql) { return statements_.get(sql); }

  // Statement helpers used by the operations, valid inside read()/write()
  // bodies only (which run with mutex_ held). They are not annotated
  // STASH_REQUIRES(mutex_): the bodies are lambdas, which the thread-safety
  // analysis checks as functions of their own, without the caller's lock.
  // The collections row of `c`, checksum verified; kNotFound-style errors of
  // rules.h for an unknown handle.
  Result<CollectionRow> load(CollectionHandle c);
  // Rewrites the collections row (and its checksum).
  Status store(const CollectionRow& row);
  // Adds `entries` (checked) to the collection, updating row.rows/digest.
  Status add_all(CollectionRow& row, std::span<const Update> entries);

 private:
  struct WriteRequest {
    std::function<Status()> run;
    Status status;
    bool done = false;
  };

  // Queues `request`, leads a group or waits for the leader, and returns the
  // request's outcome.
  Status submit(WriteRequest& request) STASH_EXCLUDES(queue_mutex_, mutex_);
  // Runs one group as one transaction (takes mutex_).
  void run_group(std::span<WriteRequest* const> group) STASH_EXCLUDES(mutex_);

  // Runs the cached statement for `sql` (a string literal) to completion.
  Status run(const char* sql) STASH_REQUIRES(mutex_);
  // The slow path of add_all: `u` lands on a stored pair.
  Status add_to_existing(CollectionRow& row, const Update& u, Timestamp since);
  // ok, or why no call may run: fenced, broken, or a write when read-only.
  Status usable(bool write) const STASH_REQUIRES(mutex_);
  // kFenced (and latches it) if a newer writer replaced our fence row.
  Status check_fence() STASH_REQUIRES(mutex_);
  // Rolls back an open transaction; marks the handle broken if it cannot.
  void rollback() STASH_REQUIRES(mutex_);

  // The connection: one transaction at a time. (statements_ and db_ are
  // used under it too, by the bodies of read()/write(); see statement().)
  mutable Mutex mutex_;
  sqlite::DbPtr db_;
  sqlite::StatementCache statements_;  // Destroyed before db_.
  const std::string path_;
  const SqliteOptions options_;
  const std::optional<FenceToken> token_;
  bool fenced_ STASH_GUARDED_BY(mutex_) = false;
  std::optional<Error> broken_ STASH_GUARDED_BY(mutex_);

  // The group-commit queue. A request's `done` is set under queue_mutex_;
  // its `status` is written by the leader alone, before `done`.
  Mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<WriteRequest*> queue_ STASH_GUARDED_BY(queue_mutex_);
  bool leading_ STASH_GUARDED_BY(queue_mutex_) = false;  // A leader is running a group.
};

}  // namespace stash

#endif  // STASH_IMPL_SQLITE_SRC_SQLITE_STASH_IMPL_H_
