// sqlite_vs_raw: SqliteStash against raw SQLite doing the same work, with
// random 16-64 byte keys, interleaved round by round in one process (issue
// #17 items 7 and 8). Each benchmark alternates a stash round and a raw
// round; the counters give the median per-round wall times and the median
// of the per-round ratios (stash / raw) of wall time (ratio) and of the
// thread's CPU time (cpu_ratio), so machine noise hits both sides.
//
//   build/dev/benchmarks/sqlite_vs_raw [--benchmark_filter=REGEX]
//
// Raw SQLite is what a user would write to keep the same rows durably: one
// WITHOUT ROWID table keyed on (collection, key, value, time), WAL,
// synchronous=FULL, prepared statements, no checks.
//
//   batch1000      update_many of 1000 new random-key entries into a
//                  collection of N / BEGIN IMMEDIATE, 1000 INSERTs, COMMIT
//   scan           iter of the N-entry collection / the ordered SELECT
//   open_load      open the file, collection, peek_one / open, pragmas, the
//                  ordered scan into a std::map (what peek_one returns)
//   threads/T      T threads sharing one stash each doing durable updates
//                  (items/s; stash only: the ratio is to threads/1)
//   group_commit   the same, interleaved: rounds of T = 1, 2, 4, 8 for 500 ms
//                  each, xT_over_1 the median [min, max] of the per-round
//                  ratios to T = 1 (STASH_SQLITE_BENCH_ROUNDS, default 5)
// Counters bytes_per_entry_stash / _raw give each file's size per entry,
// and file_vs_data the stash file over the raw data (key + value + 16).
//
// Environment: STASH_SQLITE_BENCH_N (default 100000), STASH_SQLITE_BENCH_DIR
// (default $TMPDIR).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "stash/sqlite_stash.h"

namespace {

using Clock = std::chrono::steady_clock;
using stash::Bytes;
using stash::SqliteStash;
using stash::Update;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "sqlite_vs_raw: %s\n", what.c_str());
  std::exit(1);
}

std::int64_t n_entries() {
  const char* v = std::getenv("STASH_SQLITE_BENCH_N");
  return v != nullptr && *v != '\0' ? std::strtoll(v, nullptr, 10) : 100000;
}

std::string dir() {
  // Never destroyed: the exit handler below runs after static destructors.
  static const std::string& d = *new std::string([] {
    const char* v = std::getenv("STASH_SQLITE_BENCH_DIR");
    std::string base = v != nullptr && *v != '\0' ? v : std::filesystem::temp_directory_path().string();
    std::string pattern = base + "/sqlite_vs_raw_XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) die("mkdtemp");
    // A run at 1M leaves a few hundred MB: never keep them.
    std::atexit([] { std::filesystem::remove_all(dir()); });
    return pattern;
  }());
  return d;
}

void remove_db(const std::string& path) {
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
}

// Random keys of 16-64 bytes, values of 20-60, deterministic per seed.
std::vector<Update> random_entries(std::uint64_t seed, std::int64_t n, std::int64_t time) {
  std::mt19937_64 rng(seed);
  std::vector<Update> out;
  out.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    Bytes key(16 + rng() % 49, '\0');
    for (char& c : key) c = static_cast<char>(rng());
    Bytes value(20 + rng() % 41, '\0');
    for (char& c : value) c = static_cast<char>('a' + rng() % 26);
    out.push_back({std::move(key), std::move(value), time, 1});
  }
  return out;
}

double raw_bytes(const std::vector<Update>& e) {
  double b = 0;
  for (const Update& u : e) b += static_cast<double>(u.key.size() + u.value.size() + 16);
  return b;
}

// --- raw SQLite ---------------------------------------------------------------

