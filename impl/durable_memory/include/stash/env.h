// Env: every file-system call the durable MemoryStash makes, behind one seam.
//
// Modelled on LevelDB's include/leveldb/env.h. Production code uses
// Env::posix(); tests wrap it (EnvWrapper forwards every call, so a test
// overrides only what it breaks) or replace it with an in-memory file system
// that can lose unsynced data, tear the last write, or fail the Nth call with
// EIO or ENOSPC (impl/durable_memory/tests/fault_env.h).
//
// Every call returns a Status; errors are kIoError with the path and the
// errno text in the message (kNotFound when a file to read does not exist).
#ifndef STASH_ENV_H_
#define STASH_ENV_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stash/error.h"

namespace stash {

// A file opened for appending. Bytes handed to append() are visible to
// readers at once but survive a crash only after sync() returns ok.
//
// append() and sync() may be called from different threads at the same time
// (group commit syncs while the next writer appends); implementations must
// allow that.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status append(std::string_view data) = 0;
  // Makes every byte appended so far durable (fdatasync). After a failed sync
  // the appended bytes may be lost even if a later sync succeeds (Linux drops
  // the dirty pages on writeback errors): callers must not retry into ok.
  virtual Status sync() = 0;
  virtual Status close() = 0;
};

// A file read front to back, a piece at a time.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to `n` bytes into `to`; returns how many, 0 only at the end.
  virtual Result<std::size_t> read(char* to, std::size_t n) = 0;
};

// Held while a directory is in use; releasing it unlocks.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // The real file system. Never destroyed.
  static Env* posix();

  // Creates (or truncates) `path` for appending, readable and writable by its
  // owner only (mode 0600): a stash may hold anything its users put in it.
  virtual Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path) = 0;
  // Opens the existing file `path` for appending after its current end.
  // Errors: kNotFound if it does not exist.
  virtual Result<std::unique_ptr<WritableFile>> reopen_writable_file(const std::string& path) = 0;
  // The whole content of `path`. Errors: kNotFound if it does not exist.
  virtual Result<std::string> read_file(const std::string& path) = 0;
  // `path` for reading front to back without holding all of it in memory:
  // open() reads the snapshot and the log this way. Errors: kNotFound if it
  // does not exist. The default reads it all with read_file() and hands it
  // out piece by piece, so an Env that overrides read_file() alone (a test's
  // faults) still sees every read.
  virtual Result<std::unique_ptr<SequentialFile>> open_sequential_file(const std::string& path);
  virtual bool file_exists(const std::string& path) = 0;
  // Atomically replaces `to` by `from` (rename(2)). Durable only once the
  // directory is synced.
  virtual Status rename_file(const std::string& from, const std::string& to) = 0;
  virtual Status remove_file(const std::string& path) = 0;
  // Creates `dir` (mode 0700) if it does not exist.
  virtual Status create_dir(const std::string& dir) = 0;
  // Makes the directory's entries (creations, renames, removals) durable.
  virtual Status sync_dir(const std::string& dir) = 0;
  // An advisory lock on `path`, so that two processes never write the same
  // store and no reader reads one while it is being written.
  // kExclusive (writers): `path` is created if needed; held by nobody else.
  // kShared (readers): `path` is not created (a missing lock file means no
  // writer, so nothing is locked); shared with other readers, never with a
  // writer. Errors: kIoError if the lock is held in a conflicting mode.
  enum class LockMode { kExclusive, kShared };
  virtual Result<std::unique_ptr<FileLock>> lock_file(const std::string& path, LockMode mode) = 0;
};

// Forwards every call to another Env: derive from it and override only the
// calls a test wants to break.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path) override {
    return target_->new_writable_file(path);
  }
  Result<std::unique_ptr<WritableFile>> reopen_writable_file(const std::string& path) override {
    return target_->reopen_writable_file(path);
  }
  Result<std::string> read_file(const std::string& path) override {
    return target_->read_file(path);
  }
  // A wrapper that breaks reads overrides both read calls.
  Result<std::unique_ptr<SequentialFile>> open_sequential_file(const std::string& path) override {
    return target_->open_sequential_file(path);
  }
  bool file_exists(const std::string& path) override { return target_->file_exists(path); }
  Status rename_file(const std::string& from, const std::string& to) override {
    return target_->rename_file(from, to);
  }
  Status remove_file(const std::string& path) override { return target_->remove_file(path); }
  Status create_dir(const std::string& dir) override { return target_->create_dir(dir); }
  Status sync_dir(const std::string& dir) override { return target_->sync_dir(dir); }
  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path, LockMode mode) override {
    return target_->lock_file(path, mode);
  }

 private:
  Env* target_;  // Not owned.
};

}  // namespace stash

#endif  // STASH_ENV_H_
