// The crash area (capability crash): power loss at a point the kit chooses.
//
// Each case issues random calls (all 18, valid and invalid) through one
// Stash object and cuts the power (Harness::crash) after a random number of
// them:
//   - between calls, in half the cases: every call so far was acknowledged;
//   - in flight, in the others: a writer thread keeps issuing calls while the
//     kit calls crash() from another thread as soon as a call that writes
//     several things (a batch, an append) has started; calls that returned
//     before crash() was called are acknowledged, the one in flight and any
//     after it are not.
// Then every Stash object is destroyed and the store reopened. What the
// reopened store shows (every read of every collection) must be what the
// model shows after the acknowledged calls plus possibly some of the
// unacknowledged ones after them, each entirely: every acknowledged write
// survives (INV-7), nothing unacknowledged is half-applied (INV-6), and the
// store reopens at all.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

#include "checks.h"
#include "concurrent.h"

namespace stash::conformance::internal {
namespace {

constexpr int kCollections = 2;
constexpr int kCalls = 16;

struct CaseResult {
  bool passed = true;
  std::string details;
  bool in_flight = false;
  int acknowledged = 0;
};

std::string listing(const std::vector<Call>& calls, const std::vector<Answer>& got, int from,
                    int to) {
  std::string out;
  for (int i = from; i < to; ++i) {
    out += "  " + std::to_string(i) + ": " + to_string(Op{0, calls[i]}) +
           (i < static_cast<int>(got.size()) ? " -> " + got[i].text : "") + "\n";
  }
  return out;
}

bool writes_several(const Call& call) {
  if (const auto* u = std::get_if<UpdateManyOp>(&call)) return u->entries.size() > 1;
  return std::holds_alternative<AppendOp>(call) || std::holds_alternative<SealBatchOp>(call) ||
         std::holds_alternative<CompactBatchOp>(call);
}

// "c0 iter: reopened ok [...], model ok []" for each read that differs.
std::string differing_lines(const std::string& seen, const std::string& want) {
  auto lines = [](const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
      out.push_back(text.substr(start, nl - start));
    }
    return out;
  };
  const auto a = lines(seen);
  const auto b = lines(want);
  std::string out;
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string x = i < a.size() ? a[i] : "";
    const std::string y = i < b.size() ? b[i] : "";
    if (x == y) continue;
    const std::size_t colon = x.find(": ");
    out += "  " + x.substr(0, colon) + ": reopened " +
           (colon == std::string::npos ? x : x.substr(colon + 2)) + ", model " +
           (y.find(": ") == std::string::npos ? y : y.substr(y.find(": ") + 2)) + "\n";
  }
  return out;
}