struct Raw {
  sqlite3* db = nullptr;
  sqlite3_stmt* insert = nullptr;
  sqlite3_stmt* scan = nullptr;
  explicit Raw(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
      die("raw open");
    }
    exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
         "CREATE TABLE IF NOT EXISTS data (collection_id INTEGER NOT NULL, key BLOB NOT NULL, "
         "value BLOB NOT NULL, time INTEGER NOT NULL, diff INTEGER NOT NULL, "
         "PRIMARY KEY (collection_id, key, value, time)) STRICT, WITHOUT ROWID;");
    sqlite3_prepare_v3(db, "INSERT INTO data VALUES (1, ?1, ?2, ?3, ?4)", -1,
                       SQLITE_PREPARE_PERSISTENT, &insert, nullptr);
    sqlite3_prepare_v3(db,
                       "SELECT key, value, time, diff FROM data WHERE collection_id = 1 "
                       "ORDER BY key, value, time",
                       -1, SQLITE_PREPARE_PERSISTENT, &scan, nullptr);
  }
  ~Raw() {
    sqlite3_finalize(insert);
    sqlite3_finalize(scan);
    sqlite3_close_v2(db);
  }
  void exec(const char* sql) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) die(sqlite3_errmsg(db));
  }
  void add(const std::vector<Update>& entries) {
    exec("BEGIN IMMEDIATE");
    for (const Update& u : entries) {
      sqlite3_bind_blob(insert, 1, u.key.data(), static_cast<int>(u.key.size()), SQLITE_STATIC);
      sqlite3_bind_blob(insert, 2, u.value.data(), static_cast<int>(u.value.size()), SQLITE_STATIC);
      sqlite3_bind_int64(insert, 3, u.time);
      sqlite3_bind_int64(insert, 4, u.diff);
      if (sqlite3_step(insert) != SQLITE_DONE) die(sqlite3_errmsg(db));
      sqlite3_reset(insert);
    }
    exec("COMMIT");
  }
  // The ordered scan into what peek_one returns.
  std::map<Bytes, Bytes> read_map() {
    std::map<Bytes, Bytes> out;
    while (sqlite3_step(scan) == SQLITE_ROW) {
      out.emplace_hint(out.end(),
                       Bytes(static_cast<const char*>(sqlite3_column_blob(scan, 0)),
                             sqlite3_column_bytes(scan, 0)),
                       Bytes(static_cast<const char*>(sqlite3_column_blob(scan, 1)),
                             sqlite3_column_bytes(scan, 1)));
    }
    sqlite3_reset(scan);
    return out;
  }
  std::vector<Update> read_all() {
    std::vector<Update> out;
    while (sqlite3_step(scan) == SQLITE_ROW) {
      out.push_back({Bytes(static_cast<const char*>(sqlite3_column_blob(scan, 0)),
                           sqlite3_column_bytes(scan, 0)),
                     Bytes(static_cast<const char*>(sqlite3_column_blob(scan, 1)),
                           sqlite3_column_bytes(scan, 1)),
                     sqlite3_column_int64(scan, 2), sqlite3_column_int64(scan, 3)});
    }
    sqlite3_reset(scan);
    return out;
  }
};

// --- the populated pair of files -----------------------------------------------

struct Files {
  std::string stash_path, raw_path;
  double data_bytes = 0;
};

const Files& populated() {
  static const Files f = [] {
    Files out{dir() + "/stash.db", dir() + "/raw.db", 0};
    remove_db(out.stash_path);
    remove_db(out.raw_path);
    const std::int64_t n = n_entries();
    auto s = SqliteStash::open(out.stash_path);
    if (!s) die(s.error().message());
    auto c = (*s)->collection("data");
    Raw raw(out.raw_path);
    for (std::int64_t first = 0; first < n; first += 10000) {
      auto batch = random_entries(static_cast<std::uint64_t>(first) + 1,
                                  std::min<std::int64_t>(10000, n - first), 0);
      out.data_bytes += raw_bytes(batch);
      if (!(*s)->update_many(*c, batch)) die("populate stash");
      raw.add(batch);
    }
    if (!(*s)->seal(*c, stash::Frontier(1))) die("seal");
    return out;
  }();
  return f;
}

