// durable_bench: the DurableMemoryStash targets of issue #17, each measured
// against a baseline run in the same process, in interleaved rounds (stash,
// baseline, stash, baseline, ...), and reported as the median of the
// per-round ratios with their spread (min..max), so that a noisy machine
// moves both sides alike.
//
//   DurableOpen/N        open() of a store of N entries (all in the
//                        snapshot, plus a log), against building the same
//                        std::map from entries already in memory. Target:
//                        < 1 s and <= 2x at 1M.
//   DurableGroupCommit   acknowledged durable update()s per second with 1, 2,
//                        4 and 8 writer threads on one store, against the
//                        single-threaded rate of the same round. Target:
//                        8 threads >= 4x.
//   DurableFootprint/N   peak RSS while ingesting N updates (batches of
//                        1000) and while reopening, against the raw bytes
//                        (key + value + time + diff). Target: <= 2x at 1M.
//
//   build/dev/benchmarks/durable_bench [--benchmark_filter=REGEX]
//
// Files go to $STASH_BENCH_DIR (default /var/tmp: a real disk, so that
// fdatasync costs what it costs). STASH_BENCH_ROUNDS sets the rounds
// (default 5), STASH_BENCH_SMOKE=1 shrinks everything for the smoke test.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "stash/durable_memory_stash.h"

namespace stash::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

bool smoke() { return std::getenv("STASH_BENCH_SMOKE") != nullptr; }

int rounds() {
  if (smoke()) return 1;
  const char* value = std::getenv("STASH_BENCH_ROUNDS");
  return value != nullptr ? std::max(1, std::atoi(value)) : 5;
}

// A fresh directory under STASH_BENCH_DIR, removed when the benchmark ends.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("STASH_BENCH_DIR");
    std::string pattern = std::string(base != nullptr ? base : "/var/tmp") + "/durable-bench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string store(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void must(const Status& s, const char* what) {
  if (!s) {
    std::fprintf(stderr, "durable_bench: %s: %s\n", what, s.error().message().c_str());
    std::exit(1);
  }
}
template <typename T>
T must(Result<T> r, const char* what) {
  must(r ? Status() : Status(std::unexpected(r.error())), what);
  return std::move(*r);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds this process has used: on a shared machine the wall clock also
// counts other people's work.
double cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// The median and spread of per-round ratios, as benchmark counters.
void report(benchmark::State& state, const std::string& name, std::vector<double> ratios) {
  std::sort(ratios.begin(), ratios.end());
  state.counters[name] = ratios[ratios.size() / 2];
  state.counters[name + "_min"] = ratios.front();
  state.counters[name + "_max"] = ratios.back();
}

// The machine's 1-minute load average (other people's work on the cores):
// wall times are only comparable between runs at similar load.
double load_average() {
  double load = 0;
  std::ifstream("/proc/loadavg") >> load;
  return load;
}

// Entry i of a store: keys of 16-64 random-looking bytes (so the map's
// comparisons cost what they cost), in no particular order.
struct Shape {
  std::size_t key_bytes_min = 16;
  std::size_t key_bytes_spread = 49;
  std::size_t value_bytes = 13;
};

Update entry(std::int64_t i, const Shape& shape) {
  std::mt19937_64 rng(static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ull + 1);
  std::string key(shape.key_bytes_min + rng() % shape.key_bytes_spread, '\0');
  for (char& c : key) c = static_cast<char>('a' + rng() % 26);
  key += std::to_string(i);  // Unique.
  std::string value(shape.value_bytes, '\0');
  for (char& c : value) c = static_cast<char>('A' + rng() % 26);
  return {std::move(key), std::move(value), 0, 1};
}

std::vector<Update> entries(std::int64_t first, std::int64_t n, const Shape& shape) {
  std::vector<Update> out;
  out.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = first; i < first + n; ++i) out.push_back(entry(i, shape));
  return out;
}

std::size_t raw_bytes(const Update& u) { return u.key.size() + u.value.size() + 16; }

// ---------------------------------------------------------------------------
// Startup.
// ---------------------------------------------------------------------------

