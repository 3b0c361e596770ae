// The typed layer: a collection whose keys and values are C++ values.
//
// Collection<K, V> is a thin façade over a Stash and one CollectionHandle. It
// encodes keys and values with the order-preserving codecs of codec.h, so the
// stash's byte order is K's and V's order: iter sorts by (key, value, time)
// in the types' own order, and peek_one's std::map<K, V> is built in order.
//
// Each method has the contract of the Stash method of the same name, plus one
// error: kCorruption if stored bytes do not decode as K or V (a collection
// written with other types, or damaged data). Nothing is changed by a read
// that finds it.
//
// The batch operations (seal_batch, compact_batch, consolidate_batch, append)
// may span collections of different types, so they stay on the Stash: pass
// handle(), and build typed append batches with append_batch().
//
// As in the original stash, it is the caller's job to use one K and V per
// collection name for the lifetime of the stash.
#ifndef STASH_COLLECTION_H_
#define STASH_COLLECTION_H_

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stash/codec.h"
#include "stash/error.h"
#include "stash/frontier.h"
#include "stash/stash.h"
#include "stash/update.h"

namespace stash {

// One typed update ((key, value), time, diff); Update's typed twin.
template <Encodable K, Encodable V>
struct TypedUpdate {
  K key;
  V value;
  Timestamp time = 0;
  Diff diff = 0;
  friend bool operator==(const TypedUpdate&, const TypedUpdate&) = default;
  friend auto operator<=>(const TypedUpdate&, const TypedUpdate&) = default;
};

// One typed update of a single key, as iter_key returns it; ValueUpdate's twin.
template <Encodable V>
struct TypedValueUpdate {
  V value;
  Timestamp time = 0;
  Diff diff = 0;
  friend bool operator==(const TypedValueUpdate&, const TypedValueUpdate&) = default;
  friend auto operator<=>(const TypedValueUpdate&, const TypedValueUpdate&) = default;
};

// One typed (key, value) with its multiplicity at the peek timestamp;
// PeekEntry's twin.
template <Encodable K, Encodable V>
struct TypedPeekEntry {
  K key;
  V value;
  Diff diff = 0;
  friend bool operator==(const TypedPeekEntry&, const TypedPeekEntry&) = default;
  friend auto operator<=>(const TypedPeekEntry&, const TypedPeekEntry&) = default;
};

// A cheap, copyable handle: it does not own the Stash, which must outlive it.
// Methods are const because they change the stored collection, not the handle.
template <Encodable K, Encodable V>
class Collection {
 public:
  // Loads or creates the collection named `name`, as Stash::collection.
  static Result<Collection> open(Stash& stash, std::string_view name) {
    auto handle = stash.collection(name);
    if (!handle) return std::unexpected(std::move(handle.error()));
    return Collection(stash, *handle);
  }

  // A typed view of a collection `stash` has already opened.
  Collection(Stash& stash, CollectionHandle handle) : stash_(&stash), handle_(handle) {}

  // The byte-level handle, for the Stash's batch operations.
  CollectionHandle handle() const { return handle_; }

  // As Stash::iter, decoded. Errors: as Stash::iter; kCorruption.
  Result<std::vector<TypedUpdate<K, V>>> iter() const {
    auto updates = stash_->iter(handle_);
    if (!updates) return std::unexpected(std::move(updates.error()));
    std::vector<TypedUpdate<K, V>> out;
    out.reserve(updates->size());
    for (const Update& u : *updates) {
      auto entry = decode_entry(u.key, u.value);
      if (!entry) return std::unexpected(std::move(entry.error()));
      out.push_back({std::move(entry->first), std::move(entry->second), u.time, u.diff});
    }
    return out;
  }

  // As Stash::iter_key, decoded. Errors: as Stash::iter_key; kCorruption.
  Result<std::vector<TypedValueUpdate<V>>> iter_key(const K& key) const {
    auto updates = stash_->iter_key(handle_, stash::encode(key));
    if (!updates) return std::unexpected(std::move(updates.error()));
    std::vector<TypedValueUpdate<V>> out;
    out.reserve(updates->size());
    for (const ValueUpdate& u : *updates) {
      auto value = decode_part<V>(u.value, "value");
      if (!value) return std::unexpected(std::move(value.error()));
      out.push_back({std::move(*value), u.time, u.diff});
    }
    return out;
  }

