// DurableMemoryStash: the model's operations, unchanged, plus a log record
// per acknowledged mutating call and a snapshot now and then.
//
// Every mutating call runs commit(): its log record is encoded and checked
// against the size limit first, then under mutex_ the model checks and
// applies the call (if it fails, nothing is logged), the record is appended
// to the log, and sync_through() waits until a sync covers the record.
// Because records are appended in the order the model applied them, and a
// sync covers a prefix of the log, an acknowledged call implies every call
// the model applied before it is durable too.
#include "stash/durable_memory_stash.h"

#include <algorithm>
#include <sstream>

#include "command.h"
#include "files.h"
#include "format.h"
#include "layout.h"

namespace stash {

using durable::kLogFile;
using durable::kSnapshotFile;
using durable::kTempSuffix;

namespace {

constexpr std::string_view kLockFile = "LOCK";

}  // namespace

// What load() found, for continue_log().
struct DurableMemoryStash::Found {
  bool snapshot = false;       // SNAPSHOT exists (else: a new store).
  bool log_current = false;    // LOG exists and belongs to SNAPSHOT's generation.
  bool torn_tail = false;      // ... and ended in a torn record.
  std::string valid_log;       // ... its bytes through the last good record, if torn.
  std::size_t log_bytes = 0;   // ... its size.
};

DurableMemoryStash::DurableMemoryStash(Env* env, std::string dir, const MemoryStashOptions& options)
    : env_(env),
      dir_(std::move(dir)),
      options_(options),
      record_bytes_max_(std::min(options.record_bytes_max_for_testing, durable::kRecordBytesMax)) {}

DurableMemoryStash::~DurableMemoryStash() {
  if (log_) (void)log_->close();  // Every acknowledged record is synced already.
}

std::string DurableMemoryStash::path(std::string_view name) const {
  return dir_ + "/" + std::string(name);
}

Result<std::unique_ptr<DurableMemoryStash>> DurableMemoryStash::open(
    const std::string& dir, const MemoryStashOptions& options) {
  Env* env = options.env != nullptr ? options.env : Env::posix();
  std::unique_ptr<DurableMemoryStash> stash(new DurableMemoryStash(env, dir, options));
  if (auto ok = stash->recover(); !ok) return std::unexpected(ok.error());
  return stash;
}

// Locks the directory, loads SNAPSHOT and replays LOG; only when all of it
// checked out (and not read-only) does it write: a new store's first
// snapshot, or a log without a torn tail. A corrupt store is left exactly as
// it was found.
Status DurableMemoryStash::recover() {
  const bool exists = env_->file_exists(path(kSnapshotFile)) || env_->file_exists(path(kLogFile));
  if (!exists && (options_.read_only || !options_.create_if_missing)) {
    return fail(ErrorCode::kNotFound, "no stash in " + dir_ +
                                          (options_.read_only ? " (opening read-only)"
                                                              : " (create_if_missing is off)"));
  }
  if (!options_.read_only) {
    if (auto ok = env_->create_dir(dir_); !ok) return ok;
  }
  auto lock = env_->lock_file(path(kLockFile), options_.read_only ? Env::LockMode::kShared
                                                                   : Env::LockMode::kExclusive);
  if (!lock) return std::unexpected(lock.error());
  lock_file_ = std::move(*lock);

  auto found = load();
  if (!found) return std::unexpected(found.error());
  if (options_.read_only) return {};
  // Leftovers of a snapshot or log restart that a crash interrupted.
  for (std::string_view name : {kSnapshotFile, kLogFile}) {
    const std::string temp = path(name) + std::string(kTempSuffix);
    if (env_->file_exists(temp)) (void)env_->remove_file(temp);
  }
  if (!found->snapshot) {  // A new store: its first snapshot and log.
    MutexLock guard(mutex_);
    if (auto ok = write_snapshot(); !ok) {
      return fail(ErrorCode::kIoError,
                  "creating a new stash in " + dir_ + " failed: " + ok.error().message());
    }
    return {};
  }
  return continue_log(*found);
}

namespace {

// Feeds a snapshot into the model as it is read (the load seam of
// memory_stash.h), so that neither the file nor an image of it is ever
// whole in memory beside the model.
class LoadingVisitor final : public durable::SnapshotVisitor {
 public:
  explicit LoadingVisitor(std::set<std::string, std::less<>>& names) : names_(names) {}
  void collection(std::string name, Frontier since, Frontier upper) override {
    names_.insert(name);
    loader.add_collection(std::move(name), since, upper);
    ++collections;
  }
  void update(std::string_view key, std::string_view value, Timestamp time, Diff diff) override {
    loader.add(key, value, time, diff);
  }
  MemoryStash::Loader loader;
  std::int64_t collections = 0;

