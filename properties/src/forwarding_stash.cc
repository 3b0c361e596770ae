#include "stash/forwarding_stash.h"

#include <utility>

namespace stash {

ForwardingStash::ForwardingStash(std::shared_ptr<Stash> inner)
    : inner_(std::move(inner)) {}
ForwardingStash::~ForwardingStash() = default;

Result<CollectionHandle> ForwardingStash::collection(std::string_view name) {
  return inner_->collection(name);
}

Result<std::vector<NamedCollection>> ForwardingStash::collections() {
  return inner_->collections();
}
Result<std::vector<Update>> ForwardingStash::iter(CollectionHandle c) {
  return inner_->iter(c);
}
Result<std::vector<ValueUpdate>> ForwardingStash::iter_key(CollectionHandle c,
                                                           const Bytes& key) {
  return inner_->iter_key(c, key);
}
Status ForwardingStash::update_many(CollectionHandle c,
                                    std::span<const Update> entries) {
  return inner_->update_many(c, entries);
}
Status ForwardingStash::seal(CollectionHandle c, Frontier new_upper) {
  return inner_->seal(c, new_upper);
}
Status ForwardingStash::compact(CollectionHandle c, Frontier new_since) {
  return inner_->compact(c, new_since);
}
Status ForwardingStash::consolidate(CollectionHandle c) {
  return inner_->consolidate(c);
}
Result<Frontier> ForwardingStash::since(CollectionHandle c) { return inner_->since(c); }
Result<Frontier> ForwardingStash::upper(CollectionHandle c) { return inner_->upper(c); }
Status ForwardingStash::append(std::span<const AppendBatch> batches) {
  return inner_->append(batches);
}

Result<Timestamp> ForwardingStash::peek_timestamp(CollectionHandle c) {
  return inner_->peek_timestamp(c);
}
Result<std::vector<PeekEntry>> ForwardingStash::peek(CollectionHandle c) {
  return inner_->peek(c);
}
Result<std::map<Bytes, Bytes>> ForwardingStash::peek_one(CollectionHandle c) {
  return inner_->peek_one(c);
}
Result<std::optional<Bytes>> ForwardingStash::peek_key_one(CollectionHandle c,
                                                           const Bytes& key) {
  return inner_->peek_key_one(c, key);
}
Status ForwardingStash::update(CollectionHandle c, Bytes key, Bytes value,
                               Timestamp time, Diff diff) {
  return inner_->update(c, std::move(key), std::move(value), time, diff);
}
Status ForwardingStash::seal_batch(std::span<const FrontierRequest> seals) {
  return inner_->seal_batch(seals);
}
Status ForwardingStash::compact_batch(std::span<const FrontierRequest> compactions) {
  return inner_->compact_batch(compactions);
}
Status ForwardingStash::consolidate_batch(std::span<const CollectionHandle> collections) {
  return inner_->consolidate_batch(collections);
}

Status ForwardingStash::wait_for_change(CollectionHandle c, const Frontier& known_upper,
                                        std::chrono::steady_clock::time_point deadline) {
  return inner_->wait_for_change(c, known_upper, deadline);
}

}  // namespace stash