CaseResult run_case(const Backend& backend, std::uint64_t seed, bool in_flight) {
  CaseResult result;
  result.in_flight = in_flight;
  const std::vector<Call> calls = random_calls(seed, kCalls, kCollections);
  int crash_after = static_cast<int>(seed % kCalls);
  if (in_flight) {
    // Aim at a call that writes several things at once, where a backend
    // that is not atomic on disk would tear.
    for (int k = 0; k < kCalls; ++k) {
      const int i = (crash_after + k) % kCalls;
      if (writes_several(calls[i])) {
        crash_after = i;
        break;
      }
    }
  }
  auto harness = backend.make_harness();
  std::shared_ptr<Stash> object;
  {
    auto s = harness->open_fresh();
    if (!s) return {false, "open_fresh failed: " + s.error().to_string()};
    object = std::shared_ptr<Stash>(std::move(*s));
  }
  std::vector<Answer> got(calls.size());
  int acknowledged = 0;  // calls 0 .. acknowledged-1 returned before the crash
  int invoked = 0;       // calls 0 .. invoked-1 were issued
  Status crashed;
  if (!in_flight) {
    auto world = world_over(object);
    for (int i = 0; i < crash_after; ++i) got[i] = world->execute(Op{0, calls[i]});
    acknowledged = invoked = crash_after;
    crashed = harness->crash();
  } else {
    std::atomic<int> started{0};    // calls 0 .. started-1 were issued
    std::atomic<int> completed{0};  // calls 0 .. completed-1 returned
    std::atomic<bool> done{false};
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      auto world = world_over(object);
      for (int i = 0; i < static_cast<int>(calls.size()) && !stop.load(); ++i) {
        started.store(i + 1);
        got[i] = world->execute(Op{0, calls[i]});  // read after join
        completed.store(i + 1);
      }
      done.store(true);
    });
    // Cut the power as soon as call crash_after is under way, so that it is
    // likely still in flight. A spin, not a sleep: the writer never blocks,
    // and the wait is bounded anyway.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (started.load() <= crash_after && !done.load() &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    // A lower bound: a call that returns between this read and crash() is
    // counted as unacknowledged (allowed either way).
    acknowledged = completed.load();
    crashed = harness->crash();
    stop = true;
    writer.join();
    invoked = started.load();
  }
  result.acknowledged = acknowledged;
  object.reset();
  if (!crashed) return {false, "crash() failed: " + crashed.error().to_string()};

  // Before the crash the backend must have agreed with the model.
  auto model = World::model(make_memory_model, {});
  for (int i = 0; i < acknowledged; ++i) {
    const Answer want = model->execute(Op{0, calls[i]});
    if (want.text != got[i].text) {
      return {false, "before the crash, call " + std::to_string(i) + " " +
                         to_string(Op{0, calls[i]}) + " returned " + got[i].detailed() +
                         ", the model " + want.detailed()};
    }
  }
  // What the store may show: the model after acknowledged + j calls.
  const auto keys = key_alphabet(2);
  std::vector<std::string> allowed{model->observe(0, kCollections, keys).render()};
  for (int i = acknowledged; i < invoked; ++i) {
    model->execute(Op{0, calls[i]});
    allowed.push_back(model->observe(0, kCollections, keys).render());
  }
  auto reopened = harness->reopen();
  if (!reopened) {
    return {false, "the store does not reopen after power loss: " +
                       reopened.error().to_string() + "\ncalls before the crash:\n" +
                       listing(calls, got, 0, invoked)};
  }
  std::shared_ptr<Stash> again(std::move(*reopened));
  const std::string seen = world_over(again)->observe(0, kCollections, keys).render();
  if (std::find(allowed.begin(), allowed.end(), seen) != allowed.end()) return result;
  std::string why = "after power loss " + std::string(in_flight ? "in flight" : "between calls") +
                    ", the reopened store matches no acknowledged state.\n" +
                    "acknowledged before the crash (" + std::to_string(acknowledged) +
                    " calls):\n" + listing(calls, got, 0, acknowledged);
  if (invoked > acknowledged) {
    why += "not acknowledged (each may be there entirely, or not at all):\n" +
           listing(calls, got, acknowledged, invoked);
  }
  why += "reads that differ from the model after the acknowledged calls:\n" +
         differing_lines(seen, allowed.front());
  return {false, why};
}

CheckOutput run_crash(Context& ctx) {
  int cases = std::max(8, ctx.options.max_success / 2);
  if (const char* n = std::getenv("STASH_CRASH_CASES")) cases = std::max(1, std::atoi(n));
  const std::uint64_t base = ctx.options.seed + std::hash<std::string>{}("crash");
  int in_flight = 0;
  std::uint64_t acknowledged = 0;
  for (int i = 0; i < cases; ++i) {
    const std::uint64_t seed = base + 15485863 * static_cast<std::uint64_t>(i);
    const CaseResult r = run_case(ctx.backend, seed, i % 2 == 1);
    if (!r.passed) {
      return {false, "case " + std::to_string(i) + " of " + std::to_string(cases) + ": " +
                         r.details + "(run seed " + std::to_string(ctx.options.seed) + ")"};
    }
    in_flight += r.in_flight ? 1 : 0;
    acknowledged += static_cast<std::uint64_t>(r.acknowledged);
  }
  (*ctx.coverage)["crash cases"] += static_cast<std::uint64_t>(cases);
  (*ctx.coverage)["crash cases in flight"] += static_cast<std::uint64_t>(in_flight);
  return {true, std::to_string(cases) + " power losses (" + std::to_string(in_flight) +
                    " in flight), " + std::to_string(acknowledged) +
                    " acknowledged calls checked after reopening"};
}

}  // namespace

std::vector<CheckDef> crash_checks() {
  return {{Area::kCrash,
           "crash: power loss keeps every acknowledged write and tears nothing",
           "CrashConsistency", Capability::kCrash, run_crash}};
}

}  // namespace stash::conformance::internal