double seconds_of(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// This thread's CPU time: on a loaded machine (other builds on the same two
// cores) wall time mostly measures the scheduler, CPU time the work.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Runs stash_round and raw_round alternately, timing each (wall and thread
// CPU); reports the medians and the median per-round ratios.
template <typename StashRound, typename RawRound>
void interleave(benchmark::State& state, StashRound stash_round, RawRound raw_round) {
  std::vector<double> stash_s, raw_s, ratios, cpu_ratios;
  for (auto _ : state) {
    // Each side starts from a trimmed heap: without it, whichever side runs
    // second allocates its million strings into the chunks the first one
    // just freed, and the scan's ratio measured glibc's free lists.
    malloc_trim(0);
    const auto a = Clock::now();
    const double ca = thread_cpu_seconds();
    stash_round();
    const auto b = Clock::now();
    const double cb = thread_cpu_seconds();
    malloc_trim(0);
    const auto b2 = Clock::now();
    const double cb2 = thread_cpu_seconds();
    raw_round();
    const auto c = Clock::now();
    const double cc = thread_cpu_seconds();
    stash_s.push_back(seconds_of(b - a));
    raw_s.push_back(seconds_of(c - b2));
    ratios.push_back(stash_s.back() / raw_s.back());
    cpu_ratios.push_back((cb - ca) / (cc - cb2));
    state.SetIterationTime(stash_s.back());
  }
  state.counters["stash_ms"] = median(stash_s) * 1e3;
  state.counters["raw_ms"] = median(raw_s) * 1e3;
  state.counters["ratio"] = median(ratios);
  state.counters["ratio_min"] = *std::min_element(ratios.begin(), ratios.end());
  state.counters["ratio_max"] = *std::max_element(ratios.begin(), ratios.end());
  state.counters["cpu_ratio"] = median(cpu_ratios);
  state.counters["cpu_ratio_min"] = *std::min_element(cpu_ratios.begin(), cpu_ratios.end());
  state.counters["cpu_ratio_max"] = *std::max_element(cpu_ratios.begin(), cpu_ratios.end());
}

void batch1000(benchmark::State& state) {
  const Files& f = populated();
  auto s = SqliteStash::open(f.stash_path);
  if (!s) die(s.error().message());
  auto c = *(*s)->collection("data");
  Raw raw(f.raw_path);
  std::uint64_t seed = 1u << 30;
  std::vector<Update> batch;
  interleave(
      state,
      [&] {
        batch = random_entries(++seed, 1000, 5);
        if (!(*s)->update_many(c, batch)) die("update_many");
      },
      [&] { raw.add(batch); });
}

void scan(benchmark::State& state) {
  const Files& f = populated();
  auto s = SqliteStash::open(f.stash_path);
  if (!s) die(s.error().message());
  auto c = *(*s)->collection("data");
  Raw raw(f.raw_path);
  interleave(
      state, [&] { benchmark::DoNotOptimize((*s)->iter(c)); },
      [&] { benchmark::DoNotOptimize(raw.read_all()); });
}

void open_load(benchmark::State& state) {
  const Files& f = populated();
  interleave(
      state,
      [&] {
        auto s = SqliteStash::open(f.stash_path);
        if (!s) die(s.error().message());
        auto c = *(*s)->collection("data");
        benchmark::DoNotOptimize((*s)->peek_one(c));
      },
      [&] {
        Raw raw(f.raw_path);
        benchmark::DoNotOptimize(raw.read_map());
      });
  state.counters["bytes_per_entry_stash"] =
      static_cast<double>(std::filesystem::file_size(f.stash_path)) / n_entries();
  state.counters["bytes_per_entry_raw_sqlite"] =
      static_cast<double>(std::filesystem::file_size(f.raw_path)) / n_entries();
  state.counters["file_vs_data"] =
      static_cast<double>(std::filesystem::file_size(f.stash_path)) / f.data_bytes;
  state.counters["raw_file_vs_data"] =
      static_cast<double>(std::filesystem::file_size(f.raw_path)) / f.data_bytes;
}

void threads(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::string path = dir() + "/threads.db";
  remove_db(path);
  auto s = SqliteStash::open(path);
  if (!s) die(s.error().message());
  std::vector<stash::CollectionHandle> cs;
  cs.reserve(n);
  for (int t = 0; t < n; ++t) cs.push_back(*(*s)->collection("c" + std::to_string(t)));
  constexpr int kCalls = 100;
  for (auto _ : state) {
    std::vector<std::thread> ts;
    ts.reserve(n);
    for (int t = 0; t < n; ++t) {
      ts.emplace_back([&, t] {
        for (int i = 0; i < kCalls; ++i) {
          if (!(*s)->update(cs[t], "key" + std::to_string(i), "value", 0, 1)) die("update");
        }
      });
    }
    for (auto& th : ts) th.join();
  }
  state.SetItemsProcessed(state.iterations() * n * kCalls);
}

// Acknowledged durable update()s per second of T threads sharing one stash,
// each writing its own collection for a slot of 500 ms; every round runs
// T = 1, 2, 4, 8 back to back, and each rate is divided by the same round's
// T = 1 rate (issue #17 item 4: 8 threads >= 4x one).
double writes_per_second(SqliteStash& s, const std::vector<stash::CollectionHandle>& cs,
                         int threads, std::chrono::milliseconds slot) {
  std::atomic<bool> stop = false;
  std::atomic<std::int64_t> writes = 0;
  std::vector<std::thread> ts;
  ts.reserve(threads);
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      std::int64_t mine = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        if (!s.update(cs[t], "key" + std::to_string(mine), "value", 0, 1)) die("update");
        ++mine;
      }
      writes += mine;
    });
  }
  std::this_thread::sleep_for(slot);  // The slot's length, not a wait for a condition.
  stop = true;
  for (auto& th : ts) th.join();
  return static_cast<double>(writes.load()) / seconds_of(Clock::now() - start);
}

