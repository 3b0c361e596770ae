// How a backend plugs into `stash check URL` (stash/harnesses.h): beside its
// OpenScheme (impl/open/src/scheme.h), each backend's folder has
// scheme/harness_scheme.cc, which defines one HarnessScheme with
// STASH_HARNESS_SCHEME(name). The same one line in impl/open/CMakeLists.txt,
// stash_backend(name ...), compiles it into stash_harnesses and generates
// the table all() returns (harness_schemes.cc in the build tree).
#ifndef STASH_IMPL_OPEN_TESTING_SRC_HARNESS_SCHEME_H_
#define STASH_IMPL_OPEN_TESTING_SRC_HARNESS_SCHEME_H_

#include <span>
#include <string>
#include <string_view>

#include "stash/conformance.h"
#include "stash/error.h"

namespace stash::conformance::harness_scheme {

// The factory of harnesses for `url` (the scheme is this one; `location` is
// what follows the first ':').
using MakeFactory = Result<HarnessFactory> (*)(const std::string& url,
                                               const std::string& location);

struct HarnessScheme {
  std::string_view name;
  std::string_view usage;  // for `stash check --help`
  MakeFactory make;
};

// Every registered scheme whose backend is built, in registration order
// (generated).
std::span<const HarnessScheme* const> all();

// kInvalidArgument: "\"URL\": WHY".
inline Error bad(const std::string& url, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, "\"" + url + "\": " + why);
}

}  // namespace stash::conformance::harness_scheme

// Defines the registered harness scheme `name` (as STASH_OPEN_SCHEME).
#define STASH_HARNESS_SCHEME(name)                                     \
  namespace stash::conformance::harness_scheme::registered {           \
  extern const HarnessScheme name;                                     \
  }                                                                    \
  const ::stash::conformance::harness_scheme::HarnessScheme            \
      stash::conformance::harness_scheme::registered::name

#endif  // STASH_IMPL_OPEN_TESTING_SRC_HARNESS_SCHEME_H_
