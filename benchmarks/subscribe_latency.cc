// subscribe_latency_bench: how long after a seal is acknowledged its batch
// reaches a subscriber (issue #15; targets < 1 ms in-process, < 10 ms across
// processes), per backend, with the wake-up floor of the machine alongside.
//
// Each sample: the writer replaces the collection's one live entry (a
// retraction and an insertion at the current upper, not timed), then seals
// one time further (timed: `seal`); a subscriber blocked in next() records
// when the batch with that upper arrives. The sample is delivery time minus
// the seal's return (clamped at zero: a subscriber may see the commit a hair
// before the writer's call returns). Every 64 samples the writer compacts and
// consolidates, as a catalog writer would (untimed; a subscriber is never
// overtaken by it, since it waits for each delivery).
//
// Subjects (each subject's samples in slots, interleaved in rounds as in
// harness.h):
//   raw_cv          a condition variable handed between two threads: the
//                   in-process floor;
//   memory, durable_memory, sqlite, postgres
//                   writer and subscriber in one process, on one Stash;
//   sqlite_handles  two SqliteStash objects on one file in one process
//                   (the wake-up that also serves other processes);
//   raw_pipe        one byte through a pipe from another process: the
//                   cross-process floor;
//   sqlite_xproc, postgres_xproc
//                   the writer in another process (this program started
//                   again with --writer), the subscriber here on a
//                   read-only open.
// PostgreSQL subjects run when STASH_TEST_POSTGRES_URL is set (a fresh
// schema each; under CI=true it must be). Counters per subject S: S.p50, S.p99 (seconds, seal
// acknowledged to delivery), S.seal_p50, S.r0.. (median per round), S.items.
// STASH_BENCH_SMOKE=1: one round of two samples per subject (the ctest);
// STASH_BENCH_SUBJECTS=RE only the subjects matching RE; STASH_BENCH_ROUNDS.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "stash/durable_memory_stash.h"
#include "stash/memory_stash.h"
#include "stash/postgres_stash.h"
#include "stash/sqlite_stash.h"
#include "stash/stash.h"

extern char** environ;

namespace stash::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kDeliveryBound = std::chrono::seconds(10);
constexpr int kCompactEvery = 64;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

struct Sample {
  double latency = 0;  // seconds, seal returned -> delivered
  double seal = 0;     // seconds, the seal call
};

class Subject {
 public:
  virtual ~Subject() = default;
  virtual Sample once() = 0;
};

// The writer's side of one sample on `stash`: replace the live entry, then
// seal; returns the seal's start and end (steady clock, ns).
class CatalogWriter {
 public:
  CatalogWriter(Stash& stash, CollectionHandle c) : stash_(stash), c_(c) {}

  std::pair<std::int64_t, std::int64_t> step() {
    const Timestamp t = next_time_++;
    std::vector<Update> change{{"entry", value_of(t), t, 1}};
    if (t > 0) change.push_back({"entry", value_of(t - 1), t, -1});
    must(stash_.update_many(c_, change), "update_many");
    const std::int64_t start = now_ns();
    must(stash_.seal(c_, Frontier::at(t + 1)), "seal");
    const std::int64_t end = now_ns();
    if (t % kCompactEvery == kCompactEvery - 1) {
      must(stash_.compact(c_, Frontier::at(t)), "compact");
      must(stash_.consolidate(c_), "consolidate");
    }
    return {start, end};
  }
  Timestamp last_upper() const { return next_time_; }

 private:
  Stash& stash_;
  CollectionHandle c_;
  Timestamp next_time_ = 0;
};

// A thread blocked in next() that records when each upper arrived.
class Follower {
 public:
  Follower(Stash& stash, CollectionHandle c)
      : subscription_(must(stash.subscribe(c, 0), "subscribe")),
        thread_([this] { run(); }) {}
  ~Follower() {
    subscription_->cancel();
    thread_.join();
  }

