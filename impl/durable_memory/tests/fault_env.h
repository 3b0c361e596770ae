// FaultEnv: an in-memory file system that remembers what a crash would keep.
//
// Like SQLite's test6.c and LevelDB's FaultInjectionTestEnv, it tracks for
// every file what is durable (synced) apart from what is visible, and for the
// directory which entries are durable (sync_dir) apart from the visible ones.
// restart() then throws away everything a power cut could lose:
//   - each file keeps only its synced bytes;
//   - creations, renames and removals not followed by sync_dir are undone;
//   - optionally the last append is torn: a prefix of its unsynced bytes, or
//     zeros in their place (pages the file system extended but never wrote),
//     survives.
// Faults:
//   - crash_at_sync(k): the k-th sync point (file sync or directory sync) and
//     every call after it fail, as if the machine stopped there;
//   - fail_nth(n, err): the n-th fallible call (create, append, sync, rename,
//     directory sync) fails once with EIO or ENOSPC. ENOSPC on append writes
//     half the bytes first. A failed sync loses the pending bytes for good, as
//     Linux does (later syncs succeed but the lost bytes read back as zeros
//     after a restart), so a stash that retried a failed fsync into ok would
//     be caught.
// Thread-safe. Paths are plain strings; directories are not modelled beyond
// create_dir succeeding.
#ifndef STASH_DURABLE_MEMORY_TESTS_FAULT_ENV_H_
#define STASH_DURABLE_MEMORY_TESTS_FAULT_ENV_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "stash/mutex.h"
#include "stash/env.h"

namespace stash::test {

enum class Tear { kNone, kPrefix, kZeros };

class FaultEnv final : public Env {
 public:
  struct Inode {
    std::string data;     // Visible.
    std::string durable;  // What survives a crash.
  };

  // The k-th sync point from now (1-based) and everything after it fails.
  void crash_at_sync(int k);
  // The n-th fallible call from now (1-based) fails once with `err`.
  void fail_nth(int n, int err);
  // While on, every call that would need free space (create, append, rename)
  // fails with ENOSPC, writing nothing: a full disk.
  void set_disk_full(bool full);
  // Every file sync sleeps this long first (to make group commit visible).
  void set_sync_delay(std::chrono::microseconds delay);
  // Simulates a power cut and reboot: only durable data remains (see above),
  // faults are cleared, counters reset.
  void restart(Tear tear = Tear::kNone);

  int sync_points() const;     // Since construction or restart().
  int fallible_calls() const;  // Since construction or restart().
  bool crashed() const;

  // Direct access for tests that damage files.
  std::string contents(const std::string& path) const;
  void set_contents(const std::string& path, std::string data);  // Durable at once.

  // Env.
  Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> reopen_writable_file(const std::string& path) override;
  Result<std::string> read_file(const std::string& path) override;
  bool file_exists(const std::string& path) override;
  Status rename_file(const std::string& from, const std::string& to) override;
  Status remove_file(const std::string& path) override;
  Status create_dir(const std::string& dir) override;
  Status sync_dir(const std::string& dir) override;
  // Models flock: an exclusive lock excludes every other lock on the path, a
  // shared one only exclusive ones. restart() drops every lock.
  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path, LockMode mode) override;

  // Who holds which lock; shared with the locks handed out, which may
  // outlive this env or a restart().
  struct LockTable {
    Mutex mutex;
    std::map<std::string, int> shared STASH_GUARDED_BY(mutex);  // Holders per path.
    std::map<std::string, bool> exclusive STASH_GUARDED_BY(mutex);
    int epoch STASH_GUARDED_BY(mutex) = 0;  // Bumped by restart(): older locks are gone.
  };

  // Used by the files this env hands out.
  Status file_append(const std::shared_ptr<Inode>& inode, const std::string& path,
                     std::string_view data);
  Status file_sync(const std::shared_ptr<Inode>& inode, const std::string& path);

 private:
  // Counts a fallible call; returns the injected error, if this one fails.
  Status fault_point(const std::string& what, bool is_sync, std::string_view data = {},
                     Inode* partial = nullptr, bool needs_space = false)
      STASH_REQUIRES(mutex_);

  mutable Mutex mutex_;
  std::map<std::string, std::shared_ptr<Inode>> entries_ STASH_GUARDED_BY(mutex_);  // Visible.
  std::map<std::string, std::shared_ptr<Inode>> durable_entries_ STASH_GUARDED_BY(mutex_);
  std::shared_ptr<Inode> last_appended_ STASH_GUARDED_BY(mutex_);
  int sync_points_ STASH_GUARDED_BY(mutex_) = 0;
  int fallible_calls_ STASH_GUARDED_BY(mutex_) = 0;
  int crash_at_ STASH_GUARDED_BY(mutex_) = 0;  // 0: none.
  bool crashed_ STASH_GUARDED_BY(mutex_) = false;
  int fail_at_ STASH_GUARDED_BY(mutex_) = 0;   // 0: none.
  int fail_errno_ STASH_GUARDED_BY(mutex_) = 0;
  bool disk_full_ STASH_GUARDED_BY(mutex_) = false;
  std::shared_ptr<LockTable> locks_ = std::make_shared<LockTable>();
  std::chrono::microseconds sync_delay_{0};
};

}  // namespace stash::test

#endif  // STASH_DURABLE_MEMORY_TESTS_FAULT_ENV_H_
