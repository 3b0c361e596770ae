// The mutating calls of a stash as values: what one log record holds.
//
// Each acknowledged mutating call of a durable MemoryStash becomes one
// command, appended to the log after the model accepted it; recovery applies
// the logged commands to the model in order. seal_batch and compact_batch
// reach the model as one append (stash.cc), so they are logged as Append.
// consolidate is not logged: it changes no read, and a snapshot stores
// whichever form the model holds.
#ifndef STASH_DURABLE_MEMORY_COMMAND_H_
#define STASH_DURABLE_MEMORY_COMMAND_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "stash/error.h"
#include "stash/frontier.h"
#include "stash/stash.h"
#include "stash/update.h"

namespace stash::durable {

// collection(name) created a new collection with handle id `id`.
struct CreateCollection {
  std::int64_t id = 0;
  std::string name;
  friend bool operator==(const CreateCollection&, const CreateCollection&) = default;
};
struct UpdateMany {
  CollectionHandle collection;
  std::vector<Update> entries;
  friend bool operator==(const UpdateMany&, const UpdateMany&) = default;
};
struct Seal {
  CollectionHandle collection;
  Frontier upper;
  friend bool operator==(const Seal&, const Seal&) = default;
};
struct Compact {
  CollectionHandle collection;
  Frontier since;
  friend bool operator==(const Compact&, const Compact&) = default;
};
struct Append {
  std::vector<AppendBatch> batches;
  friend bool operator==(const Append&, const Append&);
};

using Command = std::variant<CreateCollection, UpdateMany, Seal, Compact, Append>;

// The record payload of `command` (docs/durable-format.md, "Grammar": the
// `command` rule).
std::string encode_command(const Command& command);
// The command whose payload is exactly `payload`. Errors: kCorruption
// saying what is wrong (the caller adds the file and offset).
Result<Command> decode_command(std::string_view payload);

// Applies `command` to `model` through the Stash interface, so replay
// checks every rule again. Errors: whatever the model returns (a logged
// command always succeeded once, so on replay any error means corruption),
// kCorruption if a CreateCollection's id is not the one the model issues.
Status apply(const Command& command, Stash& model);

// `Seal(c1, {5})`, for test failure messages.
std::ostream& operator<<(std::ostream& os, const Command& command);

}  // namespace stash::durable

#endif  // STASH_DURABLE_MEMORY_COMMAND_H_
