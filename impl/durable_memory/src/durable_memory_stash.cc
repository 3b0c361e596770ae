// DurableMemoryStash: the model's operations, unchanged, plus a log record
// per acknowledged mutating call and a snapshot now and then.
//
// Every mutating call runs commit(): under mutex_, the model checks and
// applies the call (if it fails, nothing is logged), the call's record is
// appended to the log, and then sync_through() waits until a sync covers the
// record. Because records are appended in the order the model applied them,
// and a sync covers a prefix of the log, an acknowledged call implies every
// call the model applied before it is durable too.
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

DurableMemoryStash::DurableMemoryStash(Env* env, std::string dir, const MemoryStashOptions& options)
    : env_(env), dir_(std::move(dir)), options_(options) {}

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

// Loads SNAPSHOT, replays LOG, and only when all of it checked out writes a
// new snapshot and log: a corrupt store is left exactly as it was found.
Status DurableMemoryStash::recover() {
  const bool exists = env_->file_exists(path(kSnapshotFile)) || env_->file_exists(path(kLogFile));
  if (!exists && !options_.create_if_missing) {
    return fail(ErrorCode::kNotFound, "no stash in " + dir_ + " (create_if_missing is off)");
  }
  if (auto ok = env_->create_dir(dir_); !ok) return ok;
  auto lock = env_->lock_file(path(kLockFile));
  if (!lock) return std::unexpected(lock.error());
  lock_file_ = std::move(*lock);

  durable::Snapshot snapshot;  // A new store: generation 0, no collections.
  auto snapshot_bytes = env_->read_file(path(kSnapshotFile));
  if (snapshot_bytes) {
    auto decoded = durable::decode_snapshot(*snapshot_bytes, path(kSnapshotFile));
    if (!decoded) return std::unexpected(decoded.error());
    snapshot = std::move(*decoded);
  } else if (snapshot_bytes.error().code() != ErrorCode::kNotFound) {
    return std::unexpected(snapshot_bytes.error());
  } else if (env_->file_exists(path(kLogFile))) {
    // We write the first snapshot before the first log, so a log alone means
    // the snapshot was lost: refuse rather than replay onto nothing.
    return std::unexpected(durable::corruption(path(kSnapshotFile), 0, "missing, but a log exists"));
  }
  model_ = std::make_unique<MemoryStash>(snapshot.image);
  collections_ = static_cast<std::int64_t>(snapshot.image.collections.size());
  generation_ = snapshot.generation;

  auto log_bytes = env_->read_file(path(kLogFile));
  if (log_bytes) {
    auto log = durable::decode_log(*log_bytes, path(kLogFile));
    if (!log) return std::unexpected(log.error());
    if (log->generation > generation_) {
      return std::unexpected(durable::corruption(
          path(kLogFile), 8, "log generation " + std::to_string(log->generation) +
                                 " is newer than the snapshot's " + std::to_string(generation_)));
    }
    // An older log was superseded by a snapshot whose log restart a crash
    // cut short: everything in it is in the snapshot already.
    if (log->generation == generation_) {
      for (std::size_t i = 0; i < log->commands.size(); ++i) {
        if (auto ok = durable::apply(log->commands[i], *model_); !ok) {
          std::ostringstream what;
          what << "replaying " << log->commands[i] << " failed: " << ok.error().message();
          return std::unexpected(durable::corruption(path(kLogFile), log->offsets[i], what.str()));
        }
        if (auto* create = std::get_if<durable::CreateCollection>(&log->commands[i])) {
          collections_ = create->id;
        }
      }
    }
  } else if (log_bytes.error().code() != ErrorCode::kNotFound) {
    return std::unexpected(log_bytes.error());
  }
  // Leftovers of a snapshot or log restart that a crash interrupted.
  for (std::string_view name : {kSnapshotFile, kLogFile}) {
    const std::string temp = path(name) + std::string(kTempSuffix);
    if (env_->file_exists(temp)) (void)env_->remove_file(temp);
  }
  std::unique_lock guard(mutex_);
  return write_snapshot(guard);
}

