// stash::open: one way to open any backend, by URL.
//
//   auto stash = stash::open("sqlite:/var/lib/app/catalog.stash");
//   if (!stash) { /* stash.error(): kInvalidArgument for a bad URL, or the
//                    backend's own error (kIoError, kCorruption, ...) */ }
//
// A URL is `scheme:location`. The scheme is lowercase letters; what the
// location means belongs to the scheme:
//
//   memory:            a new, empty MemoryStash (in memory only; gone when
//                      the Stash is destroyed)
//   memory:DIR         a DurableMemoryStash in directory DIR (snapshot + log,
//                      stash/durable_memory_stash.h)
//   sqlite:PATH        a SqliteStash in file PATH (stash/sqlite_stash.h);
//   sqlite:PATH?OPTS   OPTS is key=value pairs joined by '&':
//                        synchronous=full|normal|off   (default full)
//                        busy_timeout_ms=N             (default 5000)
//                      `sqlite:` with no path is kInvalidArgument: there is
//                      no in-memory SQLite stash (it would lose every write).
//   postgres:DSN       a PostgresStash on the database of libpq connection
//                      string DSN, keyword form ("host=/tmp dbname=app") or
//                      URI form (postgres://user@host/app?sslmode=require).
//                      Stash options go into the DSN beside libpq's and are
//                      taken out before libpq sees it:
//                        schema=NAME                   (default "stash")
//                        statement_timeout_ms=N        (default 30000)
//                      as `schema=app` words in keyword form, `?schema=app`
//                      query parameters in URI form.
//   etcd:H:P,H:P[/PFX][?OPTS]
//                      an EtcdStash under key prefix /PFX/ (default
//                      /stash/) of the etcd cluster whose members are at
//                      H:P,... (stash/etcd_stash.h lists OPTS).
//
// DIR and PATH are taken verbatim up to an optional '?' (so they cannot
// contain '?': open such paths with the backend's own open()). A URL with
// leading or trailing whitespace, or any control character, is refused
// rather than trimmed: `memory: ` must not quietly create a directory " ".
//
// Only backends this build includes are known: a scheme whose backend was
// built out (STASH_WITH_SQLITE=OFF, ...) fails with kUnavailable saying so.
#ifndef STASH_OPEN_H_
#define STASH_OPEN_H_

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "stash/error.h"
#include "stash/stash.h"

namespace stash {

// What every backend understands. Backend-specific settings go in the URL.
struct OpenOptions {
  // Open for reading only: every write fails with kInvalidArgument and the
  // open fences nobody; the store must already exist (else kNotFound).
  // `memory:` refuses it (kInvalidArgument): a new in-memory store is empty
  // and could never be written. Default false.
  bool read_only = false;
  // Create an empty store when there is none at the location (memory:DIR,
  // sqlite:PATH, postgres schema). If false, a missing store is kNotFound.
  // Ignored when read_only. Default true.
  bool create_if_missing = true;
};

// Opens the store named by `url`. Errors:
//   kInvalidArgument  the URL is malformed (empty, no scheme, whitespace or
//                     control characters, an unknown scheme or option, a
//                     location the scheme cannot use); the message says which
//                     and lists the known schemes;
//   kUnavailable      the scheme's backend is not part of this build;
//   anything the backend's open() reports (kIoError, kCorruption, kNotFound,
//   kFenced, kUnavailable, ...).
Result<std::unique_ptr<Stash>> open(std::string_view url, const OpenOptions& options = {});

// A URL split into its parts. Errors: kInvalidArgument as for open().
struct StashUrl {
  std::string scheme;    // "memory", "sqlite", "postgres"
  std::string location;  // everything after the first ':', possibly empty
};
Result<StashUrl> parse_url(std::string_view url);

// One URL scheme open() knows, for help texts.
struct SchemeInfo {
  std::string_view name;   // without ':'
  std::string_view usage;  // one line: "sqlite:PATH   a SqliteStash in file PATH"
  bool built_in;           // false: the backend was left out of this build
};
std::span<const SchemeInfo> schemes();

// "memory:, sqlite:, postgres:": for error messages.
std::string known_schemes();

}  // namespace stash

#endif  // STASH_OPEN_H_
