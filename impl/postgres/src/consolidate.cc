// consolidate: physical compaction, invisible to reads. The rows at or before
// since are replaced by one row per (key, value) at since holding their sum
// (several rows when the sum does not fit in one BIGINT), zero sums dropped.
// Work is proportional to the rows at or before since.
#include <algorithm>
#include <limits>

#include "postgres_stash_impl.h"
#include "stash/rules.h"
#include "wire.h"

namespace stash {
namespace {

using postgres::Query;
using postgres::Rows;
using postgres::Txn;
namespace wire = postgres::wire;

// `sum` as BIGINT pieces that add up to it.
std::vector<Diff> pieces(wire::WideDiff sum) {
  std::vector<Diff> out;
  const Diff step = sum < 0 ? std::numeric_limits<Diff>::min() : std::numeric_limits<Diff>::max();
  while (!wire::fits_in_diff(sum)) {
    out.push_back(step);
    sum -= step;
  }
  if (sum != 0) out.push_back(static_cast<Diff>(sum));
  return out;
}

// The rewrite of one collection's rows at or before `since`, or nothing when
// they are consolidated already. Rows of consolidate_groups: key, value,
// sum, count, min(time).
Result<std::vector<Query>> rewrite(const postgres::Sql& sql, CollectionHandle c,
                                   const Frontier& since, const Rows& groups) {
  if (since.is_empty()) return std::vector<Query>{{&sql.delete_all, {wire::int8(c.id)}}};
  const Timestamp at = *since.element();
  bool needed = false;
  std::vector<std::string> keys, values;
  std::vector<std::int64_t> times, diffs;
  for (const auto& row : groups.rows) {
    auto sum = wire::to_wide(row[2]);
    auto count = wire::to_int8(row[3]);
    auto first = wire::to_int8(row[4]);
    if (!row[0] || !row[1] || !sum || !count || !first) {
      return fail(ErrorCode::kInternal, "postgres: unexpected result shape in consolidate");
    }
    const std::vector<Diff> split = pieces(*sum);
    needed = needed || *first < at || static_cast<std::size_t>(*count) != split.size();
    for (Diff d : split) {
      keys.push_back(*row[0]), values.push_back(*row[1]);
      times.push_back(at), diffs.push_back(d);
    }
  }
  if (!needed) return std::vector<Query>{};
  std::vector<Query> out = {{&sql.delete_upto, {wire::int8(c.id), wire::int8(at)}}};
  if (!keys.empty()) {
    out.push_back({&sql.insert, {wire::int8(c.id), wire::bytea_array(keys),
                                 wire::bytea_array(values), wire::int8_array(times),
                                 wire::int8_array(diffs)}});
  }
  return out;
}

}  // namespace

Status PostgresStash::consolidate_batch(std::span<const CollectionHandle> collections) {
  std::vector<CollectionHandle> distinct;
  for (CollectionHandle c : collections) {
    if (std::find(distinct.begin(), distinct.end(), c) == distinct.end()) distinct.push_back(c);
  }
  const postgres::Sql& sql = impl_->sql();
  return impl_->write("consolidate", [&](Txn& txn) -> Status {
    std::vector<Query> reads;
    for (CollectionHandle c : distinct) {
      reads.push_back({&sql.frontiers, {wire::int8(c.id)}});
      reads.push_back({&sql.consolidate_groups, {wire::int8(c.id)}});
    }
    auto rows = txn.first(std::move(reads));
    if (!rows) return std::unexpected(rows.error());
    std::vector<Query> writes;
    for (std::size_t i = 0; i < distinct.size(); ++i) {
      const Rows& f = rows->at(2 * i);
      if (f.rows.empty()) return std::unexpected(rules::unknown_collection(distinct[i]));
      auto since = wire::to_frontier(f.rows[0][0]);
      if (!since) return fail(ErrorCode::kInternal, "postgres: bad since in consolidate");
      auto more = rewrite(sql, distinct[i], *since, rows->at(2 * i + 1));
      if (!more) return std::unexpected(more.error());
      for (Query& q : *more) writes.push_back(std::move(q));
    }
    return txn.commit(std::move(writes));
  });
}

}  // namespace stash
