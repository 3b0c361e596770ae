// Timestamps, diffs and frontiers.
#ifndef STASH_FRONTIER_H_
#define STASH_FRONTIER_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace stash {

// A logical time. Any int64 is a valid time.
using Timestamp = std::int64_t;

// A multiplicity change. Any int64 is a valid diff, including 0 and negatives.
using Diff = std::int64_t;

// A frontier over the totally ordered timestamps: either one time `{t}` or
// no time at all, `{}`.
//
// `{}` is the top element. As an upper it means "no time will ever be written
// again"; as a since it means "nothing is readable any more".
//
// The order is the antichain order "A is not after B": `{a} <= {b}` iff
// `a <= b`; `{a} <= {}` for every a; `{} <= {}`. Over a total order of times
// that partial order is total, so frontiers compare with the usual operators.
class Frontier {
 public:
  // The frontier `{0}`, where every new collection starts (spec INV-1).
  Frontier() : Frontier(0) {}
  // The frontier `{t}`.
  explicit Frontier(Timestamp t) : element_(t) {}
  // The frontier `{}`.
  static Frontier empty() { return Frontier(std::nullopt); }
  // The frontier `{t}`; reads better than the constructor at call sites.
  static Frontier at(Timestamp t) { return Frontier(t); }

  bool is_empty() const { return !element_.has_value(); }
  // The single element, or nullopt for `{}`.
  std::optional<Timestamp> element() const { return element_; }

  // True iff time `t` is at or beyond this frontier: some element is <= t.
  // Always false for `{}`.
  bool less_equal(Timestamp t) const { return element_ && *element_ <= t; }

  // "{3}", "{}", "{-9223372036854775808}".
  std::string to_string() const;

  friend bool operator==(const Frontier&, const Frontier&) = default;
  friend std::strong_ordering operator<=>(const Frontier& a, const Frontier& b);

 private:
  explicit Frontier(std::optional<Timestamp> element) : element_(element) {}
  std::optional<Timestamp> element_;
};

std::ostream& operator<<(std::ostream& os, const Frontier& f);

}  // namespace stash

#endif  // STASH_FRONTIER_H_
