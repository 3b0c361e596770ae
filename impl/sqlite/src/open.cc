// Opening a SQLite stash: validate the path, classify the file before writing
// a byte to it, configure durability (reading every setting back), then, under
// the write lock, classify it again, create the schema if the file is new,
// and fence older writers.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <system_error>

#include "exact_diff_sql.h"
#include "schema.h"
#include "upgrade.h"
#include "sqlite_stash_impl.h"

namespace stash {
namespace {

using sqlite::exec;
using sqlite::sqlite_error;

int synchronous_level(SqliteOptions::Synchronous s) {
  switch (s) {
    case SqliteOptions::Synchronous::kOff:
      return 0;
    case SqliteOptions::Synchronous::kNormal:
      return 1;
    case SqliteOptions::Synchronous::kFull:
      break;
  }
  return 2;
}

// "" and ":memory:" are databases SQLite never keeps, and this SQLite build
// reads "file:..." as a URI whose parameters can do the same (mode=memory,
// vfs=memdb) or bypass locking (nolock, immutable): every write would be lost
// at close, or the file not protected. Refused unless asked for.
Status check_path(const std::string& path, const SqliteOptions& options) {
  if (path.find('\0') != std::string::npos) {
    return fail(ErrorCode::kInvalidArgument, "stash path contains a NUL byte");
  }
  const bool non_durable = path.empty() || path == ":memory:";
  if (non_durable && !options.allow_non_durable) {
    return fail(ErrorCode::kInvalidArgument,
                "stash path \"" + path +
                    "\" names a database SQLite deletes at close, so every write would be "
                    "lost: pass a file path (or set SqliteOptions::allow_non_durable)");
  }
  if (non_durable && options.read_only) {
    return fail(ErrorCode::kInvalidArgument,
                "stash path \"" + path + "\" cannot be opened read-only: it holds nothing");
  }
  if (path.starts_with("file:")) {
    return fail(ErrorCode::kInvalidArgument,
                "stash path \"" + path +
                    "\" is an SQLite URI, which is not accepted (its parameters can make "
                    "the store non-durable): pass a plain path, e.g. ./" + path);
  }
  return {};
}

bool non_durable_path(const std::string& path) { return path.empty() || path == ":memory:"; }

// The directory holding `path`.
std::filesystem::path directory_of(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  return dir.empty() ? std::filesystem::path(".") : dir;
}

// `path` as an SQLite URI naming the same file (for immutable=1).
std::string uri_of(const std::string& path) {
  std::error_code ec;
  std::string absolute = std::filesystem::absolute(path, ec).string();
  if (ec) absolute = path;
  std::string out = "file:";
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : absolute) {
    if (std::isalnum(c) || c == '/' || c == '.' || c == '-' || c == '_') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<sqlite::DbPtr> open_connection(const std::string& name, const SqliteOptions& options,
                                      bool uri) {
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;  // Impl serializes calls.
  flags |= options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (!options.read_only && options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  if (uri) flags |= SQLITE_OPEN_URI;
  sqlite3* raw = nullptr;
  const char* vfs = options.vfs_name.empty() ? nullptr : options.vfs_name.c_str();
  const int rc = sqlite3_open_v2(name.c_str(), &raw, flags, vfs);
  sqlite::DbPtr db(raw);
  if (rc != SQLITE_OK) return std::unexpected(sqlite_error(db.get(), rc, "open " + name));
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);
  // Until the file checks out, closing must not checkpoint a foreign WAL
  // into it: the file stays byte for byte as it was.
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  // No SQL text of ours depends on these, and a damaged schema must not be
  // able to run code: refuse triggers and views from the file.
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_ENABLE_VIEW, 0, nullptr);
  if (const int frc = sqlite::register_exact_diff_functions(db.get()); frc != SQLITE_OK) {
    return std::unexpected(sqlite_error(db.get(), frc, "register functions"));
  }
  return db;
}

// The first column of a one-row query as text.
Result<std::string> query_text(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(sqlite_error(db, rc, sql));
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  rc = sqlite3_step(raw);
  if (rc != SQLITE_ROW) return std::unexpected(sqlite_error(db, rc, sql));
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
  return std::string(text != nullptr ? text : "");
}

Status expect_int(sqlite3* db, const char* sql, std::int64_t want, const std::string& path) {
  auto got = sqlite::query_int(db, sql);
  if (!got) return std::unexpected(got.error());
  if (*got == want) return {};
  return fail(ErrorCode::kIoError, "sqlite: " + path + ": " + sql + " is " +
                                       std::to_string(*got) + " after setting it to " +
                                       std::to_string(want));
}

// Switches to WAL. SQLite answers with the mode it is in: a new file that
// another connection is reading cannot switch yet (SQLite says so with the
// old mode or SQLITE_BUSY: a transient race, retried for busy_timeout_ms),
// and a file system without shared memory never can.
Status enable_wal(sqlite3* db, const std::string& path, const SqliteOptions& options) {
  // What SQLite itself requires of the file for WAL: shared-memory methods.
  sqlite3_file* file = nullptr;
  void* out = static_cast<void*>(&file);  // SQLite writes the sqlite3_file* there
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, out) == SQLITE_OK &&
      file != nullptr && file->pMethods != nullptr &&
      (file->pMethods->iVersion < 2 || file->pMethods->xShmMap == nullptr)) {
    return fail(ErrorCode::kIoError,
                "sqlite: " + path +
                    ": the file system (VFS) offers no shared memory, so the stash cannot "
                    "use a write-ahead log; journal_mode would stay non-WAL");
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
  std::string mode;
  for (int attempt = 0;; ++attempt) {
    auto got = query_text(db, "PRAGMA journal_mode = WAL");
    const bool past = std::chrono::steady_clock::now() >= deadline;
    if (!got) {
      // SQLITE_BUSY straight away (no busy handler runs for this lock): the
      // other opener is mid-way; retried like the silent refusal below.
      if (got.error().code() != ErrorCode::kUnavailable || past) {
        return std::unexpected(got.error());
      }
    } else {
      mode = *got;
      if (mode == "wal") return {};
      if (past) break;
    }
    sqlite3_sleep(attempt < 10 ? 1 : 10);
  }
  return fail(ErrorCode::kUnavailable,
              "sqlite: " + path + ": journal_mode stayed \"" + mode + "\" instead of \"wal\" for " +
                  std::to_string(options.busy_timeout_ms) +
                  " ms: another connection kept the new file busy");
}

// Durability and integrity settings, each read back; only after the file
// checked out, since switching to WAL writes the file header.
Status configure(sqlite3* db, const std::string& path, const SqliteOptions& options) {
  if (auto ok = exec(db, "PRAGMA foreign_keys = ON"); !ok) return ok;
  if (auto ok = exec(db, "PRAGMA temp_store = MEMORY"); !ok) return ok;
  if (auto ok = expect_int(db, "PRAGMA foreign_keys", 1, path); !ok) return ok;
  if (auto ok = expect_int(db, "PRAGMA temp_store", 2, path); !ok) return ok;
  if (auto ok = expect_int(db, "PRAGMA busy_timeout", options.busy_timeout_ms, path); !ok) {
    return ok;
  }
  if (options.read_only) return {};
  if (non_durable_path(path)) {
    // Asked for (allow_non_durable): SQLite keeps it in memory or a temp file.
  } else if (auto ok = enable_wal(db, path, options); !ok) {
    return ok;
  }
  const int level = synchronous_level(options.synchronous);
  const std::string set = "PRAGMA synchronous = " + std::to_string(level);
  if (auto ok = exec(db, set.c_str()); !ok) return ok;
  if (auto ok = expect_int(db, "PRAGMA synchronous", level, path); !ok) return ok;
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
  return {};
}

Result<FenceToken> bump_fence(sqlite3* db) {
  sqlite::StatementCache cache(db);
  auto read = cache.get("SELECT epoch, nonce, crc FROM fence WHERE id = 0");
  if (!read) return std::unexpected(read.error());
  auto row = read->step("fence");
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(ErrorCode::kCorruption, "sqlite: stash file has no fence row");
  const std::int64_t epoch = read->column_int(0);
  const Bytes nonce = read->column_bytes(1);
  if (read->column_int(2) != fence_crc(epoch, nonce)) {
    return fail(ErrorCode::kCorruption, "sqlite: fence row: checksum mismatch");
  }
  read->reset();
  FenceToken token{epoch + 1, Bytes(16, '\0')};
  sqlite3_randomness(16, token.nonce.data());
  auto write = cache.get("UPDATE fence SET epoch = ?1, nonce = ?2, crc = ?3 WHERE id = 0");
  if (!write) return std::unexpected(write.error());
  if (auto ok = write->bind(1, token.epoch)
                    .bind(2, token.nonce)
                    .bind(3, fence_crc(token.epoch, token.nonce))
                    .run("fence");
      !ok) {
    return std::unexpected(ok.error());
  }
  return token;
}

// In the open transaction, holding the write lock: classifies the file
// again (another opener may have created or upgraded it since we looked),
// creates the schema if it is still new, upgrades a format-2 file, and bumps
// the fence so older writers stop.
Result<FenceToken> initialize_and_fence(sqlite3* db) {
  auto kind = sqlite::inspect(db);
  if (!kind) return std::unexpected(kind.error());
  if (*kind == sqlite::FileKind::kFormat2) {
    if (auto ok = sqlite::upgrade_format2(db); !ok) return std::unexpected(ok.error());
  }
  if (*kind == sqlite::FileKind::kEmpty) {
    if (auto ok = sqlite::create_schema(db); !ok) return std::unexpected(ok.error());
    sqlite::StatementCache cache(db);
    auto insert = cache.get("INSERT INTO fence(id, epoch, nonce, crc) VALUES (0, 0, x'', ?1)");
    if (!insert) return std::unexpected(insert.error());
    if (auto ok = insert->bind(1, fence_crc(0, "")).run("fence"); !ok) {
      return std::unexpected(ok.error());
    }
  }
  return bump_fence(db);
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
  const std::filesystem::path dir = directory_of(path);
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

// A reader of a cleanly closed stash on read-only media: SQLite cannot create
// the -shm file WAL mode reads through, but with no write-ahead log there is
// nothing to read through it, and nobody can write there (a writer needs to
// create the log in that directory): open the file as immutable.
bool can_read_as_immutable(const std::string& path) {
  if (::access(directory_of(path).c_str(), W_OK) == 0) return false;
  std::error_code ec;
  const auto wal_size = std::filesystem::file_size(path + "-wal", ec);
  return ec || wal_size == 0;
}

// Opens and classifies; for a reader falls back to immutable=1 (see above).
Result<sqlite::DbPtr> open_and_inspect(const std::string& path, const SqliteOptions& options,
                                       sqlite::FileKind& kind) {
  auto db = open_connection(path, options, /*uri=*/false);
  if (!db) return std::unexpected(db.error());
  auto inspected = sqlite::inspect(db->get());
  if (!inspected && options.read_only && inspected.error().code() == ErrorCode::kIoError &&
      can_read_as_immutable(path)) {
    db = open_connection(uri_of(path) + "?immutable=1", options, /*uri=*/true);
    if (!db) return std::unexpected(db.error());
    inspected = sqlite::inspect(db->get());
  }
  if (!inspected) return std::unexpected(inspected.error());
  kind = *inspected;
  return db;
}

}  // namespace

Result<std::unique_ptr<SqliteStash>> SqliteStash::open(const std::string& path,
                                                       const SqliteOptions& options) {
  if (auto ok = check_path(path, options); !ok) return std::unexpected(ok.error());
  const bool durable_file = !non_durable_path(path);
  std::error_code ec;
  const bool existed = durable_file && std::filesystem::exists(path, ec);
  if (durable_file && !existed && (options.read_only || !options.create_if_missing)) {
    return fail(ErrorCode::kNotFound, "no stash at " + path);
  }
  sqlite::FileKind kind = sqlite::FileKind::kEmpty;
  auto db = open_and_inspect(path, options, kind);
  if (!db) return std::unexpected(db.error());
  if (options.read_only && kind == sqlite::FileKind::kEmpty) {
    return fail(ErrorCode::kInvalidArgument, "invalid application id: 0");
  }
  if (options.read_only && kind == sqlite::FileKind::kFormat2) {
    // A reader never writes, so it cannot upgrade; reading format 2 as well
    // would keep a second decoder on every read path.
    return fail(ErrorCode::kInvalidArgument,
                "stash " + path + " is format version 2; this library reads version " +
                    std::to_string(sqlite::kFormatVersion) +
                    ": open it once read-write (as a writer) to upgrade it in place");
  }
  if (!options.read_only && sqlite3_db_readonly(db->get(), "main") == 1) {
    return fail(ErrorCode::kIoError,
                "sqlite: open " + path + ": file or file system is read-only");
  }
  if (auto ok = configure(db->get(), path, options); !ok) return std::unexpected(ok.error());
  std::optional<FenceToken> token;
  if (!options.read_only) {
    auto opened = transact_open(db->get());
    if (!opened) return std::unexpected(opened.error());
    token = *opened;
    if (durable_file && !existed && options.synchronous != SqliteOptions::Synchronous::kOff) {
      if (auto ok = sync_directory(path); !ok) return std::unexpected(ok.error());
    }
  }
  auto impl = std::make_unique<Impl>(std::move(*db), path, options, std::move(token));
  std::unique_ptr<SqliteStash> stash(new SqliteStash(std::move(impl)));
  if (options.verify_on_open) {
    if (auto ok = stash->verify(); !ok) return std::unexpected(ok.error());
  }
  return stash;
}

Result<SqliteStash::Settings> SqliteStash::settings() {
  return impl_->read([&]() -> Result<Settings> {
    Settings s;
    auto mode = query_text(impl_->db(), "PRAGMA journal_mode");
    if (!mode) return std::unexpected(mode.error());
    s.journal_mode = *mode;
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
