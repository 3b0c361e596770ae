// OracleStash: a brute-force Stash that checks the spec (MemoryStash) itself.
//
// It shares no code with MemoryStash or rules.h: it keeps every update ever
// written, in order, and answers every read from scratch by scanning that
// log; it implements the provided operations (peeks, batches) itself rather
// than inheriting stash.cc's. Slow by design; for tests only.
#ifndef STASH_PROPERTIES_SRC_ORACLE_H_
#define STASH_PROPERTIES_SRC_ORACLE_H_

#include <memory>
#include <string>
#include <vector>

#include "stash/stash.h"

namespace stash::conformance::internal {

class OracleStash final : public Stash {
 public:
  Result<CollectionHandle> collection(std::string_view name) override;
  Result<std::vector<NamedCollection>> collections() override;
  Result<std::vector<Update>> iter(CollectionHandle c) override;
  Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c, const Bytes& key) override;
  Status update_many(CollectionHandle c, std::span<const Update> entries) override;
  Status seal(CollectionHandle c, Frontier new_upper) override;
  Status compact(CollectionHandle c, Frontier new_since) override;
  Status consolidate(CollectionHandle c) override;
  Result<Frontier> since(CollectionHandle c) override;
  Result<Frontier> upper(CollectionHandle c) override;
  Status append(std::span<const AppendBatch> batches) override;
  Result<Timestamp> peek_timestamp(CollectionHandle c) override;
  Result<std::vector<PeekEntry>> peek(CollectionHandle c) override;
  Result<std::map<Bytes, Bytes>> peek_one(CollectionHandle c) override;
  Result<std::optional<Bytes>> peek_key_one(CollectionHandle c, const Bytes& key) override;
  Status seal_batch(std::span<const FrontierRequest> seals) override;
  Status compact_batch(std::span<const FrontierRequest> compactions) override;
  Status consolidate_batch(std::span<const CollectionHandle> collections) override;

  struct Coll {
    std::string name;
    Frontier since;
    Frontier upper;
    std::vector<Update> log;  // every update ever written, in order
  };

 private:
  Result<Coll*> find(CollectionHandle c);
  std::vector<Coll> colls_;
};

std::unique_ptr<Stash> make_oracle();

}  // namespace stash::conformance::internal

#endif  // STASH_PROPERTIES_SRC_ORACLE_H_
