// The concurrent area: several threads, through one or several Stash objects
// on one store, issue random calls (all 18, valid and invalid) on a few
// shared collections; each call is recorded with its thread, invocation and
// response time (steady clock), arguments and result, and the history must
// be linearizable with MemoryStash as the sequential model
// (linearizability.h).
//
// Objects and threads, by capability:
//   none             every thread on object 0;
//   several_handles  objects 0 and 1, threads alternate between them (so two
//                    threads share object 0);
//   with fencing     object 1 fenced object 0. In one history of four,
//                    threads 0 and 1 share object 1 and thread 2 keeps
//                    calling the fenced object 0 (every call must fail with
//                    kFenced); in the others all threads start on object 1
//                    and thread 0 opens object 2 at a random point, fencing
//                    object 1 while the other threads still write through it.
//
// The interleavings are the scheduler's, so a failing history cannot be
// replayed exactly; the run's seed does regenerate the same calls.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <latch>
#include <thread>

#include "checks.h"
#include "concurrent.h"
#include "generators.h"
#include "linearizability.h"
#include "stash/forwarding_stash.h"

namespace stash::conformance::internal {

std::unique_ptr<World> world_over(const std::shared_ptr<Stash>& s) {
  // Each thread's World gets its own Stash object forwarding to the one
  // the area shares among threads.
  return World::model([&] { return std::make_unique<ForwardingStash>(s); }, {});
}

std::vector<Call> random_calls(std::uint64_t seed, int calls, int collections) {
  GenConfig config;
  config.collections = collections;
  config.extreme_diffs = false;
  config.list_collections = false;
  config.events = {};
  GenState state(config);
  rc::Random random(seed);
  std::vector<Call> out;
  for (int i = 0; i < calls; ++i) {
    rc::Random r = random.split();
    Op op = gen_op(state)(r, 50).value();
    state.apply(op);
    out.push_back(std::move(op.call));
  }
  return out;
}

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

struct Shape {
  int threads = 3;
  int calls_per_thread = 12;
  std::uint64_t max_steps = 200'000;
};

struct Stats {
  int histories = 0;
  int fencing_races = 0;
  std::uint64_t calls = 0;
  int linearizable = 0;
  int unknown = 0;
  std::uint64_t steps = 0;
  std::string text() const {
    return std::to_string(histories) + " histories (" + std::to_string(fencing_races) +
           " with a fencing race), " + std::to_string(calls) + " calls, " +
           std::to_string(linearizable) + " linearizable, " + std::to_string(unknown) +
           " unknown (bound hit), " + std::to_string(steps) + " model calls";
  }
};

// The calls one thread will issue: generated from the frontiers this thread
// alone would have produced (a guide for aiming near the edges; the other
// threads move them too, which is the point).
std::vector<Call> plan(std::uint64_t seed, int calls) { return random_calls(seed, calls, 3); }

struct Recording {
  History history;
  CheckerOptions checker;
  bool fencing_race = false;
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Result<Recording> record(const Backend& backend, std::uint64_t seed, int index,
                         const Shape& shape, Coverage& coverage) {
  auto harness = backend.make_harness();
  const Capabilities caps = harness->capabilities();
  std::vector<std::shared_ptr<Stash>> objects;
  {
    auto first = harness->open_fresh();
    if (!first) return std::unexpected(first.error());
    objects.emplace_back(std::move(*first));
  }
  if (caps.several_handles) {
    auto second = harness->open_another();
    if (!second) return std::unexpected(second.error());
    objects.emplace_back(std::move(*second));
  }
  Recording rec;
  rec.checker.objects = static_cast<int>(objects.size());
  rec.checker.fencing = caps.fencing;
  rec.checker.max_steps = shape.max_steps;
  rec.fencing_race = caps.fencing && caps.several_handles && index % 4 != 0;

  auto object_of = [&](int thread) {
    if (!caps.several_handles) return 0;
    if (caps.fencing) return thread == 2 && !rec.fencing_race ? 0 : 1;
    return thread % 2;
  };
  std::vector<std::vector<Call>> plans;
  for (int t = 0; t < shape.threads; ++t) {
    plans.push_back(plan(seed + 7919 * static_cast<std::uint64_t>(t + 1), shape.calls_per_thread));
  }
  const int race_at = rec.fencing_race ? static_cast<int>(seed % static_cast<std::uint64_t>(
                                                              shape.calls_per_thread - 2)) + 1
                                       : -1;

  std::vector<History> per_thread(shape.threads);
  std::vector<Coverage> covered(shape.threads);
  std::vector<std::string> harness_error(shape.threads);
  std::latch start(shape.threads);
  std::vector<std::thread> threads;
  for (int t = 0; t < shape.threads; ++t) {
    threads.emplace_back([&, t] {
      int object = object_of(t);
      auto world = world_over(objects[object]);
      world->coverage = &covered[t];
      std::shared_ptr<Stash> opened;  // the fencing race's new object
      std::int64_t last = 0;
      auto stamp = [&] {
        last = std::max(now_ns(), last + 1);  // a thread's calls never overlap
        return last;
      };
      start.arrive_and_wait();
      for (int i = 0; i < static_cast<int>(plans[t].size()); ++i) {
        if (t == 0 && i == race_at) {
          CallRecord r{t, Op{object, OpenAnotherOp{}}, {}, stamp(), 0};
          auto s = harness->open_another();
          r.returned = stamp();
          if (!s) {
            harness_error[t] = "open_another failed: " + s.error().to_string();
            return;
          }
          r.answer = outcome(Status{});
          per_thread[t].push_back(std::move(r));
          ++covered[t]["event open_another during calls (fencing race)"];
          opened = std::shared_ptr<Stash>(std::move(*s));
          object = rec.checker.objects;  // the next index
          world = world_over(opened);
          world->coverage = &covered[t];
        }
        CallRecord r{t, Op{object, plans[t][i]}, {}, stamp(), 0};
        r.answer = world->execute(Op{0, plans[t][i]});
        r.returned = stamp();
        per_thread[t].push_back(std::move(r));
      }
      // `opened` is closed here, before the harness is destroyed.
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < shape.threads; ++t) {
    if (!harness_error[t].empty()) return fail(ErrorCode::kInternal, harness_error[t]);
    for (const auto& [k, n] : covered[t]) coverage[k] += n;
    for (CallRecord& r : per_thread[t]) rec.history.push_back(std::move(r));
  }
  std::sort(rec.history.begin(), rec.history.end(),
            [](const CallRecord& a, const CallRecord& b) { return a.invoked < b.invoked; });
  return rec;
}

CheckOutput run_concurrent(Context& ctx) {
  Shape shape;
  shape.threads = std::max(2, env_int("STASH_CONCURRENT_THREADS", shape.threads));
  shape.calls_per_thread =
      std::max(4, env_int("STASH_CONCURRENT_CALLS", shape.calls_per_thread));
  shape.max_steps = static_cast<std::uint64_t>(
      std::max(1000, env_int("STASH_LINEARIZABILITY_BOUND", static_cast<int>(shape.max_steps))));
  const int histories =
      std::max(1, env_int("STASH_CONCURRENT_HISTORIES", ctx.options.concurrent_histories));
  Stats stats;
  Coverage mine;
  const std::uint64_t base = ctx.options.seed + std::hash<std::string>{}("concurrent");
  for (int h = 0; h < histories; ++h) {
    const std::uint64_t seed = base + 104729 * static_cast<std::uint64_t>(h);
    auto rec = record(ctx.backend, seed, h, shape, mine);
    if (!rec) {
      return {false, "history " + std::to_string(h) + ": " + rec.error().to_string()};
    }
    ++stats.histories;
    stats.fencing_races += rec->fencing_race ? 1 : 0;
    stats.calls += rec->history.size();
    const CheckerResult result = check_linearizable(rec->history, rec->checker);
    stats.steps += result.steps;
    if (result.verdict == Verdict::kUnknown) ++stats.unknown;
    if (result.verdict == Verdict::kLinearizable) ++stats.linearizable;
    if (result.verdict == Verdict::kNotLinearizable) {
      for (const auto& [what, n] : mine) (*ctx.coverage)[what] += n;
      return {false, "history " + std::to_string(h) + " of " + std::to_string(histories) +
                         " (" + std::to_string(shape.threads) + " threads, " +
                         std::to_string(rec->checker.objects) + " Stash objects) is " +
                         result.explanation + "after " + stats.text() +
                         ".\nThe interleaving is the scheduler's: rerunning with seed " +
                         std::to_string(ctx.options.seed) +
                         " issues the same calls, not necessarily in the same order."};
    }
  }
  for (const auto& [what, n] : mine) (*ctx.coverage)[what] += n;
  (*ctx.coverage)["concurrent histories"] += static_cast<std::uint64_t>(stats.histories);
  (*ctx.coverage)["concurrent histories linearizable"] +=
      static_cast<std::uint64_t>(stats.linearizable);
  (*ctx.coverage)["concurrent histories unknown (bound hit)"] +=
      static_cast<std::uint64_t>(stats.unknown);
  (*ctx.coverage)["concurrent calls"] += stats.calls;
  return {true, stats.text()};
}

}  // namespace

std::vector<CheckDef> concurrent_checks() {
  return {{Area::kConcurrent,
           "concurrent: threads and Stash objects on shared collections linearize",
           "ConcurrentLinearizable", std::nullopt, run_concurrent}};
}

}  // namespace stash::conformance::internal