  // Waits for a delivery with upper at least {t}; its time (ns).
  std::int64_t delivered(Timestamp t) {
    std::unique_lock lock(mutex_);
    if (!arrived_.wait_for(lock, kDeliveryBound, [&] { return upper_ >= t || !error_.empty(); })) {
      die("subscribe_latency", "no delivery of upper {" + std::to_string(t) + "} within 10 s");
    }
    if (!error_.empty()) die("next", error_);
    return at_;
  }

 private:
  void run() {
    while (!subscription_->cancelled()) {
      auto batch = subscription_->next(std::chrono::seconds(1));
      const std::int64_t at = now_ns();
      std::lock_guard lock(mutex_);
      if (!batch) {
        error_ = batch.error().to_string();
      } else if (*batch && (*batch)->upper.element()) {
        upper_ = *(*batch)->upper.element();
        at_ = at;
      } else {
        continue;
      }
      arrived_.notify_all();
      if (!error_.empty()) return;
    }
  }

  std::unique_ptr<Subscription> subscription_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  Timestamp upper_ = 0;
  std::int64_t at_ = 0;
  std::string error_;
  std::thread thread_;  // last: starts once the rest is constructed
};

Sample sample_of(std::int64_t seal_start, std::int64_t seal_end, std::int64_t delivered) {
  return {std::max<double>(0, static_cast<double>(delivered - seal_end) * 1e-9),
          static_cast<double>(seal_end - seal_start) * 1e-9};
}

// Writer and follower in this process; `reader` may be `writer` itself.
class InProcess final : public Subject {
 public:
  InProcess(std::unique_ptr<Stash> writer, std::unique_ptr<Stash> reader)
      : writer_(std::move(writer)), reader_(std::move(reader)) {
    const CollectionHandle c = must(writer_->collection("catalog"), "collection");
    Stash& reading = reader_ ? *reader_ : *writer_;
    catalog_ = std::make_unique<CatalogWriter>(*writer_, c);
    follower_ = std::make_unique<Follower>(reading, must(reading.collection("catalog"), "collection"));
    once();  // the snapshot
  }
  ~InProcess() override {
    follower_.reset();
    reader_.reset();
  }
  Sample once() override {
    const auto [start, end] = catalog_->step();
    return sample_of(start, end, follower_->delivered(catalog_->last_upper()));
  }

 private:
  std::unique_ptr<Stash> writer_;
  std::unique_ptr<Stash> reader_;
  std::unique_ptr<CatalogWriter> catalog_;
  std::unique_ptr<Follower> follower_;
};

// The in-process floor: a notify and the waiting thread's wake-up.
class RawConditionVariable final : public Subject {
 public:
  RawConditionVariable() : thread_([this] { run(); }) {}
  ~RawConditionVariable() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Sample once() override {
    std::unique_lock lock(mutex_);
    const std::int64_t sent = now_ns();
    ++asked_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return answered_ == asked_; });
    return sample_of(sent, sent, woke_);
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || asked_ != answered_; });
      if (stop_) return;
      woke_ = now_ns();
      answered_ = asked_;
      cv_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::int64_t asked_ = 0, answered_ = 0, woke_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

// A child process: this program with --writer KIND TARGET, reading one byte
// per sample on stdin and answering with two int64s (seal start and end, or
// for kind "pipe" the send time twice) on stdout; EOF ends it.
class Child {
 public:
  Child(const std::string& kind, const std::string& target) {
    int to_child[2], from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
      die("pipe", std::strerror(errno));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    std::vector<std::string> args{self, "--writer", kind, target};
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, self.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
      die("posix_spawn", self);
    }
    posix_spawn_file_actions_destroy(&actions);
    close(to_child[0]);
    close(from_child[1]);
    to_ = to_child[1];
    from_ = from_child[0];
  }
  ~Child() {
    close(to_);
    int status = 0;
    waitpid(pid_, &status, 0);
    close(from_);
  }
  // One sample's exchange: returns the child's two times.
  std::pair<std::int64_t, std::int64_t> ask() {
    if (write(to_, "s", 1) != 1) die("write to the writer process", std::strerror(errno));
    std::int64_t times[2];
    if (!read_all(times, sizeof times)) die("read from the writer process", "it exited");
    return {times[0], times[1]};
  }

 private:
  bool read_all(void* out, std::size_t n) {
    auto* p = static_cast<char*>(out);
    while (n > 0) {
      const ssize_t got = read(from_, p, n);
      if (got <= 0) return false;
      p += got;
      n -= static_cast<std::size_t>(got);
    }
    return true;
  }

  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
};

