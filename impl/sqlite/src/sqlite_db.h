// Thin RAII wrappers over the SQLite C API, and the one place where SQLite
// result codes become stash error codes.
#ifndef STASH_IMPL_SQLITE_SRC_SQLITE_DB_H_
#define STASH_IMPL_SQLITE_SRC_SQLITE_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "stash/error.h"
#include "stash/frontier.h"
#include "stash/update.h"

namespace stash::sqlite {

// The stash code for an SQLite (primary or extended) result code:
//   BUSY, LOCKED, NOMEM, INTERRUPT     -> kUnavailable (retry the call)
//   CORRUPT, NOTADB, FORMAT            -> kCorruption
//   CANTOPEN, PERM, READONLY, IOERR,
//   FULL, AUTH                         -> kIoError
//   TOOBIG, RANGE                      -> kInvalidArgument
//   anything else (our SQL is fixed)   -> kInternal
ErrorCode code_for(int rc);

// An Error for a failed SQLite call, with SQLite's message and extended code:
// "sqlite: <what>: <message> (extended code <n>: <name>)".
Error sqlite_error(sqlite3* db, int rc, std::string_view what);

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

// One use of a prepared statement: reset (and its bindings cleared) when
// taken from the cache, and reset again when this object goes away, so that a
// read abandoned half way never keeps its snapshot (or a lock) past the call.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& other) noexcept
      : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement() {
    if (stmt_ != nullptr) sqlite3_reset(stmt_);
  }

  // Resets the statement and clears its bindings; returns *this for binding.
  Statement& reset();
  // Parameters are 1-based. Bytes are bound as BLOBs (never NULL, even when
  // empty); an empty Frontier as NULL.
  Statement& bind(int i, std::int64_t v);
  Statement& bind(int i, const Bytes& v);
  Statement& bind_text(int i, std::string_view v);
  Statement& bind(int i, const Frontier& f);

  // Advances: true if a row is available, false when done.
  Result<bool> step(std::string_view what);
  // Steps until done, for statements that return no rows.
  Status run(std::string_view what);

  std::int64_t column_int(int i) const { return sqlite3_column_int64(stmt_, i); }
  Bytes column_bytes(int i) const;
  // NULL is {}.
  Frontier column_frontier(int i) const;
  int column_type(int i) const { return sqlite3_column_type(stmt_, i); }
  sqlite3_stmt* raw() const { return stmt_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;  // Owned by the StatementCache; nullptr once moved from.
};

// Statements prepared once per connection (SQLITE_PREPARE_PERSISTENT) and
// reused, keyed by their SQL text (always a string literal).
class StatementCache {
 public:
  explicit StatementCache(sqlite3* db) : db_(db) {}
  ~StatementCache();
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The reset statement for `sql`, preparing it on first use.
  Result<Statement> get(const char* sql);

 private:
  sqlite3* db_;
  std::map<std::string_view, sqlite3_stmt*> statements_;
};

// Runs SQL text without results (pragmas, DDL, BEGIN/COMMIT).
Status exec(sqlite3* db, const char* sql);

// Runs a query whose first row's first column is an integer.
Result<std::int64_t> query_int(sqlite3* db, const char* sql);

}  // namespace stash::sqlite

#endif  // STASH_IMPL_SQLITE_SRC_SQLITE_DB_H_
