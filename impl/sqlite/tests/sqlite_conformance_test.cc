// The whole conformance kit against SqliteStash, each store a temporary file:
// scenarios, properties, the stateful model comparison, reopen/durability and
// fencing (SqliteHarness declares all three capabilities).
//
// The stores run with synchronous=OFF: the kit checks semantics, and its
// reopen checks close the store first, which loses nothing without fsync.
// Durability against power loss is sqlite_power_loss_test's job; with the
// default (FULL) the kit's hundreds of commits per check cost minutes of
// fsync. `stash check sqlite:DIR` runs the kit with the default options.
#include <memory>

#include "stash/conformance_gtest.h"
#include "stash/sqlite_harness.h"

namespace {

std::unique_ptr<stash::conformance::Harness> make_harness() {
  return std::make_unique<stash::SqliteHarness>("", "synchronous=off");
}

}  // namespace

STASH_INSTANTIATE_CONFORMANCE(Sqlite, make_harness);
