// PostgresStash: the networked backend, one stash per PostgreSQL schema.
//
// Round trips: a read is one round trip (a pipelined REPEATABLE READ, READ
// ONLY transaction: one snapshot). A write is one round trip too: a single
// statement, run as its own READ COMMITTED transaction, whose first step
// updates the schema's one fence row where the fence is this writer's, the
// row's write stamp is the one this handle last saw, and the collections'
// frontiers are still the ones the rules were checked against; it stamps
// the write's id there and writes, raising (and so writing nothing) when a
// check fails. Every write locks that one row, so writes run one at a time,
// and the stamp check proves each saw every write before it: calls are as
// serializable as under SERIALIZABLE (src/schema.cc gives the argument). The
// frontiers come from this handle's cache
// (filled by collection() and every read and write), so only the first write
// to a collection through a handle that never looked it up costs a second
// round trip. collection() of an existing name is one round trip, of a new
// one two. Batch calls (update_many, append, seal_batch, compact_batch,
// consolidate_batch) are one transaction each, so atomic; the peeks are one
// snapshot each.
//
// Durability: a call that returns ok was committed by the server (INV-7 as far
// as the server's own durability settings go).
//
// Failures the network adds, and what the caller sees:
//   - serialization failures (40001) and deadlocks (40P01) are retried with
//     exponential backoff, PostgresOptions::max_retries times, then the call
//     fails with kUnavailable and had no effect;
//   - a connection lost before a write was sent: reconnect and retry
//     (bounded), then kUnavailable, no effect;
//   - a connection lost after a write was sent: reconnect, wait for the old
//     transaction to end, and read this writer's write stamp (the fence
//     row's, or the copy a newer writer's open archived) to learn whether
//     the commit landed; landed -> ok, did not -> retry. It never
//     applies a write twice. If it cannot reconnect within the retries (or
//     the call's deadline) the call fails with kOutcomeUnknown: it took
//     effect entirely or not at all;
//   - a server that stops answering (frozen, partitioned): every call ends by
//     its deadline (PostgresOptions::call_timeout_ms) with kUnavailable when
//     nothing was sent or the write is known not to have committed, and
//     kOutcomeUnknown when the write was sent and could not be resolved. A
//     call waiting for another thread's call on the same object waits within
//     its own deadline too.
//
// Several PostgresStash objects may share one schema, from one process or
// many. Opening a writer fences every older writer on the schema: their next
// call fails with kFenced and writes nothing, as do all later ones (the only
// unrecoverable error). A read-only open fences nobody and is never fenced.
//
// Sizes: keys, values and collection names are stored as BYTEA, indexed by
// a hash (names by their SHA-256 digest, keys by its first 8 bytes), so any
// size PostgreSQL accepts works (1 GiB per
// value; in practice one call's parameters must stay under the server's
// 1 GiB message limit, or the call fails with kInvalidArgument).
//
// The schema (tables, format version 3) is documented in src/schema.cc; a
// writer's open migrates a version 2 schema (one transaction that rewrites
// every data row: give that open a call_timeout_ms to match the store's
// size), a read-only open reads it as it is.
//
// Subscriptions (Stash::subscribe) wake on LISTEN/NOTIFY: see
// wait_for_change below. Exports and backups read every collection in one
// transaction: see read_all below.
//
// Thread-safe: calls on one object from several threads are serialized; a
// call waiting for another thread's call waits within its own deadline.
#ifndef STASH_POSTGRES_STASH_H_
#define STASH_POSTGRES_STASH_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "stash/consistent_read.h"
#include "stash/stash.h"
#include "stash/verify.h"

