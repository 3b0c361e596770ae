// SqliteStash: each operation is one transaction of a few prepared statements
// (writes grouped, see Impl::write). A data row is one (key, value) pair with
// its entries (stored_row.h); reads decode and consolidate them in C++ with
// 128-bit sums, checking every row's checksum. The frontier checks are the
// shared ones of rules.h, so errors match MemoryStash's exactly.
#include <map>
#include <utility>
#include <vector>

#include "checksum.h"
#include "ordered_scan.h"
#include "sqlite_stash_impl.h"
#include "stash/rules.h"
#include "stored_row.h"

namespace stash {
namespace {

using sqlite::Entry;
using sqlite::Int128;
using sqlite::PairRows;

// Calls emit(time, diff) for each non-zero advanced group of `p`, in time
// order; the first group is at since.
template <typename Emit>
Status for_each_group(const PairRows& p, Timestamp since, Emit emit) {
  if (p.any_at_since && p.at_since != 0) {
    if (auto ok = emit(since, p.at_since); !ok) return ok;
  }
  for (const auto& [time, diff] : p.later) {
    if (diff == 0) continue;  // entries are never 0, but harmless
    if (auto ok = emit(time, diff); !ok) return ok;
  }
  return {};
}

// The peek of one pair: the sum of its advanced groups at or before `ts`,
// and whether any advanced group, sealed or not, is out of int64 range (the
// provided peeks read iter first, which fails then).
struct PeekSum {
  Int128 sum = 0;
  bool wide = false;
};
PeekSum peek_sum(const PairRows& p, Timestamp since, Timestamp ts) {
  PeekSum out;
  (void)for_each_group(p, since, [&](Timestamp t, Int128 d) -> Status {
    if (!sqlite::fits_int64(d)) out.wide = true;
    if (t <= ts) out.sum += d;
    return {};
  });
  return out;
}

}  // namespace

namespace {

Error corrupt_collection(std::int64_t id, const std::string& what) {
  return Error(ErrorCode::kCorruption,
               "sqlite: collections row #" + std::to_string(id) + ": " + what);
}

}  // namespace

Result<CollectionRow> read_collection(const sqlite::Statement& s) {
  CollectionRow row;
  row.id = s.column_int(0);
  if (s.column_type(1) != SQLITE_BLOB && s.column_type(1) != SQLITE_NULL) {
    return std::unexpected(corrupt_collection(row.id, "name is not a BLOB"));
  }
  row.name = s.column_bytes(1);
  for (int i : {2, 3}) {
    if (s.column_type(i) != SQLITE_NULL && s.column_type(i) != SQLITE_INTEGER) {
      return std::unexpected(corrupt_collection(row.id, "frontier is not an integer"));
    }
  }
  row.since = s.column_frontier(2);
  row.upper = s.column_frontier(3);
  row.rows = s.column_int(4);
  row.digest = static_cast<std::uint64_t>(s.column_int(5));
  if (s.column_int(6) != collection_crc(row) || s.column_type(6) != SQLITE_INTEGER) {
    return std::unexpected(corrupt_collection(row.id, "checksum mismatch"));
  }
  return row;
}

namespace {

// The ordered scan of collection `row`, read as of `since`; see ordered_scan.h.
template <typename Visit>
Status scan_collection(SqliteStash::Impl& impl, const CollectionRow& row, Timestamp since,
                       Visit&& visit) {
  auto s = impl.statement(sqlite::kScanSql);
  if (!s) return std::unexpected(s.error());
  s->bind(1, row.id);
  return sqlite::scan_pairs(*s, row, since, visit);
}

// The rows of one key, one per value in value order, as PairRows.
Result<std::vector<PairRows>> key_pairs(SqliteStash::Impl& impl, const CollectionRow& row,
                                        const Bytes& key, Timestamp since) {
  auto s = impl.statement(
      "SELECT value, entries FROM data "
      "WHERE collection_id = ?1 AND key = ?2 ORDER BY value");
  if (!s) return std::unexpected(s.error());
  s->bind(1, row.id).bind(2, key);
  std::vector<PairRows> out;
  std::vector<Entry> entries;
  for (;;) {
    auto step = s->step("read key");
    if (!step) return std::unexpected(step.error());
    if (!*step) return out;
    entries.clear();
    std::int64_t crc = 0;
    const std::string_view value = sqlite::column_view(s->raw(), 0);
    if (auto ok = sqlite::decode_row(s->raw(), 1, row.id, key, value, entries, crc, false); !ok) {
      return std::unexpected(ok.error());
    }
    PairRows p;
    p.key = key;
    p.value.assign(value);
    sqlite::advance_pair(entries, since, p);
    out.push_back(std::move(p));
  }
}

}  // namespace

std::int64_t collection_crc(const CollectionRow& row) {
  sqlite::RowChecksum sum;
  sum.add(row.id).add(row.name);
  for (const Frontier* f : {&row.since, &row.upper}) {
    if (f->is_empty()) {
      sum.add_null();
    } else {
      sum.add(*f->element());
    }
  }
  sum.add(row.rows).add(static_cast<std::int64_t>(row.digest));
  return sum.value();
}

std::int64_t fence_crc(std::int64_t epoch, const Bytes& nonce) {
  sqlite::RowChecksum sum;
  sum.add(epoch).add(nonce);
  return sum.value();
}

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
  auto s = statement("SELECT epoch, nonce, crc FROM fence WHERE id = 0");
  if (!s) return std::unexpected(s.error());
  auto row = s->step("fence");
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(ErrorCode::kCorruption, "sqlite: stash file has no fence row");
  const std::int64_t epoch = s->column_int(0);
  const Bytes nonce = s->column_bytes(1);
  if (s->column_int(2) != fence_crc(epoch, nonce)) {
    return fail(ErrorCode::kCorruption, "sqlite: fence row: checksum mismatch");
  }
  s->reset();
  if (epoch == token_->epoch && nonce == token_->nonce) return {};
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

Status SqliteStash::Impl::submit(WriteRequest& request) {
  MutexLock queue(queue_mutex_);
  queue_.push_back(&request);
  while (!request.done && leading_) queue.wait(queue_cv_);
  if (request.done) return request.status;
  // Lead: take every call queued so far (this one included) as one group.
  leading_ = true;
  std::vector<WriteRequest*> group(queue_.begin(), queue_.end());
  queue_.clear();
  queue.unlock();
  run_group(group);
  queue.lock();
  for (WriteRequest* r : group) r->done = true;
  leading_ = false;
  queue.unlock();
  queue_cv_.notify_all();
  return request.status;
}

void SqliteStash::Impl::run_group(std::span<WriteRequest* const> group) {
  MutexLock lock(mutex_);
  auto fail_from = [&](std::size_t first, const Error& e) {
    for (std::size_t i = first; i < group.size(); ++i) group[i]->status = std::unexpected(e);
  };
  if (auto ok = usable(true); !ok) return fail_from(0, ok.error());
  if (auto ok = run("BEGIN IMMEDIATE"); !ok) return fail_from(0, ok.error());
  if (auto ok = check_fence(); !ok) {
    rollback();
    return fail_from(0, ok.error());
  }
  // The transaction ended under us (SQLite rolls back on some I/O errors,
  // or a savepoint step failed): nothing of this group is applied.
  auto lose_group = [&](std::size_t failed, const Error& e) STASH_REQUIRES(mutex_) {
    rollback();
    const Error lost(e.code(), "rolled back with the other calls of its commit group: " +
                                   e.message());
    for (std::size_t i = 0; i < group.size(); ++i) {
      if (i == failed) continue;
      if (i > failed || group[i]->status) group[i]->status = std::unexpected(lost);
    }
  };
  const bool savepoints = group.size() > 1;
  bool any_ok = false;
  for (std::size_t i = 0; i < group.size(); ++i) {
    WriteRequest& r = *group[i];
    if (savepoints) {
      if (auto ok = run("SAVEPOINT call"); !ok) {
        r.status = ok;
        return lose_group(i, ok.error());
      }
    }
    r.status = r.run();
    if (sqlite3_get_autocommit(db())) {
      const Error e = r.status ? Error(ErrorCode::kInternal, "sqlite: transaction ended early")
                               : r.status.error();
      if (r.status) r.status = std::unexpected(e);
      return lose_group(i, e);
    }
    if (!savepoints) break;
    if (r.status) {
      if (auto ok = run("RELEASE call"); !ok) {
        r.status = ok;
        return lose_group(i, ok.error());
      }
      any_ok = true;
    } else {
      Status undone = run("ROLLBACK TO call");
      if (undone) undone = run("RELEASE call");
      if (!undone) return lose_group(i, undone.error());
    }
  }
  if (!savepoints) any_ok = static_cast<bool>(group[0]->status);
  if (!any_ok) return rollback();
  if (auto ok = run("COMMIT"); !ok) {
    rollback();
    for (WriteRequest* r : group) {
      if (r->status) r->status = ok;
    }
  }
}

Result<CollectionRow> SqliteStash::Impl::load(CollectionHandle c) {
  auto s = statement("SELECT id, name, since, upper, rows, digest, crc FROM collections "
                     "WHERE id = ?1");
  if (!s) return std::unexpected(s.error());
  auto row = s->bind(1, c.id).step("read collection");
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::unexpected(rules::unknown_collection(c));
  auto out = read_collection(*s);
  s->reset();
  return out;
}

Status SqliteStash::Impl::store(const CollectionRow& row) {
  auto s = statement(
      "UPDATE collections SET since = ?2, upper = ?3, rows = ?4, digest = ?5, crc = ?6 "
      "WHERE id = ?1");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, row.id)
      .bind(2, row.since)
      .bind(3, row.upper)
      .bind(4, row.rows)
      .bind(5, static_cast<std::int64_t>(row.digest))
      .bind(6, collection_crc(row))
      .run("write collection");
}

