// Env::posix(): the Env over open(2), write(2), fdatasync(2) and rename(2).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "stash/env.h"

namespace stash {
namespace {

// kIoError "<what> <path>: <strerror> (errno N)". errno goes into the message,
// never into the code (error.h).
Error io_error(std::string_view what, const std::string& path, int err) {
  return Error(ErrorCode::kIoError, std::string(what) + " " + path + ": " +
                                        std::strerror(err) + " (errno " +
                                        std::to_string(err) + ")");
}

// No user-space buffer: append is one write(2) loop, so a concurrent sync()
// from the group-commit leader sees exactly the bytes appended before it.
class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status append(std::string_view data) override {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return std::unexpected(io_error("write", path_, errno));
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
  }

  // fdatasync, not fsync: the file's size is data for this purpose (it is
  // flushed), its timestamps are not needed for recovery.
  Status sync() override {
    if (::fdatasync(fd_) != 0) return std::unexpected(io_error("fdatasync", path_, errno));
    return {};
  }

  Status close() override {
    const int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0) return std::unexpected(io_error("close", path_, errno));
    return {};
  }

 private:
  std::string path_;
  int fd_;
};

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { ::close(fd_); }

  Result<std::size_t> read(char* to, std::size_t n) override {
    for (;;) {
      const ssize_t got = ::read(fd_, to, n);
      if (got >= 0) return static_cast<std::size_t>(got);
      if (errno != EINTR) return std::unexpected(io_error("read", path_, errno));
    }
  }

 private:
  std::string path_;
  int fd_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override {
    if (fd_ >= 0) ::close(fd_);  // Closing releases the flock.
  }

 private:
  int fd_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return std::unexpected(io_error("create", path, errno));
    return std::make_unique<PosixWritableFile>(path, fd);
  }

  Result<std::unique_ptr<WritableFile>> reopen_writable_file(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return fail(ErrorCode::kNotFound, "no file " + path);
      return std::unexpected(io_error("open for appending", path, errno));
    }
    return std::make_unique<PosixWritableFile>(path, fd);
  }

  Result<std::string> read_file(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return fail(ErrorCode::kNotFound, "no file " + path);
      return std::unexpected(io_error("open", path, errno));
    }
    std::string out;
    char buffer[1 << 16];
    for (;;) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int err = errno;
        ::close(fd);
        return std::unexpected(io_error("read", path, err));
      }
      if (n == 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
  }

  Result<std::unique_ptr<SequentialFile>> open_sequential_file(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return fail(ErrorCode::kNotFound, "no file " + path);
      return std::unexpected(io_error("open", path, errno));
    }
    // Read once, front to back: let the kernel read ahead further.
    (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return std::make_unique<PosixSequentialFile>(path, fd);
  }

  bool file_exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Status rename_file(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return std::unexpected(io_error("rename to " + to + " from", from, errno));
    }
    return {};
  }

  Status remove_file(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return std::unexpected(io_error("unlink", path, errno));
    return {};
  }

  Status create_dir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return std::unexpected(io_error("mkdir", dir, errno));
    }
    return {};
  }

  // A rename or creation is durable only once its directory is: without this
  // a crash can bring back the old snapshot next to a log that already
  // belongs to the new one (LevelDB syncs the directory for the same reason
  // before trusting a new MANIFEST).
  Status sync_dir(const std::string& dir) override {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return std::unexpected(io_error("open directory", dir, errno));
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return std::unexpected(io_error("fsync directory", dir, err));
    return {};
  }

  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path, LockMode mode) override {
    const bool shared = mode == LockMode::kShared;
    // A reader must not need write access: it opens the lock file read-only
    // (flock works on any descriptor), and a missing one means no writer.
    const int fd = shared ? ::open(path.c_str(), O_RDONLY | O_CLOEXEC)
                          : ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 && shared && errno == ENOENT) return std::make_unique<PosixFileLock>(-1);
    if (fd < 0) return std::unexpected(io_error("open lock file", path, errno));
    if (::flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      return std::unexpected(io_error(shared ? "lock for reading (is a writer using this stash?)"
                                             : "lock (is another process using this stash?)",
                                      path, err));
    }
    return std::make_unique<PosixFileLock>(fd);
  }
};

}  // namespace

Env* Env::posix() {
  static PosixEnv env;  // Stateless, so destruction order does not matter.
  return &env;
}

}  // namespace stash
