// SqliteStash: each operation is one transaction of a few prepared statements.
// Writes and per-key reads consolidate in SQL (see schema.cc for the tables
// and exact_diff_sql.h for how diffs are summed exactly); whole-collection
// reads are one ordered scan consolidated in C++ (ordered_scan.h). The
// frontier checks are the shared ones of rules.h, so errors match
// MemoryStash's exactly.
#include <map>
#include <utility>

#include "ordered_scan.h"
#include "sqlite_stash_impl.h"
#include "stash/rules.h"

namespace stash {
namespace {

using sqlite::Int128;
using sqlite::PairRows;

// Every read advances times to since and sums equal (key, value, time).
// HAVING drops zero sums; a BLOB sum (out of int64 range) is kept.
constexpr const char* kIterKeySql =
    "SELECT value, max(time, ?2) AS t, stash_sum(diff) AS d FROM data "
    "WHERE collection_id = ?1 AND key = ?3 GROUP BY value, t HAVING d != 0 "
    "ORDER BY value, t";
// The peek of one key sums, per value, the advanced groups at or before the
// peek timestamp ?3; `wide` flags any advanced group (sealed or not) whose sum
// is out of range, because the provided peek fails then (it reads iter first).
constexpr const char* kPeekKeySql =
    "WITH g AS (SELECT value, max(time, ?2) AS t, stash_sum(diff) AS d "
    "           FROM data WHERE collection_id = ?1 AND key = ?4 GROUP BY value, t) "
    "SELECT value, stash_sum(CASE WHEN t <= ?3 THEN d ELSE 0 END) AS s, "
    "       max(typeof(d) = 'blob') AS wide "
    "FROM g GROUP BY value ORDER BY value";

// A peek row: the sealed sum of one value of a key.
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

// Calls emit(time, diff) for each non-zero advanced group of `p`, in time
// order; the first group is at since.
template <typename Emit>
Status for_each_group(const PairRows& p, Timestamp since, Emit emit) {
  if (p.any_at_since && p.at_since != 0) {
    if (auto ok = emit(since, p.at_since); !ok) return ok;
  }
  for (const auto& [time, diff] : p.later) {
    if (diff == 0) continue;  // not stored (rows never hold 0), but harmless
    if (auto ok = emit(time, diff); !ok) return ok;
  }
  return {};
}

// The peek of one pair: the sum of its advanced groups at or before `ts`.
// nullopt (out of range) if that sum, or any advanced group, sealed or not,
// does not fit in int64: the provided peek reads iter first, which fails.
std::optional<Int128> peek_sum(const PairRows& p, Timestamp since, Timestamp ts) {
  Int128 sum = 0;
  bool wide = false;
  auto add = [&](Timestamp t, Int128 d) -> Status {
    if (!sqlite::fits_int64(d)) wide = true;
    if (t <= ts) sum += d;
    return {};
  };
  (void)for_each_group(p, since, add);
  if (wide || !sqlite::fits_int64(sum)) return std::nullopt;
  return sum;
}

// The ordered scan of collection `c`, read as of `since`, one call of
// `visit` per (key, value) pair; see ordered_scan.h.
Status scan_collection(SqliteStash::Impl& impl, CollectionHandle c, Timestamp since,
                       const sqlite::PairVisitor& visit) {
  auto s = impl.statement(sqlite::kScanSql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, c.id);
  return sqlite::scan_pairs(*s, since, visit);
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

Status SqliteStash::Impl::run(const char* sql) {
  auto s = statement(sql);
  if (!s) return std::unexpected(s.error());
  return s->run(sql);
}

void SqliteStash::Impl::rollback() {
  if (sqlite3_get_autocommit(db())) return;  // SQLite already rolled back
  if (auto ok = run("ROLLBACK"); !ok) {
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

// Adds each update to the exact sum at its (key, value, time); a sum that
// reaches zero is deleted, so rows never hold 0. Most updates land on a new
// (key, value, time): a plain insert, no RETURNING, no function call. Only
// one whose row exists (the insert did nothing) takes add_to_existing.
Status SqliteStash::Impl::add_all(CollectionHandle c, std::span<const Update> entries) {
  auto insert = statement(
      "INSERT INTO data(collection_id, key, value, time, diff) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT DO NOTHING");
  if (!insert) return std::unexpected(insert.error());
  for (const Update& u : entries) {
    if (u.diff == 0) continue;  // adds nothing (and a new row must not hold 0)
    insert->reset().bind(1, c.id).bind(2, u.key).bind(3, u.value).bind(4, u.time).bind(5, u.diff);
    if (auto ok = insert->run("update"); !ok) return ok;
    if (sqlite3_changes(db()) == 1) continue;  // inserted
    if (auto ok = add_to_existing(c, u); !ok) return ok;
  }
  return {};
}

Status SqliteStash::Impl::add_to_existing(CollectionHandle c, const Update& u) {
  auto add = statement(
      "UPDATE data SET diff = stash_add(diff, ?5) "
      "WHERE collection_id = ?1 AND key = ?2 AND value = ?3 AND time = ?4 RETURNING diff");
  if (!add) return std::unexpected(add.error());
  add->bind(1, c.id).bind(2, u.key).bind(3, u.value).bind(4, u.time).bind(5, u.diff);
  auto row = add->step("update");
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(ErrorCode::kInternal, "sqlite: update: conflicting row not found");
  const bool zero = diff_column(*add, 0) == Diff{0};
  if (auto ok = add->run("update"); !ok) return ok;
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
    const Timestamp since = *f->since.element();
    std::vector<Update> out;
    auto visit = [&](const PairRows& p) -> Status {
      return for_each_group(p, since, [&](Timestamp t, Int128 d) -> Status {
        if (!sqlite::fits_int64(d)) return std::unexpected(rules::diff_out_of_range(c));
        out.push_back({p.key, p.value, t, static_cast<Diff>(d)});
        return {};
      });
    };
    if (auto ok = scan_collection(*impl_, c, since, visit); !ok) {
      return std::unexpected(ok.error());
    }
    return out;
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
    return impl_->add_all(c, entries);
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

Result<std::vector<NamedCollection>> SqliteStash::collections() {
  return impl_->read([&]() -> Result<std::vector<NamedCollection>> {
    // TEXT compares with the BINARY collation (memcmp, then length): the
    // unsigned byte order of names.
    auto s = impl_->statement("SELECT name, id FROM collections ORDER BY name");
    if (!s) return std::unexpected(s.error());
    std::vector<NamedCollection> out;
    while (true) {
      auto row = s->step("list collections");
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      out.push_back({s->column_bytes(0), CollectionHandle{s->column_int(1)}});
    }
    return out;
  });
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
      if (auto ok = impl_->add_all(c, batch.entries); !ok) return ok;
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

// Runs kPeekKeySql for `key` and collects its rows.
Result<std::vector<PeekRow>> peek_key_rows(SqliteStash::Impl& impl, CollectionHandle c,
                                           const Bytes& key) {
  auto f = impl.frontiers(c);
  if (!f) return std::unexpected(f.error());
  auto ts = rules::peek_timestamp(c, f->since, f->upper);
  if (!ts) return std::unexpected(ts.error());
  auto s = impl.statement(kPeekKeySql);
  if (!s) return std::unexpected(s.error());
  // upper > since, so since is finite here.
  s->bind(1, c.id).bind(2, f->since).bind(3, *ts).bind(4, key);
  std::vector<PeekRow> rows;
  for (;;) {
    auto row = s->step("peek");
    if (!row) return std::unexpected(row.error());
    if (!*row) return rows;
    rows.push_back({key, s->column_bytes(0), diff_column(*s, 1), s->column_int(2) != 0});
  }
}

// Scans collection `c` for a peek, calling emit(pair, sum) for each pair
// with a non-zero sealed sum; kOutOfRange as soon as a pair's sum or any of
// its advanced groups does not fit in int64.
template <typename Emit>
Status scan_peek(SqliteStash::Impl& impl, CollectionHandle c, Emit emit) {
  auto f = impl.frontiers(c);
  if (!f) return std::unexpected(f.error());
  auto ts = rules::peek_timestamp(c, f->since, f->upper);
  if (!ts) return std::unexpected(ts.error());
  const Timestamp since = *f->since.element();  // upper > since: finite
  auto visit = [&](const PairRows& p) -> Status {
    auto sum = peek_sum(p, since, *ts);
    if (!sum) return std::unexpected(rules::diff_out_of_range(c));
    if (*sum != 0) emit(p, static_cast<Diff>(*sum));
    return {};
  };
  return scan_collection(impl, c, since, visit);
}

}  // namespace

Result<std::vector<PeekEntry>> SqliteStash::peek(CollectionHandle c) {
  return impl_->read([&]() -> Result<std::vector<PeekEntry>> {
    std::vector<PeekEntry> out;
    auto emit = [&](const PairRows& p, Diff sum) { out.push_back({p.key, p.value, sum}); };
    if (auto ok = scan_peek(*impl_, c, emit); !ok) return std::unexpected(ok.error());
    return out;
  });
}

Result<std::map<Bytes, Bytes>> SqliteStash::peek_one(CollectionHandle c) {
  // As the provided peek_one: peek first (an out-of-range sum anywhere wins),
  // then, entry by entry, a sum other than 1 or a repeated key fails.
  return impl_->read([&]() -> Result<std::map<Bytes, Bytes>> {
    std::map<Bytes, Bytes> out;
    std::optional<Error> first_error;
    auto emit = [&](const PairRows& p, Diff sum) {
      if (first_error) return;
      if (sum != 1) {
        first_error = rules::unexpected_peek_multiplicity(c);
      } else if (!out.empty() && std::prev(out.end())->first == p.key) {
        first_error = rules::duplicate_peek_keys(c);
      } else {
        out.emplace_hint(out.end(), p.key, p.value);  // keys arrive in order
      }
    };
    if (auto ok = scan_peek(*impl_, c, emit); !ok) return std::unexpected(ok.error());
    if (first_error) return std::unexpected(*first_error);
    return out;
  });
}

Result<std::optional<Bytes>> SqliteStash::peek_key_one(CollectionHandle c, const Bytes& key) {
  return impl_->read([&]() -> Result<std::optional<Bytes>> {
    auto rows = peek_key_rows(*impl_, c, key);
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