// Adds each update to its pair. Most updates land on a new pair: a plain
// insert of a one-entry row, no RETURNING, no function call. Only one whose
// pair exists (the insert did nothing) takes add_to_existing.
Status SqliteStash::Impl::add_all(CollectionRow& row, std::span<const Update> entries) {
  if (entries.empty()) return {};
  if (row.since.is_empty()) {
    // upper >= since = {}: every time was refused before we got here.
    return fail(ErrorCode::kInternal, "sqlite: update of a collection compacted to {}");
  }
  const Timestamp since = *row.since.element();
  auto insert = statement(
      "INSERT INTO data(collection_id, key, value, entries, merge_at) "
      "VALUES (?1, ?2, ?3, ?4, NULL) ON CONFLICT DO NOTHING");
  if (!insert) return std::unexpected(insert.error());
  std::string blob;  // reused: one allocation for the batch
  for (const Update& u : entries) {
    if (u.diff == 0) continue;  // adds nothing (and a new row must not hold 0)
    const std::int64_t crc =
        sqlite::encode_single_entry(row.id, u.key, u.value, u.time, u.diff, blob);
    insert->reset().bind(1, row.id).bind(2, u.key).bind(3, u.value);
    sqlite3_bind_blob64(insert->raw(), 4, blob.data(), blob.size(), SQLITE_STATIC);
    if (auto ok = insert->run("update"); !ok) return ok;
    if (sqlite3_changes(db()) == 1) {
      ++row.rows;
      row.digest += digest_term(crc);
      continue;
    }
    if (auto ok = add_to_existing(row, u, since); !ok) return ok;
  }
  return {};
}

