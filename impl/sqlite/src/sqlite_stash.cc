// SqliteStash: each operation is one transaction of a few prepared statements.
// Ordering and consolidation happen in SQL (see schema.cc for the tables and
// exact_diff_sql.h for how diffs are summed exactly); the frontier checks are
// the shared ones of rules.h, so errors match MemoryStash's exactly.
#include <map>
#include <utility>

#include "sqlite_stash_impl.h"
#include "stash/rules.h"

namespace stash {
namespace {

// Every read advances times to since and sums equal (key, value, time).
// HAVING drops zero sums; a BLOB sum (out of int64 range) is kept.
constexpr const char* kIterSql =
    "SELECT key, value, max(time, ?2) AS t, stash_sum(diff) AS d FROM data "
    "WHERE collection_id = ?1 GROUP BY key, value, t HAVING d != 0 "
    "ORDER BY key, value, t";
constexpr const char* kIterKeySql =
    "SELECT value, max(time, ?2) AS t, stash_sum(diff) AS d FROM data "
    "WHERE collection_id = ?1 AND key = ?3 GROUP BY value, t HAVING d != 0 "
    "ORDER BY value, t";
// The peek sums, per (key, value), the advanced groups at or before the peek
// timestamp ?3; `wide` flags any advanced group (sealed or not) whose sum is
// out of range, because the provided peek fails then (it reads iter first).
constexpr const char* kPeekSql =
    "WITH g AS (SELECT key, value, max(time, ?2) AS t, stash_sum(diff) AS d "
    "           FROM data WHERE collection_id = ?1 GROUP BY key, value, t) "
    "SELECT key, value, stash_sum(CASE WHEN t <= ?3 THEN d ELSE 0 END) AS s, "
    "       max(typeof(d) = 'blob') AS wide "
    "FROM g GROUP BY key, value ORDER BY key, value";
constexpr const char* kPeekKeySql =
    "WITH g AS (SELECT value, max(time, ?2) AS t, stash_sum(diff) AS d "
    "           FROM data WHERE collection_id = ?1 AND key = ?4 GROUP BY value, t) "
    "SELECT value, stash_sum(CASE WHEN t <= ?3 THEN d ELSE 0 END) AS s, "
    "       max(typeof(d) = 'blob') AS wide "
    "FROM g GROUP BY value ORDER BY value";

// A peek row: the sealed sum of one (key, value), or of one value of a key.
struct PeekRow {
  Bytes key;
  Bytes value;
  std::optional<Diff> sum;  // nullopt: out of int64 range
  bool wide_group = false;  // some advanced group of this pair is out of range
};

std::optional<Diff> diff_column(const sqlite::Statement& s, int i) {
  if (s.column_type(i) != SQLITE_INTEGER) return std::nullopt;
  return s.column_int(i);
}

}  // namespace

// --- Impl: the transaction discipline and shared statements ----------------

Status SqliteStash::Impl::usable(bool write) const {
  if (broken_) return std::unexpected(*broken_);
  if (fenced_) {
    return fail(ErrorCode::kFenced,
                "fenced: a newer writer opened " + path_ + "; this handle cannot be used");
  }
  if (write && options_.read_only) {
    return fail(ErrorCode::kInvalidArgument, "stash " + path_ + " is open read-only");
  }
  return {};
}

Status SqliteStash::Impl::check_fence() {
  if (!token_) return {};  // read-only: never fenced
  auto s = statement("SELECT epoch, nonce FROM fence WHERE id = 0");
  if (!s) return std::unexpected(s.error());
  auto row = s->step("fence");
  if (!row) return std::unexpected(row.error());
  const bool ours = *row && s->column_int(0) == token_->epoch && s->column_bytes(1) == token_->nonce;
  s->reset();
  if (ours) return {};
  fenced_ = true;
  return usable(false);
}

void SqliteStash::Impl::rollback() {
  if (sqlite3_get_autocommit(db())) return;  // SQLite already rolled back
  if (auto ok = sqlite::exec(db(), "ROLLBACK"); !ok) {
    broken_ = Error(ok.error().code(),
                    "stash handle unusable after a failed rollback, reopen it: " +
                        ok.error().message());
  }
}

Result<Frontiers> SqliteStash::Impl::frontiers(CollectionHandle c) {
  auto s = statement("SELECT since, upper FROM collections WHERE id = ?1");
  if (!s) return std::unexpected(s.error());
  auto row = s->bind(1, c.id).step("read frontiers");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::unexpected(rules::unknown_collection(c));
  Frontiers f{s->column_frontier(0), s->column_frontier(1)};
  s->reset();
  return f;
}

Status SqliteStash::Impl::set_upper(CollectionHandle c, const Frontier& upper) {
  auto s = statement("UPDATE collections SET upper = ?2 WHERE id = ?1");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, c.id).bind(2, upper).run("seal");
}

