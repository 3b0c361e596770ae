// Opening a PostgresStash: connect once (no retries: a bad conninfo or an
// unreachable server fails fast), create the schema if missing, check its
// format version, and (for a writer) bump the fence.
#include <chrono>
#include <random>
#include <thread>

#include "postgres_stash_impl.h"
#include "wire.h"

namespace stash {
namespace {

using postgres::Connection;
using postgres::DbError;
using postgres::Query;

Error open_error(const DbError& e) { return postgres::classify(e, "open").error; }

bool missing_relation(const DbError& e) {
  return e.sqlstate == "42P01" || e.sqlstate == "3F000";  // undefined table / schema
}

// Why the server would not keep `schema` as given, or empty. PostgreSQL
// truncates an identifier longer than max_identifier_length bytes (63 unless
// the server was built with another NAMEDATALEN) without an error, so two
// long names would silently be one schema.
std::string bad_schema_name(const std::string& schema, std::int64_t max_bytes) {
  if (schema.empty()) return "the schema name is empty";
  if (schema.find('\0') != std::string::npos) return "the schema name contains U+0000";
  if (static_cast<std::int64_t>(schema.size()) > max_bytes) {
    return "the schema name is " + std::to_string(schema.size()) +
           " bytes; the server keeps at most " + std::to_string(max_bytes) +
           " (max_identifier_length) and would truncate it";
  }
  if (schema.starts_with("pg_")) return "schema names starting with \"pg_\" are reserved";
  return "";
}

// The server's max_identifier_length.
Result<std::int64_t> max_identifier_length(Connection& c) {
  static const std::string sql = "SELECT CAST(current_setting('max_identifier_length') AS BIGINT)";
  const Query q{&sql, {}};
  auto rows = c.pipeline(std::span(&q, 1));
  if (!rows) return std::unexpected(open_error(rows.error()));
  if (rows->at(0).rows.empty()) return fail(ErrorCode::kInternal, "postgres: open: no max_identifier_length");
  auto n = postgres::wire::to_int8(rows->at(0).rows[0][0]);
  if (!n) return fail(ErrorCode::kInternal, "postgres: open: bad max_identifier_length");
  return *n;
}

std::string random_nonce() {
  std::random_device device;
  std::string nonce;
  for (int i = 0; i < 16; ++i) nonce.push_back(static_cast<char>(device() & 0xff));
  return nonce;
}

// Runs `step` until it succeeds or fails with something a retry cannot fix.
// Concurrent opens of one schema collide (duplicate objects, serialization
// failures); a bounded number of retries sorts them out.
template <typename Step>
auto retried(const PostgresOptions& options, Step step) -> decltype(step()) {
  for (int attempt = 0;; ++attempt) {
    auto result = step();
    if (result || attempt >= options.max_retries ||
        postgres::classify(result.error(), "open").next != postgres::Next::kRetry) {
      return result;
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::max(0, options.backoff_initial_ms) << std::min(attempt, 6)));
  }
}

// The stash's format version; creates the tables first if they are missing
// and the open may write.
Result<std::int64_t> format_version(Connection& c, const postgres::Sql& sql,
                                    const PostgresOptions& options) {
  const Query q{&sql.format_version, {}};
  auto rows = c.pipeline(std::span(&q, 1));
  if (!rows && missing_relation(rows.error()) && !options.read_only) {
    auto created = retried(options, [&] { return c.exec(sql.create_schema); });
    if (!created) return std::unexpected(open_error(created.error()));
    rows = c.pipeline(std::span(&q, 1));
  }
  if (!rows && missing_relation(rows.error())) {
    return fail(ErrorCode::kNotFound,
                "postgres: open: no stash in schema \"" + options.schema + "\"");
  }
  if (!rows) return std::unexpected(open_error(rows.error()));
  if (rows->at(0).rows.empty()) return fail(ErrorCode::kCorruption, "postgres: open: meta row missing");
  auto version = postgres::wire::to_int8(rows->at(0).rows[0][0]);
  if (!version) return fail(ErrorCode::kCorruption, "postgres: open: bad format version");
  return *version;
}

// Fences every older writer: with the fence table locked against writes,
// archives the fenced writer's stamp in commits (for its lost-reply
// resolution), then a new epoch, nonce and stamp 0 in the fence row, in one
// SERIALIZABLE transaction (schema.cc).
Result<FenceToken> bump_fence(Connection& c, const postgres::Sql& sql,
                              const PostgresOptions& options) {
  FenceToken token{0, random_nonce()};
  const std::vector<Query> queries = {
      {&sql.begin_write, {}},
      {&sql.lock_fence, {}},
      {&sql.archive_commit_row, {}},
      {&sql.bump_fence, {postgres::wire::bytea(token.nonce)}},
      {&sql.trim_commit_rows, {}},
      {&sql.commit, {}},
  };
  auto rows = retried(options, [&]() -> postgres::DbResult<std::vector<postgres::Rows>> {
    auto r = c.pipeline(queries);
    if (!r && !r.error().connection_lost && c.in_transaction()) (void)c.exec(sql.rollback);
    return r;
  });
  if (!rows) return std::unexpected(open_error(rows.error()));
  if (rows->at(3).rows.empty()) return fail(ErrorCode::kCorruption, "postgres: open: fence row missing");
  auto epoch = postgres::wire::to_int8(rows->at(3).rows[0][0]);
  if (!epoch) return fail(ErrorCode::kCorruption, "postgres: open: bad fence epoch");
  token.epoch = *epoch;
  return token;
}

// Makes sure the schema has the upper-moved notification trigger
// (schema.cc), installing it if a store made before it existed lacks it.
Status ensure_notify(Connection& c, const postgres::Sql& sql, const PostgresOptions& options) {
  const Query q{&sql.notify_installed, {{postgres::Type::kText, options.schema}}};
  auto rows = c.pipeline(std::span(&q, 1));
  if (!rows) return std::unexpected(open_error(rows.error()));
  if (!rows->at(0).rows.empty() && postgres::wire::to_int8(rows->at(0).rows[0][0]) == 1) return {};
  auto installed = retried(options, [&]() -> postgres::DbResult<void> {
    auto r = c.exec(sql.install_notify);
    if (!r && !r.error().connection_lost && c.in_transaction()) (void)c.exec(sql.rollback);
    return r;
  });
  if (!installed) return std::unexpected(open_error(installed.error()));
  return {};
}

}  // namespace

