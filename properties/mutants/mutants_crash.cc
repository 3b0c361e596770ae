// A durable fake for the kit's crash area, and mutants of it that lose
// acknowledged writes on power loss.
//
// The fake keeps a MemoryStash in memory and a "disk": a journal of the
// calls that changed it, in two parts, synced and not yet synced. Every
// successful write is journalled and synced before it is acknowledged;
// opening the store replays the synced journal; power loss (crash()) drops
// the unsynced part and ignores every write after it until the next open.
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "stash/mutex.h"
#include "mutant_support.h"
#include "mutants.h"
#include "stash/memory_stash.h"

namespace stash::mutants {
namespace {

using Replay = std::function<void(Stash&)>;

class Disk {
 public:
  void write(Replay r) {
    MutexLock lock(mutex_);
    if (!powered_off_) unsynced_.push_back(std::move(r));
  }
  void sync() {
    MutexLock lock(mutex_);
    if (powered_off_) return;
    for (Replay& r : unsynced_) synced_.push_back(std::move(r));
    unsynced_.clear();
  }
  void power_loss() {
    MutexLock lock(mutex_);
    powered_off_ = true;
    unsynced_.clear();
  }
  // Power back on: what the next open finds.
  std::unique_ptr<MemoryStash> recover() {
    MutexLock lock(mutex_);
    powered_off_ = false;
    unsynced_.clear();
    auto m = std::make_unique<MemoryStash>();
    for (const Replay& r : synced_) r(*m);
    return m;
  }

 private:
  Mutex mutex_;
  std::vector<Replay> synced_ STASH_GUARDED_BY(mutex_);
  std::vector<Replay> unsynced_ STASH_GUARDED_BY(mutex_);
  bool powered_off_ STASH_GUARDED_BY(mutex_) = false;
};

// How a fake gets durability wrong.
enum class Bug {
  kNone,
  // Acknowledges a write, then syncs it at the start of the next call.
  kAcknowledgeBeforeSync,
  // Syncs data writes; seal and compact stay unsynced until the next data
  // write syncs them along.
  kFrontierNotSynced,
  // Journals a batch entry by entry and syncs after each: power loss in the
  // middle leaves half a batch.
  kTornBatchOnDisk,
};

class DurableFake : public DerivedStash {
 public:
  DurableFake(std::shared_ptr<Disk> disk, Bug bug)
      : DerivedStash(disk->recover()), disk_(std::move(disk)), bug_(bug) {}

  Result<CollectionHandle> collection(std::string_view name) override {
    catch_up();
    auto h = inner().collection(name);
    if (h) {
      std::string n(name);
      commit([n](Stash& s) { (void)s.collection(n); }, true);
    }
    return h;
  }
  Status update_many(CollectionHandle c, std::span<const Update> entries) override {
    catch_up();
    auto ok = inner().update_many(c, entries);
    if (!ok) return ok;
    if (bug_ == Bug::kTornBatchOnDisk) {
      for (const Update& u : entries) {
        commit([c, u](Stash& s) { (void)s.update_many(c, std::span<const Update>(&u, 1)); },
               true);
        // Each entry pays for its own sync, as on a slow disk.
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      return ok;
    }
    std::vector<Update> copy(entries.begin(), entries.end());
    commit([c, copy](Stash& s) { (void)s.update_many(c, copy); }, true);
    return ok;
  }
  Status seal(CollectionHandle c, Frontier f) override {
    catch_up();
    auto ok = inner().seal(c, f);
    if (ok) commit([c, f](Stash& s) { (void)s.seal(c, f); }, false);
    return ok;
  }
  Status compact(CollectionHandle c, Frontier f) override {
    catch_up();
    auto ok = inner().compact(c, f);
    if (ok) commit([c, f](Stash& s) { (void)s.compact(c, f); }, false);
    return ok;
  }
  Status consolidate(CollectionHandle c) override {
    catch_up();
    auto ok = inner().consolidate(c);
    if (ok) commit([c](Stash& s) { (void)s.consolidate(c); }, true);
    return ok;
  }
  Status append(std::span<const AppendBatch> batches) override {
    catch_up();
    auto ok = inner().append(batches);
    if (!ok) return ok;
    std::vector<AppendBatch> copy(batches.begin(), batches.end());
    commit([copy](Stash& s) { (void)s.append(copy); }, true);
    return ok;
  }

 private:
  // The write is on the disk; whether it is synced before the call returns
  // is where the bugs live.
  void commit(Replay r, bool carries_data) {
    disk_->write(std::move(r));
    if (bug_ == Bug::kAcknowledgeBeforeSync) {
      behind_ = true;
      return;
    }
    if (bug_ == Bug::kFrontierNotSynced && !carries_data) return;
    disk_->sync();
  }
  void catch_up() {
    if (behind_.exchange(false)) disk_->sync();
  }
  std::shared_ptr<Disk> disk_;
  Bug bug_;
  // kAcknowledgeBeforeSync: the last write is not synced. Atomic: the kit's
  // concurrent area calls one object from several threads.
  std::atomic<bool> behind_{false};
};

class FakeStore final : public CrashableStore {
 public:
  explicit FakeStore(Bug bug) : bug_(bug) {}
  std::unique_ptr<Stash> open() override { return std::make_unique<DurableFake>(disk_, bug_); }
  void crash() override { disk_->power_loss(); }

 private:
  std::shared_ptr<Disk> disk_ = std::make_shared<Disk>();
  Bug bug_;
};

DurableMutant fake(std::string name, std::string description, Bug bug) {
  return {std::move(name), std::move(description),
          [bug] { return std::make_shared<FakeStore>(bug); }};
}

}  // namespace

std::vector<DurableMutant> crash_mutants() {
  return {
      fake("acknowledge_before_sync",
           "acknowledges a write and syncs it only at the start of the next call "
           "(INV-7: an acknowledged write survives a crash)",
           Bug::kAcknowledgeBeforeSync),
      fake("frontier_not_synced",
           "syncs the data but not seal / compact: acknowledged frontiers roll back "
           "on power loss",
           Bug::kFrontierNotSynced),
      fake("torn_batch_on_disk",
           "journals a batch entry by entry: power loss mid-call leaves half of it "
           "(nothing unacknowledged may appear half-applied)",
           Bug::kTornBatchOnDisk),
  };
}

DurableMutant correct_durable_fake() {
  return fake("durable_fake", "the control: syncs every write before acknowledging it",
              Bug::kNone);
}

}  // namespace stash::mutants
