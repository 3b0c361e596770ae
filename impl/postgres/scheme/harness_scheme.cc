// `stash check postgres:DSN` (registered in impl/open/CMakeLists.txt).
#include "harness_scheme.h"
#include "stash/postgres_harness.h"

namespace {

using stash::conformance::HarnessFactory;
using stash::conformance::harness_scheme::bad;

stash::Result<HarnessFactory> postgres_harnesses(const std::string& url,
                                                 const std::string& location) {
  if (location.empty()) {
    return std::unexpected(bad(url, "postgres: needs a libpq connection string, e.g. "
                                    "\"postgres:host=/tmp dbname=postgres\""));
  }
  // "postgres://user@host/db" arrives as location "//user@host/db".
  std::string conninfo = location.starts_with("//") ? "postgres:" + location : location;
  return stash::PostgresHarness::factory(std::move(conninfo));
}

}  // namespace

STASH_HARNESS_SCHEME(postgres){"postgres",
                               "postgres:DSN     a new schema per store on the PostgreSQL "
                               "database of libpq conninfo DSN",
                               postgres_harnesses};
