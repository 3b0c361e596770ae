// What the embedded key-value stores of baselines_lmdb.cc and
// baselines_rocksdb.cc store: one record per update, the key the
// order-preserving encoding of (key, value, time) (codec.h), so that the
// store's own order is iter's order, and the value the diff as 8 bytes.
#ifndef STASH_BENCHMARKS_BASELINES_KV_H_
#define STASH_BENCHMARKS_BASELINES_KV_H_

#include <cstring>
#include <string>
#include <string_view>
#include <tuple>

#include "bench_util.h"
#include "stash/codec.h"

namespace stash::bench::kv {

using Kvt = std::tuple<Bytes, Bytes, Timestamp>;

inline std::string record_key(const Update& u) { return encode(Kvt{u.key, u.value, u.time}); }
inline std::string record_value(const Update& u) {
  return std::string(reinterpret_cast<const char*>(&u.diff), sizeof u.diff);
}
// The update a record stores: what a scan hands back.
inline Update decode_record(std::string_view key, std::string_view value) {
  auto kvt = must(decode<Kvt>(key), "decode record key");
  Diff diff = 0;
  std::memcpy(&diff, value.data(), sizeof diff);
  return {std::move(std::get<0>(kvt)), std::move(std::get<1>(kvt)), std::get<2>(kvt), diff};
}

}  // namespace stash::bench::kv

#endif  // STASH_BENCHMARKS_BASELINES_KV_H_
