// The key hash of data rows (format version 3, schema.cc): the index
// data_by_key holds (collection_id, key_hash) and lookups compare the hash,
// then the key's bytes, so a collision costs a row read, never a wrong row.
//
// The client computes it, so that an insert evaluates no expression index
// (computing sha256() in an index expression was a fifth of a one-row
// write's server time). It is the first 8 bytes of the key's SHA-256 read
// as a big-endian two's-complement int64, which SQL computes as
//   CAST(CAST('x' || encode(substr(sha256(key), 1, 8), 'hex') AS bit(64)) AS BIGINT)
// (kKeyHashSql, used when version 2 rows are migrated).
#ifndef STASH_IMPL_POSTGRES_SRC_KEY_HASH_H_
#define STASH_IMPL_POSTGRES_SRC_KEY_HASH_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace stash::postgres {

// SHA-256 (FIPS 180-4) of `bytes`.
std::array<std::uint8_t, 32> sha256(std::string_view bytes);

std::int64_t key_hash(std::string_view key);

// key_hash of the column `key`, in SQL.
inline constexpr const char* kKeyHashSql =
    "CAST(CAST('x' || encode(substr(sha256(key), 1, 8), 'hex') AS bit(64)) AS BIGINT)";

}  // namespace stash::postgres

#endif  // STASH_IMPL_POSTGRES_SRC_KEY_HASH_H_
