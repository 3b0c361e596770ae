// A frozen server (issue #12 item 7): the test server's postmaster and every
// backend get SIGSTOP, as a hung host or a paused VM would. Every call must
// still end by its deadline (PostgresOptions::call_timeout_ms) plus slack,
// with kUnavailable when nothing was sent (or the write cannot have
// committed) and kOutcomeUnknown when a write was sent, including a call
// that was waiting for another thread's call on the same object. The slack
// is a correctness bound (the call must not hang), not a performance check.
//
// Needs STASH_TEST_POSTGRES_PGDATA (ci/with-postgres) to find the server's
// processes, and permission to signal them (the same user, or root).
// Registered RUN_SERIAL: a frozen server stalls every other test using it.
#include <dirent.h>
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <fstream>
#include <future>
#include <thread>

#include "faulty_connection.h"  // is_write
#include "pg_test_util.h"

namespace stash::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr int kDeadlineMs = 1000;
// What a call may take beyond its deadline: scheduling on a loaded machine.
constexpr milliseconds kSlack{1500};

// The postmaster (first line of postmaster.pid) and its children.
std::vector<pid_t> server_processes() {
  std::vector<pid_t> out;
  std::ifstream pidfile(env("STASH_TEST_POSTGRES_PGDATA") + "/postmaster.pid");
  pid_t postmaster = 0;
  if (!(pidfile >> postmaster) || postmaster <= 0) return out;
  out.push_back(postmaster);
  DIR* proc = opendir("/proc");
  if (!proc) return out;
  while (dirent* entry = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(entry->d_name) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid ...: comm may hold spaces, so parse after ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    char state = 0;
    pid_t ppid = 0;
    if (rest >> state >> ppid && ppid == postmaster) out.push_back(pid);
  }
  closedir(proc);
  return out;
}

// SIGSTOPs the server for its lifetime; SIGCONT on destruction, whatever
// the test did.
class Frozen {
 public:
  Frozen() : pids_(server_processes()) {
    for (pid_t p : pids_) ::kill(p, SIGSTOP);
  }
  ~Frozen() { thaw(); }
  void thaw() {
    for (pid_t p : pids_) ::kill(p, SIGCONT);
    pids_.clear();
  }
  std::size_t count() const { return pids_.size(); }

 private:
  std::vector<pid_t> pids_;
};

PostgresOptions deadline_options(const std::string& schema) {
  PostgresOptions o = options_for(schema);
  o.call_timeout_ms = kDeadlineMs;
  o.connect_timeout_s = 1;
  o.backoff_initial_ms = 5;
  o.backoff_max_ms = 50;
  return o;
}

// Tells when a write pipeline starts (the caller then holds the object's
// lock): the condition the queued call waits for.
struct WriteStarted {
  std::promise<void> promise;
  std::atomic<bool> armed{false};
};

class SignallingConnection : public postgres::ForwardingConnection {
 public:
  SignallingConnection(std::unique_ptr<postgres::Connection> target,
                       std::shared_ptr<WriteStarted> started)
      : ForwardingConnection(std::move(target)), started_(std::move(started)) {}
  postgres::DbResult<std::vector<postgres::Rows>> pipeline(
      std::span<const postgres::Query> queries) override {
    if (is_write(queries) && started_->armed.exchange(false)) {
      started_->promise.set_value();
    }
    return ForwardingConnection::pipeline(queries);
  }

 private:
  std::shared_ptr<WriteStarted> started_;
};

class SignallingConnector : public postgres::Connector {
 public:
  explicit SignallingConnector(std::shared_ptr<WriteStarted> started)
      : inner_(postgres::libpq_connector(server_url(), 1, kDeadlineMs)),
        started_(std::move(started)) {}
  postgres::DbResult<std::unique_ptr<postgres::Connection>> connect(
      postgres::Deadline deadline) override {
    auto c = inner_->connect(deadline);
    if (!c) return std::unexpected(c.error());
    return std::make_unique<SignallingConnection>(std::move(*c), started_);
  }

 private:
  std::shared_ptr<postgres::Connector> inner_;
  std::shared_ptr<WriteStarted> started_;
};

template <typename Call>
std::pair<std::string, milliseconds> timed(Call call) {
  const auto start = steady_clock::now();
  auto r = call();
  return {code_of(r), std::chrono::duration_cast<milliseconds>(steady_clock::now() - start)};
}

