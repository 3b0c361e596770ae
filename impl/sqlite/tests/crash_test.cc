// Process-crash test: a child (sqlite_crash_worker) runs a random workload
// and acknowledges every call that returned; we SIGKILL it at random moments.
// After each kill the file must pass PRAGMA integrity_check, and the reopened
// stash must equal MemoryStash after the acknowledged calls, plus at most the
// one in flight, applied wholly or not at all.
//
// Environment (defaults keep the run around 10-20 s on two cores):
//   STASH_CRASH_SEED   first workload seed (default: random, always printed)
//   STASH_CRASH_KILLS  number of child processes to kill (default 40)
//   STASH_CRASH_OPS    calls per child workload (default 150)
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "stash/sqlite_stash.h"
#include "test_util.h"
#include "workload.h"

namespace stash {
namespace {

using testing::TempDir;

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

// "ok", or what is wrong. A file the child never got to create is fine.
std::string integrity_check(const std::string& path) {
  if (!std::filesystem::exists(path)) return "ok";
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  sqlite3_stmt* stmt = nullptr;
  std::string result = "cannot prepare: ";
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) != SQLITE_OK) {
    result += sqlite3_errmsg(db);
  } else {
    result = sqlite3_step(stmt) == SQLITE_ROW
                 ? reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))
                 : sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

// A running worker, reporting acknowledgements through a pipe.
struct Child {
  pid_t pid = -1;
  int fd = -1;
  std::size_t acked = 0;

  // Reads what is available (blocking if `wait`); false at end of file.
  bool read_acks(bool wait) {
    char buffer[4096];
    if (!wait) {
      timeval zero{};
      fd_set set;
      FD_ZERO(&set);
      FD_SET(fd, &set);
      if (::select(fd + 1, &set, nullptr, nullptr, &zero) <= 0) return true;
    }
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return false;
    for (ssize_t i = 0; i < n; ++i) acked += buffer[i] == '\n';
    return true;
  }
};

Child spawn(const std::string& path, std::uint64_t seed, int count) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const std::string seed_arg = std::to_string(seed);
  const std::string count_arg = std::to_string(count);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execl(STASH_CRASH_WORKER, STASH_CRASH_WORKER, path.c_str(), seed_arg.c_str(),
            count_arg.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  return Child{pid, fds[0]};
}

TEST(SqliteCrash, SigkillLosesNoAcknowledgedCallAndTearsNone) {
  const std::uint64_t seed = env_or("STASH_CRASH_SEED", std::random_device{}());
  const int kills = static_cast<int>(env_or("STASH_CRASH_KILLS", 40));
  const int ops_per_child = static_cast<int>(env_or("STASH_CRASH_OPS", 150));
  std::printf("crash test: STASH_CRASH_SEED=%llu STASH_CRASH_KILLS=%d STASH_CRASH_OPS=%d\n",
              static_cast<unsigned long long>(seed), kills, ops_per_child);
  std::mt19937_64 rng(seed);
  int killed = 0, finished = 0, in_flight_applied = 0;
  std::size_t total_acked = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int run = 0; run < kills; ++run) {
    const std::uint64_t run_seed = seed + run;
    SCOPED_TRACE("run " + std::to_string(run) + ", workload seed " + std::to_string(run_seed));
    const auto ops = testing::generate_workload(run_seed, ops_per_child);
    TempDir dir;
    const std::string path = dir.file("crash.stash");
    Child child = spawn(path, run_seed, ops_per_child);
    // Kill after a random number of acknowledgements, plus a random delay
    // so that kills land inside calls (and inside commits) too.
    const std::size_t target = std::uniform_int_distribution<std::size_t>(0, ops.size())(rng);
    bool open = true;
    while (open && child.acked < target) open = child.read_acks(true);
    std::this_thread::sleep_for(
        std::chrono::microseconds(std::uniform_int_distribution<int>(0, 3000)(rng)));
    ::kill(child.pid, SIGKILL);
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    while (open) open = child.read_acks(true);
    ::close(child.fd);
    if (WIFSIGNALED(status)) {
      ++killed;
    } else {
      ASSERT_EQ(WEXITSTATUS(status), 0) << "worker failed; see its stderr";
      ++finished;
    }
    total_acked += child.acked;

    ASSERT_EQ(integrity_check(path), "ok");
    auto reopened = SqliteStash::open(path);
    ASSERT_TRUE(reopened) << reopened.error();
    const std::string state = testing::dump(**reopened, testing::collection_names());
    const std::string acked_state = testing::model_state(ops, child.acked);
    if (state == acked_state) continue;
    ASSERT_LT(child.acked, ops.size());
    ASSERT_EQ(state, testing::model_state(ops, child.acked + 1))
        << "neither the " << child.acked << " acknowledged calls nor those plus "
        << testing::show(ops[child.acked]) << "; acknowledged state:\n"
        << acked_state;
    ++in_flight_applied;
  }
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "crash test: seed %llu, %d runs: %d killed, %d finished first; %zu acknowledged calls "
      "survived; in-flight call applied after %d kills; %.1f s\n",
      static_cast<unsigned long long>(seed), kills, killed, finished, total_acked,
      in_flight_applied, seconds);
}

}  // namespace
}  // namespace stash
