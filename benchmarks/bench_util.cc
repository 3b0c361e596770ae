#include "bench_util.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace stash::bench {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

Config load() {
  Config c;
  c.smoke = env("STASH_BENCH_SMOKE") == "1";
  if (c.smoke) c.max_n = 1000;
  if (auto max = env("STASH_BENCH_MAX_N"); !max.empty()) c.max_n = std::stoll(max);
  c.postgres_url = env("STASH_TEST_POSTGRES_URL");
  std::string base = env("STASH_BENCH_DIR");
  if (base.empty()) base = env("TMPDIR");
  if (base.empty()) base = "/tmp";
  std::string tmpl = base + "/stash-bench.XXXXXX";
  if (!mkdtemp(tmpl.data())) die("mkdtemp " + tmpl, "failed");
  c.dir = tmpl;
  // The files of a 1M-entry run are a few hundred MB; never leave them.
  static std::string to_remove = c.dir;
  std::atexit([] { std::filesystem::remove_all(to_remove); });
  return c;
}

}  // namespace

const Config& config() {
  static const Config c = load();
  return c;
}

std::vector<std::int64_t> Config::sizes() const {
  std::vector<std::int64_t> out;
  for (std::int64_t n : {1'000, 10'000, 100'000, 1'000'000}) {
    if (n <= max_n) out.push_back(n);
  }
  return out;
}

void Config::apply(benchmark::internal::Benchmark* b) const {
  b->Unit(benchmark::kMicrosecond);
  // Wall time: a commit waits on fsync or on the server, not on this CPU, and
  // items/s must be the rate a caller sees.
  b->UseRealTime();
  if (smoke) b->Iterations(1);
}

std::string key_of(std::int64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "k%010lld", static_cast<long long>(i));
  return buf;
}

std::string value_of(std::int64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "val%010lld", static_cast<long long>(i));
  return buf;
}

std::vector<Update> entries(std::int64_t first, std::int64_t n, Timestamp time, Diff diff) {
  std::vector<Update> out;
  out.reserve(n);
  for (std::int64_t i = first; i < first + n; ++i) {
    out.push_back({key_of(i), value_of(i), time, diff});
  }
  return out;
}

void die(const std::string& what, const std::string& why) {
  std::fprintf(stderr, "stash_bench: %s: %s\n", what.c_str(), why.c_str());
  std::fflush(stderr);
  std::exit(1);  // runs the atexit cleanup of the files
}

void register_baseline(const std::string& engine, const BaselineWorkloads& w) {
  auto once = [&](const std::string& workload, void (*fn)(benchmark::State&)) {
    config().apply(benchmark::RegisterBenchmark((workload + "/" + engine).c_str(), fn));
  };
  auto sized = [&](const std::string& workload, std::int64_t n,
                   void (*fn)(benchmark::State&, std::int64_t)) {
    const std::string name = workload + "/" + engine + "/" + std::to_string(n);
    config().apply(benchmark::RegisterBenchmark(name.c_str(), [fn, n](benchmark::State& s) {
      fn(s, n);
    }));
  };
  once("update", w.update);
  once("update_many", w.update_many);
  for (std::int64_t n : {1'000, 100'000}) {
    if (n <= config().max_n) sized("ingest", n, w.ingest);
  }
  for (std::int64_t n : config().sizes()) {
    sized("peek_one", n, w.peek_one);
    sized("iter", n, w.iter);
    sized("iter_key", n, w.iter_key);
    sized("open_and_load", n, w.open_and_load);
  }
}

}  // namespace stash::bench
