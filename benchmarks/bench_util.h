// Shared helpers of the stash benchmarks: the run configuration, the data
// every workload writes, and failing loudly when a call that must succeed
// does not (a benchmark of a failing call measures nothing).
#ifndef STASH_BENCHMARKS_BENCH_UTIL_H_
#define STASH_BENCHMARKS_BENCH_UTIL_H_

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "stash/error.h"
#include "stash/update.h"

namespace stash::bench {

// What to run. Read once from the environment by config():
//   STASH_BENCH_SMOKE=1     tiny sizes (<= 1k entries), one iteration each:
//                           the CI smoke test, not a measurement.
//   STASH_BENCH_MAX_N=N     leave out collection sizes above N (default 1M).
//   STASH_BENCH_DIR=DIR     where benchmark files go (default $TMPDIR or /tmp).
//   STASH_TEST_POSTGRES_URL libpq conninfo; without it PostgreSQL is skipped.
struct Config {
  bool smoke = false;
  std::int64_t max_n = 1'000'000;
  std::string dir;           // A fresh directory, removed at exit.
  std::string postgres_url;  // Empty: no PostgreSQL benchmarks.

  // The collection sizes of the scaling workloads: 1k, 10k, 100k, 1M.
  std::vector<std::int64_t> sizes() const;
  // `n` scaled down for the smoke test (a 100k batch becomes 100).
  std::int64_t scaled(std::int64_t n) const {
    return smoke ? std::max<std::int64_t>(n / 1000, 10) : n;
  }
  // Applied to every registered benchmark: one iteration in smoke mode.
  void apply(benchmark::internal::Benchmark* b) const;
};
const Config& config();

// The i-th key and value: fixed width, so byte order is numeric order.
// Keys are 11 bytes and values 13, the size of a small catalog entry's ids.
std::string key_of(std::int64_t i);
std::string value_of(std::int64_t i);

// Entries key_of(first + i) -> value_of(first + i) for i in [0, n), at
// `time` with diff `diff`, in key order.
std::vector<Update> entries(std::int64_t first, std::int64_t n, Timestamp time, Diff diff = 1);

// Exits the process with `what` and the error: benchmarks do not measure
// failing calls, and the smoke test must fail loudly.
[[noreturn]] void die(const std::string& what, const std::string& why);
inline void must(const Status& s, const char* what) {
  if (!s) die(what, s.error().message());
}
template <typename T>
T must(Result<T> r, const char* what) {
  if (!r) die(what, r.error().message());
  return std::move(*r);
}

// The workloads every raw engine implements as a baseline: the per-call ones
// take the benchmark state, the scaling ones also the collection size.
struct BaselineWorkloads {
  void (*update)(benchmark::State&);
  void (*update_many)(benchmark::State&);
  void (*ingest)(benchmark::State&, std::int64_t n);
  void (*peek_one)(benchmark::State&, std::int64_t n);
  void (*iter)(benchmark::State&, std::int64_t n);
  void (*iter_key)(benchmark::State&, std::int64_t n);
  void (*open_and_load)(benchmark::State&, std::int64_t n);
};

// Registers WORKLOAD/ENGINE (and WORKLOAD/ENGINE/N at the sizes config()
// selects) for each of `workloads`, so that they pair with the backends'
// benchmarks of the same names.
void register_baseline(const std::string& engine, const BaselineWorkloads& workloads);

// A deterministic pseudo-random sequence (fixed seed: runs are repeatable).
class Rng {
 public:
  std::uint64_t next() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return state_ >> 17;
  }
  std::int64_t below(std::int64_t n) { return static_cast<std::int64_t>(next() % n); }

 private:
  std::uint64_t state_ = 0x5eed;
};

}  // namespace stash::bench

#endif  // STASH_BENCHMARKS_BENCH_UTIL_H_
