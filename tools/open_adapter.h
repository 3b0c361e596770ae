// TEMPORARY: the agreed stash::open API (stash/open.h, target stash_open,
// issue #13), written here so the commands can be built before it lands.
// Delete this file and include "stash/open.h" once main has it.
//
//   memory:        a fresh, empty MemoryStash
//   memory:DIR     the DurableMemoryStash in directory DIR
//   sqlite:PATH    the SqliteStash in file PATH
//   postgres:DSN   the PostgresStash in libpq conninfo DSN (schema "stash")
#ifndef STASH_TOOLS_OPEN_ADAPTER_H_
#define STASH_TOOLS_OPEN_ADAPTER_H_

#include <memory>
#include <string_view>

#include "stash/stash.h"

namespace stash {

struct OpenOptions {
  // Open for reading only: writes fail with kInvalidArgument, the store must
  // exist, nothing in it is changed, and a store another process is writing
  // can be read.
  bool read_only = false;
};

// Errors: kInvalidArgument for an unknown scheme or a malformed URL; else
// whatever the backend's open returns.
Result<std::unique_ptr<Stash>> open(std::string_view url, const OpenOptions& options = {});

}  // namespace stash

#endif  // STASH_TOOLS_OPEN_ADAPTER_H_
