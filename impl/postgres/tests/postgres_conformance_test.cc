// The whole conformance kit against PostgresStash, reopen and fencing
// included: each store is a fresh schema on the test server, dropped when
// the test program ends (stash/postgres_harness.h).
//
// Every case opens stores over the network, so by default the randomized
// areas run 30 cases and the exhaustive checker depth 1 (depth 2 is
// about 5000 stores: minutes); RC_PARAMS and
// STASH_EXHAUSTIVE_DEPTH set by the caller win (see main()).
#include <cstdlib>

#include "pg_test_util.h"
#include "stash/conformance_gtest.h"
#include "stash/postgres_harness.h"

STASH_INSTANTIATE_CONFORMANCE(Postgres,
                              stash::PostgresHarness::factory(stash::testing::server_url()));

int main(int argc, char** argv) {
  // Keep the default run within the project's time budget; RC_PARAMS set by
  // the caller wins.
  setenv("RC_PARAMS", "max_success=30", /*overwrite=*/0);
  setenv("STASH_EXHAUSTIVE_DEPTH", "1", /*overwrite=*/0);
  return stash::testing::run_postgres_tests(argc, argv, {"STASH_TEST_POSTGRES_URL"});
}
