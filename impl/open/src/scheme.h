// How a backend plugs into stash::open. Each backend's folder has
// scheme/open_scheme.cc, which defines one OpenScheme with
// STASH_OPEN_SCHEME(name), and impl/open/CMakeLists.txt registers it with one
// line, stash_backend(name ...), which compiles that file into stash_open and
// generates the table all() returns (open_schemes.cc in the build tree).
// Internal to stash_open: the scheme files include it, nothing installs it.
#ifndef STASH_IMPL_OPEN_SRC_SCHEME_H_
#define STASH_IMPL_OPEN_SRC_SCHEME_H_

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "stash/open.h"

namespace stash::open_scheme {

// Opens `url`, whose scheme is this one; `location` is what follows the
// first ':'. The URL's general shape (scheme, whitespace, control
// characters) was checked already.
using Opener = Result<std::unique_ptr<Stash>> (*)(std::string_view url,
                                                  std::string_view location,
                                                  const OpenOptions& options);

struct OpenScheme {
  SchemeInfo info;
  Opener open;                  // nullptr when the backend is not built in
  std::string_view build_flag;  // what left it out, for the error message
};

// Every registered scheme, in registration order (generated).
std::span<const OpenScheme* const> all();

// kInvalidArgument: "\"URL\": WHY".
Error bad(std::string_view url, const std::string& why);

template <typename T>
Result<std::unique_ptr<Stash>> as_stash(Result<std::unique_ptr<T>> opened) {
  if (!opened) return std::unexpected(opened.error());
  return std::unique_ptr<Stash>(std::move(*opened));
}

}  // namespace stash::open_scheme

// Defines the registered scheme `name` (an identifier, the scheme's name):
//   STASH_OPEN_SCHEME(sqlite){{"sqlite", "sqlite:PATH   ...", true}, open_sqlite, ""};
#define STASH_OPEN_SCHEME(name)                                              \
  namespace stash::open_scheme::registered {                                 \
  extern const OpenScheme name;                                              \
  }                                                                          \
  const ::stash::open_scheme::OpenScheme stash::open_scheme::registered::name

#endif  // STASH_IMPL_OPEN_SRC_SCHEME_H_
