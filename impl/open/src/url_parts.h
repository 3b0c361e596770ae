// Pieces of URL parsing the schemes share (internal to stash_open).
#ifndef STASH_IMPL_OPEN_SRC_URL_PARTS_H_
#define STASH_IMPL_OPEN_SRC_URL_PARTS_H_

#include <map>
#include <string>
#include <string_view>

#include "stash/error.h"

namespace stash::url {

// `location` split at its first '?': the part before, and key=value options
// after (joined by '&'; each key once; values percent-decoded).
struct PathAndOptions {
  std::string path;
  std::map<std::string, std::string, std::less<>> options;
};
// Errors: kInvalidArgument naming `url` for an option without '=', an empty
// key, a key given twice, or a bad %-escape.
Result<PathAndOptions> split_options(std::string_view url, std::string_view location);

// A whole decimal number in [min, max] for option `key` of `url`.
Result<int> int_option(std::string_view url, std::string_view key, std::string_view value,
                       int min, int max);

// Decodes %XX escapes. Errors: kInvalidArgument for a truncated or non-hex one.
Result<std::string> percent_decode(std::string_view url, std::string_view text);

// The libpq conninfo of a postgres: location, with the stash's own options
// (schema=..., statement_timeout_ms=...) taken out of it. Keyword form:
// whitespace-separated key=value words, values optionally 'quoted' with
// backslash escapes (libpq's rules); URI form: postgres[ql]://...?k=v&k=v.
struct PostgresDsn {
  std::string conninfo;
  std::map<std::string, std::string, std::less<>> stash_options;
};
// Errors: kInvalidArgument for an unterminated quote, a word without '=',
// an empty DSN, or a stash option given twice.
Result<PostgresDsn> split_postgres_dsn(std::string_view url, std::string_view dsn);

}  // namespace stash::url

#endif  // STASH_IMPL_OPEN_SRC_URL_PARTS_H_
