// DurableMemoryStash: the MemoryStash spec, surviving restarts.
//
// The state lives in a MemoryStash (the executable spec, unchanged); beside
// it, a directory holds a snapshot of that state and a log of every mutating
// call acknowledged since. The format is docs/durable-format.md.
//
//   DIR/SNAPSHOT  the whole state as of one generation (written rarely)
//   DIR/LOG       one checksummed record per acknowledged mutating call since
//   DIR/LOCK      held while open, so two processes never write one store
//
// Opening does not rewrite the state: it loads the snapshot, replays the log
// and appends to that log from then on (it syncs the log once; only a torn
// last record, or a log a crash left behind its snapshot, makes it write a
// new log). So a store opens, and can be read, whatever free space is left;
// `read_only` opens it without writing at all.
//
// Durability (INV-7): a mutating call (collection creating a collection,
// update_many, seal, compact, append, and the batches built on append)
// returns ok only after its log record is synced (fdatasync). Concurrent
// callers share syncs (group commit): whoever finds no sync running syncs
// everything appended so far and wakes the others.
//
// Reads are served from memory without waiting for syncs, so a read may see a
// call still in flight; if the process then crashes, that call may be lost,
// exactly as if it had not returned. Every write that returned ok survives.
//
// Subscriptions: in-process only, woken by a condition variable (see
// wait_for_change below, and docs/subscribe.md).
//
// When a write or sync of the files fails after the model accepted a call,
// the call returns kOutcomeUnknown (it survives a restart or it does not),
// and the stash refuses every later mutating call with kIoError saying why:
// after a failed fsync Linux may already have dropped the data, so retrying
// the sync could report a false ok. Reads keep working, and collection()
// still hands out the collections whose creation was durable. Reopen to go on.
//
// Size limits (docs/durable-format.md, "Limits"): a mutating call's log
// record (its encoded keys, values, names and frontiers, about their byte
// size plus 20 bytes per update) may be at most kMaxCallBytes; a larger call
// fails with kInvalidArgument naming both sizes, before anything changes.
// Nothing else is limited: collections of any size and any number of them
// (snapshots store a collection as chunks of about 1 MiB).
//
// Thread-safe, like every Stash.
#ifndef STASH_DURABLE_MEMORY_STASH_H_
#define STASH_DURABLE_MEMORY_STASH_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "stash/env.h"
#include "stash/memory_stash.h"
#include "stash/mutex.h"
#include "stash/stash.h"

namespace stash {

// The largest log record one mutating call may produce: the format's record
// limit (2^30 bytes) less the framing a snapshot adds around what the call
// brought in.
inline constexpr std::size_t kMaxCallBytes = (std::size_t{1} << 30) - 64;

struct MemoryStashOptions {
  // Every file-system call goes through this Env. nullptr (the default) means
  // Env::posix(). Not owned; must outlive the stash. Tests pass an Env that
  // injects crashes and I/O errors.
  Env* env = nullptr;

  // Default true: open() creates the directory and an empty stash when none
  // is there. When false, a directory without a stash is kNotFound. Ignored
  // when read_only.
  bool create_if_missing = true;

  // Open for reading only: nothing in the directory is created, written,
  // renamed or removed, so a store on a full disk or read-only media opens.
  // Every mutating call fails with kInvalidArgument, snapshot() too, and
  // collection() of a name the store does not have with kNotFound. Takes
  // DIR/LOCK shared (flock LOCK_SH; a missing LOCK file means no writer):
  // any number of readers at once, never beside a writer, so a reader never
  // sees a snapshot half replaced. Errors as for open(), and kNotFound if
  // there is no stash in the directory. Default false.
  bool read_only = false;

  // After a write, a new snapshot is written and the log restarted once the
  // log holds more bytes than both the last snapshot and this minimum.
  // Default 64 KiB: small stores do not rewrite their snapshot every few
  // calls, and the log never replays more than about one snapshot's worth.
  // Crash semantics: none; a crash at any moment of snapshotting recovers
  // the same state (the new snapshot is renamed into place only once synced,
  // and a log from an older generation is ignored).
  std::size_t snapshot_log_bytes_min = 64 << 10;

