// Tests of PostgresStash that the conformance kit cannot express: opening
// (bad conninfo, unreachable server, weird schema names), fencing, read-only
// handles, exact diff sums, and the round trips per call.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <limits>
#include <thread>

#include "pg_test_util.h"
#include "stash/memory_stash.h"

namespace stash::testing {
namespace {

using std::chrono::steady_clock;

constexpr Diff kMax = std::numeric_limits<Diff>::max();

TEST(PostgresOpen, UnparsableConninfoIsInvalidArgument) {
  auto s = PostgresStash::open("host=localhost this is not a conninfo");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument) << s.error();
  EXPECT_NE(s.error().message().find("invalid connection string"), std::string::npos);
}

TEST(PostgresOpen, RefusedConnectionIsUnavailableAtOnce) {
  const auto start = steady_clock::now();
  auto s = PostgresStash::open("host=127.0.0.1 port=1 dbname=postgres");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kUnavailable) << s.error();
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(PostgresOpen, MissingSocketIsUnavailableAtOnce) {
  auto s = PostgresStash::open("host=/nonexistent/stash/socket/dir dbname=postgres");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kUnavailable) << s.error();
}

TEST(PostgresOpen, SilentServerFailsWithinConnectTimeout) {
  // 192.0.2.0/24 (TEST-NET-1) is never routed: the connect hangs until the
  // timeout, or fails at once where there is no route at all.
  PostgresOptions options;
  options.connect_timeout_s = 1;
  const auto start = steady_clock::now();
  auto s = PostgresStash::open("host=192.0.2.1 port=5432 dbname=postgres", options);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kUnavailable) << s.error();
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(4));
}

// A TCP listener that completes handshakes (the kernel does) but never
// accepts or answers: a server that is up but silent.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), n) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &n) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
    }
    port_ = ntohs(a.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  std::string conninfo() const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=postgres user=postgres";
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(PostgresOpen, ConnectTimeoutIsAnUpperBound) {
  // libpq's own connect_timeout waits at least 2 s; the stash keeps the
  // deadline itself, so 1 s means 1 s.
  SilentServer silent;
  PostgresOptions options;
  options.connect_timeout_s = 1;
  const auto start = steady_clock::now();
  auto s = PostgresStash::open(silent.conninfo(), options);
  const auto took = steady_clock::now() - start;
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kUnavailable) << s.error();
  EXPECT_LT(took, std::chrono::milliseconds(1700)) << s.error();
}

TEST(PostgresOpen, SilentServerFailsOpenWithinTheCallDeadline) {
  // No connect timeout at all: the call deadline still bounds the open.
  SilentServer silent;
  PostgresOptions options;
  options.connect_timeout_s = 0;
  options.call_timeout_ms = 500;
  const auto start = steady_clock::now();
  auto s = PostgresStash::open(silent.conninfo(), options);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kUnavailable) << s.error();
  EXPECT_LT(steady_clock::now() - start, std::chrono::milliseconds(1500));
}

TEST(PostgresOpen, ImpossiblePortIsInvalidArgument) {
  for (const char* port : {"notanumber", "99999", "0", "-1", "5432,x"}) {
    auto s = PostgresStash::open(std::string("host=127.0.0.1,127.0.0.1 dbname=postgres port=") + port);
    ASSERT_FALSE(s) << port;
    EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument) << port << ": " << s.error();
  }
  auto uri = PostgresStash::open("postgresql://127.0.0.1:99999/postgres");
  ASSERT_FALSE(uri);
  EXPECT_EQ(uri.error().code(), ErrorCode::kInvalidArgument) << uri.error();
}

TEST(PostgresOpen, EmptySchemaNameIsInvalidArgument) {
  auto s = PostgresStash::open(server_url(), options_for(""));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument) << s.error();
  auto nul = PostgresStash::open(server_url(), options_for(std::string("a\0b", 3)));
  ASSERT_FALSE(nul);
  EXPECT_EQ(nul.error().code(), ErrorCode::kInvalidArgument) << nul.error();
  auto reserved = PostgresStash::open(server_url(), options_for("pg_stash"));
  ASSERT_FALSE(reserved);
  EXPECT_EQ(reserved.error().code(), ErrorCode::kInvalidArgument) << reserved.error();
}

