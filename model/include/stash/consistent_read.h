// ConsistentReader: every collection of a store, read as of one moment.
//
// Through the Stash interface alone a reader sees one collection at a time
// (tools read since, upper, iter, then the frontiers again until they held
// still), so a copy of a store that is being written is consistent per
// collection but not across collections: an atomic append to two
// collections can be in the copy of one and missing from the other's. A
// backend that can read everything in one snapshot (one database
// transaction, one hold of its lock) also implements ConsistentReader;
// `stash export` and `stash backup` find it with dynamic_cast and then copy
// a cut of the whole store. Implementing it is optional and changes no
// Stash contract. PostgresStash (one read transaction) and MemoryStash (one
// hold of its lock) implement it; the kit's concurrent area checks any
// backend that does (properties/src/read_all.cc).
#ifndef STASH_CONSISTENT_READ_H_
#define STASH_CONSISTENT_READ_H_

#include <vector>

#include "stash/error.h"
#include "stash/stash.h"

namespace stash {

// One collection as read_all returns it.
struct CollectionContents {
  NamedCollection collection;
  Frontier since;
  Frontier upper;
  // What iter returns (times advanced to since, consolidated, sorted);
  // empty when since is {} (nothing is readable any more).
  std::vector<Update> updates;
};

class ConsistentReader {
 public:
  virtual ~ConsistentReader() = default;

  // Every collection, in collections() order, with its frontiers and
  // contents, all as of one moment: the state after some prefix of the
  // store's acknowledged calls, each call wholly in it or wholly not.
  // Changes nothing (works on a read-only open).
  // Errors: kOutOfRange if a consolidated diff does not fit in int64 (as
  // iter); the backend's general errors (kUnavailable, kFenced, ...).
  virtual Result<std::vector<CollectionContents>> read_all() = 0;
};

}  // namespace stash

#endif  // STASH_CONSISTENT_READ_H_
