// The etcd pieces of etcd_bench (etcd_bench.cc): EtcdStash as a
// bench::Backend and the raw etcd baselines (etcd_baselines.cc).
#ifndef STASH_BENCHMARKS_ETCD_BENCH_H_
#define STASH_BENCHMARKS_ETCD_BENCH_H_

#include <memory>
#include <string>

#include "backends.h"

namespace stash::bench {

// EtcdStash on the cluster of `endpoints` ("h1:p1,h2:p2,..."), one key
// prefix per store: /stash-bench-<store>/.
std::unique_ptr<Backend> etcd_backend(const std::string& endpoints);

// raw_etcd: the workloads' equivalents through etcd's KV API, on `endpoint`
// (host:port of one member).
void add_etcd_baselines(const std::string& endpoint);

}  // namespace stash::bench

#endif  // STASH_BENCHMARKS_ETCD_BENCH_H_
