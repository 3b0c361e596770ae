// raw_map: the in-memory baseline. A plain std::map from (key, value, time)
// to diff doing each workload's equivalent work: what MemoryStash would cost
// with no frontier checks, no lock, no consolidation on read and no copy.
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "bench_util.h"
#include "workloads.h"

namespace stash::bench {
namespace {

using benchmark::State;
using Map = std::map<std::tuple<Bytes, Bytes, Timestamp>, Diff>;

Map filled(std::int64_t n) {
  Map m;
  for (const Update& u : entries(0, n, 0))
    m.emplace_hint(m.end(), std::tuple{u.key, u.value, u.time}, u.diff);
  return m;
}

void add(Map& m, const Update& u) {
  auto [it, inserted] = m.try_emplace({u.key, u.value, u.time}, u.diff);
  if (!inserted && (it->second += u.diff) == 0) m.erase(it);
}

// The ordered scan, into iter's result type.
std::vector<Update> scan(const Map& m) {
  std::vector<Update> out;
  for (const auto& [kvt, diff] : m) {
    out.push_back({std::get<0>(kvt), std::get<1>(kvt), std::get<2>(kvt), diff});
  }
  return out;
}

// The ordered scan, into peek_one's result type.
std::map<Bytes, Bytes> scan_one(const Map& m) {
  std::map<Bytes, Bytes> out;
  for (const auto& [kvt, diff] : m) out.emplace_hint(out.end(), std::get<0>(kvt), std::get<1>(kvt));
  return out;
}

void update(State& state) {
  Map m;
  Timestamp t = 0;
  for (auto _ : state) add(m, {"key", "value", t++, 1});
  state.SetItemsProcessed(state.iterations());
}

void update_many(State& state) {
  Map m;
  Timestamp t = 0;
  for (auto _ : state) {
    for (const Update& u : entries(0, 10, t)) add(m, u);
    ++t;
  }
  state.SetItemsProcessed(state.iterations() * 10);
}

void ingest(State& state, std::int64_t n) {
  for (auto _ : state) {
    state.PauseTiming();
    Map m;
    const auto batch = entries(0, n, 0);
    state.ResumeTiming();
    for (const Update& u : batch) add(m, u);
    state.PauseTiming();
    m.clear();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
}

void iter(State& state, std::int64_t n) {
  const Map m = filled(n);
  for (auto _ : state) benchmark::DoNotOptimize(scan(m));
  state.SetItemsProcessed(state.iterations() * n);
}

void peek_one(State& state, std::int64_t n) {
  const Map m = filled(n);
  for (auto _ : state) benchmark::DoNotOptimize(scan_one(m));
  state.SetItemsProcessed(state.iterations() * n);
}

void iter_key(State& state, std::int64_t n) {
  const Map m = filled(n);
  Rng rng;
  for (auto _ : state) {
    const Bytes key = key_of(rng.below(n));
    std::vector<ValueUpdate> out;
    for (auto it = m.lower_bound({key, Bytes(), INT64_MIN});
         it != m.end() && std::get<0>(it->first) == key; ++it) {
      out.push_back({std::get<1>(it->first), std::get<2>(it->first), it->second});
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}

// Start-up from an image (as MemoryStash restarts from one): build the map,
// then read it as peek_one does.
void open_and_load(State& state, std::int64_t n) {
  const auto image = entries(0, n, 0);
  for (auto _ : state) {
    Map m;
    for (const Update& u : image) add(m, u);
    benchmark::DoNotOptimize(scan_one(m));
  }
}

}  // namespace

void register_memory_baselines() {
  register_baseline("raw_map", {update, update_many, ingest, peek_one, iter, iter_key, open_and_load});
}

}  // namespace stash::bench