// PostgreSQL truncates identifiers to 63 bytes: two long names that share
// their first 63 bytes would be one schema, two tenants reading and fencing
// each other. A name the server would truncate is refused instead.
TEST(PostgresOpen, LongSchemaNamesNeverAliasEachOther) {
  const std::string prefix = fresh_schema("long");
  const std::string base = prefix + std::string(63 - prefix.size(), 'x');  // 63 bytes: kept
  ASSERT_EQ(base.size(), 63u);
  auto kept = open_or_die(options_for(base));
  ASSERT_TRUE(kept);
  auto c = kept->collection("c");
  ASSERT_TRUE(c);
  ASSERT_EQ(code_of(kept->update(*c, "tenant", "a", 1, 1)), "ok");
  for (const std::string& longer : {base + "b", base + "\xc3\xa9", base + std::string(200, 'y')}) {
    auto s = PostgresStash::open(server_url(), options_for(longer));
    ASSERT_FALSE(s) << longer.size() << " bytes opened";
    EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument) << s.error();
    EXPECT_NE(s.error().message().find(std::to_string(longer.size()) + " bytes"), std::string::npos)
        << s.error();
  }
  // The 63-byte tenant was not fenced or touched by the refused opens.
  EXPECT_EQ(dump(*kept, "c"), "c since {0} upper {0}: ((tenant, a), 1, 1)");
}

// The schema of format version 1 indexed keys, values and names themselves
// (at most ~2.7 KB per index row) and refused larger ones with kInternal.
TEST(PostgresStash, LargeKeysValuesAndNamesRoundTrip) {
  const std::string schema = fresh_schema();
  const std::string mib(1 << 20, 'k');
  const std::string name = std::string(1 << 20, 'n');
  std::string big_value(64 << 20, '\0');
  for (std::size_t i = 0; i < big_value.size(); i += 4096) big_value[i] = static_cast<char>(i >> 12);
  {
    auto s = open_or_die(options_for(schema));
    ASSERT_TRUE(s);
    auto c = s->collection(name);
    ASSERT_TRUE(c) << c.error();
    auto again = s->collection(name);
    ASSERT_TRUE(again) << again.error();
    EXPECT_EQ(again->id, c->id);
    auto other = s->collection(name + "2");  // shares the first MiB
    ASSERT_TRUE(other) << other.error();
    EXPECT_NE(other->id, c->id);
    ASSERT_EQ(code_of(s->update(*c, mib, "small", 1, 1)), "ok");
    ASSERT_EQ(code_of(s->update(*c, mib + "x", mib, 1, 2)), "ok");  // shares the first MiB
    ASSERT_EQ(code_of(s->update(*c, "big", big_value, 2, 1)), "ok");
  }
  auto s = open_or_die(options_for(schema));
  auto c = s->collection(name);
  ASSERT_TRUE(c) << c.error();
  auto rows = s->iter(*c);
  ASSERT_TRUE(rows) << rows.error();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].key, "big");
  EXPECT_TRUE((*rows)[0].value == big_value);
  EXPECT_EQ((*rows)[0].time, 2);
  EXPECT_EQ((*rows)[0].diff, 1);
  EXPECT_TRUE((*rows)[1].key == mib && (*rows)[1].value == "small");
  EXPECT_TRUE((*rows)[2].key == mib + "x" && (*rows)[2].value == mib);
  auto one = s->iter_key(*c, mib);
  ASSERT_TRUE(one) << one.error();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].value, "small");
  ASSERT_EQ(code_of(s->seal(*c, Frontier::at(3))), "ok");
  auto big = s->peek_key_one(*c, "big");
  ASSERT_TRUE(big) << big.error();
  ASSERT_TRUE(big->has_value());
  EXPECT_TRUE(**big == big_value);
}

// Deeper runs (STASH_TEST_POSTGRES_HUGE=1): a 64 MiB key, and a call over
// PostgreSQL's 1 GiB message limit (needs ~2 GiB of memory).
bool huge() { return !env("STASH_TEST_POSTGRES_HUGE").empty(); }

TEST(PostgresStash, LargeKeyOf64MiB) {
  if (!huge()) GTEST_SKIP() << "set STASH_TEST_POSTGRES_HUGE=1";
  auto s = open_or_die(options_for(fresh_schema()));
  auto c = s->collection("c");
  ASSERT_TRUE(c);
  const std::string key(64 << 20, 'q');
  ASSERT_EQ(code_of(s->update(*c, key, "v", 1, 1)), "ok");
  auto rows = s->iter_key(*c, key);
  ASSERT_TRUE(rows) << rows.error();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].value, "v");
  auto none = s->iter_key(*c, key.substr(1));
  ASSERT_TRUE(none) << none.error();
  EXPECT_TRUE(none->empty());
}

