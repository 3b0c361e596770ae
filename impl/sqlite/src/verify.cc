// SqliteStash::verify: the whole-file check (see the header).
#include "ordered_scan.h"
#include "schema.h"
#include "sqlite_stash_impl.h"

namespace stash {

Status SqliteStash::verify() {
  return impl_->read([&]() -> Status {
    if (auto ok = sqlite::quick_check(impl_->db()); !ok) return ok;
    auto ids = impl_->statement("SELECT id FROM collections ORDER BY id");
    if (!ids) return std::unexpected(ids.error());
    std::vector<std::int64_t> collections;
    for (;;) {
      auto row = ids->step("verify");
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      collections.push_back(ids->column_int(0));
    }
    ids->reset();
    std::int64_t rows = 0;
    for (std::int64_t id : collections) {
      auto row = impl_->load(CollectionHandle{id});
      if (!row) return std::unexpected(row.error());
      auto scan = impl_->statement(sqlite::kScanSql);
      if (!scan) return std::unexpected(scan.error());
      scan->bind(1, id);
      // Every entry as stored; the since does not matter for the checks.
      // Each pair is also looked up by its key, as point reads find it: a
      // damaged interior page can misroute searches while the scan, which
      // follows child pointers only, still sees every row (quick_check does
      // not compare the keys of WITHOUT ROWID B-trees).
      auto ok = sqlite::scan_pairs(*scan, *row, 0, [&](const sqlite::PairRows& p) -> Status {
        auto find = impl_->statement(
            "SELECT 1 FROM data WHERE collection_id = ?1 AND key = ?2 AND value = ?3");
        if (!find) return std::unexpected(find.error());
        auto found = find->bind(1, id).bind(2, p.key).bind(3, p.value).step("verify");
        if (!found) return std::unexpected(found.error());
        if (*found) return {};
        return fail(ErrorCode::kCorruption,
                    "sqlite: a data row of collection #" + std::to_string(id) +
                        " is in the table but not found by key: the B-tree is damaged");
      });
      if (!ok) return ok;
      rows += row->rows;
    }
    auto all = sqlite::query_int(impl_->db(), "SELECT count(*) FROM data");
    if (!all) return std::unexpected(all.error());
    if (*all != rows) {
      return fail(ErrorCode::kCorruption,
                  "sqlite: the data table holds " + std::to_string(*all) +
                      " rows but the collections account for " + std::to_string(rows));
    }
    if (impl_->options().read_only) return {};
    auto fence = sqlite::query_int(impl_->db(), "SELECT count(*) FROM fence");
    if (!fence) return std::unexpected(fence.error());
    if (*fence != 1) return fail(ErrorCode::kCorruption, "sqlite: fence table damaged");
    return {};
  });
}

}  // namespace stash
