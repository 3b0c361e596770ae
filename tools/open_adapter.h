// How the commands open a store: stash::open (stash/open.h), except that a
// read-only open of a durable directory (memory:DIR) reads a private copy of
// it. The copy is what makes `stash ls/dump/verify/backup memory:DIR` work
// while the process that owns the directory keeps it locked and writing;
// the original is never touched.
#ifndef STASH_TOOLS_OPEN_ADAPTER_H_
#define STASH_TOOLS_OPEN_ADAPTER_H_

#include <memory>
#include <string_view>

#include "stash/open.h"
#include "stash/stash.h"

namespace stash::tools {

// Errors: as stash::open; for a read-only memory:DIR, those of copying the
// directory (kNotFound if it holds no store, kIoError, kCorruption).
Result<std::unique_ptr<Stash>> open_url(std::string_view url, const OpenOptions& options = {});

}  // namespace stash::tools

#endif  // STASH_TOOLS_OPEN_ADAPTER_H_