TEST(PostgresFreeze, CallsEndByTheirDeadlineWhileTheServerIsFrozen) {
  const std::string schema = fresh_schema("stash_freeze");
  auto s = open_or_die(deadline_options(schema));
  ASSERT_TRUE(s);
  auto c = s->collection("c");
  ASSERT_TRUE(c);
  ASSERT_EQ(code_of(s->update(*c, "before", "", 1, 1)), "ok");
  const milliseconds bound = milliseconds(kDeadlineMs) + kSlack;
  {
    Frozen frozen;
    ASSERT_GE(frozen.count(), 2u) << "cannot find the server's processes";
    // A read sends nothing that could commit: kUnavailable.
    auto [read_code, read_took] = timed([&] { return s->iter(*c); });
    EXPECT_EQ(read_code, "unavailable");
    EXPECT_LT(read_took, bound) << read_took.count() << " ms";
    // The connection was dropped: the next call reconnects, and the frozen
    // postmaster never answers. Nothing sent: kUnavailable.
    auto [reconnect_code, reconnect_took] = timed([&] { return s->update(*c, "never", "", 1, 1); });
    EXPECT_EQ(reconnect_code, "unavailable");
    EXPECT_LT(reconnect_took, bound) << reconnect_took.count() << " ms";
    // A new open fails within its connect timeout too.
    auto [open_code, open_took] = timed([&] {
      return PostgresStash::open(server_url(), deadline_options(schema));
    });
    EXPECT_EQ(open_code, "unavailable");
    EXPECT_LT(open_took, bound) << open_took.count() << " ms";
  }
  // Thawed: the same object works again.
  const auto deadline = steady_clock::now() + std::chrono::seconds(30);
  Result<std::vector<Update>> rows = s->iter(*c);
  while (!rows && steady_clock::now() < deadline) rows = s->iter(*c);
  ASSERT_TRUE(rows) << rows.error();
  EXPECT_EQ(dump(*s, "c"), "c since {0} upper {0}: ((before, ), 1, 1)");
}

// A write that reached the frozen server cannot be resolved: kOutcomeUnknown
// by the deadline, and a second thread's call queued behind it ends by its
// own deadline with kUnavailable (it sent nothing). After the thaw the write
// is there at most once.
TEST(PostgresFreeze, SentWriteIsOutcomeUnknownAndQueuedCallsDoNotWaitForEver) {
  const std::string schema = fresh_schema("stash_freeze");
  auto started = std::make_shared<WriteStarted>();
  auto opened = PostgresStash::open_with(std::make_shared<SignallingConnector>(started),
                                         deadline_options(schema));
  ASSERT_TRUE(opened) << opened.error();
  auto& s = *opened;
  auto c = s->collection("c");
  ASSERT_TRUE(c);
  ASSERT_EQ(code_of(s->update(*c, "before", "", 1, 1)), "ok");
  const milliseconds bound = milliseconds(kDeadlineMs) + kSlack;
  std::string write_code, queued_code;
  started->armed = true;
  {
    Frozen frozen;
    ASSERT_GE(frozen.count(), 2u) << "cannot find the server's processes";
    auto write = std::async(std::launch::async, [&] {
      return timed([&] { return s->update(*c, "during", "", 1, 1); });
    });
    // The write holds the object's lock once its pipeline starts.
    ASSERT_EQ(started->promise.get_future().wait_for(std::chrono::seconds(10)),
              std::future_status::ready);
    auto queued = std::async(std::launch::async, [&] {
      return timed([&] { return s->update(*c, "queued", "", 1, 1); });
    });
    auto [wc, wt] = write.get();
    auto [qc, qt] = queued.get();
    write_code = wc, queued_code = qc;
    EXPECT_EQ(wc, "outcome_unknown");
    EXPECT_LT(wt, bound) << wt.count() << " ms";
    EXPECT_EQ(qc, "unavailable");
    EXPECT_LT(qt, bound) << qt.count() << " ms";
  }
  // Thawed: a fresh writer sees "during" at most once, "queued" never.
  const auto deadline = steady_clock::now() + std::chrono::seconds(30);
  std::string stored;
  do {
    auto fresh = PostgresStash::open(server_url(), options_for(schema));
    if (fresh) stored = dump(**fresh, "c");
  } while (stored.empty() && steady_clock::now() < deadline);
  EXPECT_TRUE(stored == "c since {0} upper {0}: ((before, ), 1, 1)" ||
              stored == "c since {0} upper {0}: ((before, ), 1, 1) ((during, ), 1, 1)")
      << stored;
}

}  // namespace
}  // namespace stash::testing

int main(int argc, char** argv) {
  return stash::testing::run_postgres_tests(
      argc, argv, {"STASH_TEST_POSTGRES_URL", "STASH_TEST_POSTGRES_PGDATA"});
}
