#include "fault_vfs.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace stash::testing {
namespace {

constexpr std::int64_t kSector = 512;

// The shim's file: SQLite allocates szOsFile bytes, we put the real file
// right after our header.
struct ShimFile {
  sqlite3_file base;
  FaultVfs* vfs;
  std::string* path;  // owned; nullptr for temp files without a name
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

ShimFile* shim(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f); }
FaultVfs* owner(sqlite3_vfs* vfs) { return static_cast<FaultVfs*>(vfs->pAppData); }

int shim_close(sqlite3_file* f) {
  ShimFile* s = shim(f);
  const int rc = s->real()->pMethods ? s->real()->pMethods->xClose(s->real()) : SQLITE_OK;
  delete s->path;
  return rc;
}

int shim_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  ShimFile* s = shim(f);
  if (s->vfs->crashed()) return SQLITE_IOERR_READ;
  return s->real()->pMethods->xRead(s->real(), buf, n, off);
}

int shim_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  ShimFile* s = shim(f);
  const std::string path = s->path ? *s->path : "";
  if (int rc = s->vfs->on_write(path); rc != SQLITE_OK) return rc;
  // Keep what this write overwrites, so a power cut can undo it.
  sqlite3_int64 size = 0;
  s->real()->pMethods->xFileSize(s->real(), &size);
  const sqlite3_int64 kept = std::max<sqlite3_int64>(0, std::min<sqlite3_int64>(n, size - off));
  std::string before(static_cast<std::size_t>(kept), '\0');
  if (kept > 0) s->real()->pMethods->xRead(s->real(), before.data(), static_cast<int>(kept), off);
  const int rc = s->real()->pMethods->xWrite(s->real(), buf, n, off);
  if (rc == SQLITE_OK && s->path) s->vfs->record_write(path, {off, std::move(before), n, size});
  return rc;
}

int shim_truncate(sqlite3_file* f, sqlite3_int64 size) {
  ShimFile* s = shim(f);
  if (s->vfs->crashed()) return SQLITE_IOERR_TRUNCATE;
  if (s->path) s->vfs->settle(*s->path);
  return s->real()->pMethods->xTruncate(s->real(), size);
}

int shim_sync(sqlite3_file* f, int) {
  ShimFile* s = shim(f);
  return s->vfs->on_sync(s->path ? *s->path : "");
}

int shim_file_size(sqlite3_file* f, sqlite3_int64* size) {
  ShimFile* s = shim(f);
  if (s->vfs->crashed()) return SQLITE_IOERR_FSTAT;
  return s->real()->pMethods->xFileSize(s->real(), size);
}

// Locks, control, shared memory and fetch: straight through.
int shim_lock(sqlite3_file* f, int l) { return shim(f)->real()->pMethods->xLock(shim(f)->real(), l); }
int shim_unlock(sqlite3_file* f, int l) {
  return shim(f)->real()->pMethods->xUnlock(shim(f)->real(), l);
}
int shim_check_lock(sqlite3_file* f, int* out) {
  return shim(f)->real()->pMethods->xCheckReservedLock(shim(f)->real(), out);
}
int shim_control(sqlite3_file* f, int op, void* arg) {
  return shim(f)->real()->pMethods->xFileControl(shim(f)->real(), op, arg);
}
int shim_sector_size(sqlite3_file* f) {
  return shim(f)->real()->pMethods->xSectorSize(shim(f)->real());
}
int shim_device(sqlite3_file* f) {
  // No atomic or ordered writes: only the promise that a write does not
  // damage bytes around it.
  return shim(f)->real()->pMethods->xDeviceCharacteristics(shim(f)->real()) &
         SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}