TEST(PostgresStash, CallOverTheMessageLimitIsInvalidArgumentAndWritesNothing) {
  if (!huge()) GTEST_SKIP() << "set STASH_TEST_POSTGRES_HUGE=1";
  auto s = open_or_die(options_for(fresh_schema()));
  auto c = s->collection("c");
  ASSERT_TRUE(c);
  const std::string value(64 << 20, 'v');
  std::vector<Update> batch;
  batch.reserve(17);
  for (int i = 0; i < 17; ++i) batch.push_back({"k" + std::to_string(i), value, 1, 1});
  auto r = s->update_many(*c, batch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << r.error();
  EXPECT_EQ(dump(*s, "c"), "c since {0} upper {0}:");
}

TEST(PostgresOpen, MissingDatabaseIsInvalidArgument) {
  auto s = PostgresStash::open(server_url() + " dbname=no_such_database_for_stash");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument) << s.error();
}

TEST(PostgresOpen, ReadOnlyOnSchemaWithoutStashIsNotFound) {
  PostgresOptions options = options_for(fresh_schema());
  options.read_only = true;
  auto s = PostgresStash::open(server_url(), options);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kNotFound) << s.error();
}

TEST(PostgresOpen, SchemaNamesAreQuotedNeverSpliced) {
  const std::string base = fresh_schema("weird");
  const std::vector<std::string> names = {
      base + "\"; DROP SCHEMA public CASCADE; --", base + " with spaces and 'quotes'",
      base + "_ÜnïcØdé_☃", base + "\"\"", base + "UPPER.case"};
  for (const std::string& name : names) {
    auto s = open_or_die(options_for(name));
    ASSERT_TRUE(s) << name;
    auto c = s->collection("orders");
    ASSERT_TRUE(c) << c.error();
    ASSERT_EQ(code_of(s->update(*c, "k", name, 1, 1)), "ok") << name;
  }
  // Each schema holds only its own update.
  for (const std::string& name : names) {
    auto s = open_or_die(options_for(name));
    EXPECT_EQ(dump(*s, "orders"), "orders since {0} upper {0}: ((k, " + printable(name) + "), 1, 1)")
        << name;
  }
}

TEST(PostgresStash, CollectionNamesAreData) {
  auto s = open_or_die(options_for(fresh_schema()));
  const std::vector<std::string> names = {"o'rders", "\"x\"", std::string("nul\0byte", 8),
                                          "'; DROP TABLE data; --", ""};
  std::set<std::int64_t> ids;
  for (const std::string& name : names) {
    auto c = s->collection(name);
    ASSERT_TRUE(c) << c.error();
    ids.insert(c->id);
    auto again = s->collection(name);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->id, c->id);
  }
  EXPECT_EQ(ids.size(), names.size());
  EXPECT_EQ(code_of(s->collection("\xff")), "invalid_argument");
}

TEST(PostgresStash, ReopenKeepsEverything) {
  const std::string schema = fresh_schema();
  {
    auto s = open_or_die(options_for(schema));
    auto c = s->collection("orders");
    ASSERT_TRUE(c);
    ASSERT_EQ(code_of(s->update(*c, "widgets", "1", 1, 1)), "ok");
    ASSERT_EQ(code_of(s->seal(*c, Frontier::at(3))), "ok");
    ASSERT_EQ(code_of(s->compact(*c, Frontier::at(2))), "ok");
  }
  auto s = open_or_die(options_for(schema));
  EXPECT_EQ(dump(*s, "orders"), "orders since {2} upper {3}: ((widgets, 1), 2, 1)");
}

TEST(PostgresFence, NewWriterFencesOldOne) {
  const std::string schema = fresh_schema();
  auto a = open_or_die(options_for(schema));
  auto ca = a->collection("c");
  ASSERT_TRUE(ca);
  ASSERT_EQ(code_of(a->update(*ca, "before", "", 1, 1)), "ok");
  auto b = open_or_die(options_for(schema));
  EXPECT_EQ(code_of(a->update(*ca, "after", "", 1, 1)), "fenced");
  EXPECT_EQ(code_of(a->iter(*ca)), "fenced");
  EXPECT_EQ(code_of(a->collection("c")), "fenced");
  EXPECT_EQ(code_of(a->seal(*ca, Frontier::at(5))), "fenced");
  EXPECT_EQ(dump(*b, "c"), "c since {0} upper {0}: ((before, ), 1, 1)");
}

