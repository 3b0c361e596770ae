// The workload of the fault tests and what is checked after it, written
// against stash::Stash only (any backend can run it; fault_test.cc runs it
// on EtcdStash while members die, pause and restart).
//
// Several threads share one Stash object. Each thread's calls go, in
// windows of `calls_per_window` calls, to one collection per window ("w0",
// "w1", ...), all threads' window k on the same collection "w<k>": each
// window is one concurrent history. A call is one of
//   update        of a key no other call writes ("t<thread>-<i>"),
//   update_many   of two such keys at once (atomic: both or neither),
//   iter_key      of a key some thread writes in the window (maybe not yet),
//   iter          of the whole window collection,
// recorded with its invocation and return times (steady clock) and result.
//
// verify() reads every window collection back through another Stash object
// once the faults are over and checks:
//   - every acknowledged write is there exactly once (consolidated diff 1);
//   - a write that failed with kUnavailable (or any definite error) is not
//     there at all; a kOutcomeUnknown one is there once or not at all, both
//     keys of an update_many alike;
//   - nothing is there that no call wrote;
//   - every window's history is linearizable (the kit's checker,
//     linearizability.h, MemoryStash as the model). Calls without effect
//     leave the history first: those that failed with kUnavailable, reads
//     that failed. A kOutcomeUnknown write is resolved by its keys: there,
//     it is an acknowledged write that may have taken effect at any time
//     after it was invoked (return time: never); absent, it had no effect
//     and leaves the history.
// Any other error code is a failure of the backend and is listed.
#ifndef STASH_IMPL_ETCD_FAULT_TESTS_WORKLOAD_H_
#define STASH_IMPL_ETCD_FAULT_TESTS_WORKLOAD_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "stash/stash.h"

namespace stash::testing {

struct WorkloadOptions {
  int threads = 4;
  int calls_per_window = 16;  // per thread: one history is threads x this
  std::uint64_t seed = 1;
  // Model calls the checker may spend on one history before it says
  // "unknown" (a bound, never a pass).
  std::uint64_t max_checker_steps = 2'000'000;
};

// The figures a fault test prints (and asserts on).
struct WorkloadReport {
  std::int64_t calls = 0;
  std::int64_t writes = 0;            // update and update_many calls
  std::int64_t writes_acked = 0;      // returned ok
  std::int64_t writes_unknown = 0;    // returned kOutcomeUnknown
  std::int64_t unknown_applied = 0;   //   of which took effect
  std::int64_t writes_failed = 0;     // returned kUnavailable
  std::int64_t reads = 0;
  std::int64_t reads_failed = 0;      // returned kUnavailable
  int histories = 0;
  int linearizable = 0;
  int checker_unknown = 0;            // the checker's bound was hit
  // Every violation found, one line each; empty when all checks passed.
  std::vector<std::string> problems;
  // The first few calls that failed (kUnavailable, kOutcomeUnknown), with
  // their durations and messages: what the faults looked like to a caller.
  std::vector<std::string> failures;

  // "writes: 812 acked, 3 unknown (2 applied), 41 failed; reads: ...;
  // histories: 57 checked, 57 linearizable, 0 unknown (bound)".
  std::string summary() const;
};

class Workload {
 public:
  Workload(std::shared_ptr<Stash> stash, WorkloadOptions options);
  ~Workload();  // stops and joins the threads
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  void start();
  // Each thread finishes its current call and stops.
  void stop();

  // Writes acknowledged so far (update_many counts once).
  std::int64_t acknowledged() const { return acked_.load(); }
  // Waits until `more` writes beyond those acknowledged now are; false
  // after `bound`.
  bool wait_for_progress(std::int64_t more, std::chrono::milliseconds bound) const;

  // After stop(): the checks above, reading through `reader` (another Stash
  // object on the same store). Reads failing with kUnavailable are retried
  // for up to `read_bound`.
  WorkloadReport verify(Stash& reader, std::chrono::milliseconds read_bound) const;

  // One recorded call (public for workload.cc's helpers).
  struct Call;

 private:
  void run_thread(int t);

  std::shared_ptr<Stash> stash_;
  WorkloadOptions options_;
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> acked_{0};
  std::vector<std::thread> threads_;
  std::vector<std::vector<Call>> calls_;  // per thread
  std::vector<std::string> thread_errors_;
};

}  // namespace stash::testing

#endif  // STASH_IMPL_ETCD_FAULT_TESTS_WORKLOAD_H_
