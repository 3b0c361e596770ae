// SqliteStash: the durable embedded backend, one stash per SQLite file.
//
// Every call is one SQLite transaction: writes take the write lock up front
// (BEGIN IMMEDIATE) and commit before returning; reads, the peeks included,
// see one consistent snapshot. Batch calls (update_many, append, seal_batch,
// compact_batch, consolidate_batch) are one transaction each, so atomic.
//
// Durability: with the default options (WAL, synchronous=FULL) a call that
// returns ok survives a process crash and a power loss (INV-7). See
// SqliteOptions::synchronous for what relaxing it loses.
//
// Several SqliteStash objects may use one file, from one process or several.
// Opening a writer fences every older writer on the file: their next call
// fails with kFenced, and so do all later ones (the only unrecoverable
// error). A read-only open fences nobody and is never fenced.
//
// The file format (schema, application_id, format version 3, checksums) is
// documented in src/schema.cc and docs/sqlite-format.md. A writer's open
// upgrades a format-2 file in place, in its open transaction (a crash leaves
// it format 2); a reader refuses one, and files of format version 1, with
// kInvalidArgument.
//
// Concurrent writers on one object commit in groups: one sync acknowledges
// every call that queued while the previous commit ran, and each call still
// returns only once it is durable.
//
// Thread-safe: calls on one object from several threads are serialized.
#ifndef STASH_SQLITE_STASH_H_
#define STASH_SQLITE_STASH_H_

#include <memory>
#include <string>

#include "stash/stash.h"
#include "stash/verify.h"

namespace stash {

struct SqliteOptions {
  // When to fsync (SQLite's PRAGMA synchronous, in WAL mode).
  enum class Synchronous {
    // Default. Every commit syncs the write-ahead log before returning: an ok
    // call survives a process crash and a power loss.
    kFull,
    // Commits do not sync; the log is synced at checkpoints. An ok call
    // survives a process crash, but a power loss (or OS crash) may roll the
    // store back to an earlier state: the most recent calls are lost, as a
    // whole and in order. The file stays consistent.
    kNormal,
    // Never syncs (not even the directory of a new file). A process crash
    // loses nothing; a power loss may lose recent calls and may corrupt the
    // file. For throwaway stores and tests only.
    kOff,
  };

  // Open for reading only: every write fails with kInvalidArgument, a missing
  // collection is kNotFound, and the open fences nobody. The file must exist
  // and be a stash. Default false.
  bool read_only = false;

  // Create an empty stash if `path` does not exist. If false, a missing file
  // is kNotFound. Ignored when read_only. Default true.
  bool create_if_missing = true;

  // How long a call waits for a lock held by another connection (another
  // writer, or a checkpoint) before failing with kUnavailable. The call then
  // had no effect. Default 5000 ms.
  int busy_timeout_ms = 5000;

  // Durability of ok calls against power loss; see Synchronous. Default kFull.
  Synchronous synchronous = Synchronous::kFull;

  // Run verify() when opening, so that damage anywhere in the file fails the
  // open with kCorruption instead of the first read of the damaged rows. Costs
  // a read of the whole file. Without it, opening still checks the header,
  // the format version, the text encoding and the schema, and every read
  // checks the checksums of the rows it reads (see verify()). Default false.
  bool verify_on_open = false;

  // Accept a path SQLite never keeps: "" (a temporary file deleted at close)
  // or ":memory:". Every write is lost when the stash is closed; for tests
  // only. Without it such a path is kInvalidArgument, as is any "file:" URI
  // (its parameters can make a store non-durable, too). Default false.
  bool allow_non_durable = false;