Status SqliteStash::Impl::add_to_existing(CollectionRow& row, const Update& u, Timestamp since) {
  auto get = statement(
      "SELECT entries, merge_at FROM data "
      "WHERE collection_id = ?1 AND key = ?2 AND value = ?3");
  if (!get) return std::unexpected(get.error());
  auto found = get->bind(1, row.id).bind(2, u.key).bind(3, u.value).step("update");
  if (!found) return std::unexpected(found.error());
  if (!*found) return fail(ErrorCode::kInternal, "sqlite: update: conflicting row not found");
  std::vector<Entry> entries;
  std::int64_t old_crc = 0;
  if (auto ok = sqlite::decode_row(get->raw(), 0, row.id, u.key, u.value, entries, old_crc, true);
      !ok) {
    return ok;
  }
  get->reset();
  sqlite::add_entry(entries, u.time, u.diff);
  sqlite::advance_to(entries, since);
  row.digest -= digest_term(old_crc);
  if (entries.empty()) {
    auto erase = statement("DELETE FROM data WHERE collection_id = ?1 AND key = ?2 AND value = ?3");
    if (!erase) return std::unexpected(erase.error());
    --row.rows;
    return erase->bind(1, row.id).bind(2, u.key).bind(3, u.value).run("update");
  }
  const sqlite::RowColumns columns = sqlite::encode_row(row.id, u.key, u.value, entries);
  auto put = statement(
      "UPDATE data SET entries = ?4, merge_at = ?5 "
      "WHERE collection_id = ?1 AND key = ?2 AND value = ?3");
  if (!put) return std::unexpected(put.error());
  put->bind(1, row.id).bind(2, u.key).bind(3, u.value);
  sqlite::bind_row(put->raw(), 4, columns);
  row.digest += digest_term(columns.crc);
  return put->run("update");
}