void DurableOpen(benchmark::State& state) {
  const std::int64_t n = smoke() ? 1000 : state.range(0);
  const Shape shape;
  TempDir dir;
  const std::string store = dir.store("open");
  const std::vector<Update> data = entries(0, n, shape);
  {
    auto stash = must(DurableMemoryStash::open(store), "create");
    auto c = must(stash->collection("c"), "collection");
    constexpr std::size_t kBatch = 10'000;
    for (std::size_t i = 0; i < data.size(); i += kBatch) {
      const std::size_t end = std::min(data.size(), i + kBatch);
      must(stash->update_many(c, std::span(data).subspan(i, end - i)), "update_many");
    }
    must(stash->snapshot(), "snapshot");
    // And some log, as a store that was running would have.
    must(stash->update_many(c, entries(n, std::max<std::int64_t>(n / 100, 1), shape)), "log");
  }
  // The baseline builds the map from the entries in key order, the order a
  // snapshot holds them in (and the order raw_map's open_and_load uses).
  std::vector<Update> sorted = data;
  std::sort(sorted.begin(), sorted.end(),
            [](const Update& a, const Update& b) { return a.key < b.key; });
  std::vector<double> ratios, cpu_ratios, opens, maps, open_cpus, map_cpus;
  for (auto _ : state) {
    for (int round = 0; round < rounds(); ++round) {
      // Untimed: the frees of the previous round's stash and map are merged
      // now, not charged to whichever side allocates next (as a process
      // starting would find its heap).
      malloc_trim(0);
      auto start = Clock::now();
      double cpu = cpu_seconds();
      double open_s = 0, open_cpu = 0;
      {
        auto stash = must(DurableMemoryStash::open(store), "open");
        open_s = seconds_since(start);  // Closing is not part of opening.
        open_cpu = cpu_seconds() - cpu;
      }
      malloc_trim(0);
      start = Clock::now();
      cpu = cpu_seconds();
      double map_s = 0, map_cpu = 0;
      {
        std::map<std::tuple<std::string, std::string, Timestamp>, Diff> map;
        for (const Update& u : sorted) map[{u.key, u.value, u.time}] += u.diff;
        benchmark::DoNotOptimize(map.size());
        map_s = seconds_since(start);  // Destroying it is not part of building it.
        map_cpu = cpu_seconds() - cpu;
      }
      opens.push_back(open_s);
      maps.push_back(map_s);
      open_cpus.push_back(open_cpu);
      map_cpus.push_back(map_cpu);
      ratios.push_back(open_s / map_s);
      cpu_ratios.push_back(open_cpu / map_cpu);
    }
  }
  report(state, "open_over_map", ratios);
  report(state, "open_over_map_cpu", cpu_ratios);
  report(state, "open_s", opens);
  report(state, "map_s", maps);
  report(state, "open_cpu_s", open_cpus);
  report(state, "map_cpu_s", map_cpus);
  state.counters["loadavg_1m"] = load_average();
}

// ---------------------------------------------------------------------------
// Group commit.
// ---------------------------------------------------------------------------

// Acknowledged writes per second of `threads` writers for `duration`.
double writes_per_second(DurableMemoryStash& stash, int threads, std::chrono::milliseconds duration) {
  std::atomic<bool> stop = false;
  std::atomic<std::int64_t> writes = 0;
  std::vector<std::thread> writers;
  writers.reserve(threads);
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      auto c = must(stash.collection("writer-" + std::to_string(t)), "collection");
      std::int64_t mine = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        must(stash.update(c, "key-" + std::to_string(mine), "value", 0, 1), "update");
        ++mine;
      }
      writes += mine;
    });
  }
  std::this_thread::sleep_for(duration);
  stop = true;
  for (auto& w : writers) w.join();
  return static_cast<double>(writes.load()) / seconds_since(start);
}

