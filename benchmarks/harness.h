// Interleaved comparisons: how every number of the report is measured.
//
// A machine shared with other work drifts by far more than the differences
// we want to see, so nothing is measured alone. A comparison puts every
// engine that can run one workload at one shape (a stash backend, or a raw
// engine doing the equivalent work) into one process and runs them in
// rounds: subject 1 for a slot, subject 2 for a slot, ..., then again (in
// the reverse order every other round). Each subject's median time per call
// in the slot is recorded per round (the median, so that the few calls a
// neighbour preempts do not count), and a ratio of two
// subjects is taken per round (they ran within a second of each other) and
// summarised by its median and spread (benchmarks/report). Every call is
// timed on its own as well, for p50 and p99 latencies.
//
// Each comparison is one Google Benchmark (name WORKLOAD/KEYS/N, or WORKLOAD
// for the per-call ones) whose counters hold, per subject S:
//   S.r0, S.r1, ...  median seconds per call in each round
//   S.p50, S.p99     latency percentiles over every timed call (seconds)
//   S.items          items (entries written or read) per call
#ifndef STASH_BENCHMARKS_HARNESS_H_
#define STASH_BENCHMARKS_HARNESS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bench_util.h"

namespace stash::bench {

// One call to time, set up by a workload on one engine.
struct Op {
  std::function<void()> run;         // timed
  std::function<void()> after_each;  // optional, untimed, after each run
  std::int64_t items = 1;            // entries written or read per run
};

// The shape of the data a workload runs on: the collection size (0 for the
// per-call workloads) and the keys.
struct Shape {
  std::int64_t n = 0;
  Keys keys = Keys::kSequential;
};

// How one engine runs one workload: set-up (untimed), returning the call.
using Prepare = std::function<Op(const Shape&)>;

// Adds `engine` to every comparison of `workload` (registered below).
void add_subject(const std::string& workload, const std::string& engine, Prepare prepare);

// Registers one Google Benchmark per (workload, shape) with every subject
// added so far. Each comparison prepares its subjects in order, runs the
// rounds, and releases them before the next comparison starts.
void register_comparison(const std::string& workload, const std::vector<Shape>& shapes);

// The name of a comparison: "iter/seq/1000", or "update" for n == 0.
std::string comparison_name(const std::string& workload, const Shape& shape);

}  // namespace stash::bench

#endif  // STASH_BENCHMARKS_HARNESS_H_
