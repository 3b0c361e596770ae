// The libpq implementation of the connection seam: pipeline mode with
// statements prepared lazily, once per connection, binary parameters and
// results. RAII owns every PGconn and PGresult.
#include <libpq-fe.h>

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "stash/postgres_connection.h"

namespace stash::postgres {
namespace {

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

std::string trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The SQLSTATEs after which the session is gone: connection exceptions
// (class 08) and the server shutting down or crashing (57P01..57P03).
bool is_connection_sqlstate(const std::string& state) {
  return state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03";
}

Rows rows_of(const PGresult* r) {
  Rows out;
  const int n = PQntuples(r), fields = PQnfields(r);
  out.rows.resize(n);
  for (int i = 0; i < n; ++i) {
    out.rows[i].reserve(fields);
    for (int f = 0; f < fields; ++f) {
      if (PQgetisnull(r, i, f)) {
        out.rows[i].emplace_back(std::nullopt);
      } else {
        out.rows[i].emplace_back(std::string(PQgetvalue(r, i, f), PQgetlength(r, i, f)));
      }
    }
  }
  return out;
}

class LibpqConnection final : public Connection {
 public:
  explicit LibpqConnection(ConnPtr conn) : conn_(std::move(conn)) {
    // Notices ("relation already exists, skipping") are not errors; libpq
    // would print them to stderr.
    PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
  }

  DbResult<std::vector<Rows>> pipeline(std::span<const Query> queries) override;
  DbResult<void> exec(const std::string& script) override;

  bool in_transaction() const override {
    return PQtransactionStatus(conn_.get()) != PQTRANS_IDLE;
  }

  DbResult<std::string> quote_identifier(std::string_view name) override {
    char* quoted = PQescapeIdentifier(conn_.get(), name.data(), name.size());
    if (!quoted) return std::unexpected(DbError{"", "cannot quote identifier: " + last_error()});
    std::string out(quoted);
    PQfreemem(quoted);
    return out;
  }

 private:
  // One protocol message of a pipeline: the Parse of a statement not yet
  // prepared on this connection, or the Execute of query `index`.
  struct Sent {
    bool prepare;
    std::size_t index;
    std::string name;  // the prepared statement's name
  };

  std::string last_error() const { return trimmed(PQerrorMessage(conn_.get())); }
  bool broken() const { return poisoned_ || PQstatus(conn_.get()) != CONNECTION_OK; }

  DbError error_of(const PGresult* r) const {
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    DbError e{state ? state : "", trimmed(PQresultErrorMessage(r))};
    if (e.message.empty()) e.message = last_error();
    e.connection_lost = broken() || is_connection_sqlstate(e.sqlstate);
    return e;
  }
  // The connection can no longer be trusted to be in step with the server.
  DbError lost(const std::string& what) {
    poisoned_ = true;
    return DbError{"", what + ": " + last_error(), true};
  }

  DbResult<std::vector<Sent>> send(std::span<const Query> queries);
  DbResult<std::vector<Rows>> receive(std::span<const Query> queries,
                                      const std::vector<Sent>& sent);

  ConnPtr conn_;
  std::map<std::string, std::string> prepared_;  // SQL text -> statement name
  bool poisoned_ = false;
};

DbResult<std::vector<LibpqConnection::Sent>> LibpqConnection::send(
    std::span<const Query> queries) {
  std::vector<Sent> sent;
  std::map<std::string, std::string> preparing;  // prepared in this pipeline
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const Query& q = queries[i];
    const int n = static_cast<int>(q.params.size());
    std::vector<Oid> types;
    std::vector<const char*> values;
    std::vector<int> lengths, formats(n, 1);
    for (const Param& p : q.params) {
      types.push_back(static_cast<Oid>(p.type));
      values.push_back(p.binary ? p.binary->data() : nullptr);
      lengths.push_back(p.binary ? static_cast<int>(p.binary->size()) : 0);
    }
    std::string name;
    if (auto it = prepared_.find(*q.sql); it != prepared_.end()) {
      name = it->second;
    } else if (auto it2 = preparing.find(*q.sql); it2 != preparing.end()) {
      name = it2->second;
    } else {
      name = "stash_" + std::to_string(prepared_.size() + preparing.size());
      if (!PQsendPrepare(conn_.get(), name.c_str(), q.sql->c_str(), n, types.data())) {
        return std::unexpected(lost("sending a statement"));
      }
      preparing.emplace(*q.sql, name);
      sent.push_back({true, i, name});
    }
    if (!PQsendQueryPrepared(conn_.get(), name.c_str(), n, values.data(), lengths.data(),
                             formats.data(), /*resultFormat=*/1)) {
      return std::unexpected(lost("sending a statement"));
    }
    sent.push_back({false, i, name});
  }
  if (!PQpipelineSync(conn_.get())) return std::unexpected(lost("sending a sync"));
  return sent;
}

DbResult<std::vector<Rows>> LibpqConnection::receive(std::span<const Query> queries,
                                                     const std::vector<Sent>& sent) {
  std::vector<Rows> out(queries.size());
  std::optional<DbError> first_error;
  for (const Sent& s : sent) {
    ResultPtr r(PQgetResult(conn_.get()));
    if (!r) return std::unexpected(lost("reading results"));
    const ExecStatusType status = PQresultStatus(r.get());
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
      if (s.prepare) {
        prepared_.emplace(*queries[s.index].sql, s.name);
      } else {
        out[s.index] = rows_of(r.get());
      }
    } else if (status != PGRES_PIPELINE_ABORTED) {
      DbError e = error_of(r.get());
      if (e.connection_lost) {
        poisoned_ = true;
        return std::unexpected(e);
      }
      if (!first_error) first_error = std::move(e);
    }
    // Each command's results end with a null result.
    if (ResultPtr end(PQgetResult(conn_.get())); end) {
      return std::unexpected(lost("unexpected extra result"));
    }
  }
  ResultPtr sync(PQgetResult(conn_.get()));
  if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
    if (sync && PQresultStatus(sync.get()) == PGRES_FATAL_ERROR) {
      DbError e = error_of(sync.get());
      poisoned_ = true;
      e.connection_lost = true;
      return std::unexpected(e);
    }
    return std::unexpected(lost("reading the pipeline sync"));
  }
  if (!PQexitPipelineMode(conn_.get())) return std::unexpected(lost("leaving pipeline mode"));
  if (first_error) return std::unexpected(*first_error);
  return out;
}

