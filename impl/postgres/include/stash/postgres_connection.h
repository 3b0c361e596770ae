// The connection seam of PostgresStash: everything the backend asks of a
// PostgreSQL connection, as a small interface with a libpq implementation and
// a forwarding wrapper, so that a test overrides only what it breaks (drop
// the connection before COMMIT, or after COMMIT was sent but before its
// reply), the way LevelDB's EnvWrapper serves its fault-injection Env.
#ifndef STASH_POSTGRES_CONNECTION_H_
#define STASH_POSTGRES_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace stash::postgres {

// When a request must have finished; kNoDeadline waits for ever.
using Deadline = std::chrono::steady_clock::time_point;
inline constexpr Deadline kNoDeadline = Deadline::max();

// A PostgreSQL type OID for parameters (the few the backend sends).
enum class Type : unsigned {
  kBytea = 17,
  kInt8 = 20,
  kText = 25,
  kByteaArray = 1001,
  kInt8Array = 1016,
};

// One parameter in PostgreSQL's binary format; nullopt is SQL NULL.
struct Param {
  Type type;
  std::optional<std::string> binary;
};

// One statement of a pipeline: SQL text with $1.. placeholders and its
// parameters. Results come back in binary format.
struct Query {
  const std::string* sql;  // Owned by the caller; must outlive the call.
  std::vector<Param> params;
};

// The rows one statement returned (none for a command), each cell in binary
// format, nullopt for NULL, and the rows its command tag counts (inserted,
// updated, deleted or returned; 0 when the tag has no count).
struct Rows {
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::int64_t affected = 0;
};

// Why a request failed, as the server or libpq said it.
struct DbError {
  std::string sqlstate;   // "40001", ...; empty when libpq reports it
  std::string message;
  // The connection is gone (or unusable): a new one is needed. Whether the
  // server executed what was sent is unknown.
  bool connection_lost = false;
  // The request can never succeed as given: an unparsable conninfo, refused
  // authentication, a database or role that does not exist.
  bool invalid_argument = false;
  // The deadline passed before the server answered (connection_lost is set
  // too: the connection is out of step and must be dropped).
  bool timed_out = false;
  // The request never reached the server whole (the connection failed or
  // the deadline passed while sending): the server executed none of it.
  bool unsent = false;
};

template <typename T>
using DbResult = std::expected<T, DbError>;

// A notification a connection that ran LISTEN received: NOTIFY's channel
// and payload.
struct Notification {
  std::string channel;
  std::string payload;
};

class Connection {
 public:
  virtual ~Connection() = default;

  // Sends every query, then one Sync, and reads every result: one round trip.
  // Returns one Rows per query, or the first error (the server skipped the
  // queries after it). Queries between BEGIN and COMMIT form that
  // transaction; without BEGIN the whole pipeline is one implicit
  // transaction, committed at the Sync.
  virtual DbResult<std::vector<Rows>> pipeline(std::span<const Query> queries) = 0;

  // Runs `script` (several statements without parameters) with the simple
  // query protocol, for schema setup and session settings.
  virtual DbResult<void> exec(const std::string& script) = 0;

  // True while a transaction is open or failed on this connection.
  virtual bool in_transaction() const = 0;

  // `name` quoted as an SQL identifier (PQescapeIdentifier).
  virtual DbResult<std::string> quote_identifier(std::string_view name) = 0;

  // Every later pipeline and exec gives up at `deadline` (timed_out), never
  // blocking past it. Default kNoDeadline.
  virtual void set_deadline(Deadline deadline) = 0;

  // For a connection that ran LISTEN and now sits idle: the socket to
  // poll(2) for readability (-1 when there is none), and every notification
  // received so far, reading what the socket holds without blocking.
  // notifications() fails with connection_lost once the connection is gone
  // (the server closed it, restarted, or the socket failed).
  virtual int socket() const = 0;
  virtual DbResult<std::vector<Notification>> notifications() = 0;
};

// Makes connections: the first when a stash opens, and one per reconnect.
class Connector {
 public:
  virtual ~Connector() = default;
  // Gives up at `deadline` (timed_out) if the server has not answered.
  virtual DbResult<std::unique_ptr<Connection>> connect(Deadline deadline) = 0;
};

// Connects with libpq, without blocking past connect()'s deadline or
// connect_timeout_s (> 0) from the start of connect(), whichever is first.
// `conninfo` is checked by connect(); an impossible port is invalid_argument.
// A tcp_user_timeout_ms > 0 sets TCP keepalives and tcp_user_timeout (as
// defaults the conninfo may override; libpq ignores them on unix sockets).
std::shared_ptr<Connector> libpq_connector(std::string conninfo, int connect_timeout_s,
                                           int tcp_user_timeout_ms = 0);

// Forwards every call to another connection; override what a test breaks.
class ForwardingConnection : public Connection {
 public:
  explicit ForwardingConnection(std::unique_ptr<Connection> target)
      : target_(std::move(target)) {}
  DbResult<std::vector<Rows>> pipeline(std::span<const Query> queries) override {
    return target_->pipeline(queries);
  }
  DbResult<void> exec(const std::string& script) override { return target_->exec(script); }
  bool in_transaction() const override { return target_->in_transaction(); }
  DbResult<std::string> quote_identifier(std::string_view name) override {
    return target_->quote_identifier(name);
  }
  void set_deadline(Deadline deadline) override {
    if (target_) target_->set_deadline(deadline);
  }
  int socket() const override { return target_ ? target_->socket() : -1; }
  DbResult<std::vector<Notification>> notifications() override {
    if (!target_) return std::unexpected(DbError{"", "the connection was dropped", true});
    return target_->notifications();
  }

 protected:
  Connection* target() { return target_.get(); }
  // Closes the real connection (the server rolls back an open transaction).
  void drop_target() { target_.reset(); }

 private:
  std::unique_ptr<Connection> target_;
};

}  // namespace stash::postgres

#endif  // STASH_POSTGRES_CONNECTION_H_
