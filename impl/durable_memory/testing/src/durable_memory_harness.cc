#include "stash/durable_memory_harness.h"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <system_error>

#include "stash/open.h"

namespace stash {

namespace fs = std::filesystem;

// The directory every store of one factory goes under.
struct DurableMemoryHarness::Root {
  std::string path;
  bool made = false;         // by us: removed once empty
  Status status;             // why the directory could not be made
  std::atomic<int> next{0};  // store-N numbering
  ~Root() {
    std::error_code ec;
    if (made) fs::remove(path, ec);  // only if empty: stores are removed first
  }
};

DurableMemoryHarness::DurableMemoryHarness(std::shared_ptr<Root> root) : root_(std::move(root)) {}

DurableMemoryHarness::~DurableMemoryHarness() {
  std::error_code ec;
  for (const std::string& dir : created_) fs::remove_all(dir, ec);
}

conformance::HarnessFactory DurableMemoryHarness::factory(std::string root_path) {
  auto root = std::make_shared<Root>();
  std::error_code ec;
  if (root_path.empty()) {
    std::string pattern = (fs::temp_directory_path(ec) / "stash_durable_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      root->status = fail(ErrorCode::kIoError, "cannot make a temporary directory " + pattern);
    }
    root->path = pattern;
    root->made = true;
  } else {
    root->path = std::move(root_path);
    root->made = fs::create_directories(root->path, ec);
    if (ec) {
      root->status = fail(ErrorCode::kIoError,
                          "cannot make directory " + root->path + ": " + ec.message());
    }
  }
  return [root] { return std::make_unique<DurableMemoryHarness>(root); };
}

conformance::Capabilities DurableMemoryHarness::capabilities() const {
  return {.durable = true};
}

Result<std::unique_ptr<Stash>> DurableMemoryHarness::open_fresh() {
  if (!root_->status) return std::unexpected(root_->status.error());
  std::error_code ec;
  do {
    dir_ = root_->path + "/store-" + std::to_string(::getpid()) + "-" +
           std::to_string(root_->next++);
  } while (fs::exists(dir_, ec));
  created_.push_back(dir_);
  return reopen();
}

Result<std::unique_ptr<Stash>> DurableMemoryHarness::reopen() { return stash::open("memory:" + dir_); }

}  // namespace stash
