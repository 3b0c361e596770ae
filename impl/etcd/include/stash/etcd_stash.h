// EtcdStash: the replicated backend. One stash lives under one key prefix of
// an etcd v3 cluster (3.4 or later), spoken to over etcd's gRPC API.
//
// URL (stash::open):
//   etcd:HOST:PORT[,HOST:PORT...][/PREFIX][?OPTIONS]
//   etcd:127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379/app/catalog
// HOST is a name, an IPv4 address or a bracketed IPv6 address ([::1]).
// PREFIX names the key prefix "/PREFIX/" (default "/stash/"). OPTIONS are
// key=value pairs joined by '&', each setting the EtcdOptions field of the
// same name: max_request_bytes, max_txn_ops, call_timeout_ms,
// attempt_timeout_ms, compact_history_every. Plain TCP, no authentication
// (TLS and etcd users are not supported yet).
//
// Transactions. Every call is ONE etcd transaction (Txn):
//   - a write compares the fence key's value (this writer's epoch, nonce and
//     transaction counter) and the mod_revision of each collection's
//     frontier key it read, then puts its data, its frontiers and the next
//     transaction counter, atomically; so each write is atomic and
//     linearizable, and a stale or fenced writer writes nothing;
//   - a read is one read-only Txn of linearizable (not serializable) Ranges,
//     served at one revision, so every read, every peek included, is one
//     consistent snapshot.
// A write's frontier checks (the rules of stash/rules.h) run against the
// frontiers this writer cached from its last call, so a write is one round
// trip; only the first write to a collection this handle never read costs
// a read first. A refused write reads the fence first (a fenced handle
// reports kFenced, whatever else is wrong).
//
// Key layout (format version 1), under the prefix P (grammar in
// src/key_layout.h):
//   P "layout"        "stash-etcd 1": the layout/version key
//   P "fence"         the writer fence: epoch, nonce, transaction counter
//   P "ids"           the next collection id
//   P "n/" NAME       a collection's id, by name (the name's raw bytes)
//   P "c/" ID         a collection's frontiers (since, upper)
//   P "l/" ID TXN     the updates one write call added (the log), or a
//                     piece of them that consolidate split off by key
//   P "b/" ID KEY     consolidated (value, diff) pairs of KEY at since
// A prefix holding keys but no layout key, or a layout key of another value,
// is refused at open with kInvalidArgument (a foreign or incompatible
// layout): nothing is written there.
//
// Consolidation is proportional to what changed: consolidate() folds the
// log entries at or before since into the base keys of the user keys they
// touch (one etcd key per user key), and rewrites only those and the log
// entries it moved, in transactions bounded by the limits below. A log
// chunk with more keys to fold than one transaction can take is first split
// by key into pieces of one transaction's worth (same updates: invisible to
// reads), so each fold rewrites one small piece, not the rest of the chunk.
// Nothing is ever rewritten whole. etcd keeps every old revision until compacted: every
// compact_history_every revisions this handle writes, it compacts the
// cluster's history to that many revisions before the current one.
//
// Limits. etcd refuses a request over its --max-request-bytes (default
// 1.5 MiB) and a Txn of more than --max-txn-ops operations (default 128).
// A call whose transaction would exceed max_request_bytes or max_txn_ops
// (set them to the cluster's values) fails with kInvalidArgument naming both
// sizes, and writes nothing: a batch is never split into several
// transactions, since that would not be atomic. One write costs one
// operation per collection it adds entries to plus one per collection whose
// frontiers move, plus one; so an append may touch about max_txn_ops / 2
// collections. Keys, values and names of any size fit as long as each call
// stays under max_request_bytes (so about 1.5 MiB in all per call on a
// default cluster; ci/with-etcd raises it to 8 MiB).
//
// Faults, and what the caller sees:
//   - every RPC attempt has a deadline (attempt_timeout_ms); a member that
//     fails one (unreachable, paused, no leader, leader changed) is left for
//     the next endpoint of the URL, and the call is retried with backoff
//     (max_retries), within the call's deadline (call_timeout_ms); then
//     kUnavailable, no effect;
//   - a write whose reply was lost (deadline, connection loss, leader change
//     after the request was sent) is resolved before anything is retried:
//     a second transaction compares the fence's counter and either finds the
//     write's own counter there (it landed: ok) or advances the counter past
//     it (so the lost write can never apply: the call is retried). That
//     second transaction has a retry budget of its own (max_retries more
//     attempts), so a write proven not to have landed after the call's own
//     retries ran out fails kUnavailable. Only when that cannot be done
//     within its budget or the call's deadline, or when two newer writers
//     have opened meanwhile, does the call fail with kOutcomeUnknown: it
//     took effect entirely or not at all.
//   - an unreachable cluster fails open and every call with kUnavailable
//     within the call's deadline.
//
// Durability: a call that returns ok was committed by a majority of the
// cluster (etcd's own durability: its WAL is fsynced). It survives the loss
// of any minority of members and a restart of all of them.
//
// Fencing: opening a writer fences every older writer on the prefix (their
// next call fails with kFenced and writes nothing, as do all later ones). A
// read-only open fences nobody and is never fenced.
//
// Thread-safe: calls on one object from several threads are serialized.
#ifndef STASH_ETCD_STASH_H_
#define STASH_ETCD_STASH_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "stash/stash.h"

namespace stash {

struct EtcdOptions {
  // The cluster's client endpoints, "host:port" each; tried in order, the
  // next one after a failure. At least one.
  std::vector<std::string> endpoints;

  // Every key of the stash starts with it. Must start and end with '/' and
  // hold no NUL. Default "/stash/".
  std::string prefix = "/stash/";

