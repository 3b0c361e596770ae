// stash_bench: every workload of workloads.cc on every backend, and the raw
// engines doing the same work, in one Google Benchmark binary.
//
//   build/bench/benchmarks/stash_bench [--benchmark_filter=REGEX] ...
//   bash ci/with-postgres build/bench/benchmarks/stash_bench   # with PostgreSQL
//   benchmarks/report                                          # the markdown table
//
// See workloads.cc for the table of workloads and bench_util.h for the
// environment variables (STASH_BENCH_SMOKE, STASH_BENCH_MAX_N, ...).
#include <benchmark/benchmark.h>

#include <cstdio>

#include "bench_util.h"
#include "workloads.h"

int main(int argc, char** argv) {
  using namespace stash::bench;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const Config& cfg = config();
  std::fprintf(stderr, "stash_bench: files in %s%s\n", cfg.dir.c_str(),
               cfg.smoke ? " (smoke: tiny sizes, 1 iteration, no measurement)" : "");
  auto backends = all_backends();  // Outlives the run: workloads hold references.
  for (auto& backend : backends) register_workloads(*backend);
  register_memory_baselines();
  register_file_baselines();
  register_sqlite_baselines();
  if (!cfg.postgres_url.empty()) register_postgres_baselines();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  drop_populated();
  return 0;
}
