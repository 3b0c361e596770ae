#include "cluster.h"

#include <signal.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace stash::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Runs `command` with sh, returning its stdout and exit status.
struct Output {
  std::string out;
  int status = -1;
};
Output run(const std::string& command) {
  Output o;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return o;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
  o.status = ::pclose(p);
  return o;
}

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Polls `done` every few milliseconds until it holds or `bound` passes.
template <typename Condition>
bool wait_until(milliseconds bound, Condition done) {
  const auto deadline = Clock::now() + bound;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

}  // namespace

Result<EtcdCluster> EtcdCluster::from_environment() {
  EtcdCluster c;
  const std::string names = env("STASH_ETCD_MEMBERS");
  if (env("STASH_ETCD_ENDPOINTS").empty() || names.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "STASH_ETCD_ENDPOINTS and STASH_ETCD_MEMBERS must be set (run via bash "
                "ci/with-etcd)");
  }
  std::stringstream list(names);
  for (std::string name; list >> name;) {
    std::string upper = name;
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    Member m{name, env(("STASH_ETCD_" + upper + "_ENDPOINT").c_str()),
             env(("STASH_ETCD_" + upper + "_PIDFILE").c_str()),
             env(("STASH_ETCD_" + upper + "_START").c_str())};
    if (m.endpoint.empty() || m.pid_file.empty() || m.start.empty() ||
        !std::filesystem::exists(m.pid_file) || !std::filesystem::exists(m.start)) {
      std::string why = "member " + name;
      for (const std::string& part :
           {std::string(" of STASH_ETCD_MEMBERS='"), names, std::string("' needs STASH_ETCD_"),
            upper, std::string("_ENDPOINT, _PIDFILE and _START naming existing files (got '"),
            m.endpoint, std::string("', '"), m.pid_file, std::string("', '"), m.start,
            std::string("')")}) {
        why += part;
      }
      return fail(ErrorCode::kInvalidArgument, why);
    }
    c.members_.push_back(std::move(m));
  }
  c.etcdctl_ = env("STASH_ETCDCTL");
  if (c.etcdctl_.empty()) c.etcdctl_ = "etcdctl";
  if (const std::string ms = env("STASH_ETCD_ELECTION_TIMEOUT_MS"); !ms.empty()) {
    c.election_timeout_ = milliseconds(std::atoi(ms.c_str()));
  }
  return c;
}

std::string EtcdCluster::endpoint_list() const {
  std::string out;
  for (const Member& m : members_) out += (out.empty() ? "" : ",") + m.endpoint;
  return out;
}

pid_t EtcdCluster::pid(int m) const {
  std::ifstream f(members_.at(m).pid_file);
  pid_t p = 0;
  return f >> p ? p : 0;
}

