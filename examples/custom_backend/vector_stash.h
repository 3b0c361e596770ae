// toy::VectorStash: a backend written outside the stash project, to show how
// a downstream author implements stash::Stash and runs the conformance kit
// against it.
//
// Each collection is a plain vector of every update ever written; reads sort
// and consolidate a copy. Simple and correct, not fast. In memory only.
#ifndef TOY_VECTOR_STASH_H_
#define TOY_VECTOR_STASH_H_

#include <mutex>
#include <string>
#include <vector>

#include "stash/stash.h"

namespace toy {

class VectorStash final : public stash::Stash {
 public:
  using CollectionHandle = stash::CollectionHandle;
  using Frontier = stash::Frontier;
  using Status = stash::Status;
  template <typename T>
  using Result = stash::Result<T>;

  Result<CollectionHandle> collection(std::string_view name) override;
  Result<std::vector<stash::NamedCollection>> collections() override;
  Result<std::vector<stash::Update>> iter(CollectionHandle c) override;
  Result<std::vector<stash::ValueUpdate>> iter_key(CollectionHandle c,
                                                   const stash::Bytes& key) override;
  Status update_many(CollectionHandle c,
                     std::span<const stash::Update> entries) override;
  Status seal(CollectionHandle c, Frontier new_upper) override;
  Status compact(CollectionHandle c, Frontier new_since) override;
  Status consolidate(CollectionHandle c) override;
  Result<Frontier> since(CollectionHandle c) override;
  Result<Frontier> upper(CollectionHandle c) override;
  Status append(std::span<const stash::AppendBatch> batches) override;

 private:
  struct Collection {
    std::string name;
    Frontier since;  // {0}, like upper, for a new collection.
    Frontier upper;
    std::vector<stash::Update> log;  // Every update as written, in write order.
  };

  Result<Collection*> find(CollectionHandle c);  // Requires mutex_.

  std::mutex mutex_;
  std::vector<Collection> collections_;  // Handle id = index + 1. Guarded by mutex_.
};

}  // namespace toy

#endif  // TOY_VECTOR_STASH_H_
