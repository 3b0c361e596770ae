// A linearizability checker for concurrent histories of Stash calls, with
// MemoryStash as the sequential model.
//
// A history is linearizable if some total order of its calls (1) respects
// real time: a call that returned before another was invoked comes first,
// and (2) makes a fresh MemoryStash, running the calls in that order, return
// exactly the recorded result of every call (error codes included: an error
// is a result and must be explained too).
//
// The search is Wing and Gong's, with the improvements Porcupine and Knossos
// use:
//   - P-compositionality: calls on disjoint sets of collections commute, so
//     the history is split into partitions (a call naming several collections,
//     e.g. append or seal_batch, joins theirs) and each is checked alone. A
//     history with an open_another (which fences every older object, on every
//     collection) is one partition;
//   - memoisation: a (set of calls already linearized, model state) pair seen
//     once is never explored again;
//   - a bound on work (model calls): hitting it gives kUnknown, never ok.
// A non-linearizable history is explained by a short counterexample: the
// calls of the failing partition that still fail without the others (reads
// and failed calls are dropped while the rest stays non-linearizable), per
// thread with their time intervals, the longest order the model explains and
// what the model would have answered to every call that could come next.
//
// Independent of googletest and RapidCheck.
#ifndef STASH_PROPERTIES_SRC_LINEARIZABILITY_H_
#define STASH_PROPERTIES_SRC_LINEARIZABILITY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ops.h"
#include "world.h"

namespace stash::conformance::internal {

// One call of a concurrent history. `op.stash` is the Stash object it went
// through (object 0 is the first opened, later ones were opened after it).
struct CallRecord {
  int thread = 0;
  Op op;
  Answer answer;
  // Steady clock, nanoseconds since any common origin; invoked <= returned.
  std::int64_t invoked = 0;
  std::int64_t returned = 0;
};
using History = std::vector<CallRecord>;

struct CheckerOptions {
  // Stash objects open before the first call (object i was opened after
  // object i - 1). With `fencing`, opening an object fences every older one,
  // so objects 0 .. objects-2 start fenced.
  int objects = 1;
  bool fencing = false;
  // Model calls allowed for the whole check, minimisation included.
  std::uint64_t max_steps = 200'000;
};

enum class Verdict { kLinearizable, kNotLinearizable, kUnknown };
const char* to_string(Verdict v);  // "linearizable", "NOT linearizable", "unknown"

struct CheckerResult {
  Verdict verdict = Verdict::kUnknown;
  // kNotLinearizable: the counterexample; kUnknown: which partition hit the
  // bound; kLinearizable: empty.
  std::string explanation;
  std::uint64_t steps = 0;  // model calls made
  int partitions = 0;
};

CheckerResult check_linearizable(const History& history, const CheckerOptions& options);

// Runs the calls one at a time, in the given order, against a fresh model
// and returns the first call (index into `history`) whose recorded answer
// differs from the model's, or -1. For histories that are sequential by
// construction (and to tell an indistinguishable corruption from a real one).
int first_sequential_mismatch(const History& history, const CheckerOptions& options);

// Every call, one line each, ordered by invocation:
// "t1 s0 [12.5 us, 20.1 us] Seal(c0, {3}) -> ok".
std::string show(const History& history);

}  // namespace stash::conformance::internal

#endif  // STASH_PROPERTIES_SRC_LINEARIZABILITY_H_
