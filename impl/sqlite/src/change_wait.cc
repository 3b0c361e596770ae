// SqliteStash::wait_for_change: subscriptions wake when any connection, in
// this process or another, commits to the file.
//
// A commit in WAL mode appends to PATH-wal with write(2) (a checkpoint writes
// PATH itself), and inotify reports those writes on the directory's watch.
// The watch is set up before upper is read, so a commit between the read and
// the wait still wakes us. An event for another file of the directory is
// ignored; an event for ours returns, and the subscription re-reads upper
// (a write that did not move upper costs one cheap read). If inotify is not
// available (no more watches, an unsupported file system) we fall back to the
// interface's bounded-interval poll.
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <string>

#include "sqlite_stash_impl.h"
#include "stash/sqlite_stash.h"

namespace stash {
namespace {

// Closes the inotify descriptor on every path out.
class Inotify {
 public:
  Inotify() : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}
  ~Inotify() {
    if (fd_ >= 0) close(fd_);
  }
  Inotify(const Inotify&) = delete;
  Inotify& operator=(const Inotify&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// True if the events waiting on `fd` include one for a file named `db` or
// `db`-wal. Drains what is there.
bool event_for(int fd, const std::string& db) {
  alignas(inotify_event) std::array<char, 4096> buffer;
  bool ours = false;
  while (true) {
    const ssize_t n = read(fd, buffer.data(), buffer.size());
    if (n <= 0) return ours;
    for (ssize_t at = 0; at < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer.data() + at);
      const std::string name = event->len > 0 ? std::string(event->name) : std::string();
      if (name == db || name == db + "-wal" || (event->mask & IN_Q_OVERFLOW)) ours = true;
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
}

}  // namespace

Status SqliteStash::wait_for_change(CollectionHandle c, const Frontier& known_upper,
                                    std::chrono::steady_clock::time_point deadline) {
  const char* file = sqlite3_db_filename(impl_->db(), "main");
  Inotify inotify;
  if (file == nullptr || *file == '\0' || inotify.fd() < 0) {
    return Stash::wait_for_change(c, known_upper, deadline);
  }
  const std::filesystem::path path(file);
  if (inotify_add_watch(inotify.fd(), path.parent_path().c_str(),
                        IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    return Stash::wait_for_change(c, known_upper, deadline);
  }
  auto upper = this->upper(c);
  if (!upper) return std::unexpected(upper.error());
  if (*upper != known_upper) return {};
  const std::string db = path.filename().string();
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return {};
    pollfd waiting{inotify.fd(), POLLIN, 0};
    const int ready = poll(&waiting, 1, static_cast<int>(std::min<long long>(left.count() + 1, 1 << 30)));
    if (ready < 0 && errno != EINTR) return Stash::wait_for_change(c, known_upper, deadline);
    if (ready > 0 && event_for(inotify.fd(), db)) return {};
  }
}

}  // namespace stash
