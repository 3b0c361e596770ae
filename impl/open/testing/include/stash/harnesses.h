// The conformance kit's Harness for any store URL stash::open knows: what
// `stash check URL` runs the kit on. The URL names where to make stores, so
// for the file backends its location is a directory, not one store:
//
//   memory:       a new MemoryStash per store (stash/memory_harness.h)
//   memory:DIR    a DurableMemoryStash per store, each a new directory under
//                 DIR, removed afterwards (stash/durable_memory_harness.h)
//   sqlite:[DIR]  a new SQLite stash file per store under DIR, default
//                 options; without DIR a temporary directory
//                 (stash/sqlite_harness.h)
//   postgres:DSN  a schema per store on the database of libpq connection
//                 string DSN, dropped afterwards (stash/postgres_harness.h)
//   etcd:H:P,...[/BASE]  a key prefix per store under /BASE/ on the etcd
//                 cluster at H:P,..., deleted afterwards (stash/etcd_harness.h)
//
// One table (harnesses.cc) maps each scheme to its backend's harness;
// adding a backend adds one entry there and one in stash::open's table.
#ifndef STASH_HARNESSES_H_
#define STASH_HARNESSES_H_

#include <string>
#include <string_view>

#include "stash/conformance.h"
#include "stash/error.h"

namespace stash::conformance {

// The backend to run the kit on for `url`, named by the URL. Errors:
// kInvalidArgument for a malformed URL or unknown scheme (as stash::open);
// kUnavailable if the scheme's backend is not in this build.
Result<Backend> backend_for_url(std::string_view url);

// One line per scheme, for `stash check --help`.
std::string harness_usage();

}  // namespace stash::conformance

#endif  // STASH_HARNESSES_H_
