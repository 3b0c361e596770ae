// The stash workloads, the same on every backend (LevelDB db_bench style).
// Each is registered as WORKLOAD/BACKEND or WORKLOAD/BACKEND/N; the raw
// baselines of baselines_*.cc use the same WORKLOAD names with the backends
// raw_sqlite, raw_pg and raw_map, so benchmarks/report can pair them.
//
//   workload              per iteration (N = collection size)
//   --------------------  ---------------------------------------------------
//   update                one update(): 1 entry at time t, t += 1. One
//                         durable commit on the durable backends.
//   update_many           one update_many() of 10 entries at time t, t += 1.
//   consolidation         update +1 at t, update -1 at t+1, seal t+2,
//                         compact t+2, consolidate (5 calls); t += 2.
//   consolidation_large/N set up: N entries at a time far beyond since (future
//                         data: part of the collection, never compacted).
//                         Per iteration: update_many of 10k entries at t that
//                         also retract the previous iteration's 10k, seal t+1,
//                         compact t+1, consolidate. The rows at or before since
//                         stay ~20k whatever N is, so a flat scaling column
//                         shows consolidate costs what is at or before since,
//                         not the collection.
//   ingest/N              update_many() of N new entries (N = 1k, 100k) into a
//                         new collection: the bulk-load rate (items/s).
//   peek_one/N            peek_one() of a sealed collection of N entries.
//   iter/N                iter() of the same collection.
//   iter_key/N            iter_key() of a pseudo-random key of that collection.
//   open_and_load/N       open the existing store holding that collection (as a
//                         process starting), collection("data"), peek_one():
//                         the start-up cost. Closing the old handle is untimed.
//   append                one append() to 10 collections, 1 entry each at t,
//                         lower {t}, upper {t+1}: a multi-collection commit.
//   catalog_upsert/N      how catalogs use a stash: peek_key_one(k) of key i
//                         (round robin over N keys), then update_many
//                         {(k, old) -1, (k, new) +1} at t, seal t+1.
//
// The data: key i is "k" + 10 digits, value i "val" + 10 digits (11 and 13
// bytes), time 0, diff 1, sealed at {1}; sizes N are 1k, 10k, 100k, 1M
// (STASH_BENCH_MAX_N caps them; STASH_BENCH_SMOKE=1 runs 1k, one iteration).
// Durable backends run with their durable defaults: SQLite WAL +
// synchronous=FULL (+ quick_check at open), DurableMemoryStash fdatasync per
// write, PostgreSQL whatever the server does (ci/with-postgres: fsync=off).
#include "workloads.h"

#include <memory>
#include <string>

#include "bench_util.h"

