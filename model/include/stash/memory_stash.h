// MemoryStash: the executable specification.
//
// Every operation is written to be checked line by line against docs/spec.md,
// not to be fast. It is also a complete in-process stash, suitable as a test
// double for code that uses the Stash interface.
//
// Data lives only in memory and is lost when the object is destroyed.
// Thread-safe: calls from several threads are serialized by one mutex.
#ifndef STASH_MEMORY_STASH_H_
#define STASH_MEMORY_STASH_H_

#include <memory>
#include <mutex>

#include "stash/stash.h"

namespace stash {

class MemoryStash final : public Stash {
 public:
  MemoryStash();
  ~MemoryStash() override;
  MemoryStash(const MemoryStash&) = delete;
  MemoryStash& operator=(const MemoryStash&) = delete;

  // Required operations; see stash.h for each contract.
  Result<CollectionHandle> collection(std::string_view name) override;
  Result<std::vector<Update>> iter(CollectionHandle c) override;
  Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c,
                                            const Bytes& key) override;
  Status update_many(CollectionHandle c, std::span<const Update> entries) override;
  Status seal(CollectionHandle c, Frontier new_upper) override;
  Status compact(CollectionHandle c, Frontier new_since) override;
  Status consolidate(CollectionHandle c) override;
  Result<Frontier> since(CollectionHandle c) override;
  Result<Frontier> upper(CollectionHandle c) override;
  Status append(std::span<const AppendBatch> batches) override;

 private:
  class State;
  std::mutex mutex_;
  std::unique_ptr<State> state_;  // Guarded by mutex_.
};

}  // namespace stash

#endif  // STASH_MEMORY_STASH_H_
