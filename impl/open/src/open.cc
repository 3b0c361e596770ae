// stash::open: the URL rules every scheme shares, and the one table of
// schemes. Adding a backend is one entry in kSchemes (plus its harness in
// impl/open/testing/harnesses.cc for `stash check`).
#include "stash/open.h"

#include <array>

#include "stash/memory_stash.h"
#include "url_parts.h"
#if STASH_HAVE_DURABLE_MEMORY
#include "stash/durable_memory_stash.h"
#endif
#if STASH_HAVE_SQLITE
#include "stash/sqlite_stash.h"
#endif
#if STASH_HAVE_POSTGRES
#include "stash/postgres_stash.h"
#endif
#if STASH_HAVE_ETCD
#include "stash/etcd_stash.h"
#endif

namespace stash {
namespace {

using Opener = Result<std::unique_ptr<Stash>> (*)(std::string_view url,
                                                  std::string_view location,
                                                  const OpenOptions& options);

struct Scheme {
  SchemeInfo info;
  Opener open;                  // nullptr when the backend is not built in
  std::string_view build_flag;  // what left it out, for the error message
};

Error bad(std::string_view url, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, "\"" + std::string(url) + "\": " + why);
}

template <typename T>
Result<std::unique_ptr<Stash>> as_stash(Result<std::unique_ptr<T>> opened) {
  if (!opened) return std::unexpected(opened.error());
  return std::unique_ptr<Stash>(std::move(*opened));
}

Result<std::unique_ptr<Stash>> open_memory(std::string_view url, std::string_view location,
                                           const OpenOptions& options) {
  if (location.empty()) {
    if (options.read_only) {
      return std::unexpected(
          bad(url, "a new in-memory store cannot be read-only (it is empty and stays so)"));
    }
    return std::unique_ptr<Stash>(std::make_unique<MemoryStash>());
  }
#if STASH_HAVE_DURABLE_MEMORY
  auto parts = url::split_options(url, location);
  if (!parts) return std::unexpected(parts.error());
  if (!parts->options.empty()) {
    return std::unexpected(bad(url, "memory:DIR takes no options, got " +
                                        parts->options.begin()->first));
  }
  MemoryStashOptions memory_options;
  memory_options.create_if_missing = options.create_if_missing && !options.read_only;
  memory_options.read_only = options.read_only;
  return as_stash(DurableMemoryStash::open(parts->path, memory_options));
#else
  return std::unexpected(Error(ErrorCode::kUnavailable,
                               "\"" + std::string(url) +
                                   "\": this build has no DurableMemoryStash (memory:DIR)"));
#endif
}

#if STASH_HAVE_SQLITE
Result<std::unique_ptr<Stash>> open_sqlite(std::string_view url, std::string_view location,
                                           const OpenOptions& options) {
  auto parts = url::split_options(url, location);
  if (!parts) return std::unexpected(parts.error());
  if (parts->path.empty()) {
    return std::unexpected(bad(url, "sqlite: needs a file path, e.g. sqlite:/var/lib/app/"
                                    "catalog.stash (there is no in-memory SQLite stash)"));
  }
  SqliteOptions sqlite;
  sqlite.read_only = options.read_only;
  sqlite.create_if_missing = options.create_if_missing;
  for (const auto& [key, value] : parts->options) {
    if (key == "synchronous") {
      if (value == "full") sqlite.synchronous = SqliteOptions::Synchronous::kFull;
      else if (value == "normal") sqlite.synchronous = SqliteOptions::Synchronous::kNormal;
      else if (value == "off") sqlite.synchronous = SqliteOptions::Synchronous::kOff;
      else return std::unexpected(bad(url, "synchronous must be full, normal or off, got \"" +
                                               value + "\""));
    } else if (key == "busy_timeout_ms") {
      auto ms = url::int_option(url, key, value, 0, 3'600'000);
      if (!ms) return std::unexpected(ms.error());
      sqlite.busy_timeout_ms = *ms;
    } else {
      return std::unexpected(bad(url, "unknown sqlite option \"" + key +
                                          "\" (known: synchronous, busy_timeout_ms)"));
    }
  }
  return as_stash(SqliteStash::open(parts->path, sqlite));
}
#endif

#if STASH_HAVE_POSTGRES
Result<std::unique_ptr<Stash>> open_postgres(std::string_view url, std::string_view location,
                                             const OpenOptions& options) {
  // "postgres://user@host/db" arrives as location "//user@host/db".
  const std::string dsn =
      location.starts_with("//") ? "postgres:" + std::string(location) : std::string(location);
  auto split = url::split_postgres_dsn(url, dsn);
  if (!split) return std::unexpected(split.error());
  if (split->conninfo.empty()) {
    return std::unexpected(bad(url, "postgres: needs a libpq connection string, e.g. "
                                    "postgres:host=/tmp dbname=app schema=catalog"));
  }
  PostgresOptions postgres;
  postgres.read_only = options.read_only;
  for (const auto& [key, value] : split->stash_options) {
    if (key == "schema") {
      if (value.empty()) return std::unexpected(bad(url, "schema must not be empty"));
      postgres.schema = value;
    } else {  // statement_timeout_ms
      auto ms = url::int_option(url, key, value, 0, 86'400'000);
      if (!ms) return std::unexpected(ms.error());
      postgres.statement_timeout_ms = *ms;
    }
  }
  if (!options.create_if_missing && !options.read_only) {
    // PostgresStash creates a missing schema when writing; open read-only
    // first to learn whether the store exists.
    PostgresOptions probe = postgres;
    probe.read_only = true;
    auto existing = PostgresStash::open(split->conninfo, probe);
    if (!existing) return std::unexpected(existing.error());
  }
  return as_stash(PostgresStash::open(split->conninfo, postgres));
}
#endif

#if STASH_HAVE_ETCD
Result<std::unique_ptr<Stash>> open_etcd(std::string_view, std::string_view location,
                                         const OpenOptions& options) {
  auto etcd = parse_etcd_location(location);
  if (!etcd) return std::unexpected(etcd.error());
  etcd->read_only = options.read_only;
  etcd->create_if_missing = options.create_if_missing;
  return as_stash(EtcdStash::open(*etcd));
}
#endif

constexpr std::array kSchemes = {
    Scheme{{"memory",
            "memory:          a new MemoryStash (in memory only)\n"
            "memory:DIR       a DurableMemoryStash in directory DIR (snapshot + log)",
            true},
           open_memory, ""},
#if STASH_HAVE_SQLITE
    Scheme{{"sqlite", "sqlite:PATH      a SqliteStash in file PATH [?synchronous=full|normal|off]",
            true},
           open_sqlite, ""},
#else
    Scheme{{"sqlite", "sqlite:PATH      (not in this build: STASH_WITH_SQLITE=OFF)", false},
           nullptr, "STASH_WITH_SQLITE=OFF"},
#endif
#if STASH_HAVE_POSTGRES
    Scheme{{"postgres",
            "postgres:DSN     a PostgresStash on libpq connection string DSN [schema=NAME]",
            true},
           open_postgres, ""},
#else
    Scheme{{"postgres", "postgres:DSN     (not in this build: STASH_WITH_POSTGRES=OFF)", false},
           nullptr, "STASH_WITH_POSTGRES=OFF"},
#endif
#if STASH_HAVE_ETCD
    Scheme{{"etcd", "etcd:H:P,H:P/PFX an EtcdStash under key prefix /PFX/ of the etcd cluster at H:P,...",
            true},
           open_etcd, ""},
#else
    Scheme{{"etcd", "etcd:H:P,...     (not in this build: STASH_WITH_ETCD=OFF)", false},
           nullptr, "STASH_WITH_ETCD=OFF"},
#endif
};

const std::array<SchemeInfo, kSchemes.size()> kInfos = [] {
  std::array<SchemeInfo, kSchemes.size()> infos{};
  for (std::size_t i = 0; i < kSchemes.size(); ++i) infos[i] = kSchemes[i].info;
  return infos;
}();

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }
bool is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

}  // namespace

