// Registration of the stash workloads (workloads.cc) and of the raw engine
// baselines (baselines_*.cc) with Google Benchmark.
#ifndef STASH_BENCHMARKS_WORKLOADS_H_
#define STASH_BENCHMARKS_WORKLOADS_H_

#include "backends.h"

namespace stash::bench {

// Every workload of workloads.cc on `backend` (which must outlive the run).
void register_workloads(Backend& backend);

// The raw engines doing the equivalent work, as backends raw_sqlite, raw_pg
// (only with config().postgres_url) and raw_map.
void register_sqlite_baselines();
void register_postgres_baselines();
void register_memory_baselines();
void register_file_baselines();

}  // namespace stash::bench

#endif  // STASH_BENCHMARKS_WORKLOADS_H_
