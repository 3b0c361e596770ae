// The libpq implementation of the connection seam: pipeline mode with
// statements prepared lazily, once per connection, binary parameters and
// results. RAII owns every PGconn and PGresult.
//
// Nothing blocks: the connection is non-blocking, connecting runs
// PQconnectStartParams/PQconnectPoll, and requests flush and read with
// PQflush/PQconsumeInput around poll(2) bounded by the deadline, so a frozen
// server costs a call its deadline, never more. (Host name lookup inside
// PQconnectStartParams is the one step libpq does synchronously; use hostaddr
// to avoid it.)
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
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
  // "INSERT 0 1" -> 1; "" for commands without a count.
  const char* tag = PQcmdTuples(const_cast<PGresult*>(r));
  out.affected = tag && *tag ? std::strtoll(tag, nullptr, 10) : 0;
  return out;
}

enum class Wait { kReady, kTimedOut, kFailed };

// Waits until `socket` is readable (or writable, if `write`) or the deadline
// passes.
Wait wait_for(int socket, bool write, Deadline deadline) {
  if (socket < 0) return Wait::kFailed;
  for (;;) {
    int timeout_ms = -1;
    if (deadline != kNoDeadline) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return Wait::kTimedOut;
      timeout_ms = static_cast<int>(std::min<long long>(left.count(), INT_MAX));
    }
    pollfd fd{socket, static_cast<short>(write ? POLLIN | POLLOUT : POLLIN), 0};
    const int n = ::poll(&fd, 1, timeout_ms);
    if (n > 0) return Wait::kReady;
    if (n < 0 && errno != EINTR) return Wait::kFailed;
  }
}

class LibpqConnection final : public Connection {
 public:
  explicit LibpqConnection(ConnPtr conn) : conn_(std::move(conn)) {
    // Notices ("relation already exists, skipping") are not errors; libpq
    // would print them to stderr.
    PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
    if (PQsetnonblocking(conn_.get(), 1) != 0) poisoned_ = true;
  }

  void set_deadline(Deadline deadline) override { deadline_ = deadline; }

  DbResult<std::vector<Rows>> pipeline(std::span<const Query> queries) override;
  DbResult<void> exec(const std::string& script) override;

  bool in_transaction() const override {
    return PQtransactionStatus(conn_.get()) != PQTRANS_IDLE;
  }

  int socket() const override { return PQsocket(conn_.get()); }