TEST(PostgresFence, ReadOnlyOpenFencesNobodyAndIsNeverFenced) {
  const std::string schema = fresh_schema();
  auto writer = open_or_die(options_for(schema));
  auto c = writer->collection("c");
  ASSERT_TRUE(c);
  PostgresOptions ro = options_for(schema);
  ro.read_only = true;
  auto reader = open_or_die(ro);
  ASSERT_EQ(code_of(writer->update(*c, "k", "v", 1, 1)), "ok");
  EXPECT_EQ(dump(*reader, "c"), "c since {0} upper {0}: ((k, v), 1, 1)");
  EXPECT_EQ(code_of(reader->update(*c, "k", "v", 2, 1)), "invalid_argument");
  EXPECT_EQ(code_of(reader->seal(*c, Frontier::at(2))), "invalid_argument");
  EXPECT_EQ(code_of(reader->collection("missing")), "not_found");
  auto newer = open_or_die(options_for(schema));  // fences writer, not reader
  EXPECT_EQ(code_of(writer->iter(*c)), "fenced");
  EXPECT_EQ(code_of(reader->iter(*c)), "ok");
}

// Writes keep coming from A while B opens: A's calls succeed until the fence
// moves and fail with kFenced from then on; everything A was told is stored
// is there, nothing else.
TEST(PostgresFence, WritesInFlightWhileSecondWriterOpens) {
  const std::string schema = fresh_schema();
  auto a = open_or_die(options_for(schema));
  auto c = a->collection("c");
  ASSERT_TRUE(c);
  std::atomic<int> acknowledged_count{0};
  std::vector<std::string> acknowledged;
  std::string sequence;  // 'o' ok, 'f' fenced, 'x' other
  // A writes until it is fenced (bounded by time, not by a count: on an idle
  // machine 5000 writes were over before B's open got through).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::atomic<bool> b_failed{false};  // then A stops: nothing will fence it
  std::thread writer([&] {
    for (int i = 0; std::chrono::steady_clock::now() < give_up && !b_failed; ++i) {
      const std::string key = "k" + std::to_string(100000000 + i);  // fixed width: sorted as written
      auto ok = a->update(*c, key, "", 1, 1);
      sequence += ok ? 'o' : ok.error().code() == ErrorCode::kFenced ? 'f' : 'x';
      if (ok) acknowledged.push_back(key), ++acknowledged_count;
      if (!ok && ok.error().code() == ErrorCode::kFenced) break;
    }
  });
  // B opens while A is mid-stream: after A has had some writes acknowledged.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (acknowledged_count < 20 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  auto opened = PostgresStash::open(server_url(), options_for(schema));
  if (!opened) b_failed = true;
  writer.join();
  // A writer's open must get through a stream of another writer's writes.
  ASSERT_TRUE(opened) << opened.error() << " (after " << acknowledged_count << " writes of A)";
  auto& b = *opened;
  ASSERT_FALSE(acknowledged.empty());
  EXPECT_EQ(sequence.back(), 'f') << sequence;
  EXPECT_EQ(sequence.find('x'), std::string::npos) << sequence;
  auto cb = b->collection("c");
  ASSERT_TRUE(cb);
  auto rows = b->iter(*cb);
  ASSERT_TRUE(rows);
  std::vector<std::string> stored;
  for (const Update& u : *rows) {
    EXPECT_EQ(u.diff, 1) << u;
    stored.push_back(u.key);
  }
  EXPECT_EQ(stored, acknowledged);
}