  // As Stash::update_many (atomic; durable on ok).
  Status update_many(std::span<const TypedUpdate<K, V>> entries) const {
    return stash_->update_many(handle_, encode_all(entries));
  }

  // As Stash::update.
  Status update(const K& key, const V& value, Timestamp time, Diff diff) const {
    return stash_->update(handle_, stash::encode(key), stash::encode(value), time, diff);
  }

  // As Stash::seal.
  Status seal(Frontier new_upper) const { return stash_->seal(handle_, new_upper); }

  // As Stash::compact.
  Status compact(Frontier new_since) const { return stash_->compact(handle_, new_since); }

  // As Stash::consolidate.
  Status consolidate() const { return stash_->consolidate(handle_); }

  // As Stash::since.
  Result<Frontier> since() const { return stash_->since(handle_); }

  // As Stash::upper.
  Result<Frontier> upper() const { return stash_->upper(handle_); }

  // As Stash::peek_timestamp.
  Result<Timestamp> peek_timestamp() const { return stash_->peek_timestamp(handle_); }

  // As Stash::peek, decoded. Errors: as Stash::peek; kCorruption.
  Result<std::vector<TypedPeekEntry<K, V>>> peek() const {
    auto entries = stash_->peek(handle_);
    if (!entries) return std::unexpected(std::move(entries.error()));
    std::vector<TypedPeekEntry<K, V>> out;
    out.reserve(entries->size());
    for (const PeekEntry& e : *entries) {
      auto entry = decode_entry(e.key, e.value);
      if (!entry) return std::unexpected(std::move(entry.error()));
      out.push_back({std::move(entry->first), std::move(entry->second), e.diff});
    }
    return out;
  }

  // As Stash::peek_one, decoded. Errors: as Stash::peek_one; kCorruption.
  Result<std::map<K, V>> peek_one() const {
    auto entries = stash_->peek_one(handle_);
    if (!entries) return std::unexpected(std::move(entries.error()));
    std::map<K, V> out;
    for (const auto& [key, value] : *entries) {
      auto entry = decode_entry(key, value);
      if (!entry) return std::unexpected(std::move(entry.error()));
      // Byte order is K's order, so each key goes at the end.
      out.emplace_hint(out.end(), std::move(entry->first), std::move(entry->second));
    }
    return out;
  }

  // As Stash::peek_key_one, decoded. Errors: as Stash::peek_key_one;
  // kCorruption.
  Result<std::optional<V>> peek_key_one(const K& key) const {
    auto found = stash_->peek_key_one(handle_, stash::encode(key));
    if (!found) return std::unexpected(std::move(found.error()));
    if (!found->has_value()) return std::optional<V>();
    auto value = decode_part<V>(**found, "value");
    if (!value) return std::unexpected(std::move(value.error()));
    return std::optional<V>(std::move(*value));
  }

  // An AppendBatch for this collection with `entries` encoded, to pass to
  // Stash::append together with batches of other collections.
  AppendBatch append_batch(Frontier lower, Frontier upper, std::optional<Frontier> since,
                           std::span<const TypedUpdate<K, V>> entries) const {
    return AppendBatch{handle_, lower, upper, since, encode_all(entries)};
  }

 private:
  static std::vector<Update> encode_all(std::span<const TypedUpdate<K, V>> entries) {
    std::vector<Update> out;
    out.reserve(entries.size());
    for (const TypedUpdate<K, V>& e : entries) {
      out.push_back({stash::encode(e.key), stash::encode(e.value), e.time, e.diff});
    }
    return out;
  }

  // decode<T>, with the collection and the part ("key", "value") named in the
  // message so that a corrupt row can be found.
  template <Encodable T>
  Result<T> decode_part(const Bytes& bytes, std::string_view part) const {
    auto value = stash::decode<T>(bytes);
    if (value) return value;
    return fail(value.error().code(), "collection " + std::to_string(handle_.id) +
                                          ": undecodable " + std::string(part) + ": " +
                                          value.error().message());
  }

  Result<std::pair<K, V>> decode_entry(const Bytes& key, const Bytes& value) const {
    auto k = decode_part<K>(key, "key");
    if (!k) return std::unexpected(std::move(k.error()));
    auto v = decode_part<V>(value, "value");
    if (!v) return std::unexpected(std::move(v.error()));
    return std::pair<K, V>(std::move(*k), std::move(*v));
  }

  Stash* stash_;  // Not owned.
  CollectionHandle handle_;
};

}  // namespace stash

#endif  // STASH_COLLECTION_H_
