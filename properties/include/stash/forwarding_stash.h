// ForwardingStash: a Stash that forwards every call, required and provided, to
// an inner Stash. Subclass it and override only what you mean to change, the
// way LevelDB's EnvWrapper is used to inject faults. Part of the conformance
// kit (stash_conformance) and installed with it, for backend authors who wrap
// a store: to count or gate calls, inject faults, or share one Stash object
// among several owners (the kit's concurrent area hands each thread one over
// the shared store). The kit's self-test (properties/mutants/mutants.h)
// breaks one method per subclass.
//
// Provided operations are forwarded too (not re-derived from the required
// ones), so a backend's own overrides of peek, seal_batch, ... stay in effect.
// A subclass that breaks a required read and wants the provided reads to see
// the breakage calls the Stash:: defaults explicitly.
#ifndef STASH_FORWARDING_STASH_H_
#define STASH_FORWARDING_STASH_H_

#include <memory>

#include "stash/stash.h"

namespace stash {

class ForwardingStash : public Stash {
 public:
  // `inner` may be shared: several ForwardingStash objects over one store
  // stand for several Stash objects opened on it (as the mutants'
  // Mutant::open does). Thread-safe as far as `inner` is.
  explicit ForwardingStash(std::shared_ptr<Stash> inner);
  ~ForwardingStash() override;
  ForwardingStash(const ForwardingStash&) = delete;
  ForwardingStash& operator=(const ForwardingStash&) = delete;

  // Required operations.
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

  // Provided operations.
  Result<Timestamp> peek_timestamp(CollectionHandle c) override;
  Result<std::vector<PeekEntry>> peek(CollectionHandle c) override;
  Result<std::map<Bytes, Bytes>> peek_one(CollectionHandle c) override;
  Result<std::optional<Bytes>> peek_key_one(CollectionHandle c,
                                            const Bytes& key) override;
  Status update(CollectionHandle c, Bytes key, Bytes value, Timestamp time,
                Diff diff) override;
  Status seal_batch(std::span<const FrontierRequest> seals) override;
  Status compact_batch(std::span<const FrontierRequest> compactions) override;
  Status consolidate_batch(std::span<const CollectionHandle> collections) override;
  // Forwarded so that subscriptions wake as the inner stash does. subscribe
  // itself is not: Stash's default follows this object, so that it reads
  // through whatever a subclass broke.
  Status wait_for_change(CollectionHandle c, const Frontier& known_upper,
                         std::chrono::steady_clock::time_point deadline) override;

 protected:
  Stash& inner() { return *inner_; }

 private:
  std::shared_ptr<Stash> inner_;
};

}  // namespace stash

#endif  // STASH_FORWARDING_STASH_H_
