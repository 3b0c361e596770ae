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
// When a write or sync of the files fails after the model accepted a call,
// the call returns kOutcomeUnknown (it survives a restart or it does not),
// and the stash refuses every later mutating call with kIoError saying why:
// after a failed fsync Linux may already have dropped the data, so retrying
// the sync could report a false ok. Reads keep working. Reopen to go on.
//
// Thread-safe, like every Stash.
#ifndef STASH_DURABLE_MEMORY_STASH_H_
#define STASH_DURABLE_MEMORY_STASH_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "stash/env.h"
#include "stash/memory_stash.h"
#include "stash/stash.h"

namespace stash {

struct MemoryStashOptions {
  // Every file-system call goes through this Env. nullptr (the default) means
  // Env::posix(). Not owned; must outlive the stash. Tests pass an Env that
  // injects crashes and I/O errors.
  Env* env = nullptr;

  // Default true: open() creates the directory and an empty stash when none
  // is there. When false, a directory without a stash is kNotFound.
  bool create_if_missing = true;

  // After a write, a new snapshot is written and the log restarted once the
  // log holds more bytes than both the last snapshot and this minimum.
  // Default 64 KiB: small stores do not rewrite their snapshot every few
  // calls, and the log never replays more than about one snapshot's worth.
  // Crash semantics: none; a crash at any moment of snapshotting recovers
  // the same state (the new snapshot is renamed into place only once synced,
  // and a log from an older generation is ignored).
  std::size_t snapshot_log_bytes_min = 64 << 10;
};

// Counters for tests and diagnostics.
struct DurableStats {
  std::uint64_t records = 0;    // log records appended since open
  std::uint64_t syncs = 0;      // log syncs since open (group commit: <= records)
  std::uint64_t snapshots = 0;  // snapshots written since open, the one of open included
};

class DurableMemoryStash final : public Stash {
 public:
  // Opens the stash in directory `dir`: loads the snapshot, replays the log,
  // then writes a fresh snapshot and starts a new log (so nothing is ever
  // appended after a torn record).
  // Recovery: a torn record at the end of the log (a crash mid-append, never
  // acknowledged) is dropped.
  // Errors:
  //   kCorruption  anything else that does not check out: a bad checksum in
  //                the snapshot or in the middle of the log, a wrong magic
  //                number, a newer format version, a truncated snapshot, a log
  //                record that does not replay. The message names the file and
  //                byte offset. Nothing is loaded and no file is changed.
  //   kNotFound    no stash in `dir` and !options.create_if_missing.
  //   kIoError     the directory or its files cannot be created, read,
  //                written or synced, or another process holds DIR/LOCK.
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

  // Writes a snapshot of the current state now and restarts the log.
  // Errors: kIoError if the snapshot could not be written; if that happened
  // before the new snapshot replaced the old one the stash keeps working,
  // otherwise it refuses further writes (the message says which).
  Status snapshot();

  DurableStats stats();

 private:
  DurableMemoryStash(Env* env, std::string dir, const MemoryStashOptions& options);

  Status recover();
  Status commit(const std::function<Status()>& change,
                const std::function<std::string()>& record);
  Result<std::uint64_t> append_record(const std::string& record);
  Status sync_through(std::unique_lock<std::mutex>& lock, std::uint64_t seq);
  Status write_snapshot(std::unique_lock<std::mutex>& lock);
  Status start_log();
  void maybe_snapshot(std::unique_lock<std::mutex>& lock);
  Error refuse(std::string why);
  std::string path(std::string_view name) const;

  Env* const env_;  // Not owned.
  const std::string dir_;
  const MemoryStashOptions options_;
  std::unique_ptr<FileLock> lock_file_;
  std::unique_ptr<MemoryStash> model_;  // Has its own lock; reads go straight to it.

  // Writers hold mutex_ while they change the model and append their record,
  // so the log's order is the order the model saw. It is released during a
  // sync so that other writers can append behind it.
  std::mutex mutex_;
  std::condition_variable synced_;           // A sync finished.
  std::unique_ptr<WritableFile> log_;        // Guarded by mutex_.
  std::uint64_t generation_ = 0;             // Of SNAPSHOT and LOG.
  std::size_t log_bytes_ = 0;
  std::size_t snapshot_bytes_ = 0;
  std::uint64_t appended_seq_ = 0;           // Records appended since open.
  std::uint64_t synced_seq_ = 0;             // Records known durable.
  bool sync_running_ = false;                // A leader is syncing.
  std::int64_t collections_ = 0;             // Collections the log knows.
  std::optional<Error> refused_;             // Set: all writes fail with it.
  DurableStats stats_;
};

}  // namespace stash

#endif  // STASH_DURABLE_MEMORY_STASH_H_