namespace stash::bench {
namespace {

using benchmark::State;

void update(State& state, Backend& b) {
  auto stash = b.create("update");
  const auto c = must(stash->collection("c"), "collection");
  Timestamp t = 0;
  for (auto _ : state) {
    must(stash->update(c, "key", "value", t++, 1), "update");
  }
  state.SetItemsProcessed(state.iterations());
}

void update_many(State& state, Backend& b) {
  auto stash = b.create("update_many");
  const auto c = must(stash->collection("c"), "collection");
  Timestamp t = 0;
  for (auto _ : state) {
    must(stash->update_many(c, entries(0, 10, t++)), "update_many");
  }
  state.SetItemsProcessed(state.iterations() * 10);
}

void consolidation(State& state, Backend& b) {
  auto stash = b.create("consolidation");
  const auto c = must(stash->collection("c"), "collection");
  Timestamp t = 0;
  for (auto _ : state) {
    must(stash->update(c, "key", "value", t, 1), "update +1");
    must(stash->update(c, "key", "value", t + 1, -1), "update -1");
    must(stash->seal(c, Frontier(t + 2)), "seal");
    must(stash->compact(c, Frontier(t + 2)), "compact");
    must(stash->consolidate(c), "consolidate");
    t += 2;
  }
}

void consolidation_large(State& state, Backend& b, std::int64_t n) {
  const std::int64_t batch = config().scaled(10'000);
  auto stash = b.create("consolidation_large");
  const auto c = must(stash->collection("c"), "collection");
  const Timestamp far = Timestamp{1} << 40;
  for (std::int64_t first = 0; first < n; first += 100'000) {
    must(stash->update_many(c, entries(first, std::min<std::int64_t>(100'000, n - first), far)),
         "set up");
  }
  // Keys of the per-iteration batches lie after the set-up keys.
  std::int64_t round = 0;
  Timestamp t = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto batch_entries = entries(n + round * batch, batch, t, 1);
    if (round > 0) {
      auto retract = entries(n + (round - 1) * batch, batch, t, -1);
      batch_entries.insert(batch_entries.end(), retract.begin(), retract.end());
    }
    state.ResumeTiming();
    must(stash->update_many(c, batch_entries), "update_many");
    must(stash->seal(c, Frontier(t + 1)), "seal");
    must(stash->compact(c, Frontier(t + 1)), "compact");
    must(stash->consolidate(c), "consolidate");
    ++round;
    ++t;
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

void ingest(State& state, Backend& b, std::int64_t n) {
  auto stash = b.create("ingest");
  std::int64_t round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const auto c = must(stash->collection("c" + std::to_string(round++)), "collection");
    const auto batch = entries(0, n, 0);
    state.ResumeTiming();
    must(stash->update_many(c, batch), "ingest");
  }
  state.SetItemsProcessed(state.iterations() * n);
}

void peek_one(State& state, Backend& b, std::int64_t n) {
  const Populated p = populated(b, n);
  for (auto _ : state) {
    auto m = must(p.stash->peek_one(p.data), "peek_one");
    if (static_cast<std::int64_t>(m.size()) != n) die("peek_one", "wrong size");
  }
  state.SetItemsProcessed(state.iterations() * n);
}

void iter(State& state, Backend& b, std::int64_t n) {
  const Populated p = populated(b, n);
  for (auto _ : state) {
    auto v = must(p.stash->iter(p.data), "iter");
    if (static_cast<std::int64_t>(v.size()) != n) die("iter", "wrong size");
  }
  state.SetItemsProcessed(state.iterations() * n);
}

void iter_key(State& state, Backend& b, std::int64_t n) {
  const Populated p = populated(b, n);
  Rng rng;
  for (auto _ : state) {
    auto v = must(p.stash->iter_key(p.data, key_of(rng.below(n))), "iter_key");
    if (v.size() != 1) die("iter_key", "wrong size");
  }
  state.SetItemsProcessed(state.iterations());
}

void open_and_load(State& state, Backend& b, std::int64_t n) {
  const std::string store = populated(b, n).store;
  for (auto _ : state) {
    state.PauseTiming();
    b.close(store, take_populated());
    state.ResumeTiming();
    auto stash = b.open(store);
    const auto c = must(stash->collection("data"), "collection");
    auto m = must(stash->peek_one(c), "peek_one");
    if (static_cast<std::int64_t>(m.size()) != n) die("open_and_load", "wrong size");
    state.PauseTiming();
    put_populated(std::move(stash));
    m.clear();
    state.ResumeTiming();
  }
}

void append(State& state, Backend& b) {
  auto stash = b.create("append");
  std::vector<CollectionHandle> cs;
  for (int i = 0; i < 10; ++i) cs.push_back(must(stash->collection("c" + std::to_string(i)), "c"));
  Timestamp t = 0;
  for (auto _ : state) {
    std::vector<AppendBatch> batches;
    for (std::size_t i = 0; i < cs.size(); ++i) {
      batches.push_back({cs[i],
                         Frontier(t),
                         Frontier(t + 1),
                         std::nullopt,
                         {{key_of(static_cast<std::int64_t>(i)), "value", t, 1}}});
    }
    must(stash->append(batches), "append");
    ++t;
  }
  state.SetItemsProcessed(state.iterations() * 10);
}

void catalog_upsert(State& state, Backend& b, std::int64_t n) {
  auto stash = b.create("catalog_upsert");
  const auto c = fill(*stash, "catalog", n);
  Timestamp t = 1;  // fill sealed the collection to {1}
  for (auto _ : state) {
    const std::int64_t i = (t - 1) % n;
    const Bytes key = key_of(i);
    auto old = must(stash->peek_key_one(c, key), "peek_key_one");
    if (!old) die("catalog_upsert", "key has no value");
    const Bytes fresh = value_of(i) + "@" + std::to_string(t);
    const Update change[] = {{key, *old, t, -1}, {key, fresh, t, 1}};
    must(stash->update_many(c, change), "update_many");
    must(stash->seal(c, Frontier(t + 1)), "seal");
    ++t;
  }
}

// Registers NAME/BACKEND (n < 0) or NAME/BACKEND/N running fn.
template <typename Fn>
benchmark::internal::Benchmark* add(const std::string& name, Backend& b, std::int64_t n, Fn fn) {
  std::string full = name + "/" + b.name();
  if (n >= 0) full += "/" + std::to_string(n);
  auto* bench = benchmark::RegisterBenchmark(full.c_str(), [&b, n, fn](State& s) {
    if constexpr (std::is_invocable_v<Fn, State&, Backend&>) {
      fn(s, b);
    } else {
      fn(s, b, n);
    }
  });
  config().apply(bench);
  return bench;
}

}  // namespace

void register_workloads(Backend& b) {
  const Config& cfg = config();
  add("update", b, -1, update);
  add("update_many", b, -1, update_many);
  add("consolidation", b, -1, consolidation);
  add("append", b, -1, append);
  for (std::int64_t n : {1'000, 100'000}) {
    if (n <= cfg.max_n) add("ingest", b, n, ingest);
  }
  // Per size, every read of the populated store, then open_and_load (which
  // reopens it), so the cache builds each store once.
  for (std::int64_t n : cfg.sizes()) {
    add("peek_one", b, n, peek_one);
    add("iter", b, n, iter);
    add("iter_key", b, n, iter_key);
    add("open_and_load", b, n, open_and_load);
  }
  // A fixed count: Google Benchmark would otherwise rerun the (1M-entry)
  // set-up for each trial count; 10 rounds reach the steady state.
  for (std::int64_t n : cfg.sizes()) {
    auto* bench = add("consolidation_large", b, n, consolidation_large);
    if (!cfg.smoke) bench->Iterations(10);
  }
  for (std::int64_t n : cfg.sizes()) {
    if (n <= 100'000) add("catalog_upsert", b, n, catalog_upsert);
  }
}

}  // namespace stash::bench
