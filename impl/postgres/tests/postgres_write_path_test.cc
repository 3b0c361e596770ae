// The write path's claim (impl/postgres/src/schema.cc): each write is one
// READ COMMITTED statement, and these tests put another transaction exactly
// where READ COMMITTED differs from SERIALIZABLE, to show that the claim's
// checks close the gap: a write that waited for the fence row lock behind a
// write it did not know of, and frontiers changed behind the writer's cache.
// Also: the lost-reply resolution after a newer writer fenced this one (the
// stamp archived by the open), and the migration of a version 2 stash.
#include <libpq-fe.h>

#include <chrono>
#include <thread>

#include "../src/key_hash.h"
#include "faulty_connection.h"
#include "pg_test_util.h"

namespace stash::testing {
namespace {

// A plain libpq session beside the stash, playing the other transaction.
class Session {
 public:
  Session() : conn_(PQconnectdb(server_url().c_str())) {
    EXPECT_EQ(PQstatus(conn_), CONNECTION_OK) << PQerrorMessage(conn_);
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  }
  ~Session() { PQfinish(conn_); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs `sql`; the first cell of the last result ("" if none).
  std::string run(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const ExecStatusType status = PQresultStatus(r);
    EXPECT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        << sql << ": " << PQresultErrorMessage(r);
    std::string out = PQntuples(r) > 0 && PQnfields(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    return out;
  }

 private:
  PGconn* conn_;
};

// Waits, up to 20 s, until a backend runs a statement of `schema` that is
// waiting for a lock; false if none did.
bool write_waits_for_a_lock(Session& watcher, const std::string& schema) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < give_up) {
    const std::string n = watcher.run(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND query LIKE '%" + schema + "%SET txn%'");
    if (n != "0") return true;
    std::this_thread::yield();
  }
  return false;
}

// A write of this writer that committed without the handle learning it (a
// reply lost, then kOutcomeUnknown), still running when the handle's next
// write starts: the next write's snapshot misses it, and it waits for the
// fence row. Without the claim's stamp check the guard would pass on that
// old snapshot and an update below the new upper would be stored.
TEST(PostgresWritePath, WriteWaitingBehindAWriteItDidNotKnowSeesIt) {
  const std::string schema = fresh_schema();
  auto s = open_or_die(options_for(schema));
  ASSERT_TRUE(s);
  auto c = s->collection("c");
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(code_of(s->update(*c, "before", "v", 0, 1)), "ok");

  Session other, watcher;
  other.run("BEGIN");
  other.run("UPDATE \"" + schema + "\".fence SET txn = txn + 1000 WHERE id = 0");
  other.run("UPDATE \"" + schema + "\".collections SET upper = 10 WHERE id = " +
            std::to_string(c->id));
  Status result;
  std::thread writer([&] { result = s->update(*c, "below", "v", 5, 1); });
  const bool waited = write_waits_for_a_lock(watcher, schema);
  other.run("COMMIT");
  writer.join();
  ASSERT_TRUE(waited) << "the write never waited for the fence row";
  EXPECT_EQ(code_of(result), "frontier_violation") << (result ? "" : result.error().to_string());
  EXPECT_EQ(dump(*s, "c"), "c since {0} upper {10}: ((before, v), 0, 1)");
  // The handle adopted the new stamp: its writes work again.
  EXPECT_EQ(code_of(s->update(*c, "after", "v", 10, 1)), "ok");
}

// The client's key hash is the one the migration computes in SQL (and so
// the one version 2 rows get): keys of every length around SHA-256's block
// and padding boundaries, empty, NUL and high bytes.
TEST(PostgresWritePath, KeyHashMatchesTheServersSha256) {
  PGconn* conn = PQconnectdb(server_url().c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  const std::string sql = std::string("SELECT CAST(") +
                          std::string(postgres::kKeyHashSql).replace(
                              std::string(postgres::kKeyHashSql).find("sha256(key)"), 11,
                              "sha256($1)") +
                          " AS TEXT)";
  std::mt19937 random(17);
  for (std::size_t n : {0, 1, 3, 31, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 70000}) {
    std::string key(n, '\0');
    for (char& ch : key) ch = static_cast<char>(random());
    const char* values[] = {key.data()};
    const int lengths[] = {static_cast<int>(key.size())};
    const int formats[] = {1};
    const Oid types[] = {17};  // bytea
    PGresult* r = PQexecParams(conn, sql.c_str(), 1, types, values, lengths, formats, 0);
    ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQresultErrorMessage(r);
    EXPECT_EQ(std::string(PQgetvalue(r, 0, 0)), std::to_string(postgres::key_hash(key)))
        << "key of " << n << " bytes";
    PQclear(r);
  }
  PQfinish(conn);
}

// Frontiers changed behind the cache (without the fence row): the guard, in
// the same statement, refuses; the retry reads them and the rules refuse.
TEST(PostgresWritePath, GuardRefusesFrontiersChangedBehindTheCache) {
  const std::string schema = fresh_schema();
  auto s = open_or_die(options_for(schema));
  ASSERT_TRUE(s);
  auto c = s->collection("c");
  ASSERT_TRUE(c) << c.error();
  Session other;
  other.run("UPDATE \"" + schema + "\".collections SET upper = 10 WHERE id = " +
            std::to_string(c->id));
  EXPECT_EQ(code_of(s->update(*c, "below", "v", 5, 1)), "frontier_violation");
  EXPECT_EQ(dump(*s, "c"), "c since {0} upper {10}:");
}

// The reply of a write is lost, and before the writer asks whether it
// landed, a newer writer opens (fencing it and archiving its stamp): the
// answer comes from the archive, so the call is ok and applied once.
class FencedAfterReply : public postgres::ForwardingConnection {
 public:
  FencedAfterReply(std::unique_ptr<postgres::Connection> c, std::string schema, bool* armed)
      : ForwardingConnection(std::move(c)), schema_(std::move(schema)), armed_(armed) {}
  postgres::DbResult<std::vector<postgres::Rows>> pipeline(
      std::span<const postgres::Query> queries) override {
    if (!*armed_ || !is_write(queries)) return ForwardingConnection::pipeline(queries);
    *armed_ = false;
    auto result = ForwardingConnection::pipeline(queries);
    EXPECT_TRUE(result.has_value()) << result.error().message;
    drop_target();
    auto newer = PostgresStash::open(server_url(), options_for(schema_));
    EXPECT_TRUE(newer.has_value());
    return std::unexpected(injected("reply lost, and a newer writer opened"));
  }

 private:
  std::string schema_;
  bool* armed_;
};

class FencedAfterReplyConnector : public postgres::Connector {
 public:
  FencedAfterReplyConnector(std::string schema, bool* armed)
      : inner_(postgres::libpq_connector(server_url(), 5)), schema_(std::move(schema)), armed_(armed) {}
  postgres::DbResult<std::unique_ptr<postgres::Connection>> connect(
      postgres::Deadline deadline) override {
    auto c = inner_->connect(deadline);
    if (!c) return std::unexpected(c.error());
    return std::make_unique<FencedAfterReply>(std::move(*c), schema_, armed_);
  }

 private:
  std::shared_ptr<postgres::Connector> inner_;
  std::string schema_;
  bool* armed_;
};

TEST(PostgresWritePath, LostReplyOfAFencedWriterIsResolvedFromTheArchive) {
  const std::string schema = fresh_schema();
  bool armed = false;
  auto s = PostgresStash::open_with(std::make_shared<FencedAfterReplyConnector>(schema, &armed),
                                    options_for(schema));
  ASSERT_TRUE(s) << s.error();
  auto c = (*s)->collection("c");
  ASSERT_TRUE(c) << c.error();
  armed = true;
  EXPECT_EQ(code_of((*s)->update(*c, "k", "v", 0, 1)), "ok");
  EXPECT_FALSE(armed);
  EXPECT_EQ(code_of((*s)->update(*c, "k", "v", 1, 1)), "fenced");
  auto reader = open_or_die({.schema = schema, .read_only = true});
  ASSERT_TRUE(reader);
  EXPECT_EQ(dump(*reader, "c"), "c since {0} upper {0}: ((k, v), 0, 1)");
}

// A version 2 stash as that version's library left it: its tables, with the
// foreign key and the CHECK, the stamp of the current writer (epoch 4) in
// commits, a collection with rows.
void make_version_2(Session& db, const std::string& schema) {
  const std::string s = "\"" + schema + "\"";
  db.run("CREATE SCHEMA " + s + ";"
         "CREATE TABLE " + s + ".meta (id INT PRIMARY KEY CHECK (id = 0), format_version BIGINT NOT NULL);"
         "CREATE TABLE " + s + ".collections (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
         " name BYTEA NOT NULL, since BIGINT, upper BIGINT);"
         "CREATE UNIQUE INDEX collections_by_name ON " + s + ".collections ((sha256(name)));"
         "CREATE TABLE " + s + ".data (collection_id BIGINT NOT NULL REFERENCES " + s +
         ".collections(id), key BYTEA NOT NULL, value BYTEA NOT NULL, time BIGINT NOT NULL,"
         " diff BIGINT NOT NULL);"
         "CREATE INDEX data_by_key ON " + s + ".data (collection_id, (sha256(key)));"
         "CREATE INDEX data_by_time ON " + s + ".data (collection_id, time);"
         "CREATE TABLE " + s + ".fence (id INT PRIMARY KEY CHECK (id = 0), epoch BIGINT NOT NULL,"
         " nonce BYTEA NOT NULL);"
         "CREATE TABLE " + s + ".commits (epoch BIGINT PRIMARY KEY, txn BIGINT NOT NULL);"
         "INSERT INTO " + s + ".meta VALUES (0, 2);"
         "INSERT INTO " + s + ".fence VALUES (0, 4, '\\x00');"
         "INSERT INTO " + s + ".commits VALUES (3, 9), (4, 17);"
         "INSERT INTO " + s + ".collections (name, since, upper) VALUES ('c', 0, 3);"
         "INSERT INTO " + s + ".data SELECT id, 'k', 'v', 1, 2 FROM " + s + ".collections");
}

TEST(PostgresWritePath, Version2IsReadAsItIsAndMigratedByAWriter) {
  const std::string schema = fresh_schema();
  Session db;
  make_version_2(db, schema);
  const std::string s = "\"" + schema + "\"";
  {
    auto reader = open_or_die({.schema = schema, .read_only = true});
    ASSERT_TRUE(reader);
    EXPECT_EQ(dump(*reader, "c"), "c since {0} upper {3}: ((k, v), 1, 2)");
    auto c = reader->collection("c");
    ASSERT_TRUE(c) << c.error();
    auto of_k = reader->iter_key(*c, "k");
    ASSERT_TRUE(of_k) << of_k.error();
    EXPECT_EQ(of_k->size(), 1u);
    // A point read through the version 2 index: (k, v) with diff 2.
    EXPECT_EQ(code_of(reader->peek_key_one(*c, "k")), "multiplicity");
  }
  EXPECT_EQ(db.run("SELECT format_version FROM " + s + ".meta"), "2");
  auto writer = open_or_die(options_for(schema));
  ASSERT_TRUE(writer);
  EXPECT_EQ(db.run("SELECT format_version FROM " + s + ".meta"), "3");
  EXPECT_EQ(db.run("SELECT count(*) FROM pg_constraint WHERE conrelid IN ('" + s + ".data'::regclass, '" +
                   s + ".fence'::regclass) AND contype IN ('f', 'c')"),
            "0");
  // The fenced version 2 writer's stamp is kept for its resolution.
  EXPECT_EQ(db.run("SELECT txn FROM " + s + ".commits WHERE epoch = 4"), "17");
  EXPECT_EQ(db.run("SELECT epoch || ' ' || txn FROM " + s + ".fence"), "5 0");
  auto c = writer->collection("c");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(code_of(writer->update(*c, "k", "v", 3, 1)), "ok");
  EXPECT_EQ(code_of(writer->seal(*c, Frontier::at(4))), "ok");
  EXPECT_EQ(dump(*writer, "c"), "c since {0} upper {4}: ((k, v), 1, 2) ((k, v), 3, 1)");
  // Point reads find the migrated row (hashed in SQL) and the new one.
  auto of_k = writer->iter_key(*c, "k");
  ASSERT_TRUE(of_k) << of_k.error();
  EXPECT_EQ(of_k->size(), 2u);
  auto report = writer->verify_report();
  ASSERT_TRUE(report) << report.error();
  EXPECT_TRUE(report->problems.empty());
  // A second writer finds it migrated and changes nothing but the fence.
  auto again = open_or_die(options_for(schema));
  ASSERT_TRUE(again);
  EXPECT_EQ(db.run("SELECT format_version FROM " + s + ".meta"), "3");
}

}  // namespace
}  // namespace stash::testing

int main(int argc, char** argv) {
  return stash::testing::run_postgres_tests(argc, argv, {"STASH_TEST_POSTGRES_URL"});
}
