// The operations the kit issues, as plain values: one struct per API call of
// stash.h, plus the two harness events (reopen, open another Stash object).
//
// Collections are named by index into the case's alphabet of names (printed
// "c0", "c1", ...; the names themselves are adversarial byte strings, see
// generators.h), never by handle: each World keeps every handle its Stash
// objects issued and routes each call through one of them (Op::pick). The
// index kBogus stands for a handle that no object ever issued.
#ifndef STASH_PROPERTIES_SRC_OPS_H_
#define STASH_PROPERTIES_SRC_OPS_H_

#include <optional>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "stash/frontier.h"
#include "stash/update.h"

namespace stash::conformance::internal {

// A collection named by index into the case's names; kBogus is a handle no
// Stash object issued (expect kNotFound).
using CollRef = int;
inline constexpr CollRef kBogus = -1;

// "c0", "c1", ...: the plain names, used when a check does not draw its own.
std::string collection_name(CollRef c);
std::vector<std::string> plain_names(int n);
extern const char* const kInvalidName;
// One name per class of invalid UTF-8 (overlong, surrogate, past U+10FFFF,
// truncated, stray continuation, bytes never valid): each is kInvalidArgument.
const std::vector<std::string>& invalid_names();

struct CollectionOp { std::string name; };
struct UpdateOp { CollRef c; Update entry; };
struct UpdateManyOp { CollRef c; std::vector<Update> entries; };
struct SealOp { CollRef c; Frontier frontier; };
struct CompactOp { CollRef c; Frontier frontier; };
struct ConsolidateOp { CollRef c; };
struct FrontierRequestRef { CollRef c; Frontier frontier; };
struct SealBatchOp { std::vector<FrontierRequestRef> requests; };
struct CompactBatchOp { std::vector<FrontierRequestRef> requests; };
struct ConsolidateBatchOp { std::vector<CollRef> collections; };
struct AppendBatchRef {
  CollRef c;
  Frontier lower;
  Frontier upper;
  std::optional<Frontier> since;
  std::vector<Update> entries;
};
struct AppendOp { std::vector<AppendBatchRef> batches; };
struct IterOp { CollRef c; };
struct IterKeyOp { CollRef c; Bytes key; };
struct SinceOp { CollRef c; };
struct UpperOp { CollRef c; };
struct PeekTimestampOp { CollRef c; };
struct PeekOp { CollRef c; };
struct PeekOneOp { CollRef c; };
struct PeekKeyOneOp { CollRef c; Bytes key; };
// Harness events: destroy every Stash object and reopen the store (durable);
// open one more Stash object on the store (several_handles).
struct ReopenOp {};
struct OpenAnotherOp {};
// Stash::collections(): the names listed (handles checked, not compared).
struct CollectionsOp {};

using Call = std::variant<CollectionOp, UpdateOp, UpdateManyOp, SealOp, CompactOp,
                          ConsolidateOp, SealBatchOp, CompactBatchOp,
                          ConsolidateBatchOp, AppendOp, IterOp, IterKeyOp, SinceOp,
                          UpperOp, PeekTimestampOp, PeekOp, PeekOneOp, PeekKeyOneOp,
                          ReopenOp, OpenAnotherOp, CollectionsOp>;

// One step: a call issued through Stash object number `stash`. `pick`
// chooses which of the handles issued for each collection the call uses
// (modulo how many there are): every handle issued by `stash`, and, on
// several_handles backends, by every other open object of the store too.
struct Op {
  int stash = 0;
  Call call;
  unsigned pick = 0;
};

// The operation's name as in stash.h: "update_many", "seal", ..., "reopen".
std::string op_name(const Call& call);
// Every name op_name can return, in a fixed order.
const std::vector<std::string>& all_op_names();

// Readable, as in a counterexample: `Update(c1, (k0, v1), 2, -1)`; calls
// through a second Stash object are prefixed `s1.`.
std::string to_string(const Op& op);
std::ostream& operator<<(std::ostream& os, const Op& op);

// Collections an op writes to or reads (for coverage and invariants).
std::vector<CollRef> touched(const Call& call);

}  // namespace stash::conformance::internal

#endif  // STASH_PROPERTIES_SRC_OPS_H_
