// PostgresStash::read_all: every collection's frontiers and contents from
// one read transaction (one snapshot), so an export or backup is a cut
// across collections (stash/consistent_read.h).
#include <map>

#include "postgres_stash_impl.h"
#include "stash/rules.h"
#include "wire.h"

namespace stash {

namespace wire = postgres::wire;

Result<std::vector<CollectionContents>> PostgresStash::read_all() {
  return impl_->read("read_all", [&](postgres::Txn& txn) -> Result<std::vector<CollectionContents>> {
    const postgres::Sql& sql = impl_->sql();
    // Both queries run in the one transaction Txn::read opens (SERIALIZABLE
    // READ ONLY: one snapshot for both), so they see the same writes.
    auto rows = txn.read({{&sql.list_collections_frontiers, {}}, {&sql.iter_all, {}}});
    if (!rows) return std::unexpected(rows.error());
    auto malformed = [] {
      return fail(ErrorCode::kInternal, "postgres: unexpected result shape in read_all");
    };
    std::vector<CollectionContents> out;
    std::map<std::int64_t, std::size_t> at;  // collection id -> index in out
    for (const auto& row : rows->at(0).rows) {
      auto id = wire::to_int8(row.at(1));
      auto since = wire::to_frontier(row.at(2));
      auto upper = wire::to_frontier(row.at(3));
      if (!row.at(0) || !id || !since || !upper) return malformed();
      at[*id] = out.size();
      out.push_back({{*row[0], CollectionHandle{*id}}, *since, *upper, {}});
    }
    for (const auto& row : rows->at(1).rows) {
      auto id = wire::to_int8(row.at(0));
      auto time = wire::to_int8(row.at(3));
      auto sum = wire::to_wide(row.at(4));
      if (!id || !row.at(1) || !row.at(2) || !time || !sum || !at.contains(*id)) return malformed();
      const CollectionHandle c{*id};
      if (!wire::fits_in_diff(*sum)) return std::unexpected(rules::diff_out_of_range(c));
      out[at[*id]].updates.push_back({*row[1], *row[2], *time, static_cast<Diff>(*sum)});
    }
    return out;
  });
}

}  // namespace stash
