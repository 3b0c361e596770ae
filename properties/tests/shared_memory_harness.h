// Test-only harnesses over MemoryStash that exercise the kit's capability
// paths before real durable backends exist:
//   - reopen() returns a new Stash over the same MemoryStash (durable);
//   - open_another() returns a second one on it (several_handles);
//   - with fencing, each Stash carries the generation it was opened at and
//     fails every call with kFenced once a newer one was opened.
#ifndef STASH_PROPERTIES_TESTS_SHARED_MEMORY_HARNESS_H_
#define STASH_PROPERTIES_TESTS_SHARED_MEMORY_HARNESS_H_

#include <memory>

#include "stash/conformance.h"
#include "stash/memory_stash.h"
#include "stash/mutex.h"

namespace stash::conformance::testing {

// Forwards every required operation to a shared MemoryStash.
class SharedStash final : public Stash {
 public:
  struct Store {
    MemoryStash memory;
    // Held across the fencing check and the call, so that a call from a
    // fenced object cannot land after a newer object was opened.
    Mutex mutex;
    int generation STASH_GUARDED_BY(mutex) = 0;  // of the newest Stash opened on this store
  };

  SharedStash(std::shared_ptr<Store> store, bool fencing)
      : store_(std::move(store)), fencing_(fencing), generation_(next_generation(*store_)) {}

  Result<CollectionHandle> collection(std::string_view name) override {
    MutexLock lock(store_->mutex);
    if (auto ok = check(); !ok) return std::unexpected(ok.error());
    return store_->memory.collection(name);
  }
  Result<std::vector<NamedCollection>> collections() override {
    MutexLock lock(store_->mutex);
    if (auto ok = check(); !ok) return std::unexpected(ok.error());
    return store_->memory.collections();
  }
  Result<std::vector<Update>> iter(CollectionHandle c) override {
    MutexLock lock(store_->mutex);
    if (auto ok = check(); !ok) return std::unexpected(ok.error());
    return store_->memory.iter(c);
  }
  Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c, const Bytes& key) override {
    MutexLock lock(store_->mutex);
    if (auto ok = check(); !ok) return std::unexpected(ok.error());
    return store_->memory.iter_key(c, key);
  }
  Status update_many(CollectionHandle c, std::span<const Update> entries) override {
    MutexLock lock(store_->mutex);
    if (auto ok = check(); !ok) return ok;
    return store_->memory.update_many(c, entries);
  }
  Status seal(CollectionHandle c, Frontier f) override {
    MutexLock lock(store_->mutex);
    if (auto ok = check(); !ok) return ok;
    return store_->memory.seal(c, f);
  }
  Status compact(CollectionHandle c, Frontier f) override {
    MutexLock lock(store_->mutex);
    if (auto ok = check(); !ok) return ok;
    return store_->memory.compact(c, f);
  }
  Status consolidate(CollectionHandle c) override {
    MutexLock lock(store_->mutex);
    if (auto ok = check(); !ok) return ok;
    return store_->memory.consolidate(c);
  }
  Result<Frontier> since(CollectionHandle c) override {
    MutexLock lock(store_->mutex);
    if (auto ok = check(); !ok) return std::unexpected(ok.error());
    return store_->memory.since(c);
  }
  Result<Frontier> upper(CollectionHandle c) override {
    MutexLock lock(store_->mutex);
    if (auto ok = check(); !ok) return std::unexpected(ok.error());
    return store_->memory.upper(c);
  }
  Status append(std::span<const AppendBatch> batches) override {
    MutexLock lock(store_->mutex);
    if (auto ok = check(); !ok) return ok;
    return store_->memory.append(batches);
  }

 private:
  static int next_generation(Store& store) {
    MutexLock lock(store.mutex);
    return ++store.generation;
  }
  Status check() const STASH_REQUIRES(store_->mutex) {
    if (fencing_ && store_->generation != generation_) {
      return fail(ErrorCode::kFenced, "a newer Stash was opened on this store");
    }
    return {};
  }
  std::shared_ptr<Store> store_;
  bool fencing_;
  int generation_;
};

class SharedMemoryHarness : public Harness {
 public:
  explicit SharedMemoryHarness(Capabilities caps) : caps_(caps) {}
  Capabilities capabilities() const override { return caps_; }
  Result<std::unique_ptr<Stash>> open_fresh() override {
    store_ = std::make_shared<SharedStash::Store>();
    return open();
  }
  Result<std::unique_ptr<Stash>> reopen() override { return open(); }
  Result<std::unique_ptr<Stash>> open_another() override { return open(); }

 private:
  Result<std::unique_ptr<Stash>> open() {
    return std::make_unique<SharedStash>(store_, caps_.fencing);
  }
  Capabilities caps_;
  std::shared_ptr<SharedStash::Store> store_;
};

// A plain MemoryStash per store: no capabilities.
class MemoryHarness : public Harness {
 public:
  Capabilities capabilities() const override { return {}; }
  Result<std::unique_ptr<Stash>> open_fresh() override {
    return std::make_unique<MemoryStash>();
  }
};

inline HarnessFactory shared_memory(Capabilities caps) {
  return [caps] { return std::make_unique<SharedMemoryHarness>(caps); };
}

}  // namespace stash::conformance::testing

#endif  // STASH_PROPERTIES_TESTS_SHARED_MEMORY_HARNESS_H_