// --- Stash operations ---------------------------------------------------------

SqliteStash::SqliteStash(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStash::~SqliteStash() = default;

Result<CollectionHandle> SqliteStash::collection(std::string_view name_view) {
  const Bytes name(name_view);
  // The name index finds a collection; if it does not, the table itself is
  // searched, so a damaged index can never make a collection look missing
  // (and a new, empty one be created in its place).
  auto find = [&]() -> Result<std::optional<CollectionHandle>> {
    // Inside the transaction, so that a fenced handle reports kFenced first.
    if (auto ok = rules::check_collection_name(name_view); !ok) {
      return std::unexpected(ok.error());
    }
    auto s = impl_->statement(
        "SELECT id, name, since, upper, rows, digest, crc FROM collections WHERE name = ?1");
    if (!s) return std::unexpected(s.error());
    auto row = s->bind(1, name).step("collection");
    if (!row) return std::unexpected(row.error());
    if (*row) {
      auto found = read_collection(*s);
      if (!found) return std::unexpected(found.error());
      if (found->name != name) {
        return std::unexpected(corrupt_collection(found->id, "name index disagrees with table"));
      }
      return CollectionHandle{found->id};
    }
    auto all = impl_->statement(
        "SELECT id, name, since, upper, rows, digest, crc FROM collections NOT INDEXED");
    if (!all) return std::unexpected(all.error());
    for (;;) {
      auto next = all->step("collection");
      if (!next) return std::unexpected(next.error());
      if (!*next) return std::optional<CollectionHandle>();
      auto found = read_collection(*all);
      if (!found) return std::unexpected(found.error());
      if (found->name == name) {
        return std::unexpected(
            corrupt_collection(found->id, "missing from the name index: the index is damaged"));
      }
    }
  };
  // Most calls find an existing collection: try under the shared lock first.
  auto found = impl_->read(find);
  if (!found) return std::unexpected(found.error());
  if (*found) return **found;
  if (impl_->options().read_only) {
    return fail(ErrorCode::kNotFound, "no collection named \"" + std::string(name_view) +
                                          "\" in this read-only stash");
  }
  return impl_->write([&]() -> Result<CollectionHandle> {
    auto again = find();  // another writer may have created it meanwhile
    if (!again) return std::unexpected(again.error());
    if (*again) return **again;
    auto next = sqlite::query_int(impl_->db(), "SELECT coalesce(max(id), 0) + 1 FROM collections");
    if (!next) return std::unexpected(next.error());
    CollectionRow row;
    row.id = *next;
    row.name = name;
    row.since = Frontier(0);
    row.upper = Frontier(0);
    auto insert = impl_->statement(
        "INSERT INTO collections(id, name, since, upper, rows, digest, crc) "
        "VALUES (?1, ?2, 0, 0, 0, 0, ?3)");
    if (!insert) return std::unexpected(insert.error());
    if (auto ok = insert->bind(1, row.id).bind(2, name).bind(3, collection_crc(row))
                      .run("create collection");
        !ok) {
      return std::unexpected(ok.error());
    }
    return CollectionHandle{row.id};
  });
}

Result<std::vector<Update>> SqliteStash::iter(CollectionHandle c) {
  return impl_->read([&]() -> Result<std::vector<Update>> {
    auto row = impl_->load(c);
    if (!row) return std::unexpected(row.error());
    if (auto ok = rules::check_readable(row->since); !ok) return std::unexpected(ok.error());
    const Timestamp since = *row->since.element();
    std::vector<Update> out;
    out.reserve(static_cast<std::size_t>(std::max<std::int64_t>(row->rows, 0)));
    auto visit = [&](const PairRows& p) -> Status {
      const bool has_since = p.any_at_since && p.at_since != 0;
      const std::size_t groups = (has_since ? 1 : 0) + p.later.size();
      if (groups == 1) {  // the common case: one entry, one copy of the bytes
        const Timestamp t = has_since ? since : p.later.front().first;
        const Int128 d = has_since ? p.at_since : p.later.front().second;
        if (!sqlite::fits_int64(d)) return std::unexpected(rules::diff_out_of_range(c));
        out.push_back({p.key, p.value, t, static_cast<Diff>(d)});
        return {};
      }
      return for_each_group(p, since, [&](Timestamp t, Int128 d) -> Status {
        if (!sqlite::fits_int64(d)) return std::unexpected(rules::diff_out_of_range(c));
        out.push_back({p.key, p.value, t, static_cast<Diff>(d)});
        return {};
      });
    };
    if (auto ok = scan_collection(*impl_, *row, since, visit); !ok) {
      return std::unexpected(ok.error());
    }
    return out;
  });
}

Result<std::vector<ValueUpdate>> SqliteStash::iter_key(CollectionHandle c, const Bytes& key) {
  return impl_->read([&]() -> Result<std::vector<ValueUpdate>> {
    auto row = impl_->load(c);
    if (!row) return std::unexpected(row.error());
    if (auto ok = rules::check_readable(row->since); !ok) return std::unexpected(ok.error());
    const Timestamp since = *row->since.element();
    auto pairs = key_pairs(*impl_, *row, key, since);
    if (!pairs) return std::unexpected(pairs.error());
    std::vector<ValueUpdate> out;
    for (const PairRows& p : *pairs) {
      auto ok = for_each_group(p, since, [&](Timestamp t, Int128 d) -> Status {
        if (!sqlite::fits_int64(d)) return std::unexpected(rules::diff_out_of_range(c));
        out.push_back({p.value, t, static_cast<Diff>(d)});
        return {};
      });
      if (!ok) return std::unexpected(ok.error());
    }
    return out;
  });
}

Status SqliteStash::update_many(CollectionHandle c, std::span<const Update> entries) {
  return impl_->write([&]() -> Status {
    auto row = impl_->load(c);
    if (!row) return std::unexpected(row.error());
    // Check every entry before adding any: all or nothing (INV-6).
    for (const Update& u : entries) {
      if (auto ok = rules::check_update_time(u.time, row->upper); !ok) return ok;
    }
    const std::int64_t rows = row->rows;
    const std::uint64_t digest = row->digest;
    if (auto ok = impl_->add_all(*row, entries); !ok) return ok;
    if (row->rows == rows && row->digest == digest) return {};
    return impl_->store(*row);
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
    auto row = impl_->load(c);
    if (!row) return std::unexpected(row.error());
    return row->since;
  });
}

Result<Frontier> SqliteStash::upper(CollectionHandle c) {
  return impl_->read([&]() -> Result<Frontier> {
    auto row = impl_->load(c);
    if (!row) return std::unexpected(row.error());
    return row->upper;
  });
}

Status SqliteStash::append(std::span<const AppendBatch> batches) {
  // Each batch is checked against the frontiers the earlier batches of this
  // transaction left, in MemoryStash's order; any failure rolls back all.
  return impl_->write([&]() -> Status {
    for (const AppendBatch& batch : batches) {
      const CollectionHandle c = batch.collection;
      auto row = impl_->load(c);
      if (!row) return std::unexpected(row.error());
      Frontier since = row->since;
      Frontier upper = row->upper;
      if (auto ok = rules::check_append_batch(batch, since, upper); !ok) return ok;
      // The entries go in at the frontiers before this batch moves them.
      if (auto ok = impl_->add_all(*row, batch.entries); !ok) return ok;
      if (batch.since) row->since = *batch.since;
      row->upper = batch.upper;
      if (auto ok = impl_->store(*row); !ok) return ok;
    }
    return {};
  });
}

// --- Provided operations, as single transactions ---------------------------

Result<Timestamp> SqliteStash::peek_timestamp(CollectionHandle c) {
  return impl_->read([&]() -> Result<Timestamp> {
    auto row = impl_->load(c);
    if (!row) return std::unexpected(row.error());
    return rules::peek_timestamp(c, row->since, row->upper);
  });
}

namespace {

// Scans collection `c` for a peek, calling emit(pair, sum) for each pair
// with a non-zero sealed sum; kOutOfRange as soon as a pair's sum or any of
// its advanced groups does not fit in int64.
template <typename Emit>
Status scan_peek(SqliteStash::Impl& impl, CollectionHandle c, Emit emit) {
  auto row = impl.load(c);
  if (!row) return std::unexpected(row.error());
  auto ts = rules::peek_timestamp(c, row->since, row->upper);
  if (!ts) return std::unexpected(ts.error());
  const Timestamp since = *row->since.element();  // upper > since: finite
  auto visit = [&](const PairRows& p) -> Status {
    const PeekSum sum = peek_sum(p, since, *ts);
    if (sum.wide || !sqlite::fits_int64(sum.sum)) {
      return std::unexpected(rules::diff_out_of_range(c));
    }
    if (sum.sum != 0) emit(p, static_cast<Diff>(sum.sum));
    return {};
  };
  return scan_collection(impl, *row, since, visit);
}

}  // namespace

Result<std::vector<PeekEntry>> SqliteStash::peek(CollectionHandle c) {
  return impl_->read([&]() -> Result<std::vector<PeekEntry>> {
    std::vector<PeekEntry> out;
    auto emit = [&](const PairRows& p, Diff sum) {
      out.push_back({p.key, p.value, sum});
    };
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
        out.emplace_hint(out.end(), p.key, p.value);  // in order
      }
    };
    if (auto ok = scan_peek(*impl_, c, emit); !ok) return std::unexpected(ok.error());
    if (first_error) return std::unexpected(*first_error);
    return out;
  });
}