// ----------------------------------------------------------------------------
// Writes.
// ----------------------------------------------------------------------------

Error DurableMemoryStash::refuse(std::string why) {
  refused_ = Error(ErrorCode::kIoError,
                   "stash in " + dir_ + " refuses writes until reopened: " + why);
  return Error(ErrorCode::kOutcomeUnknown,
               why + "; the call may or may not survive a restart, and the stash in " + dir_ +
                   " now refuses writes until reopened");
}

Result<std::uint64_t> DurableMemoryStash::append_record(const std::string& record) {
  if (auto ok = log_->append(record); !ok) {
    return std::unexpected(refuse("appending to the log failed: " + ok.error().message()));
  }
  log_bytes_ += record.size();
  ++stats_.records;
  return ++appended_seq_;
}

// Group commit (leader/follower): the first waiter to find no sync running
// syncs everything appended so far, with mutex_ released so that others can
// append behind it; those others wait and are covered by the next sync.
Status DurableMemoryStash::sync_through(std::unique_lock<std::mutex>& lock, std::uint64_t seq) {
  while (synced_seq_ < seq) {
    if (refused_) return fail(ErrorCode::kOutcomeUnknown, refused_->message());
    if (sync_running_) {
      synced_.wait(lock);
      continue;
    }
    sync_running_ = true;
    const std::uint64_t target = appended_seq_;
    WritableFile* log = log_.get();  // Not replaced while sync_running_.
    lock.unlock();
    const Status synced = log->sync();
    lock.lock();
    sync_running_ = false;
    ++stats_.syncs;
    // Never retried: a failed fsync may have dropped the data already.
    if (synced) synced_seq_ = std::max(synced_seq_, target);
    else refuse("syncing the log failed: " + synced.error().message());
    synced_.notify_all();
    if (!synced) return fail(ErrorCode::kOutcomeUnknown, refused_->message());
  }
  return {};
}

Status DurableMemoryStash::commit(const std::function<Status()>& change,
                                  const std::function<std::string()>& record) {
  std::unique_lock lock(mutex_);
  if (refused_) return std::unexpected(*refused_);
  // The model checks the call against its rules and applies it, or changes
  // nothing and returns the error: then there is nothing to log.
  if (auto ok = change(); !ok) return ok;
  auto seq = append_record(record());
  if (!seq) return std::unexpected(seq.error());
  if (auto ok = sync_through(lock, *seq); !ok) return ok;
  maybe_snapshot(lock);
  return {};
}

Result<CollectionHandle> DurableMemoryStash::collection(std::string_view name) {
  std::unique_lock lock(mutex_);
  if (refused_) return std::unexpected(*refused_);
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
  if (auto ok = sync_through(lock, seq); !ok) return std::unexpected(ok.error());
  maybe_snapshot(lock);
  return handle;
}

Status DurableMemoryStash::update_many(CollectionHandle c, std::span<const Update> entries) {
  return commit([&] { return model_->update_many(c, entries); }, [&] {
    return durable::encode_log_record(
        durable::UpdateMany{c, std::vector<Update>(entries.begin(), entries.end())});
  });
}

Status DurableMemoryStash::seal(CollectionHandle c, Frontier new_upper) {
  return commit([&] { return model_->seal(c, new_upper); },
                [&] { return durable::encode_log_record(durable::Seal{c, new_upper}); });
}

Status DurableMemoryStash::compact(CollectionHandle c, Frontier new_since) {
  return commit([&] { return model_->compact(c, new_since); },
                [&] { return durable::encode_log_record(durable::Compact{c, new_since}); });
}

Status DurableMemoryStash::append(std::span<const AppendBatch> batches) {
  return commit([&] { return model_->append(batches); }, [&] {
    return durable::encode_log_record(
        durable::Append{std::vector<AppendBatch>(batches.begin(), batches.end())});
  });
}

// Invisible to reads, so not logged; the next snapshot stores whatever form
// the model holds.
Status DurableMemoryStash::consolidate(CollectionHandle c) { return model_->consolidate(c); }

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

DurableStats DurableMemoryStash::stats() {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace stash