namespace stash {

namespace postgres {
class Connector;  // The connection seam: stash/postgres_connection.h.
}

struct PostgresOptions {
  // The PostgreSQL schema holding this stash's tables, so that many stashes
  // share one database. Any non-empty UTF-8 string without U+0000 that the
  // server keeps whole: at most its max_identifier_length bytes (63 on a
  // stock server; PostgreSQL silently truncates longer identifiers, which
  // would make two long names one schema) and not starting with "pg_"
  // (reserved by the server). Anything else fails open with
  // kInvalidArgument. Quoted with PQescapeIdentifier, never spliced raw.
  // Created if missing (unless read_only). Default "stash".
  std::string schema = "stash";

  // Open for reading only: every write fails with kInvalidArgument, a missing
  // collection is kNotFound, the schema must already hold a stash (else
  // kNotFound), and the open fences nobody. Default false.
  bool read_only = false;

  // How long opening (and each reconnect) waits for the server, in seconds;
  // 0 means no limit of its own (the conninfo's connect_timeout, if any,
  // still applies). An unreachable server fails open with kUnavailable after
  // at most this long (the stash keeps the deadline itself, so 1 means one
  // second, below libpq's own minimum of 2), and a refused connection fails
  // at once. Default 5.
  int connect_timeout_s = 5;

  // The client-side deadline of every call after open, in milliseconds,
  // covering waiting for other threads' calls on this object, reconnects,
  // retries and resolving a lost commit. When it passes, the call fails with
  // kUnavailable (nothing was sent, or the write is known not to have
  // committed) or kOutcomeUnknown (the write was sent and whether it
  // committed could not be learned), and the connection is dropped. It also
  // sets TCP keepalives and tcp_user_timeout on TCP connections, so that a
  // dead peer is noticed by the kernel as well (the conninfo may override
  // those). 0 means no deadline. Default 60000 (longer than
  // statement_timeout_ms, so that a slow statement fails on the server with
  // no effect first).
  int call_timeout_ms = 60000;

  // How often a call is retried after a serialization failure, deadlock or
  // lost connection before it fails with kUnavailable (or kOutcomeUnknown,
  // see above). 0 means try once. Default 10.
  int max_retries = 10;

  // Backoff between retries: the first wait, doubled each retry up to
  // backoff_max_ms, with up to 50% random jitter. Defaults 10 ms and 1000 ms
  // (10 retries wait about 4.5 s in all: enough for a server restart).
  int backoff_initial_ms = 10;
  int backoff_max_ms = 1000;

  // The server's statement_timeout for this stash's connections; a statement
  // (a lock wait included) running longer fails the call with kUnavailable,
  // no effect. 0 means none. Default 30000 ms.
  int statement_timeout_ms = 30000;
};

class PostgresStash final : public Stash, public Verifiable, public ConsistentReader {
 public:
  // Connects with the libpq connection string `conninfo` ("host=... dbname=..."
  // or "postgresql://..."; TLS and every other setting as libpq documents),
  // creates the schema's tables if missing, and (unless read_only) fences every
  // older writer on the schema. Never retries a failed connection.
  // Errors:
  //   kInvalidArgument  `conninfo` does not parse or has an impossible value
  //                     (port=notanumber, port=99999); authentication was
  //                     refused (SQLSTATE class 28, or libpq's message); the
  //                     schema name is one the server would not keep (see
  //                     PostgresOptions::schema); the schema holds a stash of
  //                     another format version (an older one is named with
  //                     how to move its data).
  //   kUnavailable      the server is unreachable, refused the connection, or
  //                     did not answer within connect_timeout_s.
  //   kNotFound         read_only and the schema holds no stash.
  //   kInternal         any other server error (SQLSTATE in the message).
  static Result<std::unique_ptr<PostgresStash>> open(const std::string& conninfo,
                                                     const PostgresOptions& options = {});

  // As open, but every connection (the first and each reconnect) comes from
  // `connector`: the seam through which tests drop connections at chosen
  // points (see stash/postgres_connection.h).
  static Result<std::unique_ptr<PostgresStash>> open_with(
      std::shared_ptr<postgres::Connector> connector, const PostgresOptions& options = {});

  ~PostgresStash() override;
  PostgresStash(const PostgresStash&) = delete;
  PostgresStash& operator=(const PostgresStash&) = delete;

