// Opening a SQLite stash: classify the file before writing a byte to it, then
// configure durability, create the schema if the file is new, and fence older
// writers.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "exact_diff_sql.h"
#include "schema.h"
#include "sqlite_stash_impl.h"

namespace stash {
namespace {

using sqlite::exec;
using sqlite::sqlite_error;

const char* synchronous_pragma(SqliteOptions::Synchronous s) {
  switch (s) {
    case SqliteOptions::Synchronous::kOff:
      return "PRAGMA synchronous = OFF";
    case SqliteOptions::Synchronous::kNormal:
      return "PRAGMA synchronous = NORMAL";
    case SqliteOptions::Synchronous::kFull:
      break;
  }
  return "PRAGMA synchronous = FULL";
}

Result<sqlite::DbPtr> open_connection(const std::string& path, const SqliteOptions& options) {
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;  // Impl serializes calls.
  flags |= options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (!options.read_only && options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const char* vfs = options.vfs_name.empty() ? nullptr : options.vfs_name.c_str();
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, vfs);
  sqlite::DbPtr db(raw);
  if (rc != SQLITE_OK) return std::unexpected(sqlite_error(db.get(), rc, "open " + path));
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);
  // Until the file checks out, closing must not checkpoint a foreign WAL
  // into it: the file stays byte for byte as it was.
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  if (const int frc = sqlite::register_exact_diff_functions(db.get()); frc != SQLITE_OK) {
    return std::unexpected(sqlite_error(db.get(), frc, "register functions"));
  }
  return db;
}

// Durability and integrity settings; only after the file checked out, since
// switching to WAL writes the file header.
Status configure(sqlite3* db, const SqliteOptions& options) {
  if (auto ok = exec(db, "PRAGMA foreign_keys = ON"); !ok) return ok;
  if (auto ok = exec(db, "PRAGMA temp_store = MEMORY"); !ok) return ok;
  if (options.read_only) return {};
  if (auto ok = exec(db, "PRAGMA journal_mode = WAL"); !ok) return ok;
  if (auto ok = exec(db, synchronous_pragma(options.synchronous)); !ok) return ok;
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
  return {};
}

// In the open transaction: creates the schema if another opener did not
// beat us to it, and bumps the fence so older writers stop.
Result<FenceToken> initialize_and_fence(sqlite3* db) {
  auto kind = sqlite::inspect(db, /*verify=*/false);
  if (!kind) return std::unexpected(kind.error());
  if (*kind == sqlite::FileKind::kEmpty) {
    if (auto ok = sqlite::create_schema(db); !ok) return std::unexpected(ok.error());
  }
  sqlite::StatementCache cache(db);
  auto bump = cache.get(
      "UPDATE fence SET epoch = epoch + 1, nonce = randomblob(16) RETURNING epoch, nonce");
  if (!bump) return std::unexpected(bump.error());
  auto row = bump->step("fence");
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(ErrorCode::kCorruption, "stash file has no fence row");
  FenceToken token{bump->column_int(0), bump->column_bytes(1)};
  if (auto ok = bump->run("fence"); !ok) return std::unexpected(ok.error());
  return token;
}

Result<FenceToken> transact_open(sqlite3* db) {
  if (auto ok = exec(db, "BEGIN IMMEDIATE"); !ok) return std::unexpected(ok.error());
  auto token = initialize_and_fence(db);
  if (token) {
    if (auto ok = exec(db, "COMMIT"); !ok) token = std::unexpected(ok.error());
  }
  if (!sqlite3_get_autocommit(db)) (void)exec(db, "ROLLBACK");
  return token;
}

// A new file's directory entry must be durable before we acknowledge writes
// to it: SQLite syncs the directory for its WAL, not for the database file.
Status sync_directory(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return fail(ErrorCode::kIoError, "open directory " + dir.string() + ": " +
                                                   std::generic_category().message(errno));
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) return fail(ErrorCode::kIoError, "fsync directory " + dir.string() + ": " +
                                                    std::generic_category().message(saved));
  return {};
}

}  // namespace

Result<std::unique_ptr<SqliteStash>> SqliteStash::open(const std::string& path,
                                                       const SqliteOptions& options) {
  std::error_code ec;
  const bool existed = std::filesystem::exists(path, ec);
  if (!existed && (options.read_only || !options.create_if_missing)) {
    return fail(ErrorCode::kNotFound, "no stash at " + path);
  }
  auto db = open_connection(path, options);
  if (!db) return std::unexpected(db.error());
  auto kind = sqlite::inspect(db->get(), options.verify_on_open);
  if (!kind) return std::unexpected(kind.error());
  if (options.read_only && *kind == sqlite::FileKind::kEmpty) {
    return fail(ErrorCode::kInvalidArgument, "invalid application id: 0");
  }
  if (!options.read_only && sqlite3_db_readonly(db->get(), "main") == 1) {
    return fail(ErrorCode::kIoError,
                "sqlite: open " + path + ": file or file system is read-only");
  }
  if (auto ok = configure(db->get(), options); !ok) return std::unexpected(ok.error());
  std::optional<FenceToken> token;
  if (!options.read_only) {
    auto opened = transact_open(db->get());
    if (!opened) return std::unexpected(opened.error());
    token = *opened;
    if (!existed && options.synchronous != SqliteOptions::Synchronous::kOff) {
      if (auto ok = sync_directory(path); !ok) return std::unexpected(ok.error());
    }
  }
  auto impl = std::make_unique<Impl>(std::move(*db), path, options, std::move(token));
  return std::unique_ptr<SqliteStash>(new SqliteStash(std::move(impl)));
}

Result<SqliteStash::Settings> SqliteStash::settings() {
  return impl_->read([&]() -> Result<Settings> {
    Settings s;
    auto mode = impl_->statement("PRAGMA journal_mode");
    if (!mode) return std::unexpected(mode.error());
    if (auto row = mode->step("journal_mode"); !row) return std::unexpected(row.error());
    s.journal_mode = mode->column_bytes(0);
    mode->reset();
    auto sync = sqlite::query_int(impl_->db(), "PRAGMA synchronous");
    auto fk = sqlite::query_int(impl_->db(), "PRAGMA foreign_keys");
    auto busy = sqlite::query_int(impl_->db(), "PRAGMA busy_timeout");
    for (auto* r : {&sync, &fk, &busy}) {
      if (!*r) return std::unexpected(r->error());
    }
    s.synchronous = static_cast<int>(*sync);
    s.foreign_keys = *fk != 0;
    s.busy_timeout_ms = static_cast<int>(*busy);
    s.read_only = sqlite3_db_readonly(impl_->db(), "main") == 1;
    return s;
  });
}

}  // namespace stash
