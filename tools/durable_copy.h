// A consistent copy of a durable MemoryStash directory, taken while another
// process may be writing it (and holding its LOCK).
//
// The store is SNAPSHOT plus LOG (docs/durable-format.md); LOG only grows
// between snapshots, and a torn record at its end is dropped on recovery, so
// a copy of SNAPSHOT followed by a copy of LOG recovers the state after some
// prefix of the acknowledged calls: a consistent cut across collections. The
// only race is a snapshot rotation between the two copies (a newer LOG with
// an older SNAPSHOT); the copy is then retried.
#ifndef STASH_TOOLS_DURABLE_COPY_H_
#define STASH_TOOLS_DURABLE_COPY_H_

#include <memory>
#include <string>

#include "stash/durable_memory_stash.h"
#include "stash/error.h"

namespace stash::tools {

// Copies the store in `from` into the new directory `to` (replaced if it
// exists) and returns the copy, opened (recovery checked every checksum and
// replayed the log). Errors: kNotFound if `from` holds no
// store; kCorruption if it does not check out (the message names the file
// and offset); kIoError; kUnavailable if every attempt raced a rotation.
// On failure `to` is removed.
Result<std::unique_ptr<DurableMemoryStash>> copy_durable_store(const std::string& from,
                                                              const std::string& to);

// A fresh private directory under $TMPDIR, for a copy; removed by the caller.
Result<std::string> make_temp_dir(const std::string& prefix);
void remove_tree(const std::string& dir);

}  // namespace stash::tools

#endif  // STASH_TOOLS_DURABLE_COPY_H_
