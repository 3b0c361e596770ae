// stash_bench: every workload of workloads.cc on every backend, and the raw
// engines doing the same work, interleaved in one Google Benchmark binary
// (harness.h says how).
//
//   build/bench/benchmarks/stash_bench [--benchmark_filter=REGEX] ...
//   bash ci/with-postgres build/bench/benchmarks/stash_bench   # with PostgreSQL
//   python3 benchmarks/report                                  # the report
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
               cfg.smoke ? " (smoke: tiny sizes, 1 call per subject, no measurement)" : "");
  auto backends = all_backends();  // Outlives the run: workloads hold references.
  for (auto& backend : backends) add_backend_subjects(*backend);
  add_memory_baselines();
  add_file_baselines();
  add_sqlite_baselines();
  if (!cfg.postgres_url.empty()) add_postgres_baselines();
  add_lmdb_baselines();
  add_rocksdb_baselines();
  register_all_comparisons();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  drop_populated();
  return 0;
}
