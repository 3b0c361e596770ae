#include "stash/sqlite_harness.h"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <system_error>

#include "stash/open.h"

namespace stash {
namespace {

// Distinguishes harnesses of one process sharing a directory.
std::atomic<int> next_harness{0};

}  // namespace

SqliteHarness::SqliteHarness(std::string directory, std::string url_options)
    : directory_(std::move(directory)), url_options_(std::move(url_options)) {
  std::error_code ec;
  if (directory_.empty()) {
    std::string pattern =
        (std::filesystem::temp_directory_path(ec) / "stash_conformance_XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) directory_ = pattern;
    owns_directory_ = true;
  } else {
    std::filesystem::create_directories(directory_, ec);
  }
  directory_ += "/h" + std::to_string(::getpid()) + "-" + std::to_string(next_harness++);
}

SqliteHarness::~SqliteHarness() {
  for (const std::string& path : created_) remove_store(path);
  if (owns_directory_) {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(directory_).parent_path(), ec);
  }
}

void SqliteHarness::remove_store(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(path + suffix, ec);
  }
}

conformance::Capabilities SqliteHarness::capabilities() const {
  return {.durable = true, .several_handles = true, .fencing = true};
}

Result<std::unique_ptr<Stash>> SqliteHarness::open_fresh() {
  path_ = directory_ + "-store-" + std::to_string(created_.size()) + ".stash";
  remove_store(path_);
  created_.push_back(path_);
  return reopen();
}

Result<std::unique_ptr<Stash>> SqliteHarness::reopen() {
  return stash::open("sqlite:" + path_ + (url_options_.empty() ? "" : "?" + url_options_));
}

Result<std::unique_ptr<Stash>> SqliteHarness::open_another() { return reopen(); }

}  // namespace stash
