// Reading a whole collection through the Stash interface, as the commands
// need it: its frontiers and its updates from one consistent moment.
#ifndef STASH_TOOLS_STORE_READER_H_
#define STASH_TOOLS_STORE_READER_H_

#include <optional>
#include <string>
#include <vector>

#include "stash/stash.h"

namespace stash::tools {

struct CollectionState {
  NamedCollection collection;
  Frontier since;
  Frontier upper;
  // What iter returns (times advanced to since, consolidated, sorted); empty
  // when since is {} (nothing is readable any more).
  std::vector<Update> updates;
};

// Reads `c`: since and upper, then iter, then since and upper again, until
// the frontiers did not move during the read (a writer may be working), so
// the three belong together. Errors: as iter (kOutOfRange if a consolidated
// diff does not fit), since and upper; kUnavailable if the frontiers kept
// moving for 100 attempts.
Result<CollectionState> read_collection(Stash& stash, const NamedCollection& c);

// read_collection for every collection (collections() order), or only the
// one named `only`. Errors: as read_collection; kNotFound if `only` names no
// collection.
Result<std::vector<CollectionState>> read_store(Stash& stash,
                                                const std::optional<std::string>& only);

// "{3}" or "{}", as the frontier is written everywhere.
std::string frontier_text(const Frontier& f);

}  // namespace stash::tools

#endif  // STASH_TOOLS_STORE_READER_H_
