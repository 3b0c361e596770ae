// MemoryStash: the executable specification.
//
// Every operation is written to be checked line by line against docs/spec.md,
// not to be fast. It is also a complete in-process stash, suitable as a test
// double for code that uses the Stash interface.
//
// Data lives only in memory and is lost when the object is destroyed. For a
// MemoryStash that survives restarts (a snapshot and a log in a directory),
// see stash/durable_memory_stash.h (library stash_durable_memory): it keeps
// this class as its model and adds the files beside it, through image() and
// the image constructor, not inside these operations.
// Thread-safe: calls from several threads are serialized by one mutex.
#ifndef STASH_MEMORY_STASH_H_
#define STASH_MEMORY_STASH_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "stash/stash.h"

namespace stash {

// Everything a MemoryStash holds, as plain values: what a snapshot stores
// (durable_memory_stash.h). Collection i (0-based) has handle id i + 1.
struct MemoryStashImage {
  struct Collection {
    std::string name;
    Frontier since;
    Frontier upper;
    // The stored updates, times as written or as consolidate left them.
    // Stored sums are exact (128 bits); a sum outside int64 is spread over
    // several entries with the same (key, value, time).
    std::vector<Update> updates;
    friend bool operator==(const Collection&, const Collection&) = default;
  };
  std::vector<Collection> collections;
  friend bool operator==(const MemoryStashImage&, const MemoryStashImage&) = default;
};

class MemoryStash final : public Stash {
 public:
  MemoryStash();
  // A stash holding exactly `image`. Precondition: the image is one that
  // image() could have returned (unique valid names, since <= upper); the
  // snapshot decoder checks this before calling.
  explicit MemoryStash(const MemoryStashImage& image);
  ~MemoryStash() override;
  MemoryStash(const MemoryStash&) = delete;
  MemoryStash& operator=(const MemoryStash&) = delete;

  // Required operations; see stash.h for each contract.
  Result<CollectionHandle> collection(std::string_view name) override;
  Result<std::vector<NamedCollection>> collections() override;
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

  // A consistent copy of the whole state (taken under the lock).
  MemoryStashImage image();

 private:
  class State;
  std::mutex mutex_;
  std::unique_ptr<State> state_;  // Guarded by mutex_.
};

}  // namespace stash

#endif  // STASH_MEMORY_STASH_H_