bool EtcdCluster::running(int m) const {
  const pid_t p = pid(m);
  if (p <= 0 || ::kill(p, 0) != 0) return false;
  // A killed member nobody has reaped yet is a zombie: gone for our purposes.
  std::ifstream stat("/proc/" + std::to_string(p) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
}

std::vector<EtcdCluster::MemberStatus> EtcdCluster::status() const {
  std::vector<MemberStatus> out;
  for (int m = 0; m < members(); ++m) {
    MemberStatus s;
    s.member = m;
    const Output o = run("ETCDCTL_API=3 " + quoted(etcdctl_) + " --endpoints=" +
                         quoted(endpoint(m)) +
                         " --dial-timeout=1s --command-timeout=1s endpoint status -w json "
                         "2>/dev/null");
    if (o.status == 0) {
      const auto doc = nlohmann::json::parse(o.out, nullptr, false);
      if (doc.is_array() && doc.size() == 1 && doc[0].contains("Status")) {
        const auto& st = doc[0]["Status"];
        s.reachable = true;
        s.id = st["header"].value("member_id", std::uint64_t{0});
        s.leader = st.value("leader", std::uint64_t{0});
        s.raft_term = st.value("raftTerm", std::uint64_t{0});
        s.revision = st["header"].value("revision", std::int64_t{0});
      }
    }
    out.push_back(s);
  }
  return out;
}

std::string EtcdCluster::describe() const {
  const std::vector<MemberStatus> all = status();
  std::string out;
  for (const MemberStatus& s : all) {
    out += (out.empty() ? "" : " ") + name(s.member);
    if (!s.reachable) {
      out += std::string(" (unreachable, process ") + (running(s.member) ? "running" : "gone") + ")";
      continue;
    }
    out += std::string(" (") + (s.leader == s.id ? "leader" : s.leader == 0 ? "no leader" : "follower") +
           ", term " + std::to_string(s.raft_term) + ", rev " + std::to_string(s.revision) + ")";
  }
  return out;
}

Result<int> EtcdCluster::leader() const {
  const std::vector<MemberStatus> all = status();
  std::uint64_t leader = 0;
  int index = -1;
  bool agree = true;
  for (const MemberStatus& s : all) {
    if (!s.reachable) continue;
    if (leader == 0) leader = s.leader;
    agree = agree && s.leader == leader;
  }
  for (const MemberStatus& s : all) {
    if (s.reachable && s.id == leader) index = s.member;
  }
  if (!agree || leader == 0 || index < 0) {
    return fail(ErrorCode::kUnavailable, "no leader every reachable member agrees on: " + describe());
  }
  return index;
}

Result<int> EtcdCluster::follower() const {
  auto l = leader();
  if (!l) return std::unexpected(l.error());
  return (*l + 1) % members();
}

Status EtcdCluster::kill(int m) {
  const pid_t p = pid(m);
  if (p <= 0) return fail(ErrorCode::kInternal, "no pid for member " + name(m));
  if (::kill(p, SIGKILL) != 0 && errno != ESRCH) {
    return fail(ErrorCode::kInternal, "kill -9 " + std::to_string(p) + " (member " + name(m) + "): " + std::strerror(errno));
  }
  paused_.erase(m);
  if (!wait_until(milliseconds(5000), [&] { return !running(m); })) {
    return fail(ErrorCode::kInternal, "member " + name(m) + " (pid " +
                                          std::to_string(p) + ") still runs 5 s after kill -9");
  }
  return {};
}

Status EtcdCluster::pause(int m) {
  const pid_t p = pid(m);
  if (p <= 0 || ::kill(p, SIGSTOP) != 0) {
    return fail(ErrorCode::kInternal, "SIGSTOP of member " + name(m) + " (pid " +
                                          std::to_string(p) + "): " + std::strerror(errno));
  }
  paused_.insert(m);
  return {};
}

Status EtcdCluster::resume(int m) {
  const pid_t p = pid(m);
  if (p <= 0 || ::kill(p, SIGCONT) != 0) {
    return fail(ErrorCode::kInternal, "SIGCONT of member " + name(m) + " (pid " +
                                          std::to_string(p) + "): " + std::strerror(errno));
  }
  paused_.erase(m);
  return {};
}

Status EtcdCluster::start(int m) {
  if (running(m)) {
    return fail(ErrorCode::kInternal, "member " + name(m) + " is running (pid " +
                                          std::to_string(pid(m)) + "): kill it first");
  }
  const std::string& script = members_.at(m).start;
  // A member started again right after a kill can exit at once, failing to
  // bind its client or peer port (the killed process's sockets not yet
  // released, or the port briefly taken by an outgoing connection): one
  // that exits within 1 s of starting is started again, a few times.
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    // The script backgrounds the member with its output in m<i>.log, so
    // nothing of ours stays open in it.
    if (std::system(("bash " + quoted(script) + " </dev/null >/dev/null 2>&1").c_str()) != 0) {
      return fail(ErrorCode::kInternal, script + " failed");
    }
    // The script has written the new pid; a process that is gone at any
    // point of the next second (perhaps before it is first looked at)
    // exited.
    if (!wait_until(milliseconds(1000), [&] { return !running(m); })) return {};  // stayed up
    std::fprintf(stderr, "cluster: member %s exited within 1 s of start %d of %d (see its log)%s\n",
                 name(m).c_str(), attempt, kAttempts, attempt < kAttempts ? "; starting it again" : "");
    if (attempt == kAttempts) {
      return fail(ErrorCode::kInternal, "member " + name(m) + " exited within 1 s of each of " +
                                            std::to_string(kAttempts) + " starts (" + script +
                                            ", see its log)");
    }
    std::this_thread::sleep_for(milliseconds(200 * attempt));
  }
}

Status EtcdCluster::restart_all() {
  for (int m = 0; m < members(); ++m) {
    if (auto s = kill(m); !s) return s;
  }
  for (int m = 0; m < members(); ++m) {
    if (auto s = start(m); !s) return s;
  }
  return {};
}

Status EtcdCluster::wait_healthy(milliseconds bound) const {
  const bool healthy = wait_until(bound, [&] {
    auto l = leader();
    if (!l) return false;
    for (const MemberStatus& s : status()) {
      if (!s.reachable) return false;
    }
    // `endpoint health` is a linearizable read through each member: it
    // needs a leader with a quorum behind it.
    return run("ETCDCTL_API=3 " + quoted(etcdctl_) + " --endpoints=" + quoted(endpoint_list()) +
               " --dial-timeout=1s --command-timeout=2s endpoint health >/dev/null 2>&1")
               .status == 0;
  });
  if (!healthy) {
    return fail(ErrorCode::kUnavailable, "the etcd cluster was not healthy within " +
                                             std::to_string(bound.count()) + " ms: " + describe());
  }
  return {};
}

Result<std::string> EtcdCluster::etcdctl(const std::string& args) const {
  const Output o = run("ETCDCTL_API=3 " + quoted(etcdctl_) + " --endpoints=" +
                       quoted(endpoint_list()) + " --dial-timeout=1s --command-timeout=5s " +
                       args + " 2>&1");
  if (o.status != 0) return fail(ErrorCode::kUnavailable, "etcdctl " + args + ": " + o.out);
  return o.out;
}

Status EtcdCluster::heal(milliseconds bound) {
  for (int m = 0; m < members(); ++m) {
    if (running(m)) {
      (void)::kill(pid(m), SIGCONT);  // not paused: SIGCONT does nothing
      paused_.erase(m);
    } else if (auto s = start(m); !s) {
      return s;
    }
  }
  return wait_healthy(bound);
}

}  // namespace stash::testing
