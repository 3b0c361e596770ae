// The stash workloads, the same on every backend (LevelDB db_bench style).
// Each comparison (harness.h) runs one workload at one shape on every
// backend and on every raw engine that registered an equivalent
// (baselines_*.cc), interleaved in rounds.
//
//   workload              one timed call (N = collection size)
//   --------------------  ---------------------------------------------------
//   update                one update(): 1 entry at time t, t += 1. One
//                         durable commit on the durable backends.
//   update_many           one update_many() of 10 entries at time t, t += 1.
//   batch/K/1000          one update_many() of 1000 new entries (keys K) at
//                         t, t += 1: a bulk write into a growing collection.
//   append                one append() to 10 collections, 1 entry each at t,
//                         lower {t}, upper {t+1}: a multi-collection commit.
//   consolidation         update +1 at t, update -1 at t+1, seal t+2,
//                         compact t+2, consolidate (5 calls); t += 2.
//   ingest/K/N            update_many() of N new entries (N = 1k, 100k) into
//                         a new collection: the bulk-load rate.
//   iter/K/N              iter() of a sealed collection of N entries.
//   peek/K/N              peek() of the same collection.
//   peek_one/K/N          peek_one() of it.
//   iter_key/K/N          iter_key() of a pseudo-random key of it.
//   peek_key_one/K/N      peek_key_one() of a pseudo-random key of it.
//   open_and_load/K/N     open the closed store holding that collection (as a
//                         process starting), collection("data"), peek_one():
//                         the start-up cost. Closing it again is untimed.
//   consolidation_large   subjects BACKEND@N: N entries at a time far beyond
//                         since (future data: never compacted); per call,
//                         update_many of 10k entries at t that also retract
//                         the previous call's 10k, seal t+1, compact t+1,
//                         consolidate. The rows at or before since stay ~20k
//                         whatever N is, so BACKEND@1000000 / BACKEND@1000
//                         near 1 shows consolidate costs what is at or
//                         before since, not the collection.
//   catalog_upsert/K/N    how catalogs use a stash: peek_key_one(k) of key i
//                         (round robin over N keys), then update_many
//                         {(k, old) -1, (k, new) +1} at t, seal t+1; every
//                         100th call also compacts to t and consolidates,
//                         as a catalog keeps its history bounded.
//   group_commit          subjects BACKEND@T: T threads each doing 20
//                         update()s of its own key into one collection; one
//                         call is all of them (items = 20 T acknowledged
//                         writes).
//
// The data: key i is key_of(i, K) (K = seq: "k" + 10 digits; rand: 16-64
// pseudo-random bytes), value i "val" + 10 digits, time 0, diff 1, sealed at
// {1}; sizes N are 1k, 10k, 100k, 1M (STASH_BENCH_MAX_N caps them;
// STASH_BENCH_SMOKE=1 runs 1k, one call per subject). Durable backends run
// with their durable defaults: SQLite WAL + synchronous=FULL (+ quick_check
// at open), DurableMemoryStash fdatasync per write, PostgreSQL whatever the
// server does (ci/with-postgres: fsync=off).
#include "workloads.h"

#include <memory>
#include <string>
#include <thread>

#include "bench_util.h"