Status SqliteStash::Impl::set_since(CollectionHandle c, const Frontier& since) {
  auto s = statement("UPDATE collections SET since = ?2 WHERE id = ?1");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, c.id).bind(2, since).run("compact");
}

// Adds one update to the exact sum at its (key, value, time); a sum that
// reaches zero is deleted, so rows never hold 0.
Status SqliteStash::Impl::add(CollectionHandle c, const Update& u) {
  auto upsert = statement(
      "INSERT INTO data(collection_id, key, value, time, diff) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT DO UPDATE SET diff = stash_add(diff, excluded.diff) RETURNING diff");
  if (!upsert) return std::unexpected(upsert.error());
  upsert->bind(1, c.id).bind(2, u.key).bind(3, u.value).bind(4, u.time).bind(5, u.diff);
  auto row = upsert->step("update");
  if (!row) return std::unexpected(row.error());
  const bool zero = *row && diff_column(*upsert, 0) == Diff{0};
  if (auto ok = upsert->run("update"); !ok) return ok;
  if (!zero) return {};
  auto erase = statement(
      "DELETE FROM data WHERE collection_id = ?1 AND key = ?2 AND value = ?3 AND time = ?4");
  if (!erase) return std::unexpected(erase.error());
  return erase->bind(1, c.id).bind(2, u.key).bind(3, u.value).bind(4, u.time).run("update");
}

// --- Stash operations ---------------------------------------------------------