// A writer's open fences the writer before it in one transaction. That
// transaction must not be one a stream of the old writer's writes can keep
// failing with a serialization error: with no retries allowed, each of 20
// opens must get through while the previous writer writes as fast as it can.
TEST(PostgresFence, OpenNeedsNoRetryUnderAWritingWriter) {
  const std::string schema = fresh_schema();
  auto current = open_or_die(options_for(schema));
  PostgresOptions no_retries = options_for(schema);
  no_retries.max_retries = 0;
  for (int round = 0; round < 20; ++round) {
    auto c = current->collection("c");
    ASSERT_TRUE(c) << c.error();
    std::atomic<int> writes{0};
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      for (int i = 0; !stop; ++i) {
        auto ok = current->update(*c, "k" + std::to_string(round) + "-" + std::to_string(i), "", 1, 1);
        if (!ok) return;  // fenced, or anything else: the open decides the test
        ++writes;
      }
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (writes < 5 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    auto next = PostgresStash::open(server_url(), no_retries);
    stop = true;
    writer.join();
    ASSERT_TRUE(next) << "round " << round << ", after " << writes << " writes: " << next.error();
    current = std::move(*next);
  }
}

// Sums are exact: a read fails with kOutOfRange only while a sum it returns
// does not fit, writes never fail, and consolidate changes no read. The
// MemoryStash executes the same calls alongside.
TEST(PostgresStash, DiffSumsAreExactLikeTheModel) {
  auto pg = open_or_die(options_for(fresh_schema()));
  MemoryStash model;
  std::vector<Stash*> both = {pg.get(), &model};
  auto same = [&](auto call) {
    std::string first;
    for (Stash* s : both) {
      auto c = s->collection("c");
      std::ostringstream out;
      auto r = call(*s, *c);
      if (r) {
        for (const auto& row : *r) out << row << " ";
      } else {
        out << r.error();
      }
      if (s == both[0]) first = out.str();
      else EXPECT_EQ(first, out.str());
    }
    return first;
  };
  auto write = [&](auto call) {
    for (Stash* s : both) {
      auto c = s->collection("c");
      auto r = call(*s, *c);
      EXPECT_TRUE(r.has_value()) << r.error();
    }
  };
  auto iter = [](Stash& s, CollectionHandle c) { return s.iter(c); };
  auto peek = [](Stash& s, CollectionHandle c) { return s.peek(c); };
  write([](Stash& s, CollectionHandle c) { return s.update(c, "k", "v", 1, kMax); });
  write([](Stash& s, CollectionHandle c) { return s.update(c, "k", "v", 2, kMax); });
  write([](Stash& s, CollectionHandle c) { return s.update(c, "k", "v", 2, kMax); });
  EXPECT_NE(same(iter).find("out_of_range"), std::string::npos);
  write([](Stash& s, CollectionHandle c) { return s.seal(c, Frontier::at(3)); });
  write([](Stash& s, CollectionHandle c) { return s.compact(c, Frontier::at(3)); });
  write([](Stash& s, CollectionHandle c) { return s.consolidate(c); });
  write([](Stash& s, CollectionHandle c) { return s.seal(c, Frontier::at(4)); });
  EXPECT_NE(same(peek).find("out_of_range"), std::string::npos);
  write([](Stash& s, CollectionHandle c) { return s.update(c, "k", "v", 4, -kMax); });
  write([](Stash& s, CollectionHandle c) { return s.update(c, "k", "v", 4, -kMax); });
  EXPECT_NE(same(iter).find("out_of_range"), std::string::npos);
  write([](Stash& s, CollectionHandle c) { return s.compact(c, Frontier::at(4)); });
  EXPECT_EQ(same(iter), "((k, v), 4, 9223372036854775807) ");
  write([](Stash& s, CollectionHandle c) { return s.consolidate(c); });
  EXPECT_EQ(same(iter), "((k, v), 4, 9223372036854775807) ");
  write([](Stash& s, CollectionHandle c) { return s.seal(c, Frontier::at(5)); });
  EXPECT_EQ(same(peek), "(k, v, 9223372036854775807) ");
}

// Every call is one round trip whatever the batch size, except creating a
// collection (look up, then create) and the first write to a collection
// this handle never looked up (its frontiers are read first).
TEST(PostgresStash, FixedRoundTripsPerCall) {
  auto counts = std::make_shared<RoundTrips>();
  auto s = PostgresStash::open_with(std::make_shared<CountingConnector>(counts),
                                    options_for(fresh_schema()));
  ASSERT_TRUE(s) << s.error();
  auto c = (*s)->collection("c");
  ASSERT_TRUE(c);
  auto trips = [&](auto call) {
    const int before = counts->pipelines;
    auto r = call();
    EXPECT_TRUE(r.has_value()) << r.error();
    return counts->pipelines - before;
  };
  std::vector<Update> batch;
  batch.reserve(1000);
  for (int i = 0; i < 1000; ++i) batch.push_back({"k" + std::to_string(i), "v", 5, 1});
  EXPECT_EQ(trips([&] { return (*s)->collection("c"); }), 1);
  EXPECT_EQ(trips([&] { return (*s)->collection("new"); }), 2);  // miss, then create
  auto fresh = (*s)->collection("new");
  ASSERT_TRUE(fresh);
  EXPECT_EQ(trips([&] { return (*s)->update(*c, "k", "v", 5, 1); }), 1);
  EXPECT_EQ(trips([&] { return (*s)->update_many(*c, batch); }), 1);
  EXPECT_EQ(trips([&] { return (*s)->iter(*c); }), 1);
  EXPECT_EQ(trips([&] { return (*s)->seal(*c, Frontier::at(6)); }), 1);
  EXPECT_EQ(trips([&] { return (*s)->peek(*c); }), 1);
  EXPECT_EQ(trips([&] { return (*s)->peek_key_one(*c, "k1"); }), 1);
  EXPECT_EQ(trips([&] { return (*s)->compact(*c, Frontier::at(6)); }), 1);
  EXPECT_EQ(trips([&] { return (*s)->consolidate(*c); }), 1);
  std::vector<Update> later;
  later.reserve(1000);
  for (int i = 0; i < 1000; ++i) later.push_back({"k" + std::to_string(i), "v", 6, 1});
  EXPECT_EQ(trips([&] {
              return (*s)->append(std::vector<AppendBatch>{
                  {*c, Frontier::at(6), Frontier::at(7), std::nullopt, later},
                  {*fresh, Frontier::at(0), Frontier::at(7), Frontier::at(7), later}});
            }), 1);
  EXPECT_EQ(trips([&] {
              return (*s)->seal_batch(std::vector<FrontierRequest>{{*c, Frontier::at(8)},
                                                                  {*fresh, Frontier::at(8)}});
            }), 1);
  EXPECT_EQ(counts->connects, 1);
  // A rule violation is found against the cached frontiers; one round trip
  // checks the fence (a fenced handle reports kFenced first).
  const int before_violation = counts->pipelines;
  EXPECT_EQ(code_of((*s)->update(*c, "k", "v", 1, 1)), "frontier_violation");
  EXPECT_EQ(counts->pipelines - before_violation, 1);
}

// A handle from another stash object on the same schema: this object has not
// seen its frontiers, so its first write reads them (two round trips), the
// next ones do not.
TEST(PostgresStash, FirstWriteThroughAnUnseenHandleReadsItsFrontiers) {
  const std::string schema = fresh_schema();
  CollectionHandle c;
  {
    auto first = open_or_die(options_for(schema));
    auto h = first->collection("c");
    ASSERT_TRUE(h);
    c = *h;
  }
  auto counts = std::make_shared<RoundTrips>();
  auto s = PostgresStash::open_with(std::make_shared<CountingConnector>(counts), options_for(schema));
  ASSERT_TRUE(s) << s.error();
  int before = counts->pipelines;
  EXPECT_EQ(code_of((*s)->update(c, "k", "v", 1, 1)), "ok");
  EXPECT_EQ(counts->pipelines - before, 2);
  before = counts->pipelines;
  EXPECT_EQ(code_of((*s)->update(c, "k", "v", 2, 1)), "ok");
  EXPECT_EQ(counts->pipelines - before, 1);
}

TEST(PostgresStash, RuleErrorsMatchTheModel) {
  auto pg = open_or_die(options_for(fresh_schema()));
  MemoryStash model;
  for (Stash* s : {static_cast<Stash*>(pg.get()), static_cast<Stash*>(&model)}) {
    auto c = s->collection("c");
    ASSERT_TRUE(c);
    ASSERT_TRUE(s->seal(*c, Frontier::at(5)));
  }
  auto c_pg = *pg->collection("c");
  auto c_model = *model.collection("c");
  EXPECT_EQ(pg->update(c_pg, "k", "v", 1, 1).error(), model.update(c_model, "k", "v", 1, 1).error());
  EXPECT_EQ(pg->seal(c_pg, Frontier::at(1)).error(), model.seal(c_model, Frontier::at(1)).error());
  EXPECT_EQ(pg->compact(c_pg, Frontier::at(9)).error(),
            model.compact(c_model, Frontier::at(9)).error());
  EXPECT_EQ(pg->iter(CollectionHandle{999}).error(), model.iter(CollectionHandle{999}).error());
  EXPECT_EQ(pg->peek_one(c_pg).value(), model.peek_one(c_model).value());
}

}  // namespace
}  // namespace stash::testing

int main(int argc, char** argv) {
  return stash::testing::run_postgres_tests(argc, argv, {"STASH_TEST_POSTGRES_URL"});
}
