// Reading a whole collection through the Stash interface, as the commands
// need it: its frontiers and its updates from one consistent moment.
#ifndef STASH_TOOLS_STORE_READER_H_
#define STASH_TOOLS_STORE_READER_H_

#include <optional>
#include <string>
#include <vector>

#include "stash/consistent_read.h"
#include "stash/stash.h"

namespace stash::tools {

// A collection's frontiers and what iter returns (stash/consistent_read.h).
using CollectionState = CollectionContents;

// Reads `c`: since and upper, then iter, then since and upper again, until
// the frontiers did not move during the read (a writer may be working), so
// the three belong together. Errors: as iter (kOutOfRange if a consolidated
// diff does not fit), since and upper; kUnavailable if the frontiers kept
// moving for 100 attempts.
Result<CollectionState> read_collection(Stash& stash, const NamedCollection& c);

// Every collection (collections() order), or only the one named `only`.
// When the backend is a ConsistentReader, all of them come from its one
// snapshot (a cut across collections); otherwise each is a read_collection,
// consistent by itself. Errors: as read_collection or read_all; kNotFound if
// `only` names no collection.
Result<std::vector<CollectionState>> read_store(Stash& stash,
                                                const std::optional<std::string>& only);

// "{3}" or "{}", as the frontier is written everywhere.
std::string frontier_text(const Frontier& f);

}  // namespace stash::tools

#endif  // STASH_TOOLS_STORE_READER_H_