SqliteStash::SqliteStash(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStash::~SqliteStash() = default;

Result<CollectionHandle> SqliteStash::collection(std::string_view name) {
  auto find = [&]() -> Result<std::optional<CollectionHandle>> {
    // Inside the transaction, so that a fenced handle reports kFenced first.
    if (auto ok = rules::check_collection_name(name); !ok) return std::unexpected(ok.error());
    auto s = impl_->statement("SELECT id FROM collections WHERE name = ?1");
    if (!s) return std::unexpected(s.error());
    auto row = s->bind_text(1, name).step("collection");
    if (!row) return std::unexpected(row.error());
    std::optional<CollectionHandle> found;
    if (*row) found = CollectionHandle{s->column_int(0)};
    s->reset();
    return found;
  };
  // Most calls find an existing collection: try under the shared lock first.
  auto found = impl_->read(find);
  if (!found) return std::unexpected(found.error());
  if (*found) return **found;
  if (impl_->options().read_only) {
    return fail(ErrorCode::kNotFound, "no collection named \"" + std::string(name) +
                                          "\" in this read-only stash");
  }
  return impl_->write([&]() -> Result<CollectionHandle> {
    auto insert = impl_->statement(
        "INSERT INTO collections(name, since, upper) VALUES (?1, 0, 0) "
        "ON CONFLICT(name) DO NOTHING");
    if (!insert) return std::unexpected(insert.error());
    if (auto ok = insert->bind_text(1, name).run("create collection"); !ok) {
      return std::unexpected(ok.error());
    }
    auto created = find();
    if (!created) return std::unexpected(created.error());
    if (!*created) return fail(ErrorCode::kInternal, "created collection not found");
    return **created;
  });
}

Result<std::vector<Update>> SqliteStash::iter(CollectionHandle c) {
  return impl_->read([&]() -> Result<std::vector<Update>> {
    auto f = impl_->frontiers(c);
    if (!f) return std::unexpected(f.error());
    if (auto ok = rules::check_readable(f->since); !ok) return std::unexpected(ok.error());
    auto s = impl_->statement(kIterSql);
    if (!s) return std::unexpected(s.error());
    s->bind(1, c.id).bind(2, f->since);
    std::vector<Update> out;
    for (;;) {
      auto row = s->step("iter");
      if (!row) return std::unexpected(row.error());
      if (!*row) return out;
      auto diff = diff_column(*s, 3);
      if (!diff) return std::unexpected(rules::diff_out_of_range(c));
      out.push_back({s->column_bytes(0), s->column_bytes(1), s->column_int(2), *diff});
    }
  });
}

Result<std::vector<ValueUpdate>> SqliteStash::iter_key(CollectionHandle c, const Bytes& key) {
  return impl_->read([&]() -> Result<std::vector<ValueUpdate>> {
    auto f = impl_->frontiers(c);
    if (!f) return std::unexpected(f.error());
    if (auto ok = rules::check_readable(f->since); !ok) return std::unexpected(ok.error());
    auto s = impl_->statement(kIterKeySql);
    if (!s) return std::unexpected(s.error());
    s->bind(1, c.id).bind(2, f->since).bind(3, key);
    std::vector<ValueUpdate> out;
    for (;;) {
      auto row = s->step("iter_key");
      if (!row) return std::unexpected(row.error());
      if (!*row) return out;
      auto diff = diff_column(*s, 2);
      if (!diff) return std::unexpected(rules::diff_out_of_range(c));
      out.push_back({s->column_bytes(0), s->column_int(1), *diff});
    }
  });
}

Status SqliteStash::update_many(CollectionHandle c, std::span<const Update> entries) {
  return impl_->write([&]() -> Status {
    auto f = impl_->frontiers(c);
    if (!f) return std::unexpected(f.error());
    // Check every entry before adding any: all or nothing (INV-6).
    for (const Update& u : entries) {
      if (auto ok = rules::check_update_time(u.time, f->upper); !ok) return ok;
    }
    for (const Update& u : entries) {
      if (auto ok = impl_->add(c, u); !ok) return ok;
    }
    return {};
  });
}

Status SqliteStash::seal(CollectionHandle c, Frontier new_upper) {
  const FrontierRequest request{c, new_upper};
  return seal_batch(std::span<const FrontierRequest>(&request, 1));
}

Status SqliteStash::compact(CollectionHandle c, Frontier new_since) {
  const FrontierRequest request{c, new_since};
  return compact_batch(std::span<const FrontierRequest>(&request, 1));
}

Status SqliteStash::consolidate(CollectionHandle c) {
  return consolidate_batch(std::span<const CollectionHandle>(&c, 1));
}

Result<Frontier> SqliteStash::since(CollectionHandle c) {
  return impl_->read([&]() -> Result<Frontier> {
    auto f = impl_->frontiers(c);
    if (!f) return std::unexpected(f.error());
    return f->since;
  });
}

Result<Frontier> SqliteStash::upper(CollectionHandle c) {
  return impl_->read([&]() -> Result<Frontier> {
    auto f = impl_->frontiers(c);
    if (!f) return std::unexpected(f.error());
    return f->upper;
  });
}

Status SqliteStash::append(std::span<const AppendBatch> batches) {
  // Each batch is checked against the frontiers the earlier batches of this
  // transaction left, in MemoryStash's order; any failure rolls back all.
  return impl_->write([&]() -> Status {
    for (const AppendBatch& batch : batches) {
      const CollectionHandle c = batch.collection;
      auto f = impl_->frontiers(c);
      if (!f) return std::unexpected(f.error());
      if (auto ok = rules::check_lower(c, f->upper, batch.lower); !ok) return ok;
      for (const Update& u : batch.entries) {
        if (auto ok = rules::check_update_time(u.time, f->upper); !ok) return ok;
      }
      if (auto ok = rules::check_seal(f->upper, batch.upper); !ok) return ok;
      if (batch.since) {
        if (auto ok = rules::check_compact(f->since, batch.upper, *batch.since); !ok) return ok;
        if (auto ok = impl_->set_since(c, *batch.since); !ok) return ok;
      }
      if (auto ok = impl_->set_upper(c, batch.upper); !ok) return ok;
      for (const Update& u : batch.entries) {
        if (auto ok = impl_->add(c, u); !ok) return ok;
      }
    }
    return {};
  });
}

// --- Provided operations, as single transactions ---------------------------

Result<Timestamp> SqliteStash::peek_timestamp(CollectionHandle c) {
  return impl_->read([&]() -> Result<Timestamp> {
    auto f = impl_->frontiers(c);
    if (!f) return std::unexpected(f.error());
    return rules::peek_timestamp(c, f->since, f->upper);
  });
}

namespace {

// Runs a peek statement (kPeekSql or kPeekKeySql) and collects its rows.
Result<std::vector<PeekRow>> peek_rows(SqliteStash::Impl& impl, CollectionHandle c,
                                       const Bytes* key) {
  auto f = impl.frontiers(c);
  if (!f) return std::unexpected(f.error());
  auto ts = rules::peek_timestamp(c, f->since, f->upper);
  if (!ts) return std::unexpected(ts.error());
  auto s = impl.statement(key ? kPeekKeySql : kPeekSql);
  if (!s) return std::unexpected(s.error());
  // upper > since, so since is finite here.
  s->bind(1, c.id).bind(2, f->since).bind(3, *ts);
  if (key) s->bind(4, *key);
  const int first = key ? 0 : 1;  // kPeekKeySql has no key column
  std::vector<PeekRow> rows;
  for (;;) {
    auto row = s->step("peek");
    if (!row) return std::unexpected(row.error());
    if (!*row) return rows;
    rows.push_back({key ? *key : s->column_bytes(0), s->column_bytes(first),
                    diff_column(*s, first + 1), s->column_int(first + 2) != 0});
  }
}

}  // namespace

Result<std::vector<PeekEntry>> SqliteStash::peek(CollectionHandle c) {
  return impl_->read([&]() -> Result<std::vector<PeekEntry>> {
    auto rows = peek_rows(*impl_, c, nullptr);
    if (!rows) return std::unexpected(rows.error());
    std::vector<PeekEntry> out;
    for (PeekRow& r : *rows) {
      if (r.wide_group || !r.sum) return std::unexpected(rules::diff_out_of_range(c));
      if (*r.sum != 0) out.push_back({std::move(r.key), std::move(r.value), *r.sum});
    }
    return out;
  });
}

Result<std::map<Bytes, Bytes>> SqliteStash::peek_one(CollectionHandle c) {
  auto entries = peek(c);
  if (!entries) return std::unexpected(entries.error());
  std::map<Bytes, Bytes> out;
  for (PeekEntry& e : *entries) {
    if (e.diff != 1) return std::unexpected(rules::unexpected_peek_multiplicity(c));
    if (!out.emplace(std::move(e.key), std::move(e.value)).second) {
      return std::unexpected(rules::duplicate_peek_keys(c));
    }
  }
  return out;
}

Result<std::optional<Bytes>> SqliteStash::peek_key_one(CollectionHandle c, const Bytes& key) {
  return impl_->read([&]() -> Result<std::optional<Bytes>> {
    auto rows = peek_rows(*impl_, c, &key);
    if (!rows) return std::unexpected(rows.error());
    // As the provided peek_key_one: iter_key fails first on any out-of-range
    // group; then, value by value, a sealed sum too wide for int64 is out of
    // range, and one that is not exactly 1, or a second value, is a
    // multiplicity error.
    for (const PeekRow& r : *rows) {
      if (r.wide_group) return std::unexpected(rules::diff_out_of_range(c));
    }
    std::optional<Bytes> found;
    for (PeekRow& r : *rows) {
      if (r.sum == Diff{0}) continue;
      if (!r.sum) return std::unexpected(rules::diff_out_of_range(c));
      if (found || r.sum != Diff{1}) return std::unexpected(rules::multiple_values_unexpected(c));
      found = std::move(r.value);
    }
    return found;
  });
}

Status SqliteStash::seal_batch(std::span<const FrontierRequest> seals) {
  return impl_->write([&]() -> Status {
    for (const FrontierRequest& r : seals) {
      auto f = impl_->frontiers(r.collection);
      if (!f) return std::unexpected(f.error());
      if (auto ok = rules::check_seal(f->upper, r.frontier); !ok) return ok;
      if (auto ok = impl_->set_upper(r.collection, r.frontier); !ok) return ok;
    }
    return {};
  });
}

Status SqliteStash::compact_batch(std::span<const FrontierRequest> compactions) {
  return impl_->write([&]() -> Status {
    for (const FrontierRequest& r : compactions) {
      auto f = impl_->frontiers(r.collection);
      if (!f) return std::unexpected(f.error());
      if (auto ok = rules::check_compact(f->since, f->upper, r.frontier); !ok) return ok;
      if (auto ok = impl_->set_since(r.collection, r.frontier); !ok) return ok;
    }
    return {};
  });
}

namespace {

// Merges the rows before since into since, then drops zero sums at since.
// Each statement visits only rows at or before since (index data_by_time).
Status consolidate_one(SqliteStash::Impl& impl, CollectionHandle c, const Frontier& since) {
  if (since.is_empty()) {
    auto drop = impl.statement("DELETE FROM data WHERE collection_id = ?1");
    if (!drop) return std::unexpected(drop.error());
    return drop->bind(1, c.id).run("consolidate");
  }
  static constexpr const char* kSteps[] = {
      "INSERT INTO data(collection_id, key, value, time, diff) "
      "SELECT collection_id, key, value, ?2, stash_sum(diff) FROM data "
      "WHERE collection_id = ?1 AND time < ?2 GROUP BY key, value "
      "ON CONFLICT DO UPDATE SET diff = stash_add(diff, excluded.diff)",
      "DELETE FROM data WHERE collection_id = ?1 AND time < ?2",
      "DELETE FROM data WHERE collection_id = ?1 AND time = ?2 AND diff = 0",
  };
  for (const char* sql : kSteps) {
    auto s = impl.statement(sql);
    if (!s) return std::unexpected(s.error());
    if (auto ok = s->bind(1, c.id).bind(2, since).run("consolidate"); !ok) return ok;
  }
  return {};
}

}  // namespace

Status SqliteStash::consolidate_batch(std::span<const CollectionHandle> collections) {
  return impl_->write([&]() -> Status {
    for (CollectionHandle c : collections) {
      auto f = impl_->frontiers(c);
      if (!f) return std::unexpected(f.error());
      if (auto ok = consolidate_one(*impl_, c, f->since); !ok) return ok;
    }
    return {};
  });
}

}  // namespace stash
