// pg_latency_bench: what network latency costs each PostgresStash call, and a
// single update against a raw libpq autocommit INSERT, interleaved.
//
//   bash ci/with-postgres build/dev/benchmarks/pg_latency_bench
//   STASH_PG_LATENCY_MS=5 (default) sets the delay each way of the proxy.
//
// The delay proxy is part of this program: a loopback TCP listener that
// relays every connection to the test server's unix socket, holding each
// chunk of bytes for the delay before passing it on, in both directions. So
// one round trip through it costs at least 2 x delay, and a call's time
// divided by that (calls_x_rtt) is how many round trips it really waits for;
// round_trips counts the pipelines it sent (through the connection seam).
//
//   latency/<op>              one call through the proxy; counters
//                             round_trips, calls_x_rtt, rtt_ms
//   latency/raw_insert        the raw libpq autocommit INSERT, the same way
//   update_vs_raw/direct      per round: 20 stash updates and 20 raw
//   update_vs_raw/proxy       INSERTs, alternating, on the direct unix socket
//                             or through the proxy; counters ratio_median,
//                             ratio_min/max/p10/p90 of the per-round ratios
//                             of median call times, stash_us/raw_us (p50)
//                             and stash_p99_us/raw_p99_us over every call,
//                             round_trips per stash update
//
//   STASH_PG_RATIO_ROUNDS=100 (default) sets update_vs_raw/direct's rounds.
//
// Needs STASH_TEST_POSTGRES_URL with a unix socket host (ci/with-postgres);
// without it the program says so and exits 0 (the benchmarks are not run).
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "stash/postgres_connection.h"
#include "stash/postgres_stash.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string env(const char* name, const char* fallback = "") {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "pg_latency_bench: %s\n", what.c_str());
  std::exit(1);
}

// One direction of one proxied connection: a reader thread stamps each chunk
// with when it may go on, a writer thread sends it then.
class DelayedPipe {
 public:
  DelayedPipe(int from, int to, std::chrono::microseconds delay) : from_(from), to_(to), delay_(delay) {
    reader_ = std::thread([this] { read_loop(); });
    writer_ = std::thread([this] { write_loop(); });
  }
  ~DelayedPipe() {
    reader_.join();
    writer_.join();
  }

 private:
  void read_loop() {
    std::vector<char> buffer(1 << 16);
    for (;;) {
      const ssize_t n = ::read(from_, buffer.data(), buffer.size());
      std::lock_guard lock(mutex_);
      if (n <= 0) {
        closed_ = true;
        ready_.notify_all();
        return;
      }
      queue_.emplace_back(Clock::now() + delay_, std::string(buffer.data(), n));
      ready_.notify_all();
    }
  }
  void write_loop() {
    for (;;) {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return closed_ || !queue_.empty(); });
      if (queue_.empty()) {
        ::shutdown(to_, SHUT_WR);
        return;
      }
      auto [due, bytes] = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      std::this_thread::sleep_until(due);
      for (std::size_t sent = 0; sent < bytes.size();) {
        const ssize_t n = ::write(to_, bytes.data() + sent, bytes.size() - sent);
        if (n <= 0) return;
        sent += static_cast<std::size_t>(n);
      }
    }
  }

  const int from_, to_;
  const std::chrono::microseconds delay_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::pair<Clock::time_point, std::string>> queue_;
  bool closed_ = false;
  std::thread reader_, writer_;
};

// Listens on 127.0.0.1:<port()>, relays each connection to `unix_path`.
class DelayProxy {
 public:
  DelayProxy(std::string unix_path, std::chrono::microseconds delay)
      : unix_path_(std::move(unix_path)), delay_(delay) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof a;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), n) != 0 ||
        ::listen(listener_, 64) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &n) != 0) {
      die("proxy: cannot listen on loopback");
    }
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  // Connections still open are abandoned with the process.
  ~DelayProxy() {
    stop_ = true;
    acceptor_.join();
    ::close(listener_);
    // Leaked on purpose: their threads end with their sockets.
    for (auto& c : connections_) (void)c.release();
  }
  int port() const { return port_; }

 private:
  struct Connection {
    std::unique_ptr<DelayedPipe> up, down;
  };
  void accept_loop() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      const int server = ::socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un u{};
      u.sun_family = AF_UNIX;
      unix_path_.copy(u.sun_path, sizeof u.sun_path - 1);
      if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&u), sizeof u) != 0) {
        ::close(client);
        continue;
      }
      auto c = std::make_unique<Connection>();
      c->up = std::make_unique<DelayedPipe>(client, server, delay_);
      c->down = std::make_unique<DelayedPipe>(server, client, delay_);
      connections_.push_back(std::move(c));
    }
  }

  const std::string unix_path_;
  const std::chrono::microseconds delay_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::unique_ptr<Connection>> connections_;
};

