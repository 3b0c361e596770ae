// How long the calling thread has waited for a CPU while it was ready to run.
//
// The fast-writer check (subscribe.cc) must tell two kinds of writer pause
// apart. A writer blocked inside its call (a backend whose reads hold the
// lock its seals need) is the backend's doing, and a subscription that
// delivers meanwhile is correct. A writer the scheduler left waiting for a
// core on an overloaded machine is nobody's doing, and a subscription that
// needs upper to stand still gets its reads through exactly then. Wall time
// and CPU time cannot tell the two apart (the writer is off the CPU in
// both); the kernel's run-queue delay can, as only a ready thread
// accumulates it.
#pragma once

#include <chrono>
#include <optional>

namespace stash::conformance::internal {

class RunQueueClock {
 public:
  // Opens the calling thread's counter; each RunQueueClock belongs to the
  // thread that made it.
  RunQueueClock();
  ~RunQueueClock();
  RunQueueClock(const RunQueueClock&) = delete;
  RunQueueClock& operator=(const RunQueueClock&) = delete;

  // The thread's total time spent ready but not running, or nullopt where
  // the system does not say (not Linux, no /proc, no scheduler statistics).
  // Costs one read of a small procfs file (about 0.25 us).
  std::optional<std::chrono::nanoseconds> waited() const;

 private:
  int fd_ = -1;
};

}  // namespace stash::conformance::internal
