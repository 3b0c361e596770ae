// Exact sums of diffs. A sum of int64 diffs can leave the int64 range even when
// every result a reader sees fits (e.g. MAX + 1 - 1), so sums are kept in 128
// bits and narrowed only when a read must return them. 2^64 updates of
// INT64_MAX would be needed to overflow 128 bits.
#ifndef STASH_MODEL_SRC_EXACT_DIFF_H_
#define STASH_MODEL_SRC_EXACT_DIFF_H_

#include "stash/exact_diff.h"

namespace stash::internal {

using stash::ExactDiff;
using stash::fits_in_diff;

}  // namespace stash::internal

#endif  // STASH_MODEL_SRC_EXACT_DIFF_H_