// The cross-process floor: the child writes its clock into a pipe.
class RawPipe final : public Subject {
 public:
  RawPipe() : child_("pipe", "-") {}
  Sample once() override {
    const auto [sent, unused] = child_.ask();
    return sample_of(sent, sent, now_ns());
  }

 private:
  Child child_;
};

// Writer in another process, follower here on `reader`.
class CrossProcess final : public Subject {
 public:
  CrossProcess(const std::string& kind, const std::string& target,
               const std::function<std::unique_ptr<Stash>()>& open_reader)
      : child_(kind, target) {
    child_.ask();  // the child created the collection and sealed {1}
    reader_ = open_reader();
    follower_ = std::make_unique<Follower>(*reader_, must(reader_->collection("catalog"), "collection"));
    follower_->delivered(1);
    next_ = 1;
  }
  ~CrossProcess() override { follower_.reset(); }
  Sample once() override {
    const auto [start, end] = child_.ask();
    return sample_of(start, end, follower_->delivered(++next_));
  }

 private:
  Child child_;
  std::unique_ptr<Stash> reader_;
  std::unique_ptr<Follower> follower_;
  Timestamp next_ = 0;
};

std::string fresh_path(const std::string& name) {
  static int counter = 0;
  return config().dir + "/" + name + std::to_string(counter++);
}

PostgresOptions pg_schema(const std::string& schema, bool read_only) {
  PostgresOptions o;
  o.schema = schema;
  o.read_only = read_only;
  return o;
}

std::string fresh_schema() {
  static int counter = 0;
  return "subscribe_bench_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
}

struct Named {
  std::string name;
  std::function<std::unique_ptr<Subject>()> make;
};

std::vector<Named> subjects() {
  std::vector<Named> all;
  all.push_back({"raw_cv", [] { return std::make_unique<RawConditionVariable>(); }});
  all.push_back({"memory", [] {
                   return std::make_unique<InProcess>(std::make_unique<MemoryStash>(), nullptr);
                 }});
  all.push_back({"durable_memory", [] {
                   return std::make_unique<InProcess>(
                       must(DurableMemoryStash::open(fresh_path("durable")), "open"), nullptr);
                 }});
  all.push_back({"sqlite", [] {
                   return std::make_unique<InProcess>(
                       must(SqliteStash::open(fresh_path("one") + ".db"), "open"), nullptr);
                 }});
  all.push_back({"sqlite_handles", [] {
                   const std::string path = fresh_path("two") + ".db";
                   auto writer = must(SqliteStash::open(path), "open");
                   must(writer->collection("catalog"), "collection");
                   SqliteOptions read_only;
                   read_only.read_only = true;
                   return std::make_unique<InProcess>(std::move(writer),
                                                      must(SqliteStash::open(path, read_only), "open"));
                 }});
  all.push_back({"raw_pipe", [] { return std::make_unique<RawPipe>(); }});
  all.push_back({"sqlite_xproc", [] {
                   const std::string path = fresh_path("xproc") + ".db";
                   return std::make_unique<CrossProcess>("sqlite", path, [path] {
                     SqliteOptions read_only;
                     read_only.read_only = true;
                     return std::unique_ptr<Stash>(must(SqliteStash::open(path, read_only), "open"));
                   });
                 }});
  const std::string url = config().postgres_url;
  if (url.empty()) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string(ci) == "true") {
      die("postgres subjects", "STASH_TEST_POSTGRES_URL unset under CI=true (run via bash ci/with-postgres)");
    }
    std::fprintf(stderr, "subscribe_latency_bench: PostgreSQL NOT RUN: STASH_TEST_POSTGRES_URL unset\n");
  } else {
    all.push_back({"postgres", [url] {
                     return std::make_unique<InProcess>(
                         must(PostgresStash::open(url, pg_schema(fresh_schema(), false)), "open"),
                         nullptr);
                   }});
    all.push_back({"postgres_xproc", [url] {
                     const std::string schema = fresh_schema();
                     return std::make_unique<CrossProcess>("postgres", schema, [url, schema] {
                       return std::unique_ptr<Stash>(
                           must(PostgresStash::open(url, pg_schema(schema, true)), "open"));
                     });
                   }});
  }
  return all;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(std::lround(p * static_cast<double>(v.size() - 1)));
  return v[std::min(i, v.size() - 1)];
}

