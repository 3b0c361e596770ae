// The key layout (format version 1) of an EtcdStash under its prefix P, and
// the records stored under each key. Every integer is big-endian; every
// byte string is stored raw (keys) or length-prefixed (records).
//
//   key                      value
//   P "layout"               "stash-etcd 1"                    (kLayoutValue)
//   P "fence"                Fence:  epoch:8 nonce:16 txn:8 prev_epoch:8 prev_txn:8
//   P "ids"                  next collection id:8
//   P "n/" NAME              collection id:8
//   P "c/" ID:8              Meta:   since:Frontier upper:Frontier
//   P "l/" ID:8 EPOCH:8 TXN:8 [PART:4]
//                            Chunk:  { keylen:4 key vallen:4 value time:8 diff:8 }*
//   P "b/" ID:8 KEY          Base:   { vallen:4 value diff:16 }*
//   Frontier = 0x00 (the frontier {}) | 0x01 t:8 (the frontier {t})
//
// Since ids are positive and the user bytes (NAME, KEY) follow fixed-width
// parts, etcd's byte order on these keys is the order of (id, NAME) and
// (id, KEY): collections() and the base ranges come back sorted.
//
// A chunk holds the updates of one write call to one collection, as given
// (TXN is the writer's transaction counter, so chunk keys never repeat), or,
// with PART, a piece of such a chunk that consolidate split by key (TXN is
// then the split's own transaction; reads never look at chunk keys). A
// base key holds the consolidated sums (128-bit, exact) of KEY's values at
// or before since; the read advances them to since like every other update.
#ifndef STASH_IMPL_ETCD_SRC_KEY_LAYOUT_H_
#define STASH_IMPL_ETCD_SRC_KEY_LAYOUT_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stash/exact_diff.h"
#include "stash/frontier.h"
#include "stash/update.h"

namespace stash::etcd {

inline constexpr std::string_view kLayoutValue = "stash-etcd 1";

// The smallest key greater than every key starting with `prefix`: the
// range_end of a prefix range. "\0" (etcd: "to the end") if there is none
// (`prefix` empty or all 0xFF).
std::string prefix_end(std::string_view prefix);

// Big-endian 8 bytes.
std::string be64(std::uint64_t v);
std::uint64_t from_be64(std::string_view eight);

class Keys {
 public:
  explicit Keys(std::string prefix) : p_(std::move(prefix)) {}

  const std::string& prefix() const { return p_; }
  std::string layout() const { return p_ + "layout"; }
  std::string fence() const { return p_ + "fence"; }
  std::string ids() const { return p_ + "ids"; }
  std::string name(std::string_view name) const { return names() + std::string(name); }
  std::string names() const { return p_ + "n/"; }  // a prefix
  std::string meta(std::int64_t id) const { return p_ + "c/" + be64(id); }
  std::string log(std::int64_t id) const { return p_ + "l/" + be64(id); }  // a prefix
  std::string chunk(std::int64_t id, std::int64_t epoch, std::int64_t txn) const {
    return log(id) + be64(epoch) + be64(txn);
  }
  // Piece `part` of a chunk that consolidate split, in its transaction `txn`.
  std::string piece(std::int64_t id, std::int64_t epoch, std::int64_t txn, std::uint32_t part) const {
    return chunk(id, epoch, txn) + be64(part).substr(4);
  }
  std::string base(std::int64_t id) const { return p_ + "b/" + be64(id); }  // a prefix
  std::string base(std::int64_t id, std::string_view key) const {
    return base(id) + std::string(key);
  }

  // The NAME of a name key, or the KEY of a base key of collection `id`;
  // nullopt if `etcd_key` is not one.
  std::optional<std::string> name_of(std::string_view etcd_key) const;
  std::optional<Bytes> base_key_of(std::int64_t id, std::string_view etcd_key) const;

 private:
  std::string p_;
};

struct Meta {
  Frontier since;
  Frontier upper;
};

struct Fence {
  std::int64_t epoch = 0;
  std::string nonce;  // 16 bytes
  std::int64_t txn = 0;
  std::int64_t prev_epoch = 0;  // the writer this one fenced, and its last txn
  std::int64_t prev_txn = 0;
};

struct BaseEntry {
  Bytes value;
  ExactDiff diff = 0;
};

std::string encode_meta(const Meta& m);
std::optional<Meta> decode_meta(std::string_view s);
std::string encode_fence(const Fence& f);
std::optional<Fence> decode_fence(std::string_view s);
std::string encode_chunk(std::span<const Update> updates);
void append_chunk(std::string& out, const Update& u);
std::optional<std::vector<Update>> decode_chunk(std::string_view s);
std::string encode_base(std::span<const BaseEntry> entries);
std::optional<std::vector<BaseEntry>> decode_base(std::string_view s);

}  // namespace stash::etcd

#endif  // STASH_IMPL_ETCD_SRC_KEY_LAYOUT_H_