Result<std::unique_ptr<PostgresStash>> PostgresStash::open(const std::string& conninfo,
                                                           const PostgresOptions& options) {
  return open_with(postgres::libpq_connector(conninfo, options.connect_timeout_s,
                                             std::max(0, options.call_timeout_ms)),
                   options);
}

Result<std::unique_ptr<PostgresStash>> PostgresStash::open_with(
    std::shared_ptr<postgres::Connector> connector, const PostgresOptions& options) {
  if (options.schema.empty() || options.schema.find('\0') != std::string::npos) {
    return fail(ErrorCode::kInvalidArgument,
                "postgres: open: " + bad_schema_name(options.schema, 1 << 30));
  }
  // Opening is bounded like a call (call_timeout_ms), connecting also by
  // connect_timeout_s.
  const postgres::Deadline deadline =
      options.call_timeout_ms > 0
          ? std::chrono::steady_clock::now() + std::chrono::milliseconds(options.call_timeout_ms)
          : postgres::kNoDeadline;
  auto c = connector->connect(deadline);
  if (!c) return std::unexpected(open_error(c.error()));
  Connection& conn = **c;
  conn.set_deadline(deadline);
  if (auto ok = postgres::set_up_session(conn, options); !ok) {
    return std::unexpected(open_error(ok.error()));
  }
  auto max_bytes = max_identifier_length(conn);
  if (!max_bytes) return std::unexpected(max_bytes.error());
  if (auto why = bad_schema_name(options.schema, *max_bytes); !why.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "postgres: open: schema \"" + printable(options.schema) + "\": " + why);
  }
  auto quoted = conn.quote_identifier(options.schema);
  if (!quoted) return std::unexpected(open_error(quoted.error()));
  postgres::Sql sql(*quoted);
  auto version = format_version(conn, sql, options);
  if (!version) return std::unexpected(version.error());
  if (*version == 1) {
    return fail(ErrorCode::kInvalidArgument,
                "postgres: open: schema \"" + options.schema +
                    "\" holds a stash of format version 1 (keys, values and names limited to "
                    "about 2.7 KB by its indexes); this library reads version " +
                    std::to_string(postgres::kFormatVersion) +
                    " only: copy the data with the older library into a new schema");
  }
  if (*version == postgres::kMigratableVersion && !options.read_only) {
    // A writer moves the stash to this version (schema.cc); the script is
    // one transaction, and a concurrent open's migration waits for its locks
    // and then finds nothing left to do.
    auto migrated = retried(options, [&] { return conn.exec(sql.migrate_v2); });
    if (!migrated) return std::unexpected(open_error(migrated.error()));
    version = format_version(conn, sql, options);
    if (!version) return std::unexpected(version.error());
  }
  if (*version != postgres::kFormatVersion &&
      !(*version == postgres::kMigratableVersion && options.read_only)) {
    return fail(ErrorCode::kInvalidArgument,
                "postgres: open: stash format version " + std::to_string(*version) +
                    " in schema \"" + options.schema + "\" is not one this library reads (" +
                    std::to_string(postgres::kFormatVersion) + ")");
  }
  // A read-only open reads version 2 as it is: only its point reads differ.
  if (*version == postgres::kMigratableVersion) sql.iter_key = sql.iter_key_v2;
  std::optional<FenceToken> token;
  if (!options.read_only) {
    if (auto ok = ensure_notify(conn, sql, options); !ok) return std::unexpected(ok.error());
    auto bumped = bump_fence(conn, sql, options);
    if (!bumped) return std::unexpected(bumped.error());
    token = std::move(*bumped);
  }
  conn.set_deadline(postgres::kNoDeadline);  // each call sets its own
  auto impl = std::make_unique<Impl>(std::move(connector), std::move(*c), options,
                                     std::move(sql), std::move(token));
  return std::unique_ptr<PostgresStash>(new PostgresStash(std::move(impl)));
}

}  // namespace stash