DbResult<std::vector<Rows>> LibpqConnection::pipeline(std::span<const Query> queries) {
  if (broken()) return std::unexpected(lost("connection unusable"));
  if (!PQenterPipelineMode(conn_.get())) return std::unexpected(lost("entering pipeline mode"));
  auto sent = send(queries);
  if (!sent) return std::unexpected(sent.error());
  return receive(queries, *sent);
}

DbResult<void> LibpqConnection::exec(const std::string& script) {
  if (broken()) return std::unexpected(lost("connection unusable"));
  ResultPtr r(PQexec(conn_.get(), script.c_str()));
  if (!r) return std::unexpected(lost("running a script"));
  const ExecStatusType status = PQresultStatus(r.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return {};
  return std::unexpected(error_of(r.get()));
}

// libpq reports connection failures as text only; these phrases mark the ones
// that retrying cannot fix (authentication, a missing database or role).
bool is_rejection(PGconn* conn, const std::string& message) {
  if (PQconnectionNeedsPassword(conn)) return true;
  for (const char* phrase : {"authentication failed", "pg_hba.conf", "does not exist",
                             "password", "certificate"}) {
    if (message.find(phrase) != std::string::npos) return true;
  }
  return false;
}

class LibpqConnector final : public Connector {
 public:
  LibpqConnector(std::string conninfo, int connect_timeout_s)
      : conninfo_(std::move(conninfo)), timeout_(std::to_string(connect_timeout_s)) {
    if (connect_timeout_s <= 0) timeout_.clear();
  }

  DbResult<std::unique_ptr<Connection>> connect() override {
    char* parse_error = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(conninfo_.c_str(), &parse_error);
    if (!parsed) {
      DbError e{"", "invalid connection string: " + trimmed(parse_error ? parse_error : "out of memory")};
      e.invalid_argument = parse_error != nullptr;
      PQfreemem(parse_error);
      return std::unexpected(e);
    }
    PQconninfoFree(parsed);
    // The conninfo is expanded in place of dbname; the settings after it
    // override it, the fallback application name only fills a gap.
    std::vector<const char*> keys = {"dbname", "fallback_application_name"};
    std::vector<const char*> values = {conninfo_.c_str(), "stash"};
    if (!timeout_.empty()) keys.push_back("connect_timeout"), values.push_back(timeout_.c_str());
    keys.push_back(nullptr), values.push_back(nullptr);
    ConnPtr conn(PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1));
    if (!conn) return std::unexpected(DbError{"", "libpq: out of memory", true});
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      DbError e{"", "cannot connect: " + trimmed(PQerrorMessage(conn.get()))};
      e.invalid_argument = is_rejection(conn.get(), e.message);
      e.connection_lost = !e.invalid_argument;
      return std::unexpected(e);
    }
    return std::make_unique<LibpqConnection>(std::move(conn));
  }

 private:
  const std::string conninfo_;
  std::string timeout_;
};

}  // namespace

std::shared_ptr<Connector> libpq_connector(std::string conninfo, int connect_timeout_s) {
  return std::make_shared<LibpqConnector>(std::move(conninfo), connect_timeout_s);
}

}  // namespace stash::postgres