namespace stash::bench {
namespace {

// The state an Op's closure owns (std::function needs it copyable).
template <typename T>
std::shared_ptr<T> share(T value) {
  return std::make_shared<T>(std::move(value));
}

struct Writer {
  std::unique_ptr<Stash> stash;
  CollectionHandle c;
  Timestamp t = 0;
  std::int64_t next_key = 0;
};

Writer writer(Backend& b, const std::string& store) {
  Writer w{b.create(store), {}, 0, 0};
  w.c = must(w.stash->collection("c"), "collection");
  return w;
}

Op update(Backend& b, const Shape&) {
  auto w = share(writer(b, "update"));
  return {[w] { must(w->stash->update(w->c, "key", "value", w->t++, 1), "update"); }, {}, 1};
}

Op update_many(Backend& b, const Shape&) {
  auto w = share(writer(b, "update_many"));
  return {[w] {
            must(w->stash->update_many(w->c, entries(0, 10, w->t)), "update_many");
            ++w->t;
          },
          {},
          10};
}

Op batch(Backend& b, const Shape& shape) {
  auto w = share(writer(b, "batch"));
  auto next = share(entries(0, shape.n, 0, 1, shape.keys));
  return {[w, next, shape] {
            must(w->stash->update_many(w->c, *next), "update_many");
            ++w->t;
            w->next_key += shape.n;
          },
          [w, next, shape] { *next = entries(w->next_key, shape.n, w->t, 1, shape.keys); },
          shape.n};
}

Op append(Backend& b, const Shape&) {
  auto w = share(writer(b, "append"));
  auto cs = share(std::vector<CollectionHandle>());
  for (int i = 0; i < 10; ++i) {
    cs->push_back(must(w->stash->collection("c" + std::to_string(i)), "collection"));
  }
  return {[w, cs] {
            std::vector<AppendBatch> batches;
            batches.reserve(cs->size());
            for (std::size_t i = 0; i < cs->size(); ++i) {
              batches.push_back({(*cs)[i],
                                 Frontier(w->t),
                                 Frontier(w->t + 1),
                                 std::nullopt,
                                 {{key_of(static_cast<std::int64_t>(i)), "value", w->t, 1}}});
            }
            must(w->stash->append(batches), "append");
            ++w->t;
          },
          {},
          10};
}

Op consolidation(Backend& b, const Shape&) {
  auto w = share(writer(b, "consolidation"));
  return {[w] {
            Stash& s = *w->stash;
            must(s.update(w->c, "key", "value", w->t, 1), "update +1");
            must(s.update(w->c, "key", "value", w->t + 1, -1), "update -1");
            must(s.seal(w->c, Frontier(w->t + 2)), "seal");
            must(s.compact(w->c, Frontier(w->t + 2)), "compact");
            must(s.consolidate(w->c), "consolidate");
            w->t += 2;
          },
          {},
          1};
}

Op ingest(Backend& b, const Shape& shape) {
  auto w = share(writer(b, "ingest"));
  auto batch = share(entries(0, shape.n, 0, 1, shape.keys));
  auto round = share(std::int64_t{0});
  return {[w, batch] { must(w->stash->update_many(w->c, *batch), "ingest"); },
          [w, round] {
            w->c = must(w->stash->collection("c" + std::to_string(++*round)), "collection");
          },
          shape.n};
}

Op iter(Backend& b, const Shape& shape) {
  const Populated p = populated(b, shape);
  return {[p, shape] {
            auto v = must(p.stash->iter(p.data), "iter");
            if (static_cast<std::int64_t>(v.size()) != shape.n) die("iter", "wrong size");
          },
          {},
          shape.n};
}

Op peek_one(Backend& b, const Shape& shape) {
  const Populated p = populated(b, shape);
  return {[p, shape] {
            auto m = must(p.stash->peek_one(p.data), "peek_one");
            if (static_cast<std::int64_t>(m.size()) != shape.n) die("peek_one", "wrong size");
          },
          {},
          shape.n};
}

Op peek(Backend& b, const Shape& shape) {
  const Populated p = populated(b, shape);
  return {[p, shape] {
            auto v = must(p.stash->peek(p.data), "peek");
            if (static_cast<std::int64_t>(v.size()) != shape.n) die("peek", "wrong size");
          },
          {},
          shape.n};
}

Op iter_key(Backend& b, const Shape& shape) {
  auto rng = share(Rng());
  const Populated p = populated(b, shape);
  return {[p, shape, rng] {
            auto v = must(p.stash->iter_key(p.data, key_of(rng->below(shape.n), shape.keys)),
                          "iter_key");
            if (v.size() != 1) die("iter_key", "wrong size");
          },
          {},
          1};
}

Op peek_key_one(Backend& b, const Shape& shape) {
  auto rng = share(Rng());
  const Populated p = populated(b, shape);
  return {[p, shape, rng] {
            auto v = must(p.stash->peek_key_one(p.data, key_of(rng->below(shape.n), shape.keys)),
                          "peek_key_one");
            if (!v) die("peek_key_one", "no value");
          },
          {},
          1};
}

Op open_and_load(Backend& b, const Shape& shape) {
  const std::string store = populated(b, shape).store;
  close_populated(b, shape);
  auto open = share(std::unique_ptr<Stash>());
  return {[&b, store, shape, open] {
            *open = b.open(store);
            const auto c = must((*open)->collection("data"), "collection");
            auto m = must((*open)->peek_one(c), "peek_one");
            if (static_cast<std::int64_t>(m.size()) != shape.n) die("open_and_load", "wrong size");
          },
          [&b, store, open] { b.close(store, std::move(*open)); },
          shape.n};
}

Op consolidation_large(Backend& b, std::int64_t n) {
  const std::int64_t batch = config().scaled(10'000);
  auto w = share(writer(b, "consolidation_large_" + std::to_string(n)));
  const Timestamp far = Timestamp{1} << 40;
  for (std::int64_t first = 0; first < n; first += 100'000) {
    const std::int64_t count = std::min<std::int64_t>(100'000, n - first);
    must(w->stash->update_many(w->c, entries(first, count, far)), "set up");
  }
  // The keys of the per-call batches lie after the set-up keys.
  auto next = share(entries(n, batch, 0, 1));
  return {[w, next] {
            Stash& s = *w->stash;
            must(s.update_many(w->c, *next), "update_many");
            must(s.seal(w->c, Frontier(w->t + 1)), "seal");
            must(s.compact(w->c, Frontier(w->t + 1)), "compact");
            must(s.consolidate(w->c), "consolidate");
            ++w->t;
            ++w->next_key;
          },
          [w, next, n, batch] {
            const std::int64_t round = w->next_key;
            *next = entries(n + round * batch, batch, w->t, 1);
            auto retract = entries(n + (round - 1) * batch, batch, w->t, -1);
            next->insert(next->end(), retract.begin(), retract.end());
          },
          batch};
}

Op catalog_upsert(Backend& b, const Shape& shape) {
  auto w = share(writer(b, "catalog_upsert"));
  w->c = fill(*w->stash, "catalog", shape.n, shape.keys);
  w->t = 1;  // fill sealed the collection to {1}
  return {[w, shape] {
            Stash& s = *w->stash;
            const std::int64_t i = (w->t - 1) % shape.n;
            const Bytes key = key_of(i, shape.keys);
            auto old = must(s.peek_key_one(w->c, key), "peek_key_one");
            if (!old) die("catalog_upsert", "key has no value");
            const Bytes fresh = value_of(i) + "@" + std::to_string(w->t);
            const Update change[] = {{key, *old, w->t, -1}, {key, fresh, w->t, 1}};
            must(s.update_many(w->c, change), "update_many");
            must(s.seal(w->c, Frontier(w->t + 1)), "seal");
            if (w->t % 100 == 0) {
              // Since stays below upper, so that the next peek still works.
              must(s.compact(w->c, Frontier(w->t)), "compact");
              must(s.consolidate(w->c), "consolidate");
            }
            ++w->t;
          },
          {},
          1};
}

Op group_commit(Backend& b, int threads) {
  constexpr int kPerThread = 20;
  auto w = share(writer(b, "group_commit_" + std::to_string(threads)));
  return {[w, threads] {
            std::vector<std::thread> writers;
            writers.reserve(threads);
            for (int i = 0; i < threads; ++i) {
              writers.emplace_back([w, i] {
                for (int k = 0; k < kPerThread; ++k) {
                  must(w->stash->update(w->c, key_of(i), value_of(k), 0, 1), "update");
                }
              });
            }
            for (auto& t : writers) t.join();
          },
          {},
          kPerThread * threads};
}

using Workload = Op (*)(Backend&, const Shape&);

}  // namespace

void add_backend_subjects(Backend& b) {
  for (const auto& [name, fn] : std::initializer_list<std::pair<const char*, Workload>>{
           {"update", update},
           {"update_many", update_many},
           {"batch", batch},
           {"append", append},
           {"consolidation", consolidation},
           {"ingest", ingest},
           {"iter", iter},
           {"peek", peek},
           {"peek_one", peek_one},
           {"iter_key", iter_key},
           {"peek_key_one", peek_key_one},
           {"open_and_load", open_and_load},
           {"catalog_upsert", catalog_upsert}}) {
    add_subject(name, b.name(), [&b, fn](const Shape& s) { return fn(b, s); });
  }
  for (std::int64_t n : config().sizes()) {
    add_subject("consolidation_large", b.name() + "@" + std::to_string(n),
                [&b, n](const Shape&) { return consolidation_large(b, n); });
  }
  if (b.name() != "memory") {  // one thread at a time inside a MemoryStash: nothing to group
    for (int threads : {1, 2, 4, 8}) {
      add_subject("group_commit", b.name() + "@" + std::to_string(threads),
                  [&b, threads](const Shape&) { return group_commit(b, threads); });
    }
  }
}

void register_all_comparisons() {
  const Config& cfg = config();
  const std::vector<Shape> per_call{{0, Keys::kSequential}};
  for (const char* w : {"update", "update_many", "append", "consolidation", "group_commit",
                        "consolidation_large"}) {
    register_comparison(w, per_call);
  }
  for (Keys keys : {Keys::kSequential, Keys::kRandom}) {
    register_comparison("batch", {{cfg.scaled(1000), keys}});
    for (std::int64_t n : {1'000, 100'000}) {
      if (n <= cfg.max_n) register_comparison("ingest", {{n, keys}});
    }
  }
  // Per shape every read of the populated stores, then open_and_load (which
  // reopens them), so each store is built once.
  for (Keys keys : {Keys::kSequential, Keys::kRandom}) {
    for (std::int64_t n : cfg.sizes()) {
      for (const char* w : {"iter", "peek", "peek_one", "iter_key", "peek_key_one", "open_and_load"}) {
        register_comparison(w, {{n, keys}});
      }
    }
  }
  for (std::int64_t n : {1'000, 100'000}) {
    if (n <= cfg.max_n) register_comparison("catalog_upsert", {{n, Keys::kRandom}});
  }
}

}  // namespace stash::bench
