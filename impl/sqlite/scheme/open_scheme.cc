// stash::open's `sqlite:` scheme (registered in impl/open/CMakeLists.txt).
#include "scheme.h"
#include "stash/sqlite_stash.h"
#include "url_parts.h"

namespace {

using stash::open_scheme::bad;

stash::Result<std::unique_ptr<stash::Stash>> open_sqlite(std::string_view url,
                                                         std::string_view location,
                                                         const stash::OpenOptions& options) {
  auto parts = stash::url::split_options(url, location);
  if (!parts) return std::unexpected(parts.error());
  if (parts->path.empty()) {
    return std::unexpected(bad(url, "sqlite: needs a file path, e.g. sqlite:/var/lib/app/"
                                    "catalog.stash (there is no in-memory SQLite stash)"));
  }
  stash::SqliteOptions sqlite;
  sqlite.read_only = options.read_only;
  sqlite.create_if_missing = options.create_if_missing;
  for (const auto& [key, value] : parts->options) {
    if (key == "synchronous") {
      using Synchronous = stash::SqliteOptions::Synchronous;
      if (value == "full") sqlite.synchronous = Synchronous::kFull;
      else if (value == "normal") sqlite.synchronous = Synchronous::kNormal;
      else if (value == "off") sqlite.synchronous = Synchronous::kOff;
      else return std::unexpected(bad(url, "synchronous must be full, normal or off, got \"" +
                                               value + "\""));
    } else if (key == "busy_timeout_ms") {
      auto ms = stash::url::int_option(url, key, value, 0, 3'600'000);
      if (!ms) return std::unexpected(ms.error());
      sqlite.busy_timeout_ms = *ms;
    } else {
      return std::unexpected(bad(url, "unknown sqlite option \"" + key +
                                          "\" (known: synchronous, busy_timeout_ms)"));
    }
  }
  return stash::open_scheme::as_stash(stash::SqliteStash::open(parts->path, sqlite));
}

}  // namespace

STASH_OPEN_SCHEME(sqlite){
    {"sqlite", "sqlite:PATH      a SqliteStash in file PATH [?synchronous=full|normal|off]", true},
    open_sqlite,
    ""};