// The test server's conninfo, split into its unix socket and the rest.
struct Server {
  std::string direct;      // the conninfo as given
  std::string socket;      // host/.s.PGSQL.port
  std::string via_proxy;   // host=127.0.0.1 port=<proxy> + dbname, user
};

Server server() {
  Server s;
  s.direct = env("STASH_TEST_POSTGRES_URL");
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(s.direct.c_str(), &error);
  if (!options) die("bad STASH_TEST_POSTGRES_URL");
  std::string host, port = "5432", rest;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (!o->val) continue;
    const std::string k = o->keyword;
    if (k == "host") host = o->val;
    else if (k == "port") port = o->val;
    else if (k == "dbname" || k == "user") rest += " " + k + "=" + o->val;
  }
  PQconninfoFree(options);
  if (host.empty() || host[0] != '/') die("STASH_TEST_POSTGRES_URL must name a unix socket directory");
  s.socket = host + "/.s.PGSQL." + port;
  s.via_proxy = rest;
  return s;
}

double delay_ms() { return std::atof(env("STASH_PG_LATENCY_MS", "5").c_str()); }

DelayProxy& proxy() {
  static DelayProxy p(server().socket,
                      std::chrono::microseconds(static_cast<long long>(delay_ms() * 1000)));
  return p;
}

std::string proxied_conninfo() {
  return "host=127.0.0.1 port=" + std::to_string(proxy().port()) + server().via_proxy;
}

// Counts pipelines through the connection seam.
struct Counts {
  std::atomic<long> pipelines{0};
};
class CountingConnection : public stash::postgres::ForwardingConnection {
 public:
  CountingConnection(std::unique_ptr<stash::postgres::Connection> c, std::shared_ptr<Counts> n)
      : ForwardingConnection(std::move(c)), counts_(std::move(n)) {}
  stash::postgres::DbResult<std::vector<stash::postgres::Rows>> pipeline(
      std::span<const stash::postgres::Query> q) override {
    ++counts_->pipelines;
    return ForwardingConnection::pipeline(q);
  }

 private:
  std::shared_ptr<Counts> counts_;
};
class CountingConnector : public stash::postgres::Connector {
 public:
  CountingConnector(std::string conninfo, std::shared_ptr<Counts> n)
      : inner_(stash::postgres::libpq_connector(std::move(conninfo), 10)), counts_(std::move(n)) {}
  stash::postgres::DbResult<std::unique_ptr<stash::postgres::Connection>> connect(
      stash::postgres::Deadline d) override {
    auto c = inner_->connect(d);
    if (!c) return std::unexpected(c.error());
    return std::make_unique<CountingConnection>(std::move(*c), counts_);
  }

 private:
  std::shared_ptr<stash::postgres::Connector> inner_;
  std::shared_ptr<Counts> counts_;
};

template <typename T>
T must(stash::Result<T> r, const char* what) {
  if (!r) die(std::string(what) + ": " + r.error().message());
  return std::move(*r);
}
void must(const stash::Status& s, const char* what) {
  if (!s) die(std::string(what) + ": " + s.error().message());
}

std::unique_ptr<stash::PostgresStash> open_stash(const std::string& conninfo,
                                                 std::shared_ptr<Counts> counts,
                                                 const std::string& schema) {
  stash::PostgresOptions o;
  o.schema = schema;
  auto connector = std::make_shared<CountingConnector>(conninfo, std::move(counts));
  return must(stash::PostgresStash::open_with(std::move(connector), o), "open stash");
}