void DurableGroupCommit(benchmark::State& state) {
  TempDir dir;
  const auto duration = std::chrono::milliseconds(smoke() ? 20 : 500);
  const std::vector<int> thread_counts = {1, 2, 4, 8};
  std::map<int, std::vector<double>> ratios, rates, per_sync;
  auto stash = must(DurableMemoryStash::open(dir.store("gc")), "open");
  for (auto _ : state) {
    for (int round = 0; round < rounds(); ++round) {
      double single = 0;
      for (int threads : thread_counts) {
        const DurableStats before = stash->stats();
        const double rate = writes_per_second(*stash, threads, duration);
        const DurableStats after = stash->stats();
        per_sync[threads].push_back(static_cast<double>(after.records - before.records) /
                                    static_cast<double>(std::max<std::uint64_t>(after.syncs - before.syncs, 1)));
        if (threads == 1) single = rate;
        rates[threads].push_back(rate);
        ratios[threads].push_back(rate / single);
      }
    }
  }
  for (int threads : thread_counts) {
    auto& r = rates[threads];
    std::sort(r.begin(), r.end());
    state.counters["writes_per_s_" + std::to_string(threads)] = r[r.size() / 2];
    if (threads > 1) report(state, "x" + std::to_string(threads) + "_over_1", ratios[threads]);
    auto& g = per_sync[threads];
    std::sort(g.begin(), g.end());
    state.counters["records_per_sync_" + std::to_string(threads)] = g[g.size() / 2];
  }
  state.counters["loadavg_1m"] = load_average();
  const DurableStats stats = stash->stats();
  state.counters["records_per_sync"] =
      static_cast<double>(stats.records) / static_cast<double>(std::max<std::uint64_t>(stats.syncs, 1));
}

// ---------------------------------------------------------------------------
// Footprint.
// ---------------------------------------------------------------------------

// VmRSS or VmHWM (the peak since the last reset) of this process, in bytes.
std::size_t proc_status_bytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field + ":")) return std::stoull(line.substr(field.size() + 1)) * 1024;
  }
  return 0;
}

// Resets VmHWM to the current RSS (Linux >= 4.0).
void reset_peak() {
  malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
}

void DurableFootprint(benchmark::State& state) {
  const std::int64_t n = smoke() ? 1000 : state.range(0);
  // About 94 bytes of raw data per update (1M: ~90 MiB), as in issue #17.
  const Shape shape{.key_bytes_min = 30, .key_bytes_spread = 21, .value_bytes = 38};
  TempDir dir;
  const std::string store = dir.store("footprint");
  std::size_t raw = 0;
  for (std::int64_t i = 0; i < n; ++i) raw += raw_bytes(entry(i, shape));
  for (auto _ : state) {
    fs::remove_all(store);
    reset_peak();
    const std::size_t base = proc_status_bytes("VmRSS");
    std::size_t at_rest = 0;
    {
      auto stash = must(DurableMemoryStash::open(store), "create");
      auto c = must(stash->collection("c"), "collection");
      for (std::int64_t i = 0; i < n; i += 1000) {
        must(stash->update_many(c, entries(i, std::min<std::int64_t>(1000, n - i), shape)),
             "update_many");
      }
      at_rest = proc_status_bytes("VmRSS") - base;
    }
    const std::size_t ingest_peak = proc_status_bytes("VmHWM") - base;
    reset_peak();
    const std::size_t base2 = proc_status_bytes("VmRSS");
    std::size_t reopened_rest = 0;
    {
      auto stash = must(DurableMemoryStash::open(store), "reopen");
      reopened_rest = proc_status_bytes("VmRSS") - base2;
    }
    const std::size_t open_peak = proc_status_bytes("VmHWM") - base2;
    const double r = static_cast<double>(raw);
    state.counters["raw_MiB"] = r / (1 << 20);
    state.counters["ingest_peak_over_raw"] = static_cast<double>(ingest_peak) / r;
    state.counters["at_rest_over_raw"] = static_cast<double>(at_rest) / r;
    state.counters["open_peak_over_raw"] = static_cast<double>(open_peak) / r;
    state.counters["reopened_rest_over_raw"] = static_cast<double>(reopened_rest) / r;
  }
}

}  // namespace

BENCHMARK(DurableOpen)->Arg(100'000)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(DurableGroupCommit)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(DurableFootprint)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace stash::bench

BENCHMARK_MAIN();
