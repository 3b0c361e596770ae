// SqliteStash::wait_for_change: subscriptions wake when any connection, in
// this process or another, commits to the file.
//
// The wake-up. A commit in WAL mode appends to PATH-wal with write(2) (a
// checkpoint writes PATH itself), and inotify reports those writes on a watch
// of the file's directory. The watch is set up before anything is read, so a
// commit between the read and the wait still wakes us. Events for other files
// of the directory are drained and ignored. The inotify instance belongs to
// the waiting thread and outlives the wait (see ThreadInotify).
//
// The cheap check. An event for our file is not yet a change of upper: it may
// be a write to another collection, a checkpoint, a transaction that rolled
// back, or our own connection's traffic. So on each event we first compare the
// connection's commit mark, PRAGMA data_version (which changes only when
// another connection committed) together with sqlite3_total_changes64 (rows
// this connection changed, for commits made through this very SqliteStash);
// only when the mark moved do we re-read upper, and we return only when upper
// differs from `known_upper` (or at the deadline).
//
// The race with the writer. The frames a commit writes reach PATH-wal (and
// raise the event) before the commit is visible: the writer still syncs and
// then publishes the commit in PATH-shm, which is memory-mapped, and inotify
// does not see writes through a mapping. A wake-up can therefore find the
// mark unmoved although a commit is on its way. After every event we thus keep
// re-checking the mark for a while (kSettle), at intervals growing from
// kFirstRecheck to kMaxRecheck: a bounded poll that only ever follows an
// event, never a fixed-rate loop of its own. If a commit takes longer than
// kSettle to become visible (a very slow sync), the subscription's own
// re-read of upper every 100 ms (subscription.cc) still delivers it.
//
// Without inotify (no more instances or watches, an unsupported file system,
// an in-memory database) we fall back to the interface's bounded-interval
// poll of upper (stash.cc).
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>
#include <utility>

#include "sqlite_stash_impl.h"
#include "stash/sqlite_stash.h"

namespace stash {
namespace {

using Clock = std::chrono::steady_clock;

// How long after an event for our file the mark is re-checked, and how often.
constexpr auto kSettle = std::chrono::milliseconds(250);
constexpr auto kFirstRecheck = std::chrono::microseconds(100);
constexpr auto kMaxRecheck = std::chrono::milliseconds(1);

// One inotify instance per thread that waits, kept for the thread's life:
// closing an instance waits for the kernel's notification grace period
// (milliseconds, measured 15 ms under load), which would be paid by every
// wake-up. Its watches (one per directory waited on, added again on each
// wait, which returns the existing one) stay too; events that arrive between
// waits are drained at the start of the next wait.
class ThreadInotify {
 public:
  ThreadInotify() : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}
  ~ThreadInotify() {
    if (fd_ >= 0) close(fd_);
  }
  ThreadInotify(const ThreadInotify&) = delete;
  ThreadInotify& operator=(const ThreadInotify&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

int thread_inotify() {
  thread_local ThreadInotify inotify;
  return inotify.fd();
}

// True if the events waiting on `fd` include one for a file named `db` or
// `db`-wal in the directory watched as `wd` (or the queue overflowed, so one
// may have been lost). Drains what is there.
bool event_for(int fd, int wd, const std::string& db) {
  alignas(inotify_event) std::array<char, 4096> buffer;
  bool ours = false;
  while (true) {
    const ssize_t n = read(fd, buffer.data(), buffer.size());
    if (n <= 0) return ours;
    for (ssize_t at = 0; at < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer.data() + at);
      const std::string name = event->len > 0 ? std::string(event->name) : std::string();
      if ((event->mask & IN_Q_OVERFLOW) ||
          (event->wd == wd && (name == db || name == db + "-wal"))) {
        ours = true;
      }
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
}

// What a commit moves: another connection's commit moves data_version, one of
// ours moves total_changes.
struct CommitMark {
  std::int64_t data_version = 0;
  std::int64_t own_changes = 0;
  bool operator==(const CommitMark&) const = default;
};

// Waits on `fd` for at most `timeout` (clamped at zero); true if readable.
// Errors other than EINTR count as readable: the caller then re-reads, which
// is always allowed.
bool readable_within(int fd, Clock::duration timeout) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::max(timeout, Clock::duration::zero()))
                      .count();
  timespec wait{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  pollfd waiting{fd, POLLIN, 0};
  const int ready = ppoll(&waiting, 1, &wait, nullptr);
  if (ready < 0) return errno != EINTR;
  return ready > 0;
}

}  // namespace

Status SqliteStash::wait_for_change(CollectionHandle c, const Frontier& known_upper,
                                    Clock::time_point deadline) {
  const char* file = sqlite3_db_filename(impl_->db(), "main");
  const int inotify = thread_inotify();
  if (file == nullptr || *file == '\0' || inotify < 0) {
    return Stash::wait_for_change(c, known_upper, deadline);
  }
  const std::filesystem::path path(file);
  const int wd = inotify_add_watch(inotify, path.parent_path().c_str(),
                                   IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE);
  if (wd < 0) return Stash::wait_for_change(c, known_upper, deadline);
  const std::string db = path.filename().string();
  // Events from before this wait: what they announce is in the reads below.
  event_for(inotify, wd, db);

  auto commit_mark = [&]() -> Result<CommitMark> {
    return impl_->read([&]() -> Result<CommitMark> {
      auto statement = impl_->statement("PRAGMA data_version");
      if (!statement) return std::unexpected(statement.error());
      auto row = statement->step("PRAGMA data_version");
      if (!row) return std::unexpected(row.error());
      return CommitMark{*row ? statement->column_int(0) : 0,
                        sqlite3_total_changes64(impl_->db())};
    });
  };
  // Reads the mark, then upper: true if upper has moved. A commit after the
  // mark was read moves the mark again, so `seen` is never newer than upper.
  CommitMark seen;
  auto upper_moved = [&]() -> Result<bool> {
    auto mark = commit_mark();
    if (!mark) return std::unexpected(mark.error());
    seen = *mark;
    auto upper = this->upper(c);
    if (!upper) return std::unexpected(upper.error());
    return *upper != known_upper;
  };

  auto moved = upper_moved();
  if (!moved) return std::unexpected(moved.error());
  if (*moved) return {};

  std::optional<Clock::time_point> settle_until;  // set while re-checking after an event
  Clock::duration recheck = kFirstRecheck;
  while (true) {
    const auto now = Clock::now();
    if (now >= deadline) return {};
    if (settle_until && now >= *settle_until) settle_until.reset();
    const auto wake_at = settle_until ? std::min(deadline, now + recheck) : deadline;
    if (readable_within(inotify, wake_at - now)) {
      if (!event_for(inotify, wd, db)) continue;
      settle_until = Clock::now() + kSettle;
      recheck = kFirstRecheck;
    } else if (!settle_until) {
      continue;  // the deadline (checked above)
    } else {
      recheck = std::min<Clock::duration>(recheck * 2, kMaxRecheck);
    }
    auto mark = commit_mark();
    if (!mark) return std::unexpected(mark.error());
    if (*mark == seen) continue;
    auto now_moved = upper_moved();
    if (!now_moved) return std::unexpected(now_moved.error());
    if (*now_moved) return {};
  }
}

}  // namespace stash