  // The SQLite VFS to open the file through, by registered name; empty means
  // SQLite's default. A seam for tests that inject I/O failures and
  // simulated power loss. Default empty.
  std::string vfs_name;
};

class SqliteStash final : public Stash, public Verifiable {
 public:
  // Opens the stash in the SQLite file at `path`, creating it if missing
  // (options.create_if_missing). A writer open fences every older writer.
  // Nothing in an existing file is changed unless it checks out as a stash.
  // Errors:
  //   kNotFound         `path` does not exist and may not be created.
  //   kInvalidArgument  `path` is "", ":memory:" (unless allow_non_durable)
  //                     or a "file:" URI; or the file is an SQLite
  //                     database but not a stash
  //                     ("invalid application id: N"), or a stash of a newer
  //                     or older format version than this library reads
  //                     (format 2: for a reader only, "open it once
  //                     read-write"; a writer upgrades it to format 3).
  //   kCorruption       the file is not an SQLite database (garbage), is
  //                     truncated, its schema or header is damaged, or it
  //                     fails verify() (verify_on_open); or a writer's
  //                     upgrade of a format-2 file found a damaged row or
  //                     collection (the file stays format 2).
  //   kIoError          missing directory, permission denied, read-only file
  //                     or file system (for a writer), other OS failures.
  //   kUnavailable      another connection held a lock past busy_timeout_ms
  //                     (also when a new file could not be switched to WAL
  //                     because another opener kept it busy).
  // Every setting is read back after setting it; one that did not take
  // effect (e.g. WAL on a file system without shared memory) fails the open.
  // A read-only open of a stash in a directory it cannot write (read-only
  // media), with no write-ahead log left, opens the file as immutable.
  static Result<std::unique_ptr<SqliteStash>> open(const std::string& path,
                                                   const SqliteOptions& options = {});

  ~SqliteStash() override;
  SqliteStash(const SqliteStash&) = delete;
  SqliteStash& operator=(const SqliteStash&) = delete;

  // Required operations; see stash.h for each contract. In addition to the
  // errors listed there, every call may fail with:
  //   kFenced       a newer writer opened the file (this and every later call).
  //   kUnavailable  a lock wait exceeded busy_timeout_ms; nothing changed.
  //   kIoError      the OS failed a read, write or sync; nothing changed,
  //                 except that a failed sync may leave the call applied after
  //                 a crash (as if it had returned ok).
  //   kCorruption   the file does not check out.
  //   kInvalidArgument  a write on a read-only stash.
  Result<CollectionHandle> collection(std::string_view name) override;
  Result<std::vector<NamedCollection>> collections() override;
  Result<std::vector<Update>> iter(CollectionHandle c) override;
  Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c,
                                            const Bytes& key) override;
  Status update_many(CollectionHandle c, std::span<const Update> entries) override;
  Status seal(CollectionHandle c, Frontier new_upper) override;
  Status compact(CollectionHandle c, Frontier new_since) override;
  // Work is proportional to the stored updates at or before since.
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

  // Subscriptions (stash.h, subscribe) wake when any connection to the file,
  // in this process or another, commits: an inotify watch on the file's
  // directory (PATH and PATH-wal); on each event PRAGMA data_version (and this
  // connection's change count) is compared first, and upper is re-read only
  // when a commit happened. Returns only once upper differs from known_upper
  // or at the deadline. For a short while after each event the commit mark is
  // re-checked at growing intervals, since a commit's write reaches the WAL
  // before the commit is visible; there is no fixed-rate poll otherwise.
  // Falls back to the default poll where inotify is unavailable
  // (src/change_wait.cc).
  Status wait_for_change(CollectionHandle c, const Frontier& known_upper,
                         std::chrono::steady_clock::time_point deadline) override;

  // Checks the whole file: SQLite's own structure (PRAGMA quick_check), then
  // every row's checksum, and that each collection holds exactly the rows its
  // collection row counts (so a lost or duplicated row is found too).
  // kCorruption naming the first damage found; ok if none. Reads see damage
  // in what they read: iter, peek and peek_one check a whole collection as
  // verify() does, iter_key and peek_key_one the rows of their key (a pair
  // lost from a key's rows is found only by whole-collection reads and
  // verify()). What SQLite and the stash can and cannot detect is in
  // docs/sqlite-format.md.
  Status verify();

  // Verifiable (src/verify_report.cc), for `stash verify`: PRAGMA
  // integrity_check and foreign_key_check, the header (application_id,
  // user_version), and verify() above, each reported as a named check.
  Result<VerifyReport> verify_report() override;

  // The settings the connection actually runs with, read back from SQLite
  // (for diagnostics and for tests of the defaults).
  struct Settings {
    std::string journal_mode;  // "wal"
    int synchronous = 0;       // 0 OFF, 1 NORMAL, 2 FULL
    bool foreign_keys = false;
    int busy_timeout_ms = 0;
    bool read_only = false;
  };
  Result<Settings> settings();

  class Impl;  // Defined in sqlite_stash.cc.

 private:
  explicit SqliteStash(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stash

#endif  // STASH_SQLITE_STASH_H_
