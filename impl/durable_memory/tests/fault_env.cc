#include "fault_env.h"

#include <cerrno>
#include <cstring>
#include <thread>

namespace stash::test {
namespace {

Error io(const std::string& what, int err) {
  return Error(ErrorCode::kIoError, what + ": " + std::strerror(err) + " (injected)");
}

class FaultFile final : public WritableFile {
 public:
  FaultFile(FaultEnv* env, std::string path, std::shared_ptr<FaultEnv::Inode> inode)
      : env_(env), path_(std::move(path)), inode_(std::move(inode)) {}
  Status append(std::string_view data) override { return env_->file_append(inode_, path_, data); }
  Status sync() override { return env_->file_sync(inode_, path_); }
  Status close() override { return {}; }

 private:
  FaultEnv* env_;
  std::string path_;
  std::shared_ptr<FaultEnv::Inode> inode_;
};

class FaultLock final : public FileLock {
 public:
  FaultLock(std::shared_ptr<FaultEnv::LockTable> table, std::string path, Env::LockMode mode,
            int epoch)
      : table_(std::move(table)), path_(std::move(path)), mode_(mode), epoch_(epoch) {}
  ~FaultLock() override {
    MutexLock lock(table_->mutex);
    if (epoch_ != table_->epoch) return;
    if (mode_ == Env::LockMode::kExclusive) table_->exclusive[path_] = false;
    else if (table_->shared[path_] > 0) --table_->shared[path_];
  }