void group_commit(benchmark::State& state) {
  const std::string path = dir() + "/group_commit.db";
  remove_db(path);
  auto s = SqliteStash::open(path);
  if (!s) die(s.error().message());
  std::vector<stash::CollectionHandle> cs;
  cs.reserve(8);
  for (int t = 0; t < 8; ++t) cs.push_back(*(*s)->collection("c" + std::to_string(t)));
  const char* r = std::getenv("STASH_SQLITE_BENCH_ROUNDS");
  const int rounds = r != nullptr && *r != '\0' ? std::max(1, std::atoi(r)) : 5;
  std::map<int, std::vector<double>> rates, ratios;
  for (auto _ : state) {
    for (int round = 0; round < rounds; ++round) {
      double single = 0;
      for (int threads : {1, 2, 4, 8}) {
        const double rate = writes_per_second(**s, cs, threads, std::chrono::milliseconds(500));
        if (threads == 1) single = rate;
        rates[threads].push_back(rate);
        ratios[threads].push_back(rate / single);
      }
    }
  }
  for (auto& [threads, v] : rates) {
    const std::string t = std::to_string(threads);
    state.counters["writes_per_s_" + t] = median(v);
    if (threads == 1) continue;
    auto& q = ratios[threads];
    state.counters["x" + t + "_over_1"] = median(q);
    state.counters["x" + t + "_over_1_min"] = *std::min_element(q.begin(), q.end());
    state.counters["x" + t + "_over_1_max"] = *std::max_element(q.begin(), q.end());
  }
}

BENCHMARK(batch1000)->UseManualTime()->Iterations(30)->Unit(benchmark::kMillisecond);
BENCHMARK(scan)->UseManualTime()->Iterations(7)->Unit(benchmark::kMillisecond);
BENCHMARK(open_load)->UseManualTime()->Iterations(7)->Unit(benchmark::kMillisecond);
BENCHMARK(threads)->Arg(1)->Arg(2)->Arg(4)->Arg(8)->Iterations(3)->UseRealTime()->Unit(
    benchmark::kMillisecond);
BENCHMARK(group_commit)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
