#include "workload.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <set>

#include "linearizability.h"  // the kit's checker (properties/src)

namespace stash::testing {

namespace kit = stash::conformance::internal;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Workload::Call {
  enum Kind { kUpdate, kUpdateMany, kIterKey, kIter };
  int thread = 0;
  int window = 0;
  Kind kind = kUpdate;
  std::vector<Bytes> keys;  // the keys written, or the key read
  kit::Answer answer;
  std::int64_t invoked = 0;
  std::int64_t returned = 0;

  bool write() const { return kind == kUpdate || kind == kUpdateMany; }
  std::optional<ErrorCode> code() const { return answer.code; }
  std::string name() const {
    static const char* names[] = {"update", "update_many", "iter_key", "iter"};
    std::string out = names[kind];
    out += "(w" + std::to_string(window);
    for (const Bytes& k : keys) out += ", " + k;
    return out + ") by thread " + std::to_string(thread) + " -> " + answer.detailed();
  }
};

namespace {

constexpr const char* kValue = "v";

std::string window_name(int window) { return "w" + std::to_string(window); }
std::string key_name(int thread, int window, int i) {
  return "t" + std::to_string(thread) + "-" + std::to_string(window) + "-" + std::to_string(i);
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// A small deterministic generator per thread (the calls, not their timing,
// are reproducible from the seed).
struct Rng {
  std::uint64_t state;
  std::uint64_t next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  }
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
};

// Calls without effect: safe to leave out of a history.
bool unavailable(const kit::Answer& a) { return a.code == ErrorCode::kUnavailable; }

kit::Call as_kit_call(const Workload::Call& c) {
  switch (c.kind) {
    case Workload::Call::kUpdate:
      return kit::UpdateOp{0, Update{c.keys[0], kValue, 0, 1}};
    case Workload::Call::kUpdateMany: {
      std::vector<Update> entries;
      entries.reserve(c.keys.size());
      for (const Bytes& k : c.keys) entries.push_back(Update{k, kValue, 0, 1});
      return kit::UpdateManyOp{0, std::move(entries)};
    }
    case Workload::Call::kIterKey:
      return kit::IterKeyOp{0, c.keys[0]};
    case Workload::Call::kIter:
      return kit::IterOp{0};
  }
  return kit::IterOp{0};
}

}  // namespace

std::string WorkloadReport::summary() const {
  return "calls: " + std::to_string(calls) + "; writes: " + std::to_string(writes) + " (" +
         std::to_string(writes_acked) + " acked, " + std::to_string(writes_unknown) +
         " outcome unknown (" + std::to_string(unknown_applied) + " of them applied), " +
         std::to_string(writes_failed) + " failed unavailable); reads: " + std::to_string(reads) +
         " (" + std::to_string(reads_failed) + " failed unavailable); histories: " +
         std::to_string(histories) + " checked, " + std::to_string(linearizable) +
         " linearizable, " + std::to_string(checker_unknown) + " unknown (checker bound); " +
         std::to_string(problems.size()) + " problems";
}

Workload::Workload(std::shared_ptr<Stash> stash, WorkloadOptions options)
    : stash_(std::move(stash)), options_(options) {}

Workload::~Workload() { stop(); }

void Workload::start() {
  calls_.assign(static_cast<std::size_t>(options_.threads), {});
  thread_errors_.assign(static_cast<std::size_t>(options_.threads), "");
  for (int t = 0; t < options_.threads; ++t) threads_.emplace_back([this, t] { run_thread(t); });
}

void Workload::stop() {
  stop_ = true;
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

bool Workload::wait_for_progress(std::int64_t more, milliseconds bound) const {
  const std::int64_t target = acked_.load() + more;
  const auto deadline = Clock::now() + bound;
  while (acked_.load() < target) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

void Workload::run_thread(int t) {
  Rng rng{options_.seed * 7919 + static_cast<std::uint64_t>(t) * 104729 + 1};
  std::vector<Call>& out = calls_[static_cast<std::size_t>(t)];
  std::int64_t last = 0;
  auto stamp = [&] {
    last = std::max(now_ns(), last + 1);  // one thread's calls never overlap
    return last;
  };
  for (int window = 0; !stop_; ++window) {
    // The window's collection: creating it is a write too, so an unknown
    // outcome or an unavailable cluster is retried (collection() is
    // idempotent) for as long as the faults may last.
    Result<CollectionHandle> c = stash_->collection(window_name(window));
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (!c && !stop_ && Clock::now() < deadline &&
           (c.error().code() == ErrorCode::kUnavailable ||
            c.error().code() == ErrorCode::kOutcomeUnknown)) {
      std::this_thread::sleep_for(milliseconds(20));
      c = stash_->collection(window_name(window));
    }
    if (!c) {
      if (!stop_) thread_errors_[t] = "collection(" + window_name(window) + "): " + c.error().to_string();
      return;
    }
    for (int i = 0; i < options_.calls_per_window && !stop_; ++i) {
      Call call;
      call.thread = t;
      call.window = window;
      const int dice = rng.below(100);
      if (dice < 55) {
        call.kind = Call::kUpdate;
        call.keys = {key_name(t, window, i)};
      } else if (dice < 65) {
        call.kind = Call::kUpdateMany;
        call.keys = {key_name(t, window, i) + "a", key_name(t, window, i) + "b"};
      } else if (dice < 85) {
        call.kind = Call::kIterKey;
        call.keys = {key_name(rng.below(options_.threads), window, rng.below(i + 1))};
      } else {
        call.kind = Call::kIter;
      }
      call.invoked = stamp();
      switch (call.kind) {
        case Call::kUpdate:
          call.answer = kit::outcome(stash_->update(*c, call.keys[0], kValue, 0, 1));
          break;
        case Call::kUpdateMany: {
          const Update entries[] = {{call.keys[0], kValue, 0, 1}, {call.keys[1], kValue, 0, 1}};
          call.answer = kit::outcome(stash_->update_many(*c, entries));
          break;
        }
        case Call::kIterKey:
          call.answer = kit::outcome(stash_->iter_key(*c, call.keys[0]));
          break;
        case Call::kIter:
          call.answer = kit::outcome(stash_->iter(*c));
          break;
      }
      call.returned = stamp();
      if (call.write() && call.answer.ok()) ++acked_;
      out.push_back(std::move(call));
    }
  }
}

WorkloadReport Workload::verify(Stash& reader, milliseconds read_bound) const {
  WorkloadReport r;
  for (const std::string& e : thread_errors_) {
    if (!e.empty()) r.problems.push_back("workload thread: " + e);
  }
  // Per window, every call of every thread.
  std::map<int, std::vector<const Call*>> windows;
  for (const auto& per_thread : calls_) {
    for (const Call& c : per_thread) windows[c.window].push_back(&c);
  }
  const auto read_deadline = Clock::now() + read_bound;
  for (const auto& [window, calls] : windows) {
    // What the store holds now, key -> diff.
    Result<CollectionHandle> h = reader.collection(window_name(window));
    while (!h && h.error().code() == ErrorCode::kUnavailable && Clock::now() < read_deadline) {
      h = reader.collection(window_name(window));
    }
    Result<std::vector<Update>> rows =
        h ? reader.iter(*h) : Result<std::vector<Update>>(std::unexpected(h.error()));
    while (h && !rows && rows.error().code() == ErrorCode::kUnavailable &&
           Clock::now() < read_deadline) {
      rows = reader.iter(*h);
    }
    if (!rows) {
      r.problems.push_back("reading " + window_name(window) + " back: " + rows.error().to_string());
      continue;
    }
    std::map<Bytes, Diff> held;
    for (const Update& u : *rows) {
      held[u.key] += u.diff;
      if (u.value != kValue || u.time != 0) {
        r.problems.push_back(window_name(window) + " holds " + u.key + " with value '" + u.value +
                             "' at time " + std::to_string(u.time) + ": no call wrote that");
      }
    }
    std::set<Bytes> written;
    std::set<const Call*> applied_unknown;
    for (const Call* c : calls) {
      ++r.calls;
      if (!c->answer.ok() && r.failures.size() < 12) {
        r.failures.push_back(std::to_string((c->returned - c->invoked) / 1'000'000) + " ms: " +
                             c->name());
      }
      if (!c->write()) {
        ++r.reads;
        if (unavailable(c->answer)) {
          ++r.reads_failed;
        } else if (!c->answer.ok()) {
          r.problems.push_back("unexpected error: " + c->name());
        }
        continue;
      }
      ++r.writes;
      int present = 0;
      bool once = true;
      for (const Bytes& k : c->keys) {
        written.insert(k);
        const auto it = held.find(k);
        const Diff d = it == held.end() ? 0 : it->second;
        present += d != 0 ? 1 : 0;
        once = once && (d == 0 || d == 1);
      }
      const int n = static_cast<int>(c->keys.size());
      if (!once) r.problems.push_back("written more than once: " + c->name());
      if (c->answer.ok()) {
        ++r.writes_acked;
        if (present != n) {
          r.problems.push_back("acknowledged write lost (" + std::to_string(present) + " of " +
                               std::to_string(n) + " keys there): " + c->name());
        }
      } else if (c->code() == ErrorCode::kOutcomeUnknown) {
        ++r.writes_unknown;
        if (present == n) {
          ++r.unknown_applied;
          applied_unknown.insert(c);
        } else if (present != 0) {
          r.problems.push_back("half applied (" + std::to_string(present) + " of " +
                               std::to_string(n) + " keys there): " + c->name());
        }
      } else if (unavailable(c->answer)) {
        ++r.writes_failed;
        if (present != 0) r.problems.push_back("failed write took effect: " + c->name());
      } else {
        r.problems.push_back("unexpected error: " + c->name());
      }
    }
    for (const auto& [k, d] : held) {
      if (d != 0 && !written.contains(k)) {
        r.problems.push_back(window_name(window) + " holds " + k + " (diff " + std::to_string(d) +
                             "), which no call wrote");
      }
    }

    // The window's history, without the calls that had no effect.
    kit::History history;
    for (const Call* c : calls) {
      if (unavailable(c->answer)) continue;
      kit::CallRecord rec{c->thread, kit::Op{0, as_kit_call(*c)}, c->answer, c->invoked, c->returned};
      if (c->code() == ErrorCode::kOutcomeUnknown) {
        if (!c->write() || !applied_unknown.contains(c)) continue;
        rec.answer = kit::outcome(Status{});
        rec.returned = std::numeric_limits<std::int64_t>::max();
      }
      history.push_back(std::move(rec));
    }
    std::sort(history.begin(), history.end(),
              [](const kit::CallRecord& a, const kit::CallRecord& b) { return a.invoked < b.invoked; });
    kit::CheckerOptions checker;
    checker.max_steps = options_.max_checker_steps;
    const kit::CheckerResult result = kit::check_linearizable(history, checker);
    ++r.histories;
    if (result.verdict == kit::Verdict::kLinearizable) ++r.linearizable;
    if (result.verdict == kit::Verdict::kUnknown) ++r.checker_unknown;
    if (result.verdict == kit::Verdict::kNotLinearizable) {
      r.problems.push_back("history of " + window_name(window) + " (" +
                           std::to_string(history.size()) + " calls) is " + result.explanation);
    }
  }
  return r;
}

}  // namespace stash::testing
