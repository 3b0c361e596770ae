// DurableMemoryStash's snapshots and log restarts.
//
// Order of a snapshot of generation G+1 (each step crash-safe):
//   1. sync the log: everything the model holds is durable in SNAPSHOT G + LOG G;
//   2. write SNAPSHOT.tmp, sync it, rename it over SNAPSHOT, sync the directory:
//      from now on recovery loads generation G+1 and ignores LOG (generation G);
//   3. write LOG.tmp with a generation G+1 header, sync, rename over LOG, sync
//      the directory; appends go to the new log.
// A failure in step 2 before the rename leaves SNAPSHOT G and LOG G in charge:
// the stash keeps working. From the rename on, the old log may already be
// superseded, so appending to it could lose acknowledged writes: the stash
// refuses further writes instead.
#include "files.h"
#include "layout.h"
#include "stash/durable_memory_stash.h"

namespace stash {

using durable::kLogFile;
using durable::kSnapshotFile;
using durable::kTempSuffix;

namespace {

// Creates `path` holding exactly `bytes`, synced.
Status write_synced(Env& env, const std::string& path, std::string_view bytes) {
  auto file = env.new_writable_file(path);
  if (!file) return std::unexpected(file.error());
  if (auto ok = (*file)->append(bytes); !ok) return ok;
  if (auto ok = (*file)->sync(); !ok) return ok;
  return (*file)->close();
}

}  // namespace

Status DurableMemoryStash::write_snapshot(std::unique_lock<std::mutex>& lock) {
  // Step 1, and no leader may still be syncing the log about to be replaced.
  while (sync_running_ || synced_seq_ < appended_seq_) {
    if (sync_running_) {
      synced_.wait(lock);
    } else if (auto ok = sync_through(lock, appended_seq_); !ok) {
      return std::unexpected(*refused_);
    }
  }
  const std::uint64_t generation = generation_ + 1;
  const std::string bytes = durable::encode_snapshot(model_->image(), generation);
  const std::string target = path(kSnapshotFile);
  const std::string temp = target + std::string(kTempSuffix);
  if (auto ok = write_synced(*env_, temp, bytes); !ok) {
    (void)env_->remove_file(temp);
    return fail(ErrorCode::kIoError, "writing a snapshot failed (the previous one and its log "
                                     "stay in charge): " + ok.error().message());
  }
  if (auto ok = env_->rename_file(temp, target); !ok) {
    refuse("renaming the new snapshot into place failed: " + ok.error().message());
    return std::unexpected(*refused_);
  }
  if (auto ok = env_->sync_dir(dir_); !ok) {
    refuse("syncing the directory after a new snapshot failed: " + ok.error().message());
    return std::unexpected(*refused_);
  }
  generation_ = generation;
  snapshot_bytes_ = bytes.size();
  ++stats_.snapshots;
  return start_log();
}

Status DurableMemoryStash::start_log() {
  const std::string header = durable::encode_log_header(generation_);
  const std::string target = path(kLogFile);
  const std::string temp = target + std::string(kTempSuffix);
  auto failed = [&](std::string_view step, const Error& error) -> Status {
    refuse("starting a new log failed (" + std::string(step) + "): " + error.message());
    return std::unexpected(*refused_);
  };
  if (log_) (void)log_->close();
  log_.reset();
  auto file = env_->new_writable_file(temp);
  if (!file) return failed("create", file.error());
  if (auto ok = (*file)->append(header); !ok) return failed("write", ok.error());
  if (auto ok = (*file)->sync(); !ok) return failed("sync", ok.error());
  if (auto ok = env_->rename_file(temp, target); !ok) return failed("rename", ok.error());
  if (auto ok = env_->sync_dir(dir_); !ok) return failed("sync directory", ok.error());
  log_ = std::move(*file);  // Still open: appends go to the renamed file.
  log_bytes_ = header.size();
  return {};
}

void DurableMemoryStash::maybe_snapshot(std::unique_lock<std::mutex>& lock) {
  if (log_bytes_ <= std::max(snapshot_bytes_, options_.snapshot_log_bytes_min)) return;
  // The caller's record is durable in the log already, so its call succeeds
  // whatever happens here; a failure either left the old snapshot in charge
  // (tried again after the next write) or made the stash refuse writes.
  (void)write_snapshot(lock);
}

Status DurableMemoryStash::snapshot() {
  std::unique_lock lock(mutex_);
  if (refused_) return std::unexpected(*refused_);
  return write_snapshot(lock);
}

}  // namespace stash