void SealToDelivery(benchmark::State& state) {
  const Config& cfg = config();
  const int rounds = cfg.smoke ? 1 : cfg.rounds;
  const int per_slot = cfg.smoke ? 2 : 40;
  std::vector<Named> named = subjects();
  if (!cfg.subjects.empty()) {
    std::erase_if(named, [&](const Named& n) { return !std::regex_search(n.name, std::regex(cfg.subjects)); });
  }
  std::vector<std::unique_ptr<Subject>> live;
  live.reserve(named.size());
  for (const Named& n : named) live.push_back(n.make());
  std::vector<std::vector<double>> latencies(live.size()), seals(live.size());
  std::vector<std::vector<double>> round_medians(live.size());
  const auto started = Clock::now();
  for (auto _ : state) {
    for (int round = 0; round < rounds; ++round) {
      for (std::size_t k = 0; k < live.size(); ++k) {
        const std::size_t i = round % 2 == 0 ? k : live.size() - 1 - k;
        std::vector<double> slot;
        for (int s = 0; s < per_slot; ++s) {
          const Sample sample = live[i]->once();
          slot.push_back(sample.latency);
          latencies[i].push_back(sample.latency);
          seals[i].push_back(sample.seal);
        }
        round_medians[i].push_back(percentile(slot, 0.5));
      }
    }
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - started).count());
  }
  for (std::size_t i = 0; i < live.size(); ++i) {
    const std::string& s = named[i].name;
    state.counters[s + ".p50"] = percentile(latencies[i], 0.5);
    state.counters[s + ".p99"] = percentile(latencies[i], 0.99);
    state.counters[s + ".seal_p50"] = percentile(seals[i], 0.5);
    state.counters[s + ".items"] = 1;
    for (std::size_t r = 0; r < round_medians[i].size(); ++r) {
      state.counters[s + ".r" + std::to_string(r)] = round_medians[i][r];
    }
  }
  live.clear();
}
BENCHMARK(SealToDelivery)->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);

// --writer KIND TARGET: the other process of the cross-process subjects.
int writer_main(const std::string& kind, const std::string& target) {
  char byte = 0;
  if (kind == "pipe") {
    while (read(0, &byte, 1) == 1) {
      const std::int64_t times[2] = {now_ns(), 0};
      if (write(1, times, sizeof times) != sizeof times) return 1;
    }
    return 0;
  }
  std::unique_ptr<Stash> stash;
  if (kind == "sqlite") {
    stash = must(SqliteStash::open(target), "open");
  } else {
    stash = must(PostgresStash::open(config().postgres_url, pg_schema(target, false)), "open");
  }
  CatalogWriter writer(*stash, must(stash->collection("catalog"), "collection"));
  while (read(0, &byte, 1) == 1) {
    const auto [start, end] = writer.step();
    const std::int64_t times[2] = {start, end};
    if (write(1, times, sizeof times) != sizeof times) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace stash::bench

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--writer") {
    return stash::bench::writer_main(argv[2], argv[3]);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
