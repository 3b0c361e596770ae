// The stash workloads (workloads.cc) and the raw engines' equivalents
// (baselines_*.cc), added as subjects of the interleaved comparisons of
// harness.h.
#ifndef STASH_BENCHMARKS_WORKLOADS_H_
#define STASH_BENCHMARKS_WORKLOADS_H_

#include "backends.h"
#include "harness.h"

namespace stash::bench {

// Every workload of workloads.cc on `backend` (which must outlive the run).
void add_backend_subjects(Backend& backend);

// The raw engines doing the equivalent work: raw_map (a std::map), raw_file
// (append + fdatasync), raw_sqlite, raw_pg (only with config().postgres_url),
// lmdb and rocksdb.
void add_memory_baselines();
void add_file_baselines();
void add_sqlite_baselines();
void add_postgres_baselines();
void add_lmdb_baselines();
void add_rocksdb_baselines();

// Registers every comparison, in the order that lets the read workloads of
// one shape share their populated stores. Call after adding the subjects.
void register_all_comparisons();

}  // namespace stash::bench

#endif  // STASH_BENCHMARKS_WORKLOADS_H_
