// Shared helpers of the stash benchmarks: the run configuration, the data
// every workload writes, and failing loudly when a call that must succeed
// does not (a benchmark of a failing call measures nothing).
#ifndef STASH_BENCHMARKS_BENCH_UTIL_H_
#define STASH_BENCHMARKS_BENCH_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "stash/error.h"
#include "stash/update.h"

namespace stash::bench {

// What to run. Read once from the environment by config():
//   STASH_BENCH_SMOKE=1     tiny sizes (<= 1k entries), one round of one
//                           call each: the CI smoke test, not a measurement.
//   STASH_BENCH_MAX_N=N     leave out collection sizes above N (default 1M).
//   STASH_BENCH_ROUNDS=R    interleaved rounds per comparison (default 9).
//   STASH_BENCH_SLOT_MS=MS  time each subject runs per round (default 40).
//   STASH_BENCH_SUBJECTS=RE only the subjects (engines) matching RE, e.g.
//                           "^(memory|raw_map)$" for a quick look.
//   STASH_BENCH_DIR=DIR     where benchmark files go (default $TMPDIR or /tmp).
//   STASH_TEST_POSTGRES_URL libpq conninfo; without it PostgreSQL is skipped.
struct Config {
  bool smoke = false;
  std::int64_t max_n = 1'000'000;
  int rounds = 9;
  double slot_seconds = 0.04;
  std::string subjects;      // regex; empty: every subject
  std::string dir;           // A fresh directory, removed at exit.
  std::string postgres_url;  // Empty: no PostgreSQL benchmarks.

  // The collection sizes of the scaling workloads: 1k, 10k, 100k, 1M.
  std::vector<std::int64_t> sizes() const;
  // `n` scaled down for the smoke test (a 100k batch becomes 100).
  std::int64_t scaled(std::int64_t n) const {
    return smoke ? std::max<std::int64_t>(n / 1000, 10) : n;
  }
};
const Config& config();

// The keys a workload writes:
//   kSequential  key i is "k" + 10 digits (11 bytes): byte order is i's order,
//                so every insert lands at the end of an index;
//   kRandom      key i is 16-64 pseudo-random bytes (any byte value), a pure
//                function of i: inserts land all over an index, as real
//                catalog keys (names, hashes, uuids) do.
// Value i is "val" + 10 digits (13 bytes) either way.
enum class Keys { kSequential, kRandom };
const char* name_of(Keys keys);  // "seq", "rand"
std::string key_of(std::int64_t i, Keys keys = Keys::kSequential);
std::string value_of(std::int64_t i);

// Entries key_of(first + i) -> value_of(first + i) for i in [0, n), at
// `time` with diff `diff`, in i's order (sorted only for kSequential).
std::vector<Update> entries(std::int64_t first, std::int64_t n, Timestamp time, Diff diff = 1,
                            Keys keys = Keys::kSequential);

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

// A deterministic pseudo-random sequence (fixed seed: runs are repeatable).
class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0x5eed) : state_(seed) {}
  std::uint64_t next() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return state_ >> 17;
  }
  std::int64_t below(std::int64_t n) { return static_cast<std::int64_t>(next() % n); }

 private:
  std::uint64_t state_;
};

// Keeps the compiler from dropping a result nobody reads.
template <typename T>
void keep(const T& value) {
  asm volatile("" : : "r"(&value) : "memory");
}

}  // namespace stash::bench

#endif  // STASH_BENCHMARKS_BENCH_UTIL_H_
