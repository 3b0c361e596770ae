// The Listener's thread and its waiters (listener.h).
#include "listener.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace stash::postgres {

using Clock = std::chrono::steady_clock;

Listener::Listener(std::shared_ptr<Connector> connector, ListenerOptions options)
    : connector_(std::move(connector)),
      options_(std::move(options)),
      wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

Listener::~Listener() {
  {
    MutexLock lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (wake_fd_ >= 0) {
    const std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Listener::Mark Listener::mark(std::int64_t id) {
  MutexLock lock(mutex_);
  if (!started_) {
    started_ = true;
    thread_ = std::thread([this] { run(); });
  }
  const auto it = heard_.find(id);
  return Mark{listening_, session_, it == heard_.end() ? 0 : it->second};
}

void Listener::wait(std::int64_t id, const Mark& mark, Clock::time_point deadline) {
  MutexLock lock(mutex_);
  while (!stop_ && session_ == mark.session) {
    const auto it = heard_.find(id);
    if ((it == heard_.end() ? 0 : it->second) != mark.heard) return;
    if (lock.wait_until(changed_, deadline) == std::cv_status::timeout) return;
  }
}

std::uint64_t Listener::sessions_started() const {
  MutexLock lock(mutex_);
  return sessions_started_;
}

bool Listener::stopping() const {
  MutexLock lock(mutex_);
  return stop_;
}

bool Listener::pause(std::chrono::milliseconds how_long) {
  const auto until = Clock::now() + how_long;
  MutexLock lock(mutex_);
  while (!stop_ && Clock::now() < until) lock.wait_until(changed_, until);
  return !stop_;
}

void Listener::set_listening(bool listening) {
  {
    MutexLock lock(mutex_);
    listening_ = listening;
    ++session_;
    if (listening) ++sessions_started_;
  }
  changed_.notify_all();
}

void Listener::run() {
  auto backoff = options_.backoff_initial;
  while (!stopping()) {
    std::unique_ptr<Connection> c = listen();
    if (!c) {
      if (!pause(backoff)) return;
      backoff = std::min(backoff * 2, options_.backoff_max);
      continue;
    }
    backoff = options_.backoff_initial;
    set_listening(true);
    follow(*c);
    set_listening(false);  // whatever was sent meanwhile is not heard
  }
}

std::unique_ptr<Connection> Listener::listen() {
  const Deadline deadline = Clock::now() + options_.connect_timeout;
  auto c = connector_->connect(deadline);
  if (!c) return nullptr;
  (*c)->set_deadline(deadline);
  // LISTEN runs in its own (autocommit) transaction: it is in effect once
  // exec returns.
  if (!(*c)->exec(options_.listen_sql)) return nullptr;
  (*c)->set_deadline(kNoDeadline);  // idle from here on; poll() waits
  return std::move(*c);
}

void Listener::follow(Connection& c) {
  while (true) {
    // Notifications already read with LISTEN's reply come out first.
    auto notes = c.notifications();
    if (!notes) return;
    if (!notes->empty()) {
      {
        MutexLock lock(mutex_);
        for (const Notification& n : *notes) {
          if (n.channel != options_.channel) continue;
          std::int64_t id = 0;
          const char* end = n.payload.data() + n.payload.size();
          if (std::from_chars(n.payload.data(), end, id).ptr == end) ++heard_[id];
        }
      }
      changed_.notify_all();
    }
    pollfd fds[2] = {{c.socket(), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (fds[0].fd < 0) return;
    // Without an eventfd (none could be made) stopping is noticed by a
    // bounded poll instead.
    const int n = ::poll(fds, wake_fd_ >= 0 ? 2 : 1, wake_fd_ >= 0 ? -1 : 100);
    if (n < 0 && errno != EINTR) return;
    if (stopping()) return;
    // Readable, hung up or failed: notifications() tells which.
  }
}

}  // namespace stash::postgres