int shim_shm_map(sqlite3_file* f, int pg, int sz, int extend, void volatile** p) {
  return shim(f)->real()->pMethods->xShmMap(shim(f)->real(), pg, sz, extend, p);
}
int shim_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return shim(f)->real()->pMethods->xShmLock(shim(f)->real(), offset, n, flags);
}
void shim_shm_barrier(sqlite3_file* f) { shim(f)->real()->pMethods->xShmBarrier(shim(f)->real()); }
int shim_shm_unmap(sqlite3_file* f, int del) {
  return shim(f)->real()->pMethods->xShmUnmap(shim(f)->real(), del);
}
int shim_fetch(sqlite3_file*, sqlite3_int64, int, void** p) {
  *p = nullptr;  // no memory mapping: every read goes through shim_read
  return SQLITE_OK;
}
int shim_unfetch(sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; }

const sqlite3_io_methods kShimMethods = {
    3,          shim_close,       shim_read,        shim_write,   shim_truncate,
    shim_sync,  shim_file_size,   shim_lock,        shim_unlock,  shim_check_lock,
    shim_control, shim_sector_size, shim_device,    shim_shm_map, shim_shm_lock,
    shim_shm_barrier, shim_shm_unmap, shim_fetch,   shim_unfetch,
};

// The same shim without shared memory (version 1 methods): SQLite cannot
// run a write-ahead log through it.
const sqlite3_io_methods kShimMethodsNoShm = {
    1,          shim_close,       shim_read,        shim_write,   shim_truncate,
    shim_sync,  shim_file_size,   shim_lock,        shim_unlock,  shim_check_lock,
    shim_control, shim_sector_size, shim_device,    nullptr,      nullptr,
    nullptr,    nullptr,          nullptr,          nullptr,
};

int vfs_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* f, int flags, int* out) {
  FaultVfs* fault = owner(vfs);
  ShimFile* s = shim(f);
  s->base.pMethods = nullptr;
  s->vfs = fault;
  s->path = name ? new std::string(name) : nullptr;
  std::memset(s->real(), 0, fault->base()->szOsFile);
  const int rc = fault->base()->xOpen(fault->base(), name, s->real(), flags, out);
  if (rc != SQLITE_OK) {
    delete s->path;
    s->path = nullptr;
    return rc;
  }
  s->base.pMethods = fault->shared_memory() ? &kShimMethods : &kShimMethodsNoShm;
  return SQLITE_OK;
}

int vfs_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  FaultVfs* fault = owner(vfs);
  if (fault->crashed()) return SQLITE_IOERR_DELETE;
  fault->settle(name);
  return fault->base()->xDelete(fault->base(), name, sync_dir);
}

int vfs_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return owner(vfs)->base()->xAccess(owner(vfs)->base(), name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return owner(vfs)->base()->xFullPathname(owner(vfs)->base(), name, n, out);
}
int vfs_randomness(sqlite3_vfs* vfs, int n, char* out) {
  return owner(vfs)->base()->xRandomness(owner(vfs)->base(), n, out);
}
int vfs_sleep(sqlite3_vfs* vfs, int us) { return owner(vfs)->base()->xSleep(owner(vfs)->base(), us); }
int vfs_current_time(sqlite3_vfs* vfs, double* out) {
  return owner(vfs)->base()->xCurrentTime(owner(vfs)->base(), out);
}
int vfs_last_error(sqlite3_vfs* vfs, int n, char* out) {
  return owner(vfs)->base()->xGetLastError(owner(vfs)->base(), n, out);
}
int vfs_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return owner(vfs)->base()->xCurrentTimeInt64(owner(vfs)->base(), out);
}

}  // namespace

FaultVfs::FaultVfs(const char* name, std::uint64_t seed)
    : name_(name), base_(sqlite3_vfs_find(nullptr)), vfs_{}, rng_(seed) {
  vfs_.iVersion = 2;
  vfs_.szOsFile = static_cast<int>(sizeof(ShimFile)) + base_->szOsFile;
  vfs_.mxPathname = base_->mxPathname;
  vfs_.zName = name_.c_str();
  vfs_.pAppData = this;
  vfs_.xOpen = vfs_open;
  vfs_.xDelete = vfs_delete;
  vfs_.xAccess = vfs_access;
  vfs_.xFullPathname = vfs_full_pathname;
  vfs_.xRandomness = vfs_randomness;
  vfs_.xSleep = vfs_sleep;
  vfs_.xCurrentTime = vfs_current_time;
  vfs_.xGetLastError = vfs_last_error;
  vfs_.xCurrentTimeInt64 = vfs_current_time_int64;
  sqlite3_vfs_register(&vfs_, /*makeDflt=*/0);
}