// The raw baseline's connection and table (the stash's v1 data layout).
struct Raw {
  PGconn* conn = nullptr;
  long long t = 0;
  explicit Raw(const std::string& conninfo) {
    conn = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn) != CONNECTION_OK) die(std::string("raw connect: ") + PQerrorMessage(conn));
    exec("SET client_min_messages = warning; CREATE SCHEMA IF NOT EXISTS stash_latency_raw;"
         "SET search_path = stash_latency_raw;"
         "CREATE TABLE IF NOT EXISTS data (collection_id BIGINT NOT NULL, key BYTEA NOT NULL, "
         "value BYTEA NOT NULL, time BIGINT NOT NULL, diff BIGINT NOT NULL);"
         "CREATE INDEX IF NOT EXISTS data_by_kvt ON data(collection_id, key, value, time);"
         "CREATE INDEX IF NOT EXISTS data_by_time ON data(collection_id, time)");
    PGresult* r = PQprepare(conn, "insert", "INSERT INTO data VALUES (-1, $1::bytea, $2::bytea, $3, 1)", 0,
                            nullptr);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) die(std::string("raw prepare: ") + PQerrorMessage(conn));
    PQclear(r);
  }
  ~Raw() { PQfinish(conn); }
  void exec(const char* sql) {
    PGresult* r = PQexec(conn, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) die(std::string("raw: ") + PQerrorMessage(conn));
    PQclear(r);
  }
  void insert() {
    const std::string time = std::to_string(t++);
    const char* values[] = {"key", "value", time.c_str()};
    const int lengths[] = {3, 5, 0};
    const int formats[] = {1, 1, 0};
    PGresult* r = PQexecPrepared(conn, "insert", 3, values, lengths, formats, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) die(std::string("raw insert: ") + PQerrorMessage(conn));
    PQclear(r);
  }
};

std::string schema_for(const std::string& op) { return "stash_latency_" + op; }

// One operation through the proxy.
void latency(benchmark::State& state, const std::string& op) {
  auto counts = std::make_shared<Counts>();
  auto s = open_stash(proxied_conninfo(), counts, schema_for(op) + "_" + std::to_string(std::rand()));
  const auto c = must(s->collection("c"), "collection");
  const auto other = must(s->collection("d"), "collection");
  std::vector<stash::Update> ten;
  ten.reserve(10);
  for (int i = 0; i < 10; ++i) ten.push_back({"k" + std::to_string(i), "v", 0, 1});
  must(s->update_many(c, ten), "fill");
  stash::Timestamp t = 0;
  const long before = counts->pipelines;
  const auto start = Clock::now();
  for (auto _ : state) {
    if (op == "update") {
      must(s->update(c, "key", "value", t, 1), "update");
    } else if (op == "update_many_10") {
      for (auto& u : ten) u.time = t;
      must(s->update_many(c, ten), "update_many");
    } else if (op == "seal") {
      must(s->seal(c, stash::Frontier::at(t + 1)), "seal");
    } else if (op == "compact_consolidate") {
      must(s->seal(c, stash::Frontier::at(t + 1)), "seal");
      must(s->compact(c, stash::Frontier::at(t + 1)), "compact");
      must(s->consolidate(c), "consolidate");
    } else if (op == "append_2") {
      for (auto& u : ten) u.time = t;
      must(s->append(std::vector<stash::AppendBatch>{
               {c, stash::Frontier::at(t), stash::Frontier::at(t + 1), std::nullopt, ten},
               {other, stash::Frontier::at(t), stash::Frontier::at(t + 1), std::nullopt, ten}}),
           "append");
    } else if (op == "collection") {
      benchmark::DoNotOptimize(must(s->collection("c"), "collection"));
    } else if (op == "iter") {
      benchmark::DoNotOptimize(must(s->iter(c), "iter"));
    } else if (op == "iter_key") {
      benchmark::DoNotOptimize(must(s->iter_key(c, "k1"), "iter_key"));
    } else if (op == "peek_one") {
      if (t == 0) must(s->seal(c, stash::Frontier::at(1)), "seal"), t = 1;
      benchmark::DoNotOptimize(must(s->peek_one(c), "peek_one"));
      continue;
    }
    ++t;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double calls = static_cast<double>(state.iterations());
  const double rtt_s = 2 * delay_ms() / 1000;
  state.counters["round_trips"] = static_cast<double>(counts->pipelines - before) / calls;
  state.counters["calls_x_rtt"] = seconds / calls / rtt_s;
  state.counters["rtt_ms"] = rtt_s * 1000;
}

void raw_latency(benchmark::State& state) {
  Raw raw(proxied_conninfo());
  const auto start = Clock::now();
  for (auto _ : state) raw.insert();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double rtt_s = 2 * delay_ms() / 1000;
  state.counters["round_trips"] = 1;
  state.counters["calls_x_rtt"] = seconds / static_cast<double>(state.iterations()) / rtt_s;
  state.counters["rtt_ms"] = rtt_s * 1000;
}

// Interleaved rounds: per benchmark iteration, kPerRound stash updates and
// kPerRound raw INSERTs, alternating call by call (which goes first swaps
// every round), each call timed. A round's sample is the ratio of the two
// medians, so that the few calls a neighbour preempts do not count; the
// counters are the median and spread of those ratios, the p50/p99 of every
// call, and the round trips per stash update (pipelines through the seam).
void update_vs_raw(benchmark::State& state, bool through_proxy) {
  constexpr int kPerRound = 20;
  const std::string conninfo = through_proxy ? proxied_conninfo() : server().direct;
  auto counts = std::make_shared<Counts>();
  auto s = open_stash(conninfo, counts, "stash_latency_ratio_" + std::to_string(std::rand()));
  const auto c = must(s->collection("c"), "collection");
  Raw raw(conninfo);
  stash::Timestamp t = 0;
  auto micros = [](Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); };
  auto quantile = [](std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
  };
  std::vector<double> ratios, all_stash, all_raw;
  const long before = counts->pipelines;
  long updates = 0;
  for (auto _ : state) {
    std::vector<double> stash_us, raw_us;
    const bool stash_first = ratios.size() % 2 == 0;
    for (int i = 0; i < 2 * kPerRound; ++i) {
      const auto a = Clock::now();
      if ((i % 2 == 0) == stash_first) {
        must(s->update(c, "key", "value", t++, 1), "update");
        ++updates;
        stash_us.push_back(micros(Clock::now() - a));
      } else {
        raw.insert();
        raw_us.push_back(micros(Clock::now() - a));
      }
    }
    all_stash.insert(all_stash.end(), stash_us.begin(), stash_us.end());
    all_raw.insert(all_raw.end(), raw_us.begin(), raw_us.end());
    ratios.push_back(quantile(stash_us, 0.5) / quantile(raw_us, 0.5));
  }
  state.counters["ratio_median"] = quantile(ratios, 0.5);
  state.counters["ratio_min"] = quantile(ratios, 0);
  state.counters["ratio_max"] = quantile(ratios, 1);
  state.counters["ratio_p10"] = quantile(ratios, 0.1);
  state.counters["ratio_p90"] = quantile(ratios, 0.9);
  state.counters["stash_us"] = quantile(all_stash, 0.5);
  state.counters["stash_p99_us"] = quantile(all_stash, 0.99);
  state.counters["raw_us"] = quantile(all_raw, 0.5);
  state.counters["raw_p99_us"] = quantile(all_raw, 0.99);
  state.counters["rounds"] = static_cast<double>(ratios.size());
  state.counters["round_trips"] =
      updates ? static_cast<double>(counts->pipelines - before) / static_cast<double>(updates) : 0;
}

