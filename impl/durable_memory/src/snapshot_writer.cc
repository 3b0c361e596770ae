// DurableMemoryStash's snapshots and log restarts.
//
// Order of a snapshot of generation G+1 (each step crash-safe):
//   1. sync the log: everything the model holds is durable in SNAPSHOT G + LOG G;
//   2. write SNAPSHOT.tmp, sync it, rename it over SNAPSHOT, sync the directory:
//      from now on recovery loads generation G+1 and ignores LOG (generation G);
//   3. write LOG.tmp with a generation G+1 header, sync, rename over LOG, sync
//      the directory, and open LOG for appending.
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

// Creates `path`, hands `write` a sink that appends to it, then syncs it.
Status write_synced(Env& env, const std::string& path,
                    const std::function<Status(const std::function<Status(std::string_view)>&)>& write) {
  auto file = env.new_writable_file(path);
  if (!file) return std::unexpected(file.error());
  const auto sink = [&](std::string_view bytes) { return (*file)->append(bytes); };
  if (auto ok = write(sink); !ok) return ok;
  if (auto ok = (*file)->sync(); !ok) return ok;
  return (*file)->close();
}

}  // namespace

Status DurableMemoryStash::write_snapshot() {
  // Step 1, and no leader may still be syncing the log about to be replaced.
  while (sync_running_ || synced_seq_ < appended_seq_) {
    if (sync_running_) {
      mutex_.wait(synced_);
    } else if (auto ok = sync_through(appended_seq_); !ok) {
      return std::unexpected(*refused_);
    }
  }
  const std::uint64_t generation = generation_ + 1;
  const std::string target = path(kSnapshotFile);
  const std::string temp = target + std::string(kTempSuffix);
  std::size_t bytes = 0;
  const Status written = [&] {
    // The image is the one copy of the state a snapshot makes; the file is
    // written a chunk at a time from it.
    const MemoryStashImage image = model_->image();
    return write_synced(*env_, temp, [&](const auto& sink) {
      return durable::encode_snapshot(image, generation, [&](std::string_view chunk) {
        bytes += chunk.size();
        return sink(chunk);
      }, record_bytes_max_);
    });
  }();
  if (!written) {
    (void)env_->remove_file(temp);
    return fail(ErrorCode::kIoError, "writing a snapshot to " + temp + " failed: " +
                                         written.error().message());
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
  snapshot_bytes_ = bytes;
  ++stats_.snapshots;
  if (auto ok = start_log(durable::encode_log_header(generation_)); !ok) {
    refuse("starting the log of the new snapshot failed: " + ok.error().message());
    return std::unexpected(*refused_);
  }
  return {};
}

// Replaces LOG by a log holding exactly `content` (a header, and for a torn
// log the good records before the tear) and appends to it from then on.
// The file is opened again by its final name so that later errors name LOG.
Status DurableMemoryStash::start_log(std::string_view content) {
  const std::string target = path(kLogFile);
  const std::string temp = target + std::string(kTempSuffix);
  if (log_) (void)log_->close();
  log_.reset();
  const Status written = write_synced(*env_, temp, [&](const auto& sink) { return sink(content); });
  if (!written) {
    (void)env_->remove_file(temp);
    return written;
  }
  if (auto ok = env_->rename_file(temp, target); !ok) return ok;
  if (auto ok = env_->sync_dir(dir_); !ok) return ok;
  auto log = env_->reopen_writable_file(target);
  if (!log) return std::unexpected(log.error());
  log_ = std::move(*log);
  log_bytes_ = content.size();
  return {};
}

void DurableMemoryStash::maybe_snapshot() {
  if (log_bytes_ <= std::max(snapshot_bytes_, options_.snapshot_log_bytes_min)) return;
  // The caller's record is durable in the log already, so its call succeeds
  // whatever happens here. A failure before the rename (say the disk is
  // full) leaves the old snapshot and the log in charge, and the stash goes
  // on appending to that log; it tries again after the next write. A later
  // failure made the stash refuse writes.
  (void)write_snapshot();
}

Status DurableMemoryStash::snapshot() {
  if (options_.read_only) {
    return fail(ErrorCode::kInvalidArgument,
                "snapshot: the stash in " + dir_ + " is open read-only");
  }
  MutexLock lock(mutex_);
  if (refused_) return std::unexpected(*refused_);
  if (auto ok = write_snapshot(); !ok) {
    if (refused_) return ok;
    return fail(ErrorCode::kIoError, ok.error().message() +
                                         " (the previous snapshot and the log stay in charge; "
                                         "the stash keeps working)");
  }
  return {};
}

}  // namespace stash
