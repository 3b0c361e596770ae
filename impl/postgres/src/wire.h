// PostgreSQL's binary formats for the few types the backend exchanges, and
// the exact diff sums it reads back as decimal text.
#ifndef STASH_IMPL_POSTGRES_SRC_WIRE_H_
#define STASH_IMPL_POSTGRES_SRC_WIRE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "stash/frontier.h"
#include "stash/postgres_connection.h"
#include "stash/update.h"

namespace stash::postgres::wire {

// A sum of int64 diffs, exact (PostgreSQL's SUM(bigint) is numeric).
__extension__ typedef __int128 WideDiff;

Param int8(std::int64_t v);
Param bytea(std::string bytes);
// A frontier column: {t} is t, {} is NULL.
Param frontier(const Frontier& f);
// One-dimensional arrays for unnest().
Param bytea_array(const std::vector<std::string>& items);
Param int8_array(const std::vector<std::int64_t>& items);
// Frontiers as a BIGINT[] with NULL for {}.
Param frontier_array(const std::vector<Frontier>& items);

// Decoders of binary result cells. A NULL or malformed cell is nullopt.
std::optional<std::int64_t> to_int8(const std::optional<std::string>& cell);
// NULL is {}.
std::optional<Frontier> to_frontier(const std::optional<std::string>& cell);
// A decimal integer as text (CAST(SUM(..) AS TEXT)); nullopt if malformed or
// beyond 128 bits.
std::optional<WideDiff> to_wide(const std::optional<std::string>& cell);

inline bool fits_in_diff(WideDiff d) {
  return d >= INT64_MIN && d <= INT64_MAX;
}

}  // namespace stash::postgres::wire

#endif  // STASH_IMPL_POSTGRES_SRC_WIRE_H_
