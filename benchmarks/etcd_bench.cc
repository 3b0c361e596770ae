// etcd_bench: every workload of workloads.cc on EtcdStash and the raw etcd
// equivalents (etcd_baselines.cc), interleaved in one Google Benchmark
// binary (harness.h says how), on the cluster ci/with-etcd starts.
//
//   bash ci/with-etcd build/bench/benchmarks/etcd_bench [--benchmark_filter=REGEX]
//   python3 benchmarks/report          # includes it when STASH_ETCD_ENDPOINTS is set
//
// The environment variables of bench_util.h apply, with one different
// default: STASH_BENCH_MAX_N is 10000 unless set (a replicated store of
// small metadata; every call is a network round trip and a Raft commit).
// Needs STASH_ETCD_ENDPOINTS; without it the program says so and exits 77
// (skipped), or 1 under CI=true.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench_util.h"
#include "etcd_bench.h"
#include "stash/etcd_stash.h"
#include "stash/open.h"
#include "workloads.h"

namespace stash::bench {
namespace {

class EtcdBackend final : public Backend {
 public:
  explicit EtcdBackend(std::string endpoints) : endpoints_(std::move(endpoints)) {}
  std::string name() const override { return "etcd"; }
  std::unique_ptr<Stash> create(const std::string& store) override {
    const EtcdOptions options = must(parse_etcd_location(location(store)), "etcd location");
    must(EtcdStash::destroy(options), "destroy etcd prefix");
    return must(stash::open("etcd:" + location(store)), "open etcd");
  }
  void close(const std::string&, std::unique_ptr<Stash>) override {}
  std::unique_ptr<Stash> open(const std::string& store) override {
    return must(stash::open("etcd:" + location(store)), "reopen etcd");
  }

 private:
  std::string location(const std::string& store) const {
    return endpoints_ + "/stash-bench-" + store;
  }
  std::string endpoints_;
};

bool under_ci() {
  const char* ci = std::getenv("CI");
  return ci && *ci && std::string(ci) != "false" && std::string(ci) != "0";
}

}  // namespace

std::unique_ptr<Backend> etcd_backend(const std::string& endpoints) {
  return std::make_unique<EtcdBackend>(endpoints);
}

}  // namespace stash::bench

int main(int argc, char** argv) {
  using namespace stash::bench;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const char* endpoints = std::getenv("STASH_ETCD_ENDPOINTS");
  if (!endpoints || !*endpoints) {
    std::fprintf(stderr, "etcd_bench: NOT RUN: STASH_ETCD_ENDPOINTS unset (run via bash ci/with-etcd)\n");
    return under_ci() ? 1 : 77;
  }
  const char* smoke = std::getenv("STASH_BENCH_SMOKE");
  if (!smoke || std::string(smoke) != "1") {
    setenv("STASH_BENCH_MAX_N", "10000", /*overwrite=*/0);  // before config() reads it
  }
  const Config& cfg = config();
  std::fprintf(stderr, "etcd_bench: cluster %s%s\n", endpoints,
               cfg.smoke ? " (smoke: tiny sizes, 1 call per subject, no measurement)" : "");
  const std::string list = endpoints;
  auto backend = etcd_backend(list);  // outlives the run: workloads hold references
  add_backend_subjects(*backend);
  add_etcd_baselines(list.substr(0, list.find(',')));
  register_all_comparisons();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  drop_populated();
  return 0;
}