  // For tests only: the format's record limit (2^30 bytes, see kMaxCallBytes),
  // lowered so that the size limits can be exercised with small data. The
  // stash both writes and reads with this limit. Larger values mean 2^30.
  std::uint32_t record_bytes_max_for_testing = 1u << 30;
};

// Counters for tests and diagnostics.
struct DurableStats {
  std::uint64_t records = 0;    // log records appended since open
  std::uint64_t syncs = 0;      // log syncs since open (group commit: <= records)
  std::uint64_t snapshots = 0;  // snapshots written since open (a new store's first included)
};

class DurableMemoryStash final : public Stash {
 public:
  // Opens the stash in directory `dir`: loads the snapshot, replays the log,
  // and goes on appending to that log. Recovery: a torn record at the end of
  // the log (a crash mid-append, never acknowledged) is dropped, and the log
  // is rewritten without it (LOG.tmp, synced, renamed over LOG) so that
  // nothing is ever appended after a torn record. A new store gets an empty
  // snapshot and log.
  // When that rewrite (or the log restart of a snapshot a crash cut short)
  // fails, for example with ENOSPC, the open still succeeds: reads work and
  // every mutating call fails with kIoError saying why, until reopened.
  // Errors:
  //   kCorruption  anything else that does not check out: a bad checksum in
  //                the snapshot or in the middle of the log, a wrong magic
  //                number, a newer format version, a truncated snapshot, a log
  //                record that does not replay. The message names the file and
  //                byte offset. Nothing is loaded and no file is changed.
  //   kNotFound    no stash in `dir` and !options.create_if_missing.
  //   kIoError     the directory or its files cannot be read, a new store
  //                cannot be created, or another process holds DIR/LOCK in
  //                a conflicting mode (a writer excludes everyone, a reader
  //                excludes writers).
  static Result<std::unique_ptr<DurableMemoryStash>> open(const std::string& dir,
                                                         const MemoryStashOptions& options = {});
  ~DurableMemoryStash() override;

  // Required operations; see stash.h for each contract. On ok, mutating calls
  // are durable. Additional errors of mutating calls: kOutcomeUnknown when
  // writing or syncing the log failed during this call; kIoError when an
  // earlier such failure made the stash refuse writes.
  Result<CollectionHandle> collection(std::string_view name) override;
  Result<std::vector<NamedCollection>> collections() override;
  Result<std::vector<Update>> iter(CollectionHandle c) override;
  Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c, const Bytes& key) override;
  Status update_many(CollectionHandle c, std::span<const Update> entries) override;
  Status seal(CollectionHandle c, Frontier new_upper) override;
  Status compact(CollectionHandle c, Frontier new_since) override;
  Status consolidate(CollectionHandle c) override;
  Result<Frontier> since(CollectionHandle c) override;
  Result<Frontier> upper(CollectionHandle c) override;
  Status append(std::span<const AppendBatch> batches) override;

  // The peeks go straight to the model's one-pass versions (memory_stash.h)
  // rather than stash.cc's generic ones, which would materialise iter first.
  Result<Timestamp> peek_timestamp(CollectionHandle c) override;
  Result<std::vector<PeekEntry>> peek(CollectionHandle c) override;
  Result<std::map<Bytes, Bytes>> peek_one(CollectionHandle c) override;
  Result<std::optional<Bytes>> peek_key_one(CollectionHandle c, const Bytes& key) override;

  // Subscriptions (stash.h, subscribe) are in-process only: they wake on the
  // condition variable of the MemoryStash inside (notified under its lock as
  // a seal or append moves an upper), never by polling. One process owns the
  // directory (DIR/LOCK, exclusive for a writer), so there is no other
  // writer to follow, and a read-only open cannot exist beside a writer: it
  // sees what was there when it opened, and its subscriptions never advance
  // past that. To follow a store from other processes, use SQLite or
  // PostgreSQL (docs/subscribe.md).
  // Like every read here, a subscription reads the model, which a call
  // changes before its log record is synced: it may deliver a seal a moment
  // before that seal is acknowledged (measured: usually before seal()
  // returns). If the process then crashes, the seal may be lost, but so is
  // the subscriber, which lives in the same process; a subscriber that
  // passes deliveries on outside the process should know this.
  Status wait_for_change(CollectionHandle c, const Frontier& known_upper,
                         std::chrono::steady_clock::time_point deadline) override;

