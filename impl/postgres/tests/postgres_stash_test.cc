// Tests of PostgresStash that the conformance kit cannot express: opening
// (bad conninfo, unreachable server, weird schema names), fencing, read-only
// handles, exact diff sums, and the round trips per call.
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
  std::thread writer([&] {
    for (int i = 0; i < 5000; ++i) {
      const std::string key = "k" + std::to_string(100000 + i);
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
  auto b = open_or_die(options_for(schema));
  writer.join();
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

// Reads are one round trip, writes two, whatever the batch size.
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
  for (int i = 0; i < 1000; ++i) batch.push_back({"k" + std::to_string(i), "v", 5, 1});
  EXPECT_EQ(trips([&] { return (*s)->collection("c"); }), 1);
  EXPECT_EQ(trips([&] { return (*s)->collection("new"); }), 3);  // miss, then create
  EXPECT_EQ(trips([&] { return (*s)->update_many(*c, batch); }), 2);
  EXPECT_EQ(trips([&] { return (*s)->iter(*c); }), 1);
  EXPECT_EQ(trips([&] { return (*s)->seal(*c, Frontier::at(6)); }), 2);
  EXPECT_EQ(trips([&] { return (*s)->peek(*c); }), 1);
  EXPECT_EQ(trips([&] { return (*s)->peek_key_one(*c, "k1"); }), 1);
  EXPECT_EQ(trips([&] { return (*s)->compact(*c, Frontier::at(6)); }), 2);
  EXPECT_EQ(trips([&] { return (*s)->consolidate(*c); }), 2);
  EXPECT_EQ(counts->connects, 1);
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
