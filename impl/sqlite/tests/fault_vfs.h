// FaultVfs: an SQLite VFS shim over the default one that simulates power
// loss and injects I/O errors, in the spirit of SQLite's src/test6.c and
// LevelDB's FaultInjectionTestEnv.
//
// Power loss. Every write reaches the real file at once, but the shim keeps
// the bytes it overwrote until the file is synced. crash_at_sync(n) turns
// the n-th xSync (counting all files) into a power cut: the sync does not
// happen, each still-unsynced write is undone, torn or garbled (see
// LossMode), and from then on every read, write, sync, truncate and delete
// through the shim fails with SQLITE_IOERR, so the crashed connection can
// change nothing more. Syncs themselves do not call fsync: durability is what
// the shim says it is, which keeps the test fast.
//
// Simplifications: truncate and delete take effect durably at once, along
// with the writes before them (SQLite orders them after the syncs that make
// them safe); the -shm file is passed through (it is rebuilt on recovery).
//
// I/O errors. fail_at(n, rc) makes the n-th write-or-sync (counting both,
// all files) fail with `rc` (e.g. SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC,
// SQLITE_FULL) without doing it; everything before and after works.
//
// One FaultVfs at a time, registered under its name while it lives.
#ifndef STASH_IMPL_SQLITE_TESTS_FAULT_VFS_H_
#define STASH_IMPL_SQLITE_TESTS_FAULT_VFS_H_

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace stash::testing {

class FaultVfs {
 public:
  enum class LossMode {
    kDrop,    // unsynced writes vanish
    kTear,    // each unsynced write lands whole, not at all, or in part
              // (a random subset of its 512-byte sectors)
    kGarble,  // each unsynced write vanishes or leaves random bytes in a
              // random subset of its sectors
  };

  explicit FaultVfs(const char* name, std::uint64_t seed = 1);
  ~FaultVfs();
  FaultVfs(const FaultVfs&) = delete;
  FaultVfs& operator=(const FaultVfs&) = delete;

  const char* name() const { return name_.c_str(); }

  // Clears counters, faults and pending writes (call between runs, with no
  // connection open through the shim).
  void reset(std::uint64_t seed);
  void crash_at_sync(int n, LossMode mode);
  void fail_at(int n, int rc);

  // Files opened from now on offer no shared memory (as on some network file
  // systems), so SQLite cannot switch them to WAL. Default true.
  void set_shared_memory(bool on) { shared_memory_ = on; }
  bool shared_memory() const { return shared_memory_; }

  int syncs() const { return syncs_; }
  int writes_and_syncs() const { return writes_and_syncs_; }
  bool crashed() const { return crashed_; }
  bool failed() const { return failed_; }

  // --- used by the shim's callbacks ---
  struct PendingWrite {
    std::int64_t offset;
    std::string before;   // the bytes overwritten (shorter if past EOF)
    std::int64_t length;  // bytes written
    std::int64_t size_before;  // the file's size before the write
  };
  // Returns SQLITE_OK, or the error the current write must fail with.
  int on_write(const std::string& path);
  // Returns SQLITE_OK (the file's writes are now durable), or the error the
  // sync must fail with (cutting the power first if this is the crash point).
  int on_sync(const std::string& path);
  void record_write(const std::string& path, PendingWrite w) {
    pending_[path].push_back(std::move(w));
  }
  // Truncate and delete: the file's pending writes count as durable.
  void settle(const std::string& path) { pending_.erase(path); }
  sqlite3_vfs* base() const { return base_; }

 private:
  void power_cut();
  void lose(const std::string& path, const std::vector<PendingWrite>& writes);

  std::string name_;
  sqlite3_vfs* base_;
  sqlite3_vfs vfs_;
  std::mt19937_64 rng_;
  int syncs_ = 0;
  int writes_and_syncs_ = 0;
  int crash_at_ = 0;
  LossMode mode_ = LossMode::kDrop;
  int fail_at_ = 0;
  int fail_rc_ = SQLITE_OK;
  bool crashed_ = false;
  bool failed_ = false;
  bool shared_memory_ = true;
  std::map<std::string, std::vector<PendingWrite>> pending_;  // unsynced, in order
};

}  // namespace stash::testing

#endif  // STASH_IMPL_SQLITE_TESTS_FAULT_VFS_H_