std::span<const SchemeInfo> schemes() { return kInfos; }

std::string known_schemes() {
  std::string out;
  for (const Scheme& scheme : kSchemes) {
    out += (out.empty() ? "" : ", ") + std::string(scheme.info.name) + ":";
  }
  return out;
}

Result<StashUrl> parse_url(std::string_view url) {
  if (url.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "empty URL: expected scheme:location, e.g. sqlite:/path/to/file.stash; "
                "known schemes: " + known_schemes());
  }
  if (is_space(url.front()) || is_space(url.back())) {
    return std::unexpected(bad(url, "leading or trailing whitespace (URLs are not trimmed)"));
  }
  for (std::size_t i = 0; i < url.size(); ++i) {
    if (is_control(static_cast<unsigned char>(url[i]))) {
      return std::unexpected(
          bad(url, "control character (byte " +
                       std::to_string(static_cast<unsigned char>(url[i])) + ") at offset " +
                       std::to_string(i)));
    }
  }
  const auto colon = url.find(':');
  if (colon == std::string_view::npos) {
    return std::unexpected(bad(url, "not a URL: expected scheme:location (e.g. memory:); "
                                    "known schemes: " + known_schemes()));
  }
  const std::string_view scheme = url.substr(0, colon);
  if (scheme.empty()) {
    return std::unexpected(bad(url, "empty scheme before ':'; known schemes: " + known_schemes()));
  }
  for (char c : scheme) {
    if (c < 'a' || c > 'z') {
      return std::unexpected(bad(url, "a scheme is lowercase letters, got \"" +
                                          std::string(scheme) +
                                          "\"; known schemes: " + known_schemes()));
    }
  }
  const std::string_view location = url.substr(colon + 1);
  if (!location.empty() && (is_space(location.front()) || is_space(location.back()))) {
    return std::unexpected(
        bad(url, "the location after ':' has leading or trailing whitespace"));
  }
  return StashUrl{std::string(scheme), std::string(location)};
}

Result<std::unique_ptr<Stash>> open(std::string_view url, const OpenOptions& options) {
  auto parsed = parse_url(url);
  if (!parsed) return std::unexpected(parsed.error());
  for (const Scheme& scheme : kSchemes) {
    if (scheme.info.name != parsed->scheme) continue;
    if (scheme.open == nullptr) {
      return fail(ErrorCode::kUnavailable,
                  "\"" + std::string(url) + "\": this build has no " + parsed->scheme +
                      " backend (built with " + std::string(scheme.build_flag) + ")");
    }
    return scheme.open(url, parsed->location, options);
  }
  return std::unexpected(bad(url, "unknown scheme \"" + parsed->scheme +
                                      ":\"; known schemes: " + known_schemes()));
}

}  // namespace stash
