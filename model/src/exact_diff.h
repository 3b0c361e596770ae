// Exact sums of diffs. A sum of int64 diffs can leave the int64 range even when
// every result a reader sees fits (e.g. MAX + 1 - 1), so sums are kept in 128
// bits and narrowed only when a read must return them. 2^64 updates of
// INT64_MAX would be needed to overflow 128 bits.
#ifndef STASH_MODEL_SRC_EXACT_DIFF_H_
#define STASH_MODEL_SRC_EXACT_DIFF_H_

#include <limits>
#include <optional>

#include "stash/frontier.h"

namespace stash::internal {

__extension__ typedef __int128 ExactDiff;

inline bool fits_in_diff(ExactDiff d) {
  return d >= std::numeric_limits<Diff>::min() &&
         d <= std::numeric_limits<Diff>::max();
}

}  // namespace stash::internal

#endif  // STASH_MODEL_SRC_EXACT_DIFF_H_