FaultVfs::~FaultVfs() { sqlite3_vfs_unregister(&vfs_); }

void FaultVfs::reset(std::uint64_t seed) {
  rng_.seed(seed);
  syncs_ = writes_and_syncs_ = crash_at_ = fail_at_ = 0;
  fail_rc_ = SQLITE_OK;
  crashed_ = failed_ = false;
  pending_.clear();
}

void FaultVfs::crash_at_sync(int n, LossMode mode) {
  crash_at_ = n;
  mode_ = mode;
}

void FaultVfs::fail_at(int n, int rc) {
  fail_at_ = n;
  fail_rc_ = rc;
}

int FaultVfs::on_write(const std::string&) {
  if (crashed_) return SQLITE_IOERR_WRITE;
  if (++writes_and_syncs_ == fail_at_) {
    failed_ = true;
    return fail_rc_;
  }
  return SQLITE_OK;
}

int FaultVfs::on_sync(const std::string& path) {
  if (crashed_) return SQLITE_IOERR_FSYNC;
  ++syncs_;
  if (++writes_and_syncs_ == fail_at_) {
    failed_ = true;
    return fail_rc_ == SQLITE_IOERR_WRITE ? SQLITE_IOERR_FSYNC : fail_rc_;
  }
  if (syncs_ == crash_at_) {
    power_cut();
    return SQLITE_IOERR_FSYNC;
  }
  pending_.erase(path);  // durable now
  return SQLITE_OK;
}

void FaultVfs::power_cut() {
  crashed_ = true;
  for (const auto& [path, writes] : pending_) lose(path, writes);
  pending_.clear();
}

// Undoes, tears or garbles the unsynced `writes` of `path`, sector by
// sector, newest first, so that an undone sector gets back what the write
// before it left there.
void FaultVfs::lose(const std::string& path, const std::vector<PendingWrite>& writes) {
  const int fd = ::open(path.c_str(), O_RDWR);
  if (fd < 0) return;  // deleted since: nothing to lose
  auto coin = [&](int percent) {
    return std::uniform_int_distribution<int>(0, 99)(rng_) < percent;
  };
  // The size at the last sync is durable; landed sectors may extend it.
  std::int64_t end = writes.front().size_before;
  for (auto w = writes.rbegin(); w != writes.rend(); ++w) {
    const bool write_lost = mode_ == LossMode::kDrop || coin(34);
    const bool write_kept = !write_lost && mode_ == LossMode::kTear && coin(50);
    for (std::int64_t at = 0; at < w->length; at += kSector) {
      const std::int64_t n = std::min(kSector, w->length - at);
      const bool lost = write_lost || (!write_kept && coin(50));
      if (!lost && mode_ == LossMode::kTear) {  // this sector landed
        end = std::max(end, w->offset + at + n);
        continue;
      }
      std::string bytes(static_cast<std::size_t>(n), '\0');
      if (!lost) {  // kGarble: the sector holds noise
        for (char& b : bytes) b = static_cast<char>(rng_());
        end = std::max(end, w->offset + at + n);
      } else {
        const auto before = static_cast<std::int64_t>(w->before.size());
        if (at < before) {
          std::memcpy(bytes.data(), w->before.data() + at,
                      static_cast<std::size_t>(std::min(n, before - at)));
        }
      }
      (void)::pwrite(fd, bytes.data(), bytes.size(), w->offset + at);
    }
  }
  (void)::ftruncate(fd, end);
  ::close(fd);
}

}  // namespace stash::testing
