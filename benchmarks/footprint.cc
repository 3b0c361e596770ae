// stash_footprint: the memory and disk one store takes, measured in a
// process of its own (benchmarks/report runs one per measurement, so no
// measurement inherits another's heap).
//
//   build/bench/benchmarks/stash_footprint BACKEND N KEYS
//     BACKEND  memory, durable_memory, sqlite (the backends of backends.cc)
//              or raw_map (a std::map<(key, value, time), diff>)
//     KEYS     seq or rand (bench_util.h)
//
// Prints one JSON object, all sizes in bytes:
//   raw         the N updates as the caller holds them: a std::vector<Update>
//               of N (sizeof(Update) each plus the heap bytes of keys and
//               values too long for std::string's inline buffer). The unit
//               every ratio is in.
//   rest_heap   heap in use by the filled store, at rest (malloc's count of
//               bytes handed out: mallinfo2 uordblks + hblkhd)
//   rest_rss    resident set growth from filling it (VmRSS)
//   fill_peak   peak resident growth while filling it (VmHWM), in batches of
//               100k as backends.cc's fill() writes
//   iter_peak   peak resident growth during one full iter() (VmHWM reset
//               first through /proc/self/clear_refs), and
//   iter_output the heap that iter's result itself holds
//   files       bytes of the store's files (0 without files)
#include <malloc.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "backends.h"
#include "bench_util.h"

namespace stash::bench {
namespace {

std::int64_t heap_in_use() {
  const struct mallinfo2 m = mallinfo2();
  return static_cast<std::int64_t>(m.uordblks + m.hblkhd);
}

// A field of /proc/self/status in bytes ("VmRSS", "VmHWM").
std::int64_t status_bytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1)) * 1024;
  }
  die("read /proc/self/status", "no " + field);
}

// Makes VmHWM start again from the current VmRSS.
void reset_peak() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.close();
  if (!out) die("reset peak RSS", "cannot write /proc/self/clear_refs");
}

std::int64_t files_under(const std::string& dir) {
  std::int64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += static_cast<std::int64_t>(e.file_size());
  }
  return total;
}

using Map = std::map<std::tuple<Bytes, Bytes, Timestamp>, Diff>;

int run(const std::string& backend_name, std::int64_t n, Keys keys) {
  std::int64_t raw = 0;
  {
    const std::int64_t before = heap_in_use();
    const auto all = entries(0, n, 0, 1, keys);
    raw = heap_in_use() - before;
  }
  std::unique_ptr<Backend> backend;
  for (auto& b : all_backends()) {
    if (b->name() == backend_name) backend = std::move(b);
  }
  if (!backend && backend_name != "raw_map") die("stash_footprint", "unknown backend " + backend_name);

  reset_peak();
  const std::int64_t rss0 = status_bytes("VmRSS");
  const std::int64_t heap0 = heap_in_use();
  std::unique_ptr<Stash> stash;
  CollectionHandle c;
  Map map;
  if (backend) {
    stash = backend->create("footprint");
    c = fill(*stash, "data", n, keys);
  } else {
    for (std::int64_t first = 0; first < n; first += 100'000) {
      for (const Update& u : entries(first, std::min<std::int64_t>(100'000, n - first), 0, 1, keys)) {
        map.emplace(std::tuple{u.key, u.value, u.time}, u.diff);
      }
    }
  }
  const std::int64_t rest_heap = heap_in_use() - heap0;
  const std::int64_t rest_rss = status_bytes("VmRSS") - rss0;
  const std::int64_t fill_peak = status_bytes("VmHWM") - rss0;

  reset_peak();
  const std::int64_t rss1 = status_bytes("VmRSS");
  const std::int64_t heap1 = heap_in_use();
  std::int64_t iter_output = 0, iter_peak = 0;
  {
    std::vector<Update> out;
    if (stash) {
      out = must(stash->iter(c), "iter");
    } else {
      out.reserve(map.size());
      for (const auto& [kvt, diff] : map) {
        out.push_back({std::get<0>(kvt), std::get<1>(kvt), std::get<2>(kvt), diff});
      }
    }
    if (static_cast<std::int64_t>(out.size()) != n) die("iter", "wrong size");
    iter_output = heap_in_use() - heap1;
    iter_peak = status_bytes("VmHWM") - rss1;
  }
  const std::int64_t files = files_under(config().dir);
  std::printf(
      "{\"backend\": \"%s\", \"n\": %lld, \"keys\": \"%s\", \"raw\": %lld, \"rest_heap\": %lld, "
      "\"rest_rss\": %lld, \"fill_peak\": %lld, \"iter_peak\": %lld, \"iter_output\": %lld, "
      "\"files\": %lld}\n",
      backend_name.c_str(), static_cast<long long>(n), name_of(keys), static_cast<long long>(raw),
      static_cast<long long>(rest_heap), static_cast<long long>(rest_rss),
      static_cast<long long>(fill_peak), static_cast<long long>(iter_peak),
      static_cast<long long>(iter_output), static_cast<long long>(files));
  return 0;
}

}  // namespace
}  // namespace stash::bench

int main(int argc, char** argv) {
  using namespace stash::bench;
  if (argc != 4) {
    std::fprintf(stderr, "usage: stash_footprint BACKEND N seq|rand\n");
    return 2;
  }
  const std::string keys = argv[3];
  if (keys != "seq" && keys != "rand") die("stash_footprint", "KEYS must be seq or rand");
  return run(argv[1], std::stoll(argv[2]), keys == "seq" ? Keys::kSequential : Keys::kRandom);
}