  // Writes a snapshot of the current state now and restarts the log.
  // Errors: kIoError if the snapshot could not be written; if that happened
  // before the new snapshot replaced the old one the stash keeps working,
  // otherwise it refuses further writes (the message says which).
  // kInvalidArgument if the stash is read-only.
  Status snapshot();

  DurableStats stats();

 private:
  DurableMemoryStash(Env* env, std::string dir, const MemoryStashOptions& options);

  // What open found in the directory.
  struct Found;
  Status recover() STASH_EXCLUDES(mutex_);
  // Runs inside open(), before the stash is shared with anyone: it fills
  // the members mutex_ guards later without taking it.
  Result<Found> load() STASH_NO_THREAD_SAFETY_ANALYSIS;
  Status continue_log(const Found& found) STASH_EXCLUDES(mutex_);
  Status commit(std::string_view what, const std::string& record,
                const std::function<Status()>& change) STASH_EXCLUDES(mutex_);
  Status check_call(std::string_view what, std::size_t record_bytes) const;
  Result<CollectionHandle> existing_collection(std::string_view name) STASH_REQUIRES(mutex_);
  Result<std::uint64_t> append_record(const std::string& record) STASH_REQUIRES(mutex_);
  // These release mutex_ while they sync or wait, and hold it again when
  // they return.
  Status sync_through(std::uint64_t seq) STASH_REQUIRES(mutex_);
  Status write_snapshot() STASH_REQUIRES(mutex_);
  void maybe_snapshot() STASH_REQUIRES(mutex_);
  Status start_log(std::string_view content) STASH_REQUIRES(mutex_);
  Error refuse(const std::string& why) STASH_REQUIRES(mutex_);
  std::string path(std::string_view name) const;

  Env* const env_;  // Not owned.
  const std::string dir_;
  const MemoryStashOptions options_;
  std::unique_ptr<FileLock> lock_file_;
  std::unique_ptr<MemoryStash> model_;  // Has its own lock; reads go straight to it.
  std::uint32_t record_bytes_max_;      // The format's, or lower for tests.
  // The collections whose creation is durable (loaded, or created and
  // synced): a read-only or refusing stash hands out handles to these only.
  std::set<std::string, std::less<>> names_ STASH_GUARDED_BY(mutex_);

  // Writers hold mutex_ while they change the model and append their record,
  // so the log's order is the order the model saw. It is released during a
  // sync so that other writers can append behind it.
  Mutex mutex_;
  std::condition_variable synced_;  // A sync finished.
  std::unique_ptr<WritableFile> log_ STASH_GUARDED_BY(mutex_);
  std::uint64_t generation_ STASH_GUARDED_BY(mutex_) = 0;  // Of SNAPSHOT and LOG.
  std::size_t log_bytes_ STASH_GUARDED_BY(mutex_) = 0;
  std::size_t snapshot_bytes_ STASH_GUARDED_BY(mutex_) = 0;
  std::uint64_t appended_seq_ STASH_GUARDED_BY(mutex_) = 0;  // Records appended since open.
  std::uint64_t synced_seq_ STASH_GUARDED_BY(mutex_) = 0;    // Records known durable.
  bool sync_running_ STASH_GUARDED_BY(mutex_) = false;       // A leader is gathering or syncing.
  // Group commit's gathering (see sync_through): how many callers the last
  // sync released and have not appended again, how long it took, and the
  // signal that the last of them did.
  std::uint64_t returning_ STASH_GUARDED_BY(mutex_) = 0;
  std::chrono::microseconds last_sync_ STASH_GUARDED_BY(mutex_){0};
  std::condition_variable appended_;
  std::int64_t collections_ STASH_GUARDED_BY(mutex_) = 0;    // Collections the log knows.
  std::optional<Error> refused_ STASH_GUARDED_BY(mutex_);    // Set: all writes fail with it.
  DurableStats stats_ STASH_GUARDED_BY(mutex_);
};

}  // namespace stash

#endif  // STASH_DURABLE_MEMORY_STASH_H_
