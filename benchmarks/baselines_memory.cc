// raw_map: the in-memory baseline. A plain std::map from (key, value, time)
// to diff doing each workload's equivalent work: what MemoryStash would cost
// with no frontier checks, no lock, no consolidation on read and no copy.
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_util.h"
#include "workloads.h"

namespace stash::bench {
namespace {

using Map = std::map<std::tuple<Bytes, Bytes, Timestamp>, Diff>;

void add(Map& m, const Update& u) {
  auto [it, inserted] = m.try_emplace({u.key, u.value, u.time}, u.diff);
  if (inserted) return;
  it->second += u.diff;
  if (it->second == 0) m.erase(it);
}

std::shared_ptr<Map> filled(const Shape& shape) {
  auto m = std::make_shared<Map>();
  for (const Update& u : entries(0, shape.n, 0, 1, shape.keys)) add(*m, u);
  return m;
}

// The ordered scan, into iter's result type.
std::vector<Update> scan(const Map& m) {
  std::vector<Update> out;
  for (const auto& [kvt, diff] : m) {
    out.push_back({std::get<0>(kvt), std::get<1>(kvt), std::get<2>(kvt), diff});
  }
  return out;
}

// The ordered scan, into peek's result type.
std::vector<PeekEntry> scan_peek(const Map& m) {
  std::vector<PeekEntry> out;
  for (const auto& [kvt, diff] : m) out.push_back({std::get<0>(kvt), std::get<1>(kvt), diff});
  return out;
}

// The ordered scan, into peek_one's result type.
std::map<Bytes, Bytes> scan_one(const Map& m) {
  std::map<Bytes, Bytes> out;
  for (const auto& [kvt, diff] : m) out.emplace_hint(out.end(), std::get<0>(kvt), std::get<1>(kvt));
  return out;
}

// One key's rows, into iter_key's result type.
std::vector<ValueUpdate> scan_key(const Map& m, const Bytes& key) {
  std::vector<ValueUpdate> out;
  for (auto it = m.lower_bound({key, Bytes(), INT64_MIN});
       it != m.end() && std::get<0>(it->first) == key; ++it) {
    out.push_back({std::get<1>(it->first), std::get<2>(it->first), it->second});
  }
  return out;
}

struct Writes {
  Map map;
  Timestamp t = 0;
  std::int64_t next_key = 0;
  std::vector<Update> next;
};

Op update(const Shape&) {
  auto w = std::make_shared<Writes>();
  return {[w] { add(w->map, {"key", "value", w->t++, 1}); }, {}, 1};
}

Op update_many(const Shape&) {
  auto w = std::make_shared<Writes>();
  return {[w] {
            for (const Update& u : entries(0, 10, w->t)) add(w->map, u);
            ++w->t;
          },
          {},
          10};
}

Op batch(const Shape& shape) {
  auto w = std::make_shared<Writes>();
  w->next = entries(0, shape.n, 0, 1, shape.keys);
  return {[w] {
            for (const Update& u : w->next) add(w->map, u);
            ++w->t;
          },
          [w, shape] {
            w->next_key += shape.n;
            w->next = entries(w->next_key, shape.n, w->t, 1, shape.keys);
          },
          shape.n};
}

Op ingest(const Shape& shape) {
  auto w = std::make_shared<Writes>();
  w->next = entries(0, shape.n, 0, 1, shape.keys);
  return {[w] {
            for (const Update& u : w->next) add(w->map, u);
          },
          [w] { w->map.clear(); },
          shape.n};
}

Op iter(const Shape& shape) {
  auto m = filled(shape);
  return {[m] { benchmark::DoNotOptimize(scan(*m)); }, {}, shape.n};
}

Op peek(const Shape& shape) {
  auto m = filled(shape);
  return {[m] { benchmark::DoNotOptimize(scan_peek(*m)); }, {}, shape.n};
}

Op peek_one(const Shape& shape) {
  auto m = filled(shape);
  return {[m] { benchmark::DoNotOptimize(scan_one(*m)); }, {}, shape.n};
}

Op iter_key(const Shape& shape) {
  auto m = filled(shape);
  auto rng = std::make_shared<Rng>();
  return {[m, rng, shape] {
            auto v = scan_key(*m, key_of(rng->below(shape.n), shape.keys));
            if (v.size() != 1) die("iter_key raw_map", "wrong size");
          },
          {},
          1};
}

Op peek_key_one(const Shape& shape) {
  auto m = filled(shape);
  auto rng = std::make_shared<Rng>();
  return {[m, rng, shape] {
            const Bytes key = key_of(rng->below(shape.n), shape.keys);
            auto it = m->lower_bound({key, Bytes(), INT64_MIN});
            if (it == m->end() || std::get<0>(it->first) != key) die("peek_key_one raw_map", "none");
            Bytes value = std::get<1>(it->first);
            benchmark::DoNotOptimize(value);
          },
          {},
          1};
}

// Start-up from an image (as MemoryStash restarts from one): build the map,
// then read it as peek_one does.
Op open_and_load(const Shape& shape) {
  auto image = std::make_shared<std::vector<Update>>(entries(0, shape.n, 0, 1, shape.keys));
  auto m = std::make_shared<Map>();
  return {[image, m] {
            for (const Update& u : *image) add(*m, u);
            benchmark::DoNotOptimize(scan_one(*m));
          },
          [m] { m->clear(); },
          shape.n};
}

}  // namespace

void add_memory_baselines() {
  add_subject("update", "raw_map", update);
  add_subject("update_many", "raw_map", update_many);
  add_subject("batch", "raw_map", batch);
  add_subject("ingest", "raw_map", ingest);
  add_subject("iter", "raw_map", iter);
  add_subject("peek", "raw_map", peek);
  add_subject("peek_one", "raw_map", peek_one);
  add_subject("iter_key", "raw_map", iter_key);
  add_subject("peek_key_one", "raw_map", peek_key_one);
  add_subject("open_and_load", "raw_map", open_and_load);
}

}  // namespace stash::bench