  DbResult<std::vector<Notification>> notifications() override {
    if (broken()) return std::unexpected(lost("connection unusable"));
    // PQconsumeInput reads what the socket holds without blocking (the
    // connection is non-blocking); a closed socket or a server that said
    // goodbye (57P01 on shutdown) leaves the connection bad.
    if (!PQconsumeInput(conn_.get()) || PQstatus(conn_.get()) != CONNECTION_OK) {
      return std::unexpected(lost("listening"));
    }
    std::vector<Notification> out;
    while (PGnotify* n = PQnotifies(conn_.get())) {
      out.push_back({n->relname ? n->relname : "", n->extra ? n->extra : ""});
      PQfreemem(n);
    }
    // Anything else the server sent while idle (an error before it closes
    // the connection) is a result nobody asked for: the session is over.
    if (!PQisBusy(conn_.get())) {
      if (ResultPtr stray{PQgetResult(conn_.get())}) return std::unexpected(lost("listening"));
    }
    return out;
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
  DbError timed_out(const std::string& what) {
    poisoned_ = true;
    DbError e{"", what + ": no answer from the server before the call's deadline", true};
    e.timed_out = true;
    return e;
  }

  // Sends everything buffered, reading input meanwhile (so that a server
  // blocked on writing its replies cannot deadlock us).
  std::optional<DbError> flush(const char* what) {
    for (;;) {
      const int r = PQflush(conn_.get());
      if (r == 0) return std::nullopt;
      if (r < 0) return lost(what);
      const Wait w = wait_for(PQsocket(conn_.get()), /*write=*/true, deadline_);
      if (w == Wait::kTimedOut) return timed_out(what);
      if (w == Wait::kFailed || !PQconsumeInput(conn_.get())) return lost(what);
    }
  }
  // Reads until PQgetResult will not block.
  std::optional<DbError> await_result(const char* what) {
    while (PQisBusy(conn_.get())) {
      const Wait w = wait_for(PQsocket(conn_.get()), /*write=*/false, deadline_);
      if (w == Wait::kTimedOut) return timed_out(what);
      if (w == Wait::kFailed || !PQconsumeInput(conn_.get())) return lost(what);
    }
    return std::nullopt;
  }
  // The next result, or nullptr at the end of a command's results.
  DbResult<ResultPtr> next_result(const char* what) {
    if (auto e = await_result(what)) return std::unexpected(*e);
    return ResultPtr(PQgetResult(conn_.get()));
  }

  DbResult<std::vector<Sent>> send(std::span<const Query> queries);
  DbResult<std::vector<Rows>> receive(std::span<const Query> queries,
                                      const std::vector<Sent>& sent);

  ConnPtr conn_;
  std::map<std::string, std::string> prepared_;  // SQL text -> statement name
  bool poisoned_ = false;
  Deadline deadline_ = kNoDeadline;
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
  if (auto e = flush("sending a pipeline")) return std::unexpected(*e);
  return sent;
}

DbResult<std::vector<Rows>> LibpqConnection::receive(std::span<const Query> queries,
                                                     const std::vector<Sent>& sent) {
  std::vector<Rows> out(queries.size());
  std::optional<DbError> first_error;
  for (const Sent& s : sent) {
    auto next = next_result("reading results");
    if (!next) return std::unexpected(next.error());
    ResultPtr r = std::move(*next);
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
    auto end = next_result("reading results");
    if (!end) return std::unexpected(end.error());
    if (*end) return std::unexpected(lost("unexpected extra result"));
  }
  auto synced = next_result("reading the pipeline sync");
  if (!synced) return std::unexpected(synced.error());
  ResultPtr sync = std::move(*synced);
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
  if (!sent) {
    DbError e = sent.error();
    e.unsent = true;  // the Sync, last, was not sent: nothing ran or committed
    return std::unexpected(e);
  }
  return receive(queries, *sent);
}

DbResult<void> LibpqConnection::exec(const std::string& script) {
  if (broken()) return std::unexpected(lost("connection unusable"));
  if (!PQsendQuery(conn_.get(), script.c_str())) return std::unexpected(lost("running a script"));
  if (auto e = flush("running a script")) return std::unexpected(*e);
  // One result per statement until the null one; the first error wins (the
  // server skips the statements after it).
  std::optional<DbError> first_error;
  for (;;) {
    auto next = next_result("running a script");
    if (!next) return std::unexpected(next.error());
    if (!*next) break;
    const ExecStatusType status = PQresultStatus(next->get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && !first_error) {
      first_error = error_of(next->get());
      if (first_error->connection_lost) poisoned_ = true;
    }
  }
  if (first_error) return std::unexpected(*first_error);
  return {};
}

// libpq reports connection failures as text only; these phrases mark the ones
// that retrying cannot fix (authentication, a missing database or role, an
// impossible setting).
bool is_rejection(PGconn* conn, const std::string& message) {
  if (conn && PQconnectionNeedsPassword(conn)) return true;
  for (const char* phrase : {"authentication failed", "pg_hba.conf", "does not exist",
                             "password", "certificate", "invalid port number",
                             "invalid integer value", "invalid value for parameter",
                             "invalid connection option", "invalid sslmode"}) {
    if (message.find(phrase) != std::string::npos) return true;
  }
  return false;
}

// Why a parsed conninfo's `port` (a comma-separated list, one per host) can
// never work, or empty. libpq itself only finds out when it tries a host,
// and then reports it like an unreachable server.
std::string bad_port(const PQconninfoOption* options) {
  for (const PQconninfoOption* o = options; o && o->keyword; ++o) {
    if (std::string_view(o->keyword) != "port" || !o->val) continue;
    std::string_view ports = o->val;
    for (std::size_t start = 0; start <= ports.size();) {
      std::size_t end = ports.find(',', start);
      if (end == std::string_view::npos) end = ports.size();
      const std::string_view port = ports.substr(start, end - start);
      long long value = 0;
      bool digits = !port.empty() && port.size() <= 6;
      for (char c : port) {
        digits = digits && std::isdigit(static_cast<unsigned char>(c));
        if (digits) value = value * 10 + (c - '0');
      }
      if (!port.empty() && (!digits || value < 1 || value > 65535)) {
        return "invalid port \"" + std::string(port) + "\" (must be 1..65535)";
      }
      start = end + 1;
    }
  }
  return "";
}

// The conninfo's connect_timeout in seconds, 0 when unset or unparsable.
int conninfo_timeout_s(const PQconninfoOption* options) {
  for (const PQconninfoOption* o = options; o && o->keyword; ++o) {
    if (std::string_view(o->keyword) == "connect_timeout" && o->val) return std::atoi(o->val);
  }
  return 0;
}

class LibpqConnector final : public Connector {
 public:
  LibpqConnector(std::string conninfo, int connect_timeout_s, int tcp_user_timeout_ms)
      : conninfo_(std::move(conninfo)),
        connect_timeout_s_(std::max(0, connect_timeout_s)),
        user_timeout_(tcp_user_timeout_ms > 0 ? std::to_string(tcp_user_timeout_ms) : "") {}

