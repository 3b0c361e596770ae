// The plain data a stash stores and returns, at the byte level.
//
// Keys and values are byte strings. Their order is the unsigned lexicographic
// order of the bytes (std::string's order), which the codecs of codec.h make
// equal to the order of the typed keys and values they encode.
#ifndef STASH_UPDATE_H_
#define STASH_UPDATE_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "stash/frontier.h"

namespace stash {

// A byte string. std::string compares as unsigned bytes, which is the order
// every backend sorts keys and values by.
using Bytes = std::string;

// Identifies one collection inside one stash. Handles are cheap values; many
// handles to the same collection may be used at once. A handle is meaningful
// only to the stash (or the store it opened) that issued it.
struct CollectionHandle {
  std::int64_t id = 0;
  friend auto operator<=>(const CollectionHandle&, const CollectionHandle&) = default;
};

// One update ((key, value), time, diff) of a collection's multiset.
struct Update {
  Bytes key;
  Bytes value;
  Timestamp time = 0;
  Diff diff = 0;
  friend auto operator<=>(const Update&, const Update&) = default;
};

// One update of a single key, as iter_key returns it.
struct ValueUpdate {
  Bytes value;
  Timestamp time = 0;
  Diff diff = 0;
  friend auto operator<=>(const ValueUpdate&, const ValueUpdate&) = default;
};

// One (key, value) with its total multiplicity at the peek timestamp.
struct PeekEntry {
  Bytes key;
  Bytes value;
  Diff diff = 0;
  friend auto operator<=>(const PeekEntry&, const PeekEntry&) = default;
};

// One element of an atomic multi-collection append (see Stash::append).
struct AppendBatch {
  CollectionHandle collection;
  // Must equal the collection's current upper, or the whole append fails.
  Frontier lower;
  // The collection is sealed to this frontier after the entries are added.
  Frontier upper;
  // If set, the collection is then compacted to this frontier.
  std::optional<Frontier> since;
  // Each entry's time must be at or beyond `lower`.
  std::vector<Update> entries;
};

// One collection of a stash, as Stash::collections() lists it.
struct NamedCollection {
  std::string name;
  CollectionHandle handle;
  friend auto operator<=>(const NamedCollection&, const NamedCollection&) = default;
};

// A collection handle paired with a target frontier, for seal_batch and
// compact_batch.
struct FrontierRequest {
  CollectionHandle collection;
  Frontier frontier;
};

// Readable forms for test failure messages: `(k0, v1) @2 -1`. Bytes that are
// not printable ASCII are shown as \xNN.
std::string printable(const Bytes& bytes);
std::ostream& operator<<(std::ostream& os, const CollectionHandle& c);
std::ostream& operator<<(std::ostream& os, const Update& u);
std::ostream& operator<<(std::ostream& os, const ValueUpdate& u);
std::ostream& operator<<(std::ostream& os, const PeekEntry& e);
std::ostream& operator<<(std::ostream& os, const NamedCollection& c);  // name only

}  // namespace stash

#endif  // STASH_UPDATE_H_
