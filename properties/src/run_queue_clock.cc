#include "run_queue_clock.h"

#include <charconv>
#include <cstdint>

#if defined(__linux__)
#include <fcntl.h>
#include <unistd.h>
#endif

namespace stash::conformance::internal {

RunQueueClock::RunQueueClock() {
#if defined(__linux__)
  // "/proc/thread-self" names the opening thread, and the descriptor keeps
  // naming it, so later reads need no path lookup.
  fd_ = ::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
#endif
}

RunQueueClock::~RunQueueClock() {
#if defined(__linux__)
  if (fd_ >= 0) ::close(fd_);
#endif
}

std::optional<std::chrono::nanoseconds> RunQueueClock::waited() const {
#if defined(__linux__)
  if (fd_ < 0) return std::nullopt;
  // The file is one line: time on a CPU, time waiting on a run queue (both
  // in nanoseconds), and the number of time slices run.
  char line[96];
  const ssize_t n = ::pread(fd_, line, sizeof line, 0);
  if (n <= 0) return std::nullopt;
  const char* p = line;
  const char* end = line + n;
  std::uint64_t on_cpu = 0;
  std::uint64_t waiting = 0;
  auto r = std::from_chars(p, end, on_cpu);
  if (r.ec != std::errc() || r.ptr == end || *r.ptr != ' ') return std::nullopt;
  r = std::from_chars(r.ptr + 1, end, waiting);
  if (r.ec != std::errc()) return std::nullopt;
  return std::chrono::nanoseconds(waiting);
#else
  return std::nullopt;
#endif
}

}  // namespace stash::conformance::internal