Result<std::optional<Bytes>> SqliteStash::peek_key_one(CollectionHandle c, const Bytes& key) {
  return impl_->read([&]() -> Result<std::optional<Bytes>> {
    auto row = impl_->load(c);
    if (!row) return std::unexpected(row.error());
    auto ts = rules::peek_timestamp(c, row->since, row->upper);
    if (!ts) return std::unexpected(ts.error());
    const Timestamp since = *row->since.element();  // upper > since: finite
    auto pairs = key_pairs(*impl_, *row, key, since);
    if (!pairs) return std::unexpected(pairs.error());
    // As the provided peek_key_one: iter_key fails first on any out-of-range
    // group; then, value by value, a sealed sum too wide for int64 is out of
    // range, and one that is not exactly 1, or a second value, is a
    // multiplicity error.
    std::vector<PeekSum> sums;
    for (const PairRows& p : *pairs) {
      sums.push_back(peek_sum(p, since, *ts));
      if (sums.back().wide) return std::unexpected(rules::diff_out_of_range(c));
    }
    std::optional<Bytes> found;
    for (std::size_t i = 0; i < sums.size(); ++i) {
      if (sums[i].sum == 0) continue;
      if (!sqlite::fits_int64(sums[i].sum)) return std::unexpected(rules::diff_out_of_range(c));
      if (found || sums[i].sum != 1) return std::unexpected(rules::multiple_values_unexpected(c));
      found = (*pairs)[i].value;
    }
    return found;
  });
}

