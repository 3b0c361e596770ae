#include "harness.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <regex>
#include <utility>

namespace stash::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Subject {
  std::string engine;
  Prepare prepare;
};

std::map<std::string, std::vector<Subject>>& subjects() {
  static std::map<std::string, std::vector<Subject>> all;
  return all;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(std::lround(p * static_cast<double>(v.size() - 1)));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// Runs `calls` calls of `op`, appending each call's duration; returns the
// median call's time: on a shared machine a few calls of a slot are
// preempted, and the median is the slot's cost without them. One clock read
// per call: a call's time is from the end of the previous one (or of its
// untimed after_each) to its own end.
double run_slot(Op& op, std::int64_t calls, std::vector<double>& durations) {
  std::vector<double> slot;
  slot.reserve(static_cast<std::size_t>(calls));
  Clock::time_point start = Clock::now();
  for (std::int64_t i = 0; i < calls; ++i) {
    op.run();
    const Clock::time_point end = Clock::now();
    const double d = seconds(end - start);
    slot.push_back(d);
    if (op.after_each) {
      op.after_each();
      start = Clock::now();
    } else {
      start = end;
    }
  }
  durations.insert(durations.end(), slot.begin(), slot.end());
  return percentile(std::move(slot), 0.5);
}

void run_comparison(benchmark::State& state, const std::string& workload, const Shape& shape) {
  const Config& cfg = config();
  std::vector<Subject> all;
  for (const Subject& s : subjects()[workload]) {
    if (cfg.subjects.empty() || std::regex_search(s.engine, std::regex(cfg.subjects))) {
      all.push_back(s);
    }
  }
  std::vector<Op> ops;
  ops.reserve(all.size());
  for (const Subject& s : all) ops.push_back(s.prepare(shape));

  // Calibrate (and warm up): each subject's slot is sized by the median
  // of at least 3 calls, made until a quarter of a slot has passed. One
  // call is not enough: a cold first call can take 10x what later ones do,
  // and the slot it sizes holds so few calls that one preemption moves
  // their median (peek_one once measured 9.8x from that alone).
  std::vector<std::int64_t> calls(ops.size(), 1);
  if (!cfg.smoke) {
    for (std::size_t i = 0; i < ops.size(); ++i) {
      std::vector<double> times;
      double spent = 0;
      while (times.size() < 3 || spent < cfg.slot_seconds / 4) {
        const double t = run_slot(ops[i], 1, times);
        spent += t;
        if (times.size() >= 1000) break;
      }
      const double t = percentile(times, 0.5);
      calls[i] = std::clamp<std::int64_t>(static_cast<std::int64_t>(cfg.slot_seconds / t), 1,
                                          200'000);
    }
  }
  const int rounds = cfg.smoke ? 1 : cfg.rounds;
  std::vector<std::vector<double>> means(ops.size()), durations(ops.size());
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    for (int r = 0; r < rounds; ++r) {
      // Alternate the order, so that no subject always runs after the same
      // neighbour (whose cache footprint or dirty pages it would inherit).
      for (std::size_t j = 0; j < ops.size(); ++j) {
        const std::size_t i = r % 2 == 0 ? j : ops.size() - 1 - j;
        means[i].push_back(run_slot(ops[i], calls[i], durations[i]));
      }
    }
    state.SetIterationTime(seconds(Clock::now() - start));
  }
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const std::string& e = all[i].engine;
    for (std::size_t r = 0; r < means[i].size(); ++r) {
      state.counters[e + ".r" + std::to_string(r)] = means[i][r];
    }
    state.counters[e + ".p50"] = percentile(durations[i], 0.50);
    state.counters[e + ".p99"] = percentile(durations[i], 0.99);
    state.counters[e + ".items"] = static_cast<double>(ops[i].items);
  }
}

}  // namespace

std::string comparison_name(const std::string& workload, const Shape& shape) {
  if (shape.n == 0) return workload;
  return workload + "/" + name_of(shape.keys) + "/" + std::to_string(shape.n);
}

void add_subject(const std::string& workload, const std::string& engine, Prepare prepare) {
  subjects()[workload].push_back({engine, std::move(prepare)});
}

void register_comparison(const std::string& workload, const std::vector<Shape>& shapes) {
  if (subjects()[workload].empty()) return;
  for (const Shape& shape : shapes) {
    benchmark::RegisterBenchmark(comparison_name(workload, shape).c_str(),
                                 [workload, shape](benchmark::State& s) {
                                   run_comparison(s, workload, shape);
                                 })
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace stash::bench
