#include "durable_copy.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "stash/durable_memory_stash.h"

namespace stash::tools {
namespace {

namespace fs = std::filesystem;

constexpr int kAttempts = 20;

// Identity and size of a file, to notice it was replaced or grew.
struct Stamp {
  ino_t inode = 0;
  off_t size = -1;
  bool operator==(const Stamp&) const = default;
};

Stamp stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_ino, st.st_size};
}

Status copy_file(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return {};  // A store may lack LOG; open decides.
    return fail(ErrorCode::kIoError, "cannot read " + from + ": " + std::strerror(errno));
  }
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  out << in.rdbuf();
  out.flush();
  if (!out) return fail(ErrorCode::kIoError, "cannot write " + to);
  return {};
}

}  // namespace

Result<std::string> make_temp_dir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return fail(ErrorCode::kIoError, "cannot create a temporary directory " + pattern + ": " +
                                         std::strerror(errno));
  }
  return pattern;
}

void remove_tree(const std::string& dir) {
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

Result<std::unique_ptr<DurableMemoryStash>> copy_durable_store(const std::string& from,
                                                              const std::string& to) {
  std::error_code ec;
  if (!fs::is_directory(from, ec)) {
    return fail(ErrorCode::kNotFound, "no durable stash directory at " + from);
  }
  if (!fs::exists(from + "/SNAPSHOT", ec)) {
    return fail(ErrorCode::kNotFound, "no durable stash in " + from + " (no SNAPSHOT file)");
  }
  std::optional<Error> last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    remove_tree(to);
    if (!fs::create_directories(to, ec)) {
      return fail(ErrorCode::kIoError, "cannot create " + to + ": " + ec.message());
    }
    const Stamp snapshot_before = stamp(from + "/SNAPSHOT");
    if (auto ok = copy_file(from + "/SNAPSHOT", to + "/SNAPSHOT"); !ok) {
      remove_tree(to);
      return std::unexpected(ok.error());
    }
    if (auto ok = copy_file(from + "/LOG", to + "/LOG"); !ok) {
      remove_tree(to);
      return std::unexpected(ok.error());
    }
    const bool rotated = stamp(from + "/SNAPSHOT") != snapshot_before;
    MemoryStashOptions options;
    options.create_if_missing = false;
    auto opened = DurableMemoryStash::open(to, options);
    if (opened && !rotated) return std::move(*opened);
    if (!opened) last = opened.error();
    // Only a rotation between the two copies is worth another attempt.
    if (!rotated) break;
  }
  remove_tree(to);
  if (last) {
    // Name the original's files, not the copy's.
    std::string message = last->message();
    for (std::size_t at; (at = message.find(to)) != std::string::npos;) {
      message.replace(at, to.size(), from);
    }
    return fail(last->code(), message);
  }
  return fail(ErrorCode::kUnavailable,
              "the store in " + from + " kept rotating its snapshot while being copied (" +
                  std::to_string(kAttempts) + " attempts)");
}

}  // namespace stash::tools
