// Listener: one PostgresStash's ear for the upper-moved notifications of its
// schema (the trigger in schema.cc), for wait_for_change (change_wait.cc).
//
// It owns a connection of its own that runs LISTEN and then sits idle, and a
// thread that waits on it with poll(2) and counts the notifications per
// collection id. Both start with the first wait_for_change of the stash, not
// at open: a stash nobody follows costs no second connection.
//
// When the connection is lost (server restart, network), the thread
// reconnects with bounded exponential backoff (PostgresOptions'
// backoff_initial_ms doubling up to backoff_max_ms) and LISTENs again.
// Notifications sent meanwhile are lost to it, so every loss and every new
// LISTEN changes the session number, which wakes every waiter: they re-read
// upper rather than trust a silence.
//
// Why waiters may trust a silence otherwise: LISTEN took effect before the
// waiter took its mark and read upper, so every write that commits after
// that read and moves upper sends a notification this connection receives.
#ifndef STASH_IMPL_POSTGRES_SRC_LISTENER_H_
#define STASH_IMPL_POSTGRES_SRC_LISTENER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "stash/mutex.h"
#include "stash/postgres_connection.h"

namespace stash::postgres {

struct ListenerOptions {
  std::string listen_sql;  // "LISTEN <quoted schema>"
  std::string channel;     // the schema name, as notifications carry it
  std::chrono::milliseconds connect_timeout{5000};  // per attempt
  std::chrono::milliseconds backoff_initial{10};
  std::chrono::milliseconds backoff_max{1000};
};

class Listener {
 public:
  // Where the listener stands, as a waiter saw it before reading upper.
  struct Mark {
    bool listening = false;     // LISTEN is in effect on a live connection
    std::uint64_t session = 0;  // changes at every LISTEN and every loss
    std::uint64_t heard = 0;    // notifications for the collection so far
  };

  Listener(std::shared_ptr<Connector> connector, ListenerOptions options);
  // Stops the thread: at once while it listens or backs off, within
  // connect_timeout while it connects.
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // The mark for collection `id`; starts the thread on first use.
  Mark mark(std::int64_t id) STASH_EXCLUDES(mutex_);

  // Returns once a notification for `id` arrived after `mark` was taken, the
  // session changed (the connection was lost, or LISTEN took effect), or at
  // `deadline`, whichever is first.
  void wait(std::int64_t id, const Mark& mark, std::chrono::steady_clock::time_point deadline)
      STASH_EXCLUDES(mutex_);

  // How many times LISTEN took effect (tests: each reconnect is one more).
  std::uint64_t sessions_started() const STASH_EXCLUDES(mutex_);

 private:
  void run();
  // Connects and LISTENs; null if that failed.
  std::unique_ptr<Connection> listen();
  // Reads notifications from `c` until it fails or the listener stops.
  void follow(Connection& c);
  // Sleeps `how_long`, or less if the listener stops. False if it stopped.
  bool pause(std::chrono::milliseconds how_long) STASH_EXCLUDES(mutex_);
  bool stopping() const STASH_EXCLUDES(mutex_);
  void set_listening(bool listening) STASH_EXCLUDES(mutex_);

  const std::shared_ptr<Connector> connector_;
  const ListenerOptions options_;
  const int wake_fd_;  // an eventfd: written to stop the thread's poll

  mutable Mutex mutex_;
  std::condition_variable changed_;  // any of the fields below changed
  bool stop_ STASH_GUARDED_BY(mutex_) = false;
  bool started_ STASH_GUARDED_BY(mutex_) = false;
  bool listening_ STASH_GUARDED_BY(mutex_) = false;
  std::uint64_t session_ STASH_GUARDED_BY(mutex_) = 0;
  std::uint64_t sessions_started_ STASH_GUARDED_BY(mutex_) = 0;
  std::map<std::int64_t, std::uint64_t> heard_ STASH_GUARDED_BY(mutex_);
  std::thread thread_;  // started under mutex_, joined by the destructor
};

}  // namespace stash::postgres

#endif  // STASH_IMPL_POSTGRES_SRC_LISTENER_H_
