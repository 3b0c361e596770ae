// The conformance kit: every check this project knows for the Stash contract,
// packaged so that the author of any backend can run it against their own.
//
// A backend author writes a Harness (how to make a fresh store, how to reopen
// it, what the backend can do) and either runs the kit directly:
//
//   #include "stash/conformance.h"
//   class MyHarness : public stash::conformance::Harness { ... };
//   auto report = stash::conformance::run({"MyBackend", [] { return std::make_unique<MyHarness>(); }}, {});
//   stash::conformance::print(report, std::cout);
//
// (link stash::stash_conformance; no googletest needed), or instantiates it
// as googletest tests in one line with stash/conformance_gtest.h.
//
// Harnesses for this project's backends are installed beside them:
// stash/memory_harness.h, stash/durable_memory_harness.h,
// stash/sqlite_harness.h, stash/postgres_harness.h.
//
// What the kit checks (areas):
//   scenarios   semantics.md section 6 and every error row of section 5,
//               through the interface only, plus one deterministic scenario
//               per bug class: adversarial bytes (NUL, >= 0x80, empty,
//               prefixes, up to 1 MiB keys, values and names), confusable
//               and invalid UTF-8 names, the ends of int64, scale (tens of
//               collections, thousands of entries and rows, hundreds of
//               writes between reopens), every issued handle, append
//               chains, and the facts documented in error messages;
//   properties  invariants of the observable outputs after every step of
//               random operation sequences on several collections;
//   stateful    random valid and invalid commands compared with MemoryStash
//               (results, exact error codes and the documented facts of
//               each message), with Reopen for durable backends and several
//               Stash objects / fencing when declared, and a scale check;
//   exhaustive  every sequence up to exhaustive_depth over a tiny alphabet,
//               compared with MemoryStash;
//   concurrent  several threads (and Stash objects, when declared) run random
//               calls on shared collections; every recorded history must be
//               linearizable with MemoryStash as the sequential model;
//   crash       (capability crash) power loss at a point the kit chooses:
//               every acknowledged write survives, nothing is half-applied.
//   subscribe   subscriptions (subscription.h) following random writes,
//               seals and compactions, one thread and several (one joining
//               mid-stream), resubscribing from the last delivered upper
//               (across reopen when durable), and overtaken by compaction;
//               checked batch by batch against iter.
// The random areas draw an adversarial alphabet of names, keys and values
// per case, mix extreme times and frontiers in, chain appends, keep every
// handle the backend issued and route each call through one of them.
// Implementation: properties/src/. Deeper runs: RC_PARAMS="max_success=N",
// STASH_EXHAUSTIVE_DEPTH=N, STASH_CONCURRENT_HISTORIES=N (see
// properties/README.md).
#ifndef STASH_CONFORMANCE_H_
#define STASH_CONFORMANCE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "stash/stash.h"

namespace stash::conformance {

// What a backend can do. Checks that need a capability the backend lacks are
// reported as "not applicable", never as passed.
struct Capabilities {
  // reopen() gives back the same store, and every acknowledged write
  // survives it.
  bool durable = false;
  // open_another() opens a second Stash on the same store while the first is
  // still open.
  bool several_handles = false;
  // Opening a new writer with open_another() fences every older one: the
  // older one's next call fails with kFenced and writes nothing.
  bool fencing = false;
  // crash() simulates power loss: the kit then destroys every Stash object it
  // holds and calls reopen(); every write acknowledged before crash() was
  // called must be there, and no call may be found half-applied.
  bool crash = false;
};

// How the kit gets stores to test. One Harness object serves one test: the
// kit calls open_fresh() first, then possibly reopen()/open_another() for the
// same store.
class Harness {
 public:
  virtual ~Harness() = default;

  virtual Capabilities capabilities() const = 0;

  // A new, empty store, independent of every other.
  virtual Result<std::unique_ptr<Stash>> open_fresh() = 0;

  // Opens the store last made by open_fresh() again. The kit destroys every
  // Stash it holds on that store before calling this. Only called when
  // capabilities().durable.
  virtual Result<std::unique_ptr<Stash>> reopen();

  // Opens another Stash on the store last made by open_fresh(), while the
  // others stay open. Only called when capabilities().several_handles.
  virtual Result<std::unique_ptr<Stash>> open_another();

  // Simulates power loss on the store last made by open_fresh(), now: what
  // the store had not synced is dropped or torn, and nothing the open Stash
  // objects do from now on (their destruction included) reaches the store.
  // The kit then destroys them and calls reopen(). Only called when
  // capabilities().crash (which needs durable).
  virtual Status crash();
};

using HarnessFactory = std::function<std::unique_ptr<Harness>()>;

// A named backend to test (what STASH_INSTANTIATE_CONFORMANCE registers).
struct Backend {
  std::string name;
  HarnessFactory make_harness;
};

// ---------------------------------------------------------------------------
// Running the kit (used by `stash check`, the kit's self-test against
// deliberately broken backends, and the googletest front end).
// ---------------------------------------------------------------------------

enum class Area {
  kScenarios, kProperties, kStateful, kExhaustive, kConcurrent, kCrash, kSubscribe
};

struct RunOptions {
  // RapidCheck seed; 0 picks one and reports it (it is always printed).
  std::uint64_t seed = 0;
  // Number of random cases per property / stateful test.
  int max_success = 100;
  // Longest operation sequence the exhaustive checker enumerates. Depth 2 is
  // ~8k sequences (under a second on MemoryStash); 3 is ~250k (~25 s).
  int exhaustive_depth = 2;
  // Which areas to run (all by default).
  std::vector<Area> areas = {Area::kScenarios, Area::kProperties, Area::kStateful,
                             Area::kExhaustive,  Area::kConcurrent, Area::kCrash,
                             Area::kSubscribe};
  // Concurrent histories to record and check (STASH_CONCURRENT_HISTORIES
  // overrides it); each is a few threads issuing a dozen calls each.
  int concurrent_histories = 200;
  // Stop at the first failing check (the mutant self-test uses this).
  bool stop_at_first_failure = false;
  // Progress lines for long runs ("stateful: 40/100 cases"); may be empty.
  std::function<void(const std::string&)> progress;
};

enum class Outcome { kPassed, kFailed, kNotApplicable };

struct CheckResult {
  Area area;
  std::string name;      // e.g. "scenario 4: seal and peek"
  Outcome outcome;
  std::string details;   // failure: the shrunk steps and how to replay them;
                         // not applicable: which capability is missing
  std::chrono::milliseconds elapsed{0};
};

struct Report {
  std::uint64_t seed = 0;
  std::vector<CheckResult> checks;
  // How often each operation / error code / notable event was exercised.
  std::map<std::string, std::uint64_t> coverage;
  bool passed() const;
};

// Runs the kit against `backend`.
Report run(const Backend& backend, const RunOptions& options);

// Prints a report as readable text (per area: counts, seed, time, failures).
void print(const Report& report, std::ostream& out);

}  // namespace stash::conformance

#endif  // STASH_CONFORMANCE_H_