Status SqliteStash::seal_batch(std::span<const FrontierRequest> seals) {
  return impl_->write([&]() -> Status {
    for (const FrontierRequest& r : seals) {
      auto row = impl_->load(r.collection);
      if (!row) return std::unexpected(row.error());
      if (auto ok = rules::check_seal(row->upper, r.frontier); !ok) return ok;
      row->upper = r.frontier;
      if (auto ok = impl_->store(*row); !ok) return ok;
    }
    return {};
  });
}

Status SqliteStash::compact_batch(std::span<const FrontierRequest> compactions) {
  return impl_->write([&]() -> Status {
    for (const FrontierRequest& r : compactions) {
      auto row = impl_->load(r.collection);
      if (!row) return std::unexpected(row.error());
      if (auto ok = rules::check_compact(row->since, row->upper, r.frontier); !ok) return ok;
      row->since = r.frontier;
      if (auto ok = impl_->store(*row); !ok) return ok;
    }
    return {};
  });
}

namespace {

// A pair read for consolidation.
struct ToMerge {
  Bytes key;
  Bytes value;
  std::vector<Entry> entries;
  std::int64_t crc = 0;
};

// Merges, in each pair with two or more entries at or before since, those
// entries into one at since (or none, if they sum to 0). Only those pairs are
// visited (index data_to_merge): the work is proportional to them.
Status consolidate_one(SqliteStash::Impl& impl, CollectionRow& row) {
  if (row.since.is_empty()) {
    auto drop = impl.statement("DELETE FROM data WHERE collection_id = ?1");
    if (!drop) return std::unexpected(drop.error());
    if (auto ok = drop->bind(1, row.id).run("consolidate"); !ok) return ok;
    if (row.rows == 0 && row.digest == 0) return {};
    row.rows = 0;
    row.digest = 0;
    return impl.store(row);
  }
  const Timestamp since = *row.since.element();
  auto find = impl.statement(
      "SELECT key, value, entries, merge_at FROM data "
      "WHERE collection_id = ?1 AND merge_at <= ?2");
  if (!find) return std::unexpected(find.error());
  find->bind(1, row.id).bind(2, since);
  std::vector<ToMerge> pairs;
  for (;;) {
    auto next = find->step("consolidate");
    if (!next) return std::unexpected(next.error());
    if (!*next) break;
    ToMerge p;
    p.key.assign(sqlite::column_view(find->raw(), 0));
    p.value.assign(sqlite::column_view(find->raw(), 1));
    if (auto ok = sqlite::decode_row(find->raw(), 2, row.id, p.key, p.value, p.entries, p.crc, true);
        !ok) {
      return ok;
    }
    pairs.push_back(std::move(p));
  }
  find->reset();
  if (pairs.empty()) return {};
  auto erase = impl.statement("DELETE FROM data WHERE collection_id = ?1 AND key = ?2 AND value = ?3");
  auto put = impl.statement(
      "UPDATE data SET entries = ?4, merge_at = ?5 "
      "WHERE collection_id = ?1 AND key = ?2 AND value = ?3");
  if (!erase) return std::unexpected(erase.error());
  if (!put) return std::unexpected(put.error());
  for (ToMerge& p : pairs) {
    sqlite::advance_to(p.entries, since);
    row.digest -= digest_term(p.crc);
    if (p.entries.empty()) {
      --row.rows;
      erase->reset().bind(1, row.id).bind(2, p.key).bind(3, p.value);
      if (auto ok = erase->run("consolidate"); !ok) return ok;
      continue;
    }
    const sqlite::RowColumns columns = sqlite::encode_row(row.id, p.key, p.value, p.entries);
    put->reset().bind(1, row.id).bind(2, p.key).bind(3, p.value);
    sqlite::bind_row(put->raw(), 4, columns);
    row.digest += digest_term(columns.crc);
    if (auto ok = put->run("consolidate"); !ok) return ok;
  }
  return impl.store(row);
}

}  // namespace

Status SqliteStash::consolidate_batch(std::span<const CollectionHandle> collections) {
  return impl_->write([&]() -> Status {
    for (CollectionHandle c : collections) {
      auto row = impl_->load(c);
      if (!row) return std::unexpected(row.error());
      if (auto ok = consolidate_one(*impl_, *row); !ok) return ok;
    }
    return {};
  });
}

}  // namespace stash
