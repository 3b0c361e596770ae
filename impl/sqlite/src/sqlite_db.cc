#include "sqlite_db.h"

#include <utility>

namespace stash::sqlite {

ErrorCode code_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOMEM:
    case SQLITE_INTERRUPT:
      return ErrorCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
      return ErrorCode::kCorruption;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_AUTH:
      return ErrorCode::kIoError;
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return ErrorCode::kInvalidArgument;
    default:
      return ErrorCode::kInternal;
  }
}

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  // The connection's message describes its most recent failure, which is
  // this one; without a connection only the code's name is known.
  const int extended = db != nullptr ? sqlite3_extended_errcode(db) : rc;
  std::string message = "sqlite: " + std::string(what) + ": " +
                        (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)) +
                        " (extended code " + std::to_string(extended) + ": " +
                        sqlite3_errstr(extended) + ")";
  return Error(code_for(rc), std::move(message));
}

Statement& Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  return *this;
}

Statement& Statement::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}

Statement& Statement::bind(int i, const Bytes& v) {
  // data() is never null, so an empty string binds a zero-length BLOB.
  sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_STATIC);
  return *this;
}

Statement& Statement::bind_text(int i, std::string_view v) {
  sqlite3_bind_text64(stmt_, i, v.data() != nullptr ? v.data() : "", v.size(),
                      SQLITE_STATIC, SQLITE_UTF8);
  return *this;
}

Statement& Statement::bind(int i, const Frontier& f) {
  if (f.is_empty()) {
    sqlite3_bind_null(stmt_, i);
  } else {
    sqlite3_bind_int64(stmt_, i, *f.element());
  }
  return *this;
}

Result<bool> Statement::step(std::string_view what) {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error error = sqlite_error(db_, rc, what);
  sqlite3_reset(stmt_);
  return std::unexpected(std::move(error));
}

Status Statement::run(std::string_view what) {
  for (;;) {
    auto row = step(what);
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
  }
}

Bytes Statement::column_bytes(int i) const {
  const void* data = sqlite3_column_blob(stmt_, i);
  const int size = sqlite3_column_bytes(stmt_, i);
  if (data == nullptr) return Bytes();  // a zero-length BLOB
  return Bytes(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

Frontier Statement::column_frontier(int i) const {
  if (sqlite3_column_type(stmt_, i) == SQLITE_NULL) return Frontier::empty();
  return Frontier::at(sqlite3_column_int64(stmt_, i));
}

StatementCache::~StatementCache() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
}

Result<Statement> StatementCache::get(const char* sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      return std::unexpected(sqlite_error(db_, rc, "prepare"));
    }
    it = statements_.emplace(sql, stmt).first;
  }
  Statement statement(db_, it->second);
  statement.reset();
  return statement;
}

Status exec(sqlite3* db, const char* sql) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(sqlite_error(db, rc, sql));
  return {};
}

Result<std::int64_t> query_int(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(sqlite_error(db, rc, sql));
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  rc = sqlite3_step(raw);
  if (rc == SQLITE_ROW) return sqlite3_column_int64(raw, 0);
  if (rc == SQLITE_DONE) return 0;
  return std::unexpected(sqlite_error(db, rc, sql));
}

}  // namespace stash::sqlite
