// stash::open's `postgres:` scheme (registered in impl/open/CMakeLists.txt).
#include "scheme.h"
#include "stash/postgres_stash.h"
#include "url_parts.h"

namespace {

using stash::open_scheme::bad;

stash::Result<std::unique_ptr<stash::Stash>> open_postgres(std::string_view url,
                                                           std::string_view location,
                                                           const stash::OpenOptions& options) {
  // "postgres://user@host/db" arrives as location "//user@host/db".
  const std::string dsn =
      location.starts_with("//") ? "postgres:" + std::string(location) : std::string(location);
  auto split = stash::url::split_postgres_dsn(url, dsn);
  if (!split) return std::unexpected(split.error());
  if (split->conninfo.empty()) {
    return std::unexpected(bad(url, "postgres: needs a libpq connection string, e.g. "
                                    "postgres:host=/tmp dbname=app schema=catalog"));
  }
  stash::PostgresOptions postgres;
  postgres.read_only = options.read_only;
  for (const auto& [key, value] : split->stash_options) {
    if (key == "schema") {
      if (value.empty()) return std::unexpected(bad(url, "schema must not be empty"));
      postgres.schema = value;
    } else {  // statement_timeout_ms
      auto ms = stash::url::int_option(url, key, value, 0, 86'400'000);
      if (!ms) return std::unexpected(ms.error());
      postgres.statement_timeout_ms = *ms;
    }
  }
  if (!options.create_if_missing && !options.read_only) {
    // PostgresStash creates a missing schema when writing; open read-only
    // first to learn whether the store exists.
    stash::PostgresOptions probe = postgres;
    probe.read_only = true;
    auto existing = stash::PostgresStash::open(split->conninfo, probe);
    if (!existing) return std::unexpected(existing.error());
  }
  return stash::open_scheme::as_stash(stash::PostgresStash::open(split->conninfo, postgres));
}

}  // namespace

STASH_OPEN_SCHEME(postgres){
    {"postgres", "postgres:DSN     a PostgresStash on libpq connection string DSN [schema=NAME]",
     true},
    open_postgres,
    ""};