  // Open for reading only: every write fails with kInvalidArgument, the
  // prefix must already hold a stash (else kNotFound), and the open fences
  // nobody. Default false.
  bool read_only = false;

  // Create an empty stash when the prefix holds none (ignored when
  // read_only); if false, a missing stash is kNotFound. Default true.
  bool create_if_missing = true;

  // The deadline of each call (and of open), covering waiting for other
  // threads' calls on this object, retries, failover and resolving a lost
  // reply. Default 15000 ms.
  int call_timeout_ms = 15000;

  // The deadline of each RPC attempt: a member that does not answer within
  // it is given up for the next endpoint. Default 2000 ms (etcd elects a new
  // leader within about a second with its default timings).
  int attempt_timeout_ms = 2000;

  // Attempts after the first before a call fails with kUnavailable. Backoff
  // between them: backoff_initial_ms doubled per retry up to backoff_max_ms,
  // with up to 50% jitter. Defaults 20, 20 ms, 1000 ms.
  int max_retries = 20;
  int backoff_initial_ms = 20;
  int backoff_max_ms = 1000;

  // The cluster's --max-request-bytes and --max-txn-ops; larger calls fail
  // with kInvalidArgument before anything is sent. Defaults are etcd's:
  // 1572864 (1.5 MiB) and 128.
  std::size_t max_request_bytes = 1572864;
  int max_txn_ops = 128;

  // Compact the cluster's history (etcd Compact) each time this many
  // revisions have been written since the last compaction, keeping the last
  // this-many revisions. 0 never compacts (leave it to the cluster's
  // --auto-compaction-*). Default 1000.
  std::int64_t compact_history_every = 1000;
};

class EtcdStash final : public Stash {
 public:
  // Connects to the cluster, checks the prefix's layout key (creating the
  // stash if the prefix is empty and the options allow), and, unless
  // read_only, fences every older writer.
  // Errors:
  //   kInvalidArgument  no endpoints, a malformed endpoint or prefix, an
  //                     option out of range; the prefix holds keys of a
  //                     foreign or incompatible layout (named in the message).
  //   kNotFound         the prefix holds no stash and read_only or
  //                     !create_if_missing.
  //   kUnavailable      no member answered within call_timeout_ms.
  //   kInternal         an unexpected reply.
  static Result<std::unique_ptr<EtcdStash>> open(const EtcdOptions& options);

  // Deletes every key under options.prefix (one DeleteRange): the stash
  // there, whatever its layout, is gone. Open handles on it fail from then
  // on (kFenced or kNotFound). For tests and tools; irreversible.
  // Errors: kInvalidArgument for bad options; kUnavailable as for open.
  static Status destroy(const EtcdOptions& options);

  ~EtcdStash() override;
  EtcdStash(const EtcdStash&) = delete;
  EtcdStash& operator=(const EtcdStash&) = delete;

  // Required operations; see stash.h for each contract. In addition to the
  // errors listed there, every call may fail with:
  //   kFenced           a newer writer opened the prefix (this and every
  //                     later call).
  //   kUnavailable      no member answered, within the retries and the
  //                     call's deadline; no effect.
  //   kOutcomeUnknown   the write was sent and its outcome could not be
  //                     learned (see above).
  //   kInvalidArgument  a write on a read-only stash; a call over the
  //                     cluster's request size or operation limits.
  //   kCorruption       a stored record that does not decode.
  Result<CollectionHandle> collection(std::string_view name) override;
  Result<std::vector<NamedCollection>> collections() override;
  Result<std::vector<Update>> iter(CollectionHandle c) override;
  Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c, const Bytes& key) override;
  Status update_many(CollectionHandle c, std::span<const Update> entries) override;
  Status seal(CollectionHandle c, Frontier new_upper) override;
  Status compact(CollectionHandle c, Frontier new_since) override;
  // Folds the log entries at or before since into the base keys (see above),
  // in as many bounded transactions as needed, each invisible to reads.
  Status consolidate(CollectionHandle c) override;
  Result<Frontier> since(CollectionHandle c) override;
  Result<Frontier> upper(CollectionHandle c) override;
  Status append(std::span<const AppendBatch> batches) override;

  // Provided operations, overridden to run as one transaction each.
  Result<Timestamp> peek_timestamp(CollectionHandle c) override;
  Result<std::vector<PeekEntry>> peek(CollectionHandle c) override;
  Result<std::map<Bytes, Bytes>> peek_one(CollectionHandle c) override;
  Result<std::optional<Bytes>> peek_key_one(CollectionHandle c, const Bytes& key) override;
  Status seal_batch(std::span<const FrontierRequest> seals) override;
  Status compact_batch(std::span<const FrontierRequest> compactions) override;

  // Wakes on the change itself: reads upper, then watches the collection's
  // frontier key (etcd Watch) from the revision after that read, so a seal
  // committed in between is seen too; returns at the first event or at
  // `deadline`. Subscriptions (Stash::subscribe) wait through it. The
  // object's other calls are not held up while it waits.
  Status wait_for_change(CollectionHandle c, const Frontier& known_upper,
                         std::chrono::steady_clock::time_point deadline) override;

  class Impl;  // src/etcd_stash_impl.h

 private:
  explicit EtcdStash(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The options of an "etcd:" URL's location ("h1:p1,h2:p2/prefix?k=v"), as
// stash::open reads it. Errors: kInvalidArgument naming what is wrong.
Result<EtcdOptions> parse_etcd_location(std::string_view location);

}  // namespace stash

#endif  // STASH_ETCD_STASH_H_
