// `stash check sqlite:[DIR]` (registered in impl/open/CMakeLists.txt).
#include "harness_scheme.h"
#include "stash/sqlite_harness.h"

namespace {

using stash::conformance::HarnessFactory;
using stash::conformance::harness_scheme::bad;

stash::Result<HarnessFactory> sqlite_harnesses(const std::string& url,
                                               const std::string& location) {
  if (location.find('?') != std::string::npos) {
    return std::unexpected(bad(url, "stash check sqlite:DIR takes no options"));
  }
  return HarnessFactory(
      [location] { return std::make_unique<stash::SqliteHarness>(location); });
}

}  // namespace

STASH_HARNESS_SCHEME(sqlite){"sqlite",
                             "sqlite:[DIR]     a new SQLite stash file per store under DIR "
                             "(default: a temporary directory)",
                             sqlite_harnesses};