 private:
  std::shared_ptr<FaultEnv::LockTable> table_;
  std::string path_;
  Env::LockMode mode_;
  int epoch_;
};

}  // namespace

void FaultEnv::crash_at_sync(int k) {
  MutexLock lock(mutex_);
  crash_at_ = k;
}

void FaultEnv::fail_nth(int n, int err) {
  MutexLock lock(mutex_);
  fail_at_ = n;
  fail_errno_ = err;
}

void FaultEnv::set_disk_full(bool full) {
  MutexLock lock(mutex_);
  disk_full_ = full;
}

void FaultEnv::set_sync_delay(std::chrono::microseconds delay) {
  MutexLock lock(mutex_);
  sync_delay_ = delay;
}

int FaultEnv::sync_points() const {
  MutexLock lock(mutex_);
  return sync_points_;
}

int FaultEnv::fallible_calls() const {
  MutexLock lock(mutex_);
  return fallible_calls_;
}

bool FaultEnv::crashed() const {
  MutexLock lock(mutex_);
  return crashed_;
}

void FaultEnv::restart(Tear tear) {
  MutexLock lock(mutex_);
  entries_ = durable_entries_;
  for (auto& [path, inode] : entries_) {
    std::string kept = inode->durable;
    if (inode == last_appended_ && tear != Tear::kNone && inode->data.size() > kept.size()) {
      const std::size_t pending = inode->data.size() - kept.size();
      if (tear == Tear::kPrefix) kept += inode->data.substr(kept.size(), (pending + 1) / 2);
      else kept += std::string(pending, '\0');
    }
    // A fresh inode: files still open by a dead stash must not write here.
    entries_[path] = std::make_shared<Inode>(Inode{kept, kept});
  }
  durable_entries_ = entries_;
  last_appended_.reset();
  sync_points_ = fallible_calls_ = crash_at_ = fail_at_ = 0;
  crashed_ = false;
  disk_full_ = false;
  {
    MutexLock locks(locks_->mutex);
    locks_->shared.clear();
    locks_->exclusive.clear();
    ++locks_->epoch;
  }
}

std::string FaultEnv::contents(const std::string& path) const {
  MutexLock lock(mutex_);
  auto it = entries_.find(path);
  return it == entries_.end() ? std::string() : it->second->data;
}

void FaultEnv::set_contents(const std::string& path, std::string data) {
  MutexLock lock(mutex_);
  auto inode = std::make_shared<Inode>(Inode{data, data});
  entries_[path] = inode;
  durable_entries_[path] = inode;
}

Status FaultEnv::fault_point(const std::string& what, bool is_sync, std::string_view data,
                             Inode* partial, bool needs_space) {
  if (crashed_) return std::unexpected(io(what + " after the simulated crash", EIO));
  if (needs_space && disk_full_) {
    ++fallible_calls_;
    return std::unexpected(io(what, ENOSPC));
  }
  if (is_sync && ++sync_points_ == crash_at_) {
    crashed_ = true;
    return std::unexpected(io(what + " at the simulated crash", EIO));
  }
  if (++fallible_calls_ != fail_at_) return {};
  if (partial != nullptr && fail_errno_ == ENOSPC) partial->data += data.substr(0, data.size() / 2);
  return std::unexpected(io(what, fail_errno_));
}

Result<std::unique_ptr<WritableFile>> FaultEnv::new_writable_file(const std::string& path) {
  MutexLock lock(mutex_);
  if (auto ok = fault_point("create " + path, false, {}, nullptr, true); !ok) {
    return std::unexpected(ok.error());
  }
  auto inode = std::make_shared<Inode>();
  entries_[path] = inode;
  return std::make_unique<FaultFile>(this, path, inode);
}

Result<std::unique_ptr<WritableFile>> FaultEnv::reopen_writable_file(const std::string& path) {
  MutexLock lock(mutex_);
  if (auto ok = fault_point("open for appending " + path, false); !ok) {
    return std::unexpected(ok.error());
  }
  auto it = entries_.find(path);
  if (it == entries_.end()) return fail(ErrorCode::kNotFound, "no file " + path);
  return std::make_unique<FaultFile>(this, path, it->second);
}

Status FaultEnv::file_append(const std::shared_ptr<Inode>& inode, const std::string& path,
                             std::string_view data) {
  MutexLock lock(mutex_);
  last_appended_ = inode;
  if (auto ok = fault_point("append " + path, false, data, inode.get(), true); !ok) return ok;
  inode->data += data;
  return {};
}

Status FaultEnv::file_sync(const std::shared_ptr<Inode>& inode, const std::string& path) {
  std::chrono::microseconds delay;
  {
    MutexLock lock(mutex_);
    delay = sync_delay_;
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  MutexLock lock(mutex_);
  if (auto ok = fault_point("sync " + path, true); !ok) {
    // Writeback failed: the pending bytes are gone, though still visible.
    if (!crashed_) inode->durable += std::string(inode->data.size() - inode->durable.size(), '\0');
    return ok;
  }
  inode->durable = inode->data;
  return {};
}

Result<std::string> FaultEnv::read_file(const std::string& path) {
  MutexLock lock(mutex_);
  if (crashed_) return std::unexpected(io("read " + path + " after the simulated crash", EIO));
  auto it = entries_.find(path);
  if (it == entries_.end()) return fail(ErrorCode::kNotFound, "no file " + path);
  return it->second->data;
}

bool FaultEnv::file_exists(const std::string& path) {
  MutexLock lock(mutex_);
  return entries_.contains(path);
}

Status FaultEnv::rename_file(const std::string& from, const std::string& to) {
  MutexLock lock(mutex_);
  if (auto ok = fault_point("rename " + from, false, {}, nullptr, true); !ok) return ok;
  auto it = entries_.find(from);
  if (it == entries_.end()) return fail(ErrorCode::kIoError, "rename: no file " + from);
  entries_[to] = it->second;
  entries_.erase(from);
  return {};
}

Status FaultEnv::remove_file(const std::string& path) {
  MutexLock lock(mutex_);
  if (crashed_) return std::unexpected(io("remove after the simulated crash", EIO));
  entries_.erase(path);
  return {};
}

Status FaultEnv::create_dir(const std::string&) { return {}; }

Status FaultEnv::sync_dir(const std::string& dir) {
  MutexLock lock(mutex_);
  if (auto ok = fault_point("sync directory " + dir, true); !ok) return ok;
  durable_entries_ = entries_;
  return {};
}

Result<std::unique_ptr<FileLock>> FaultEnv::lock_file(const std::string& path, LockMode mode) {
  MutexLock lock(locks_->mutex);
  const bool exclusive_held = locks_->exclusive[path];
  const bool shared_held = locks_->shared[path] > 0;
  if (exclusive_held || (mode == LockMode::kExclusive && shared_held)) {
    return fail(ErrorCode::kIoError, "lock " + path + ": held by another opener (injected flock)");
  }
  if (mode == LockMode::kExclusive) locks_->exclusive[path] = true;
  else ++locks_->shared[path];
  return std::make_unique<FaultLock>(locks_, path, mode, locks_->epoch);
}

}  // namespace stash::test