  DbResult<std::unique_ptr<Connection>> connect(Deadline deadline) override {
    char* parse_error = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(conninfo_.c_str(), &parse_error);
    if (!parsed) {
      DbError e{"", "invalid connection string: " + trimmed(parse_error ? parse_error : "out of memory")};
      e.invalid_argument = parse_error != nullptr;
      PQfreemem(parse_error);
      return std::unexpected(e);
    }
    const std::string port_problem = bad_port(parsed);
    int timeout_s = connect_timeout_s_ > 0 ? connect_timeout_s_ : conninfo_timeout_s(parsed);
    PQconninfoFree(parsed);
    if (!port_problem.empty()) {
      DbError e{"", "invalid connection string: " + port_problem};
      e.invalid_argument = true;
      return std::unexpected(e);
    }
    if (timeout_s > 0) {
      deadline = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s));
    }
    // Keys before dbname are defaults the conninfo (expanded in place of
    // dbname) may override; the fallback application name only fills a gap.
    std::vector<const char*> keys, values;
    if (!user_timeout_.empty()) {
      for (auto [k, v] : {std::pair{"keepalives", "1"}, {"keepalives_idle", "5"},
                          {"keepalives_interval", "2"}, {"keepalives_count", "3"}}) {
        keys.push_back(k), values.push_back(v);
      }
      keys.push_back("tcp_user_timeout"), values.push_back(user_timeout_.c_str());
    }
    keys.push_back("dbname"), values.push_back(conninfo_.c_str());
    keys.push_back("fallback_application_name"), values.push_back("stash");
    keys.push_back(nullptr), values.push_back(nullptr);
    ConnPtr conn(PQconnectStartParams(keys.data(), values.data(), /*expand_dbname=*/1));
    if (!conn) return std::unexpected(DbError{"", "libpq: out of memory", true});
    auto failed = [&](std::string message) {
      DbError e{"", "cannot connect: " + std::move(message)};
      e.invalid_argument = is_rejection(conn.get(), e.message);
      e.connection_lost = !e.invalid_argument;
      return std::unexpected(e);
    };
    if (PQstatus(conn.get()) == CONNECTION_BAD) return failed(trimmed(PQerrorMessage(conn.get())));
    // As libpq documents: start as if PQconnectPoll had asked to write.
    PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;
    while (poll_status != PGRES_POLLING_OK) {
      if (poll_status == PGRES_POLLING_FAILED) return failed(trimmed(PQerrorMessage(conn.get())));
      const Wait w = wait_for(PQsocket(conn.get()), poll_status == PGRES_POLLING_WRITING, deadline);
      if (w == Wait::kTimedOut) {
        DbError e{"", "cannot connect: no answer from the server within the deadline" +
                          (timeout_s > 0 ? " (connect timeout " + std::to_string(timeout_s) + " s)"
                                         : std::string())};
        e.connection_lost = true;
        e.timed_out = true;
        return std::unexpected(e);
      }
      poll_status = PQconnectPoll(conn.get());
    }
    return std::make_unique<LibpqConnection>(std::move(conn));
  }

 private:
  const std::string conninfo_;
  const int connect_timeout_s_;
  const std::string user_timeout_;
};

}  // namespace

std::shared_ptr<Connector> libpq_connector(std::string conninfo, int connect_timeout_s,
                                           int tcp_user_timeout_ms) {
  return std::make_shared<LibpqConnector>(std::move(conninfo), connect_timeout_s,
                                          tcp_user_timeout_ms);
}

}  // namespace stash::postgres