void drop_schemas() {
  PGconn* conn = PQconnectdb(server().direct.c_str());
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  PGresult* r = PQexec(conn,
                       "DO $$ DECLARE s TEXT; BEGIN FOR s IN SELECT nspname FROM pg_namespace "
                       "WHERE nspname LIKE 'stash\\_latency\\_%' LOOP "
                       "EXECUTE format('DROP SCHEMA %I CASCADE', s); END LOOP; END $$");
  PQclear(r);
  PQfinish(conn);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (env("STASH_TEST_POSTGRES_URL").empty()) {
    std::fprintf(stderr, "pg_latency_bench: NOT RUN: STASH_TEST_POSTGRES_URL unset "
                         "(run via bash ci/with-postgres)\n");
    return 0;
  }
  std::fprintf(stderr, "pg_latency_bench: proxy delay %.1f ms each way\n", delay_ms());
  for (const char* op : {"update", "update_many_10", "seal", "compact_consolidate", "append_2",
                         "collection", "iter", "iter_key", "peek_one"}) {
    benchmark::RegisterBenchmark((std::string("latency/") + op).c_str(),
                                 [op](benchmark::State& s) { latency(s, op); })
        ->Unit(benchmark::kMillisecond)
        ->Iterations(40);
  }
  benchmark::RegisterBenchmark("latency/raw_insert", raw_latency)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(40);
  benchmark::RegisterBenchmark("update_vs_raw/direct",
                               [](benchmark::State& s) { update_vs_raw(s, false); })
      ->Unit(benchmark::kMicrosecond)
      ->Iterations(std::max(1, std::atoi(env("STASH_PG_RATIO_ROUNDS", "100").c_str())));
  benchmark::RegisterBenchmark("update_vs_raw/proxy",
                               [](benchmark::State& s) { update_vs_raw(s, true); })
      ->Unit(benchmark::kMillisecond)
      ->Iterations(5);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  drop_schemas();
  return 0;
}
