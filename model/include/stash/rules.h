// The frontier rules of the spec as functions, shared by every backend so that
// each documented failure is detected the same way and reported with the same
// code and the same facts (docs/spec.md, "Errors").
//
// Each check returns ok, or the exact Error the operation must return. They
// read no state: the caller passes the frontiers it holds under its own
// snapshot or transaction.
#ifndef STASH_RULES_H_
#define STASH_RULES_H_

#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "stash/error.h"
#include "stash/frontier.h"
#include "stash/update.h"

namespace stash::rules {

// update_many: `time` must be at or beyond `upper`.
Status check_update_time(Timestamp time, const Frontier& upper);

// seal: `new_upper` must not be before `upper`.
Status check_seal(const Frontier& upper, const Frontier& new_upper);

// compact: `new_since` must not be beyond `upper` (checked first), nor before
// `since`.
Status check_compact(const Frontier& since, const Frontier& upper,
                     const Frontier& new_since);

// iter, iter_key: since must not be {}.
Status check_readable(const Frontier& since);

// peek_timestamp: upper must be beyond since. Returns the peek timestamp:
// u - 1 for upper {u}, INT64_MAX for upper {}.
Result<Timestamp> peek_timestamp(CollectionHandle c, const Frontier& since,
                                 const Frontier& upper);

// append: a batch's `lower` must equal the collection's current upper.
Status check_lower(CollectionHandle c, const Frontier& upper,
                   const Frontier& lower);

// append: one batch, checked against the frontiers `since` and `upper` its
// collection has after the earlier batches of the same call, in the spec's
// order: lower (check_lower), every entry's time (check_update_time), the
// new upper (check_seal), then the new since (check_compact against the new
// upper). On success `since` and `upper` are what the batch leaves; on
// failure they are unchanged. Every backend checks its batches with this, so
// that a call with several faults reports the same one everywhere.
Status check_append_batch(CollectionHandle c, const Frontier& lower,
                          std::span<const Update> entries, const Frontier& new_upper,
                          const std::optional<Frontier>& new_since, Frontier& since,
                          Frontier& upper);
inline Status check_append_batch(const AppendBatch& batch, Frontier& since, Frontier& upper) {
  return check_append_batch(batch.collection, batch.lower, batch.entries, batch.upper,
                            batch.since, since, upper);
}

// collection: names are arbitrary UTF-8 strings.
Status check_collection_name(std::string_view name);

// The peeks, computed from what iter / iter_key returned at the same
// snapshot, so that every backend derives them the same way:
//
// peek: `updates` as iter returns them (sorted by (key, value, time)); the
// sums of the diffs at times <= ts per (key, value), zero sums dropped.
// Fails with kOutOfRange if a sum does not fit.
Result<std::vector<PeekEntry>> peek_of(CollectionHandle c, std::span<const Update> updates,
                                       Timestamp ts);
// peek_one: `entries` as peek returns them, as a map. Fails with
// kMultiplicity for the first entry whose diff is not 1 or whose key repeats.
Result<std::map<Bytes, Bytes>> peek_one_of(CollectionHandle c, std::vector<PeekEntry> entries);
// peek_key_one: `updates` as iter_key returns them (sorted by (value,
// time)); the one value whose sealed sum is non-zero, or nullopt. Fails with
// kOutOfRange if a sum does not fit, then kMultiplicity if two values have
// non-zero sums or the one sum is not 1.
Result<std::optional<Bytes>> peek_key_one_of(CollectionHandle c,
                                             std::span<const ValueUpdate> updates, Timestamp ts);

// The peek_one / peek_key_one failures.
Error unexpected_peek_multiplicity(CollectionHandle c);
Error duplicate_peek_keys(CollectionHandle c);
Error multiple_values_unexpected(CollectionHandle c);

// A diff whose exact sum does not fit in int64.
Error diff_out_of_range(CollectionHandle c);

// A handle this stash did not issue.
Error unknown_collection(CollectionHandle c);

}  // namespace stash::rules

#endif  // STASH_RULES_H_
