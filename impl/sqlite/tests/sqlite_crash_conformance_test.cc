// The conformance kit's crash area against SqliteStash (synchronous FULL),
// through the FaultVfs shim: the harness's crash() cuts the power with torn
// unsynced writes (FaultVfs::LossMode::kTear), then the kit reopens the file
// and checks that every acknowledged call is there and nothing is torn.
//
// The kit may call crash() while another thread is inside a call; FaultVfs
// is not thread-safe, so every Stash the harness hands out goes through a
// gate that crash() closes: the call in flight finishes (acknowledged or
// not, as the kit decides by time), then the power goes.
#include <filesystem>

#include "fault_vfs.h"
#include "stash/conformance_gtest.h"
#include "stash/mutex.h"
#include "stash/sqlite_stash.h"

namespace stash {
namespace {

namespace kit = stash::conformance;

testing::FaultVfs& vfs() {
  static testing::FaultVfs v("stash_kit_crash");
  return v;
}

// Forwards every call under one lock shared with the harness's crash().
class Gated final : public Stash {
 public:
  Gated(std::unique_ptr<Stash> s, std::shared_ptr<Mutex> gate)
      : s_(std::move(s)), gate_(std::move(gate)) {}
#define STASH_GATED(expr) \
  MutexLock lock(*gate_); \
  return expr
  Result<std::vector<NamedCollection>> collections() override { STASH_GATED(s_->collections()); }
  Result<CollectionHandle> collection(std::string_view n) override {
    STASH_GATED(s_->collection(n));
  }
  Result<std::vector<Update>> iter(CollectionHandle c) override { STASH_GATED(s_->iter(c)); }
  Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c, const Bytes& k) override {
    STASH_GATED(s_->iter_key(c, k));
  }
  Status update_many(CollectionHandle c, std::span<const Update> e) override {
    STASH_GATED(s_->update_many(c, e));
  }
  Status seal(CollectionHandle c, Frontier f) override { STASH_GATED(s_->seal(c, f)); }
  Status compact(CollectionHandle c, Frontier f) override { STASH_GATED(s_->compact(c, f)); }
  Status consolidate(CollectionHandle c) override { STASH_GATED(s_->consolidate(c)); }
  Result<Frontier> since(CollectionHandle c) override { STASH_GATED(s_->since(c)); }
  Result<Frontier> upper(CollectionHandle c) override { STASH_GATED(s_->upper(c)); }
  Status append(std::span<const AppendBatch> b) override { STASH_GATED(s_->append(b)); }
  Result<Timestamp> peek_timestamp(CollectionHandle c) override {
    STASH_GATED(s_->peek_timestamp(c));
  }
  Result<std::vector<PeekEntry>> peek(CollectionHandle c) override { STASH_GATED(s_->peek(c)); }
  Result<std::map<Bytes, Bytes>> peek_one(CollectionHandle c) override {
    STASH_GATED(s_->peek_one(c));
  }
  Result<std::optional<Bytes>> peek_key_one(CollectionHandle c, const Bytes& k) override {
    STASH_GATED(s_->peek_key_one(c, k));
  }
  Status update(CollectionHandle c, Bytes k, Bytes v, Timestamp t, Diff d) override {
    STASH_GATED(s_->update(c, std::move(k), std::move(v), t, d));
  }
  Status seal_batch(std::span<const FrontierRequest> r) override {
    STASH_GATED(s_->seal_batch(r));
  }
  Status compact_batch(std::span<const FrontierRequest> r) override {
    STASH_GATED(s_->compact_batch(r));
  }
  Status consolidate_batch(std::span<const CollectionHandle> r) override {
    STASH_GATED(s_->consolidate_batch(r));
  }
#undef STASH_GATED
  ~Gated() override {
    MutexLock lock(*gate_);
    s_.reset();
  }

 private:
  std::unique_ptr<Stash> s_;
  std::shared_ptr<Mutex> gate_;
};

class SqliteCrashHarness final : public kit::Harness {
 public:
  SqliteCrashHarness() {
    dir_ = std::filesystem::temp_directory_path() /
           ("stash-kit-crash-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  ~SqliteCrashHarness() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  kit::Capabilities capabilities() const override {
    return {.durable = true, .several_handles = false, .fencing = false, .crash = true};
  }
  Result<std::unique_ptr<Stash>> open_fresh() override {
    path_ = (dir_ / ("store-" + std::to_string(++stores_) + ".stash")).string();
    vfs().reset(stores_);
    return open();
  }
  Result<std::unique_ptr<Stash>> reopen() override {
    vfs().reset(stores_);  // power back on; no connection is open
    return open();
  }
  Status crash() override {
    MutexLock lock(*gate_);
    vfs().cut_power_now(testing::FaultVfs::LossMode::kTear);
    return {};
  }

 private:
  Result<std::unique_ptr<Stash>> open() {
    SqliteOptions options;
    options.vfs_name = vfs().name();
    auto s = SqliteStash::open(path_, options);
    if (!s) return std::unexpected(s.error());
    return std::unique_ptr<Stash>(std::make_unique<Gated>(std::move(*s), gate_));
  }
  std::filesystem::path dir_;
  std::string path_;
  int stores_ = 0;
  std::shared_ptr<Mutex> gate_ = std::make_shared<Mutex>();
};

TEST(SqliteCrashConformance, AcknowledgedCallsSurvivePowerLossAndNothingIsTorn) {
  kit::RunOptions options;
  options.areas = {kit::Area::kCrash};
  kit::expect_areas_pass(
      {"SqlitePowerLoss", [] { return std::make_unique<SqliteCrashHarness>(); }}, options);
}

}  // namespace
}  // namespace stash
