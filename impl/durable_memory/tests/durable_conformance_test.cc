// The conformance kit (#3) against DurableMemoryStash with the durable
// capability on. Each store lives in a FaultEnv, and reopen() first simulates
// a power cut (unsynced data dropped), so every reopen check of the kit is
// also a crash check. (The real file system is covered by posix_test.cc and
// by `stash check memory:PATH`; the kit's hundreds of stores, each synced
// several times, take minutes on a slow disk.)
#include "fault_env.h"
#include "stash/conformance.h"
#include "stash/durable_memory_stash.h"

namespace stash::test {
namespace {

class FaultEnvHarness final : public conformance::Harness {
 public:
  conformance::Capabilities capabilities() const override { return {.durable = true}; }
  Result<std::unique_ptr<Stash>> open_fresh() override {
    env_ = std::make_unique<FaultEnv>();
    return reopen_without_crash();
  }
  Result<std::unique_ptr<Stash>> reopen() override {
    env_->restart();  // A power cut: only synced data and directory entries remain.
    return reopen_without_crash();
  }

 private:
  Result<std::unique_ptr<Stash>> reopen_without_crash() {
    MemoryStashOptions options;
    options.env = env_.get();
    options.snapshot_log_bytes_min = 512;  // Snapshots during the kit's runs too.
    auto stash = DurableMemoryStash::open("/store", options);
    if (!stash) return std::unexpected(stash.error());
    return std::unique_ptr<Stash>(std::move(*stash));
  }
  std::unique_ptr<FaultEnv> env_;
};

}  // namespace
}  // namespace stash::test

STASH_INSTANTIATE_CONFORMANCE(FaultEnvDurable, [] {
  return std::make_unique<stash::test::FaultEnvHarness>();
});