  // Required operations; see stash.h for each contract. In addition to the
  // errors listed there, every call may fail with:
  //   kFenced           a newer writer opened the schema (this and every
  //                     later call).
  //   kUnavailable      the retries ran out (serialization failures, lost
  //                     connections, statement timeout); no effect.
  //   kOutcomeUnknown   COMMIT was sent and its outcome could not be learned.
  //   kInvalidArgument  a write on a read-only stash.
  //   kInternal         an unexpected server error (SQLSTATE in the message).
  Result<CollectionHandle> collection(std::string_view name) override;
  Result<std::vector<NamedCollection>> collections() override;
  Result<std::vector<Update>> iter(CollectionHandle c) override;
  Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c,
                                            const Bytes& key) override;
  Status update_many(CollectionHandle c, std::span<const Update> entries) override;
  Status seal(CollectionHandle c, Frontier new_upper) override;
  Status compact(CollectionHandle c, Frontier new_since) override;
  // Rewrites only the stored updates at or before since.
  Status consolidate(CollectionHandle c) override;
  Result<Frontier> since(CollectionHandle c) override;
  Result<Frontier> upper(CollectionHandle c) override;
  Status append(std::span<const AppendBatch> batches) override;

  // Provided operations, overridden to run as one transaction each.
  Result<Timestamp> peek_timestamp(CollectionHandle c) override;
  Result<std::vector<PeekEntry>> peek(CollectionHandle c) override;
  Result<std::map<Bytes, Bytes>> peek_one(CollectionHandle c) override;
  Result<std::optional<Bytes>> peek_key_one(CollectionHandle c,
                                            const Bytes& key) override;
  Status seal_batch(std::span<const FrontierRequest> seals) override;
  Status compact_batch(std::span<const FrontierRequest> compactions) override;
  Status consolidate_batch(std::span<const CollectionHandle> collections) override;

  // Wakes on the schema's upper-moved notifications (src/change_wait.cc),
  // so a subscriber follows writers in any process, promptly:
  //   - every write that moves upper notifies, in its own transaction (a
  //     trigger on the collections table, schema.cc): PostgreSQL delivers it
  //     only after the commit, so a notification never precedes its data;
  //   - the first wait opens a second connection for this stash that runs
  //     LISTEN, and a thread that waits on it with poll() (listener.h);
  //   - when that connection is lost (server restart, network), the thread
  //     reconnects with backoff (backoff_initial_ms doubling to
  //     backoff_max_ms); waits return early at the loss and again once
  //     LISTEN is back, so the subscription re-reads upper and carries on
  //     from the last upper it delivered, missing and repeating nothing.
  //     Until then waits last to their deadline (the subscription's 100 ms
  //     slices), so a subscriber still sees changes, later.
  // A read-only open of a store whose writer never opened it with this
  // version has no trigger yet; waits then end only at their deadlines.
  // Errors: those of upper().
  Status wait_for_change(CollectionHandle c, const Frontier& known_upper,
                         std::chrono::steady_clock::time_point deadline) override;

  // How many times this stash's listener has started listening: 0 before
  // the first wait_for_change, then 1, plus one per reconnect.
  std::uint64_t listen_sessions();

  // Verifiable (src/verify.cc): the schema's invariants on the stored rows,
  // in one read transaction: since <= upper (INV-2), since not before {0},
  // one meta row of the current format version, one fence row. Changes nothing.
  Result<VerifyReport> verify_report() override;

  // ConsistentReader (src/read_all.cc): every collection's frontiers and
  // iter, in one read transaction, so one snapshot: an export or backup
  // taken while writers write is a cut across collections. One round trip.
  Result<std::vector<CollectionContents>> read_all() override;

  class Impl;  // Defined in src/postgres_stash_impl.h.

 private:
  explicit PostgresStash(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stash

#endif  // STASH_POSTGRES_STASH_H_
