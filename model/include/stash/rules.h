// The frontier rules of the spec as functions, shared by every backend so that
// each documented failure is detected the same way and reported with the same
// code and the same facts (docs/spec.md, "Errors").
//
// Each check returns ok, or the exact Error the operation must return. They
// read no state: the caller passes the frontiers it holds under its own
// snapshot or transaction.
#ifndef STASH_RULES_H_
#define STASH_RULES_H_

#include <string_view>

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

// collection: names are arbitrary UTF-8 strings.
Status check_collection_name(std::string_view name);

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
