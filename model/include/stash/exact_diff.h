// The exact sum of diffs, one type for every backend. A sum of int64 diffs
// can leave the int64 range even when every result a reader sees fits (e.g.
// INT64_MAX + 1 - 1), so sums are kept in 128 bits and narrowed only when a
// read must return them (kOutOfRange when they do not fit: rules.h,
// diff_out_of_range). 2^64 updates of INT64_MAX would be needed to overflow
// 128 bits.
#ifndef STASH_EXACT_DIFF_H_
#define STASH_EXACT_DIFF_H_

#include <limits>

#include "stash/frontier.h"

namespace stash {

__extension__ typedef __int128 ExactDiff;

// Its two's-complement bits, for encodings and wrapping arithmetic.
__extension__ typedef unsigned __int128 ExactDiffBits;

// Whether `d` fits in a Diff (int64), i.e. a read may return it.
inline bool fits_in_diff(ExactDiff d) {
  return d >= std::numeric_limits<Diff>::min() && d <= std::numeric_limits<Diff>::max();
}

}  // namespace stash

#endif  // STASH_EXACT_DIFF_H_