 private:
  std::set<std::string, std::less<>>& names_;
};

}  // namespace

// Reads and checks both files into model_, a record at a time; changes
// nothing on disk. On an error whatever was loaded is dropped with the stash.
Result<DurableMemoryStash::Found> DurableMemoryStash::load() {
  Found found;
  LoadingVisitor visitor(names_);
  auto snapshot = env_->open_sequential_file(path(kSnapshotFile));
  if (snapshot) {
    found.snapshot = true;
    durable::FileSource source(**snapshot);
    auto generation = durable::read_snapshot(source, path(kSnapshotFile), visitor, record_bytes_max_);
    if (!generation) return std::unexpected(generation.error());
    generation_ = *generation;
    snapshot_bytes_ = source.consumed();
  } else if (snapshot.error().code() != ErrorCode::kNotFound) {
    return std::unexpected(snapshot.error());
  } else if (env_->file_exists(path(kLogFile))) {
    // We write the first snapshot before the first log, so a log alone means
    // the snapshot was lost: refuse rather than replay onto nothing.
    return std::unexpected(
        durable::corruption(path(kSnapshotFile), 0, "missing, but a log exists"));
  }
  snapshot = {};  // Closed.
  model_ = visitor.loader.finish();
  collections_ = visitor.collections;

  auto file = env_->open_sequential_file(path(kLogFile));
  if (!file) {
    if (file.error().code() != ErrorCode::kNotFound) return std::unexpected(file.error());
    return found;
  }
  durable::FileSource source(**file);
  durable::LogReader log(source, path(kLogFile), record_bytes_max_);
  if (auto ok = log.read_header(); !ok) return std::unexpected(ok.error());
  if (log.generation() > generation_) {
    return std::unexpected(durable::corruption(
        path(kLogFile), 8, "log generation " + std::to_string(log.generation()) +
                               " is newer than the snapshot's " + std::to_string(generation_)));
  }
  // An older log was superseded by a snapshot whose log restart a crash cut
  // short: everything in it is in the snapshot already.
  if (log.generation() < generation_) return found;
  for (;;) {
    auto next = log.next();
    if (!next) return std::unexpected(next.error());
    if (!*next) break;
    const auto& [command, offset] = **next;
    if (auto ok = durable::apply(command, *model_); !ok) {
      std::ostringstream what;
      what << "replaying " << command << " failed: " << ok.error().message();
      return std::unexpected(durable::corruption(path(kLogFile), offset, what.str()));
    }
    if (const auto* create = std::get_if<durable::CreateCollection>(&command)) {
      collections_ = create->id;
      names_.insert(create->name);
    }
  }
  found.log_current = true;
  found.torn_tail = log.torn_tail();
  found.log_bytes = log.valid_bytes();
  if (log.torn_tail()) {
    // Rare (a crash mid-append): read the good prefix again for the rewrite.
    auto bytes = env_->read_file(path(kLogFile));
    if (!bytes) return std::unexpected(bytes.error());
    if (bytes->size() < log.valid_bytes()) {
      return std::unexpected(durable::corruption(path(kLogFile), bytes->size(),
                                                 "shrank while it was being read"));
    }
    found.valid_log = bytes->substr(0, log.valid_bytes());
  }
  return found;
}

// Appends go on in the current log when it ends cleanly. Otherwise a new log
// is written first: without the torn record (same generation), or empty
// (the log of an older generation). If that fails the store stays readable
// and refuses writes, saying why.
Status DurableMemoryStash::continue_log(const Found& found) {
  MutexLock guard(mutex_);
  if (found.log_current && !found.torn_tail) {
    // Synced first: what this open read, and may serve to readers, is then
    // durable even if it came from a writer that died before its sync.
    auto log = env_->reopen_writable_file(path(kLogFile));
    Status synced = log ? (*log)->sync() : Status(std::unexpected(log.error()));
    if (!synced) {
      refuse("reopening the log for appending failed at open: " + synced.error().message() +
             "; everything acknowledged is in the files and readable");
      return {};
    }
    log_ = std::move(*log);
    log_bytes_ = found.log_bytes;
    return {};
  }
  const std::string content =
      found.log_current ? found.valid_log : durable::encode_log_header(generation_);
  if (auto ok = start_log(content); !ok) {
    refuse(std::string(found.log_current
                           ? "writing the log again without its torn last record failed at open: "
                           : "starting a log for the snapshot failed at open: ") +
           ok.error().message() + "; everything acknowledged is in the files and readable");
  }
  return {};
}

// ----------------------------------------------------------------------------
// Writes.
// ----------------------------------------------------------------------------

Error DurableMemoryStash::refuse(const std::string& why) {
  refused_ = Error(ErrorCode::kIoError,
                   "stash in " + dir_ + " refuses writes until reopened: " + why);
  return Error(ErrorCode::kOutcomeUnknown,
               why + "; the call may or may not survive a restart, and the stash in " + dir_ +
                   " now refuses writes until reopened");
}

// Checks that need no lock: read-only, and the size of the call's record.
Status DurableMemoryStash::check_call(std::string_view what, std::size_t record_bytes) const {
  if (options_.read_only) {
    return fail(ErrorCode::kInvalidArgument,
                std::string(what) + ": the stash in " + dir_ + " is open read-only");
  }
  const std::size_t limit = record_bytes_max_ - durable::kSnapshotRecordSlack;
  if (record_bytes > limit) {
    return fail(ErrorCode::kInvalidArgument,
                std::string(what) + " would take a log record of " + std::to_string(record_bytes) +
                    " bytes, more than the limit of " + std::to_string(limit) +
                    " bytes per call of DurableMemoryStash (split it into smaller calls)");
  }
  return {};
}

Result<std::uint64_t> DurableMemoryStash::append_record(const std::string& record) {
  if (auto ok = log_->append(record); !ok) {
    return std::unexpected(refuse("appending to the log failed: " + ok.error().message()));
  }
  log_bytes_ += record.size();
  ++stats_.records;
  if (returning_ > 0) {
    --returning_;
    if (returning_ == 0) appended_.notify_all();  // a gathering leader may go
  }
  return ++appended_seq_;
}

// Group commit (leader/follower): the first waiter to find no sync running
// syncs everything appended so far, with mutex_ released so that others can
// append behind it; those others wait and are covered by the next sync.
//
// A sync covers only what was appended when it started. The writers a sync
// releases come straight back with their next record, but by then one of
// those left waiting has started the next sync without them: the writers
// split into two halves that take turns, and 8 threads get about 4 records
// per sync. So a new leader first gathers: it waits, for at most a quarter
// of the last sync's duration (itself at most kGatherMax), until as many
// records were appended as the last sync released callers. A lone writer
// never waits (its own record is the one expected).
Status DurableMemoryStash::sync_through(std::uint64_t seq) {
  constexpr std::chrono::microseconds kGatherMax{2000};
  while (synced_seq_ < seq) {
    if (refused_) return fail(ErrorCode::kOutcomeUnknown, refused_->message());
    if (sync_running_) {
      mutex_.wait(synced_);
      continue;
    }
    sync_running_ = true;
    const auto gather_until = std::chrono::steady_clock::now() + std::min(last_sync_ / 4, kGatherMax);
    while (returning_ > 0 && !refused_) {
      if (mutex_.wait_until(appended_, gather_until) == std::cv_status::timeout) break;
    }
    const std::uint64_t from = synced_seq_;
    const std::uint64_t target = appended_seq_;
    WritableFile* log = log_.get();  // Not replaced while sync_running_.
    mutex_.unlock();
    const auto started = std::chrono::steady_clock::now();
    const Status synced = log->sync();
    const auto took = std::chrono::steady_clock::now() - started;
    mutex_.lock();
    sync_running_ = false;
    ++stats_.syncs;
    last_sync_ = std::chrono::duration_cast<std::chrono::microseconds>(took);
    // Never retried: a failed fsync may have dropped the data already.
    if (synced) {
      synced_seq_ = std::max(synced_seq_, target);
      returning_ = target - std::min(from, target);
    } else {
      refuse("syncing the log failed: " + synced.error().message());
    }
    synced_.notify_all();
    if (!synced) return fail(ErrorCode::kOutcomeUnknown, refused_->message());
  }
  return {};
}

Status DurableMemoryStash::commit(std::string_view what, const std::string& record,
                                  const std::function<Status()>& change) {
  if (auto ok = check_call(what, record.size()); !ok) return ok;
  MutexLock lock(mutex_);
  if (refused_) return std::unexpected(*refused_);
  // The model checks the call against its rules and applies it, or changes
  // nothing and returns the error: then there is nothing to log.
  if (auto ok = change(); !ok) return ok;
  auto seq = append_record(record);
  if (!seq) return std::unexpected(seq.error());
  if (auto ok = sync_through(*seq); !ok) return ok;
  maybe_snapshot();
  return {};
}

// A read-only or refusing stash still hands out the collections it has, for
// reading; it creates none.
Result<CollectionHandle> DurableMemoryStash::existing_collection(std::string_view name) {
  if (!names_.contains(name)) {
    return fail(options_.read_only ? ErrorCode::kNotFound : refused_->code(),
                "no collection \"" + printable(std::string(name)) + "\" in the stash in " +
                    dir_ + (options_.read_only ? " (open read-only)" : ": " + refused_->message()));
  }
  return model_->collection(name);
}

Result<CollectionHandle> DurableMemoryStash::collection(std::string_view name) {
  if (options_.read_only) {
    MutexLock lock(mutex_);
    return existing_collection(name);
  }
  // Encoded before the lock: its size does not depend on the id.
  std::string record = durable::encode_log_record(durable::CreateCollection{0, std::string(name)});
  if (auto ok = check_call("collection(name)", record.size()); !ok) {
    return std::unexpected(ok.error());
  }
  MutexLock lock(mutex_);
  if (refused_) return existing_collection(name);
  auto handle = model_->collection(name);
  if (!handle) return handle;
  // An existing collection's creation may still be waiting for its sync:
  // hand out no handle before it is durable.
  std::uint64_t seq = appended_seq_;
  if (handle->id > collections_) {
    collections_ = handle->id;
    auto appended = append_record(
        durable::encode_log_record(durable::CreateCollection{handle->id, std::string(name)}));
    if (!appended) return std::unexpected(appended.error());
    seq = *appended;
  }
  if (auto ok = sync_through(seq); !ok) return std::unexpected(ok.error());
  names_.emplace(name);
  maybe_snapshot();
  return handle;
}

Status DurableMemoryStash::update_many(CollectionHandle c, std::span<const Update> entries) {
  return commit("update_many of " + std::to_string(entries.size()) + " entries",
                durable::encode_log_record(durable::UpdateMany{
                    c, std::vector<Update>(entries.begin(), entries.end())}),
                [&] { return model_->update_many(c, entries); });
}

Status DurableMemoryStash::seal(CollectionHandle c, Frontier new_upper) {
  return commit("seal", durable::encode_log_record(durable::Seal{c, new_upper}),
                [&] { return model_->seal(c, new_upper); });
}

Status DurableMemoryStash::compact(CollectionHandle c, Frontier new_since) {
  return commit("compact", durable::encode_log_record(durable::Compact{c, new_since}),
                [&] { return model_->compact(c, new_since); });
}

Status DurableMemoryStash::append(std::span<const AppendBatch> batches) {
  return commit("append of " + std::to_string(batches.size()) + " batches",
                durable::encode_log_record(
                    durable::Append{std::vector<AppendBatch>(batches.begin(), batches.end())}),
                [&] { return model_->append(batches); });
}

// Invisible to reads, so not logged; the next snapshot stores whatever form
// the model holds.
Status DurableMemoryStash::consolidate(CollectionHandle c) {
  if (auto ok = check_call("consolidate", 0); !ok) return ok;
  return model_->consolidate(c);
}

// ----------------------------------------------------------------------------
// Reads: straight from the model.
// ----------------------------------------------------------------------------

// Like every read, may list a collection whose creation is still being synced.
Result<std::vector<NamedCollection>> DurableMemoryStash::collections() {
  return model_->collections();
}
Result<std::vector<Update>> DurableMemoryStash::iter(CollectionHandle c) { return model_->iter(c); }
Result<std::vector<ValueUpdate>> DurableMemoryStash::iter_key(CollectionHandle c, const Bytes& key) {
  return model_->iter_key(c, key);
}
Result<Frontier> DurableMemoryStash::since(CollectionHandle c) { return model_->since(c); }
Result<Frontier> DurableMemoryStash::upper(CollectionHandle c) { return model_->upper(c); }
Result<Timestamp> DurableMemoryStash::peek_timestamp(CollectionHandle c) {
  return model_->peek_timestamp(c);
}
Result<std::vector<PeekEntry>> DurableMemoryStash::peek(CollectionHandle c) {
  return model_->peek(c);
}
Result<std::map<Bytes, Bytes>> DurableMemoryStash::peek_one(CollectionHandle c) {
  return model_->peek_one(c);
}
Result<std::optional<Bytes>> DurableMemoryStash::peek_key_one(CollectionHandle c,
                                                             const Bytes& key) {
  return model_->peek_key_one(c, key);
}

Status DurableMemoryStash::wait_for_change(CollectionHandle c, const Frontier& known_upper,
                                           std::chrono::steady_clock::time_point deadline) {
  return model_->wait_for_change(c, known_upper, deadline);
}

DurableStats DurableMemoryStash::stats() {
  MutexLock lock(mutex_);
  return stats_;
}

}  // namespace stash
