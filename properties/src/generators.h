// Random operations for the property and stateful checks.
//
// The generators aim at the edges: times and frontiers are drawn near each
// collection's current since and upper (on both sides, and {}) and now and
// then at the ends of int64; collections, keys and values come from tiny
// alphabets so that updates collide (consolidation, multiplicity errors), but
// each case draws its alphabet adversarially (gen_alphabet: empty strings,
// NUL bytes, bytes >= 0x80, keys that are prefixes of each other, lengths up
// to several KiB; names differing only in case, after a long common prefix,
// or by Unicode normalisation). Batches often carry one bad element; appends
// chain batches through the frontiers the earlier batches leave (and break
// the chain on purpose too). To do that they track each collection's
// frontiers (GenState), using the rules of rules.h; the tracking only steers
// generation, every result is judged elsewhere.
#ifndef STASH_PROPERTIES_SRC_GENERATORS_H_
#define STASH_PROPERTIES_SRC_GENERATORS_H_

#include <string>
#include <utility>
#include <vector>

#include <memory>

#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include "ops.h"
#include "stash/conformance.h"

namespace stash::conformance::internal {

// What one case writes: the names CollRefs stand for, the keys and values.
struct Alphabet {
  std::vector<std::string> names;
  std::vector<Bytes> keys;
  std::vector<Bytes> values;
};

// The plain alphabet: c0.., k0.., v0...
Alphabet plain_alphabet(int collections, int keys, int values);
// An adversarial one (see above), `collections` distinct valid UTF-8 names,
// `keys` distinct keys and `values` values.
rc::Gen<Alphabet> gen_alphabet(int collections, int keys, int values);

struct GenConfig {
  int collections = 3;  // c0..c2
  Alphabet alphabet = plain_alphabet(3, 2, 2);
  // Generate bogus handles and the non-UTF-8 collection name.
  bool invalid_handles = true;
  // Generate diffs near INT64_MAX / INT64_MIN whose sums overflow.
  bool extreme_diffs = false;
  // Draw times and frontiers at the ends of int64 now and then.
  bool extreme_times = true;
  // Largest update_many batch: the default 3, or thousands for the scale
  // checks (then about one write in six is such a batch).
  int bulk_entries = 0;
  // Generate the read operations too (the properties observe after every
  // step anyway, so they may leave them out).
  bool reads = true;
  // Generate collections() calls. The concurrent area leaves them out: which
  // collections exist also depends on the handle lookups each World makes on
  // the side (a call on c1 looks c1 up, creating it), which a history does not
  // record, so no order of the recorded calls need explain a listing.
  bool list_collections = true;
  // Which harness events to generate: reopen (durable), open_another
  // (several_handles); with fencing, opening another fences the older ones.
  Capabilities events;
  int max_objects = 3;
};

struct GenState {
  GenConfig config;
  std::vector<std::pair<Frontier, Frontier>> frontiers;  // (since, upper) per CollRef
  std::vector<bool> fenced;                              // per Stash object

  explicit GenState(const GenConfig& c);
  // Follows `op`'s effect on the frontiers and the Stash objects.
  void apply(const Op& op);
  // Whether `op` may run here: its Stash object and collections exist and
  // the harness event is one the backend supports. Shrinking relies on it.
  bool allows(const Op& op) const;
};

rc::Gen<Op> gen_op(const GenState& state);

// The RapidCheck command for one operation: the operation struct (ops.h)
// says what to call, `Sut::run(op)` runs and judges it.
template <typename Sut>
struct OpCommand : rc::state::Command<GenState, Sut> {
  explicit OpCommand(Op o) : op(std::move(o)) {}
  void checkPreconditions(const GenState& s) const override { RC_PRE(s.allows(op)); }
  void apply(GenState& s) const override { s.apply(op); }
  void run(const GenState&, Sut& sut) const override { sut.run(op); }
  void show(std::ostream& os) const override { os << op; }
  Op op;
};

// Generates one OpCommand<Sut> from the current state.
template <typename Sut>
auto gen_command(const GenState& s) {
  return rc::gen::map(gen_op(s), [](Op op) {
    return std::shared_ptr<const rc::state::Command<GenState, Sut>>(
        std::make_shared<const OpCommand<Sut>>(std::move(op)));
  });
}

}  // namespace stash::conformance::internal

#endif  // STASH_PROPERTIES_SRC_GENERATORS_H_
