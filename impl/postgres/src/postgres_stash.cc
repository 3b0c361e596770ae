// PostgresStash: each operation is one transaction (see
// postgres_stash_impl.h). Sorting and summing happen in SQL (schema.cc); the
// frontier checks are the shared ones of rules.h, so errors match
// MemoryStash's exactly, and the provided operations are computed from the
// same rows the provided implementations would read, in one snapshot.
#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "key_hash.h"
#include "postgres_stash_impl.h"
#include "stash/rules.h"
#include "wire.h"

namespace stash {
namespace {

using postgres::Frontiers;
using postgres::Query;
using postgres::Rows;
using postgres::Txn;
using postgres::WriteSet;
using wire_diff = postgres::wire::WideDiff;
namespace wire = postgres::wire;

Error malformed(std::string_view what) {
  return Error(ErrorCode::kInternal, "postgres: unexpected result shape in " + std::string(what));
}

// The collection's frontiers from a `frontiers` query, or kNotFound.
Result<Frontiers> frontiers_of(const Rows& r, CollectionHandle c) {
  if (r.rows.empty()) return std::unexpected(rules::unknown_collection(c));
  auto since = wire::to_frontier(r.rows[0][0]);
  auto upper = wire::to_frontier(r.rows[0][1]);
  if (!since || !upper) return std::unexpected(malformed("frontiers"));
  return Frontiers{*since, *upper};
}

Query frontiers_query(const postgres::Sql& sql, CollectionHandle c) {
  return {&sql.frontiers, {wire::int8(c.id)}};
}

// One consolidated group of an iter / iter_key query.
struct Group {
  Bytes key;
  Bytes value;
  Timestamp time;
  wire_diff sum;
};

Result<std::vector<Group>> groups_of(const Rows& r) {
  std::vector<Group> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) {
    auto time = wire::to_int8(row[2]);
    auto sum = wire::to_wide(row[3]);
    if (!time || !sum || !row[0] || !row[1]) return std::unexpected(malformed("iter"));
    out.push_back({*row[0], *row[1], *time, *sum});
  }
  return out;
}

// Reads the collection's frontiers and its consolidated groups (all of them,
// or one key's) in one read transaction.
struct Snapshot {
  Frontiers frontiers;
  std::vector<Group> groups;
};

Result<Snapshot> snapshot(PostgresStash::Impl& impl, Txn& txn, CollectionHandle c,
                          const Bytes* key) {
  const postgres::Sql& sql = impl.sql();
  std::vector<Query> queries = {frontiers_query(sql, c)};
  if (key) {
    queries.push_back(
        {&sql.iter_key, {wire::int8(c.id), wire::bytea(*key), wire::int8(postgres::key_hash(*key))}});
  } else {
    queries.push_back({&sql.iter, {wire::int8(c.id)}});
  }
  auto rows = txn.read(std::move(queries));
  if (!rows) return std::unexpected(rows.error());
  auto f = frontiers_of(rows->at(0), c);
  if (!f) return std::unexpected(f.error());
  impl.saw(c, *f);
  auto groups = groups_of(rows->at(1));
  if (!groups) return std::unexpected(groups.error());
  return Snapshot{*f, std::move(*groups)};
}

// The iter rows, as the contract returns them (each sum must fit).
Result<std::vector<Update>> updates_of(std::vector<Group>& groups, CollectionHandle c) {
  std::vector<Update> out;
  out.reserve(groups.size());
  for (Group& g : groups) {
    if (!wire::fits_in_diff(g.sum)) return std::unexpected(rules::diff_out_of_range(c));
    out.push_back({std::move(g.key), std::move(g.value), g.time, static_cast<Diff>(g.sum)});
  }
  return out;
}

// The frontiers of `handles` for a write: every one must exist.
Result<std::map<CollectionHandle, Frontiers>> existing(Txn& txn,
                                                       const std::vector<CollectionHandle>& handles) {
  auto known = txn.frontiers(handles);
  if (!known) return std::unexpected(known.error());
  std::map<CollectionHandle, Frontiers> out;
  for (CollectionHandle c : handles) {
    const auto& f = known->at(c);
    if (!f) return std::unexpected(rules::unknown_collection(c));
    out.emplace(c, *f);
  }
  return out;
}

// The write of new frontiers `planned` (from `stored`): guarded by the stored
// ones, setting the ones that moved.
WriteSet frontier_write(const std::map<CollectionHandle, Frontiers>& stored,
                        const std::map<CollectionHandle, Frontiers>& planned) {
  WriteSet w;
  w.expected = stored;
  for (const auto& [c, f] : planned) {
    const Frontiers& was = stored.at(c);
    if (!(f.since == was.since) || !(f.upper == was.upper)) w.next[c] = f;
  }
  return w;
}

Status done(const Result<std::int64_t>& r) {
  if (!r) return std::unexpected(r.error());
  return {};
}

}  // namespace

PostgresStash::PostgresStash(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PostgresStash::~PostgresStash() = default;

Result<CollectionHandle> PostgresStash::collection(std::string_view name) {
  if (auto ok = rules::check_collection_name(name); !ok) {
    // A fenced handle reports kFenced first, whatever the request: learn
    // whether it is fenced before blaming the name.
    auto fence = impl_->read("collection", [](Txn& txn) -> Status {
      auto rows = txn.read({});
      if (!rows) return std::unexpected(rows.error());
      return {};
    });
    if (!fence) return std::unexpected(fence.error());
    return std::unexpected(ok.error());
  }
  const auto& sql = impl_->sql();
  const Query find{&sql.find_collection, {wire::bytea(std::string(name))}};
  // Most calls find an existing collection: one read round trip, which also
  // caches its frontiers for the writes that follow.
  auto found = impl_->read("collection", [&](Txn& txn) -> Result<std::optional<CollectionHandle>> {
    auto rows = txn.read({find});
    if (!rows) return std::unexpected(rows.error());
    const Rows& r = rows->at(0);
    if (r.rows.empty()) return std::nullopt;
    auto id = wire::to_int8(r.rows[0][0]);
    auto since = wire::to_frontier(r.rows[0][1]);
    auto upper = wire::to_frontier(r.rows[0][2]);
    if (!id || !since || !upper) return std::unexpected(malformed("collection"));
    impl_->saw(CollectionHandle{*id}, {*since, *upper});
    return CollectionHandle{*id};
  });
  if (!found) return std::unexpected(found.error());
  if (*found) return **found;
  if (impl_->options().read_only) {
    return fail(ErrorCode::kNotFound, "no collection named \"" + printable(std::string(name)) +
                                          "\" in this read-only stash");
  }
  auto created = impl_->write("collection", [&](Txn& txn) -> Result<std::int64_t> {
    WriteSet w;
    w.create = std::string(name);
    return txn.write(w);
  });
  if (!created) return std::unexpected(created.error());
  if (*created > 0) return CollectionHandle{*created};
  // The reply was lost but the creation landed: look it up.
  return collection(name);
}

Result<std::vector<Update>> PostgresStash::iter(CollectionHandle c) {
  return impl_->read("iter", [&](Txn& txn) -> Result<std::vector<Update>> {
    auto snap = snapshot(*impl_, txn, c, nullptr);
    if (!snap) return std::unexpected(snap.error());
    if (auto ok = rules::check_readable(snap->frontiers.since); !ok) {
      return std::unexpected(ok.error());
    }
    return updates_of(snap->groups, c);
  });
}

Result<std::vector<ValueUpdate>> PostgresStash::iter_key(CollectionHandle c, const Bytes& key) {
  return impl_->read("iter_key", [&](Txn& txn) -> Result<std::vector<ValueUpdate>> {
    auto snap = snapshot(*impl_, txn, c, &key);
    if (!snap) return std::unexpected(snap.error());
    if (auto ok = rules::check_readable(snap->frontiers.since); !ok) {
      return std::unexpected(ok.error());
    }
    auto updates = updates_of(snap->groups, c);
    if (!updates) return std::unexpected(updates.error());
    std::vector<ValueUpdate> out;
    for (Update& u : *updates) out.push_back({std::move(u.value), u.time, u.diff});
    return out;
  });
}

Status PostgresStash::update_many(CollectionHandle c, std::span<const Update> entries) {
  return impl_->write("update_many", [&](Txn& txn) -> Status {
    auto stored = existing(txn, {c});
    if (!stored) return std::unexpected(stored.error());
    const Frontiers& f = stored->at(c);
    // Check every entry before adding any: all or nothing (INV-6).
    for (const Update& u : entries) {
      if (auto ok = rules::check_update_time(u.time, f.upper); !ok) return ok;
    }
    WriteSet w;
    w.expected = *stored;
    w.add(c, entries);
    return done(txn.write(w));
  });
}

Status PostgresStash::seal(CollectionHandle c, Frontier new_upper) {
  const FrontierRequest request{c, new_upper};
  return seal_batch(std::span<const FrontierRequest>(&request, 1));
}

Status PostgresStash::compact(CollectionHandle c, Frontier new_since) {
  const FrontierRequest request{c, new_since};
  return compact_batch(std::span<const FrontierRequest>(&request, 1));
}

Status PostgresStash::consolidate(CollectionHandle c) {
  return consolidate_batch(std::span<const CollectionHandle>(&c, 1));
}

Result<std::vector<NamedCollection>> PostgresStash::collections() {
  return impl_->read("collections", [&](Txn& txn) -> Result<std::vector<NamedCollection>> {
    auto rows = txn.read({{&impl_->sql().list_collections, {}}});
    if (!rows) return std::unexpected(rows.error());
    std::vector<NamedCollection> out;
    for (const auto& row : rows->at(0).rows) {
      auto id = wire::to_int8(row.at(1));
      if (!row.at(0) || !id) return std::unexpected(malformed("collections"));
      out.push_back({*row[0], CollectionHandle{*id}});
    }
    return out;
  });
}

Result<Frontier> PostgresStash::since(CollectionHandle c) {
  return impl_->read("since", [&](Txn& txn) -> Result<Frontier> {
    auto rows = txn.read({frontiers_query(impl_->sql(), c)});
    if (!rows) return std::unexpected(rows.error());
    auto f = frontiers_of(rows->at(0), c);
    if (!f) return std::unexpected(f.error());
    impl_->saw(c, *f);
    return f->since;
  });
}

Result<Frontier> PostgresStash::upper(CollectionHandle c) {
  return impl_->read("upper", [&](Txn& txn) -> Result<Frontier> {
    auto rows = txn.read({frontiers_query(impl_->sql(), c)});
    if (!rows) return std::unexpected(rows.error());
    auto f = frontiers_of(rows->at(0), c);
    if (!f) return std::unexpected(f.error());
    impl_->saw(c, *f);
    return f->upper;
  });
}

Status PostgresStash::append(std::span<const AppendBatch> batches) {
  std::vector<CollectionHandle> handles;
  for (const AppendBatch& b : batches) handles.push_back(b.collection);
  return impl_->write("append", [&](Txn& txn) -> Status {
    auto known = txn.frontiers(handles);
    if (!known) return std::unexpected(known.error());
    // Check each batch against the frontiers the earlier ones leave, in
    // MemoryStash's order, before writing anything.
    std::map<CollectionHandle, Frontiers> stored, planned;
    WriteSet w;
    for (const AppendBatch& batch : batches) {
      const CollectionHandle c = batch.collection;
      const auto& found = known->at(c);
      if (!found) return std::unexpected(rules::unknown_collection(c));
      stored.emplace(c, *found);
      Frontiers& f = planned.try_emplace(c, *found).first->second;
      if (auto ok = rules::check_append_batch(batch, f.since, f.upper); !ok) return ok;
      w.add(c, batch.entries);
    }
    WriteSet frontiers = frontier_write(stored, planned);
    w.expected = std::move(frontiers.expected);
    w.next = std::move(frontiers.next);
    return done(txn.write(w));
  });
}

// --- Provided operations, as single transactions ---------------------------

Result<Timestamp> PostgresStash::peek_timestamp(CollectionHandle c) {
  return impl_->read("peek_timestamp", [&](Txn& txn) -> Result<Timestamp> {
    auto rows = txn.read({frontiers_query(impl_->sql(), c)});
    if (!rows) return std::unexpected(rows.error());
    auto f = frontiers_of(rows->at(0), c);
    if (!f) return std::unexpected(f.error());
    return rules::peek_timestamp(c, f->since, f->upper);
  });
}

Result<std::vector<PeekEntry>> PostgresStash::peek(CollectionHandle c) {
  return impl_->read("peek", [&](Txn& txn) -> Result<std::vector<PeekEntry>> {
    auto snap = snapshot(*impl_, txn, c, nullptr);
    if (!snap) return std::unexpected(snap.error());
    auto ts = rules::peek_timestamp(c, snap->frontiers.since, snap->frontiers.upper);
    if (!ts) return std::unexpected(ts.error());
    // As the provided peek: iter first (any group out of range fails), then
    // the sealed sums per (key, value), which are sorted and adjacent.
    auto updates = updates_of(snap->groups, c);
    if (!updates) return std::unexpected(updates.error());
    return rules::peek_of(c, *updates, *ts);
  });
}

Result<std::map<Bytes, Bytes>> PostgresStash::peek_one(CollectionHandle c) {
  auto entries = peek(c);
  if (!entries) return std::unexpected(entries.error());
  return rules::peek_one_of(c, std::move(*entries));
}

Result<std::optional<Bytes>> PostgresStash::peek_key_one(CollectionHandle c, const Bytes& key) {
  return impl_->read("peek_key_one", [&](Txn& txn) -> Result<std::optional<Bytes>> {
    auto snap = snapshot(*impl_, txn, c, &key);
    if (!snap) return std::unexpected(snap.error());
    auto ts = rules::peek_timestamp(c, snap->frontiers.since, snap->frontiers.upper);
    if (!ts) return std::unexpected(ts.error());
    auto updates = updates_of(snap->groups, c);  // as iter_key: all must fit
    if (!updates) return std::unexpected(updates.error());
    std::vector<ValueUpdate> of_key;
    for (Update& u : *updates) of_key.push_back({std::move(u.value), u.time, u.diff});
    return rules::peek_key_one_of(c, of_key, *ts);
  });
}

Status PostgresStash::seal_batch(std::span<const FrontierRequest> seals) {
  std::vector<CollectionHandle> handles;
  for (const FrontierRequest& r : seals) handles.push_back(r.collection);
  return impl_->write("seal", [&](Txn& txn) -> Status {
    auto known = txn.frontiers(handles);
    if (!known) return std::unexpected(known.error());
    std::map<CollectionHandle, Frontiers> stored, planned;
    for (const FrontierRequest& r : seals) {
      const auto& found = known->at(r.collection);
      if (!found) return std::unexpected(rules::unknown_collection(r.collection));
      stored.emplace(r.collection, *found);
      Frontiers& f = planned.try_emplace(r.collection, *found).first->second;
      if (auto ok = rules::check_seal(f.upper, r.frontier); !ok) return ok;
      f.upper = r.frontier;
    }
    return done(txn.write(frontier_write(stored, planned)));
  });
}

Status PostgresStash::compact_batch(std::span<const FrontierRequest> compactions) {
  std::vector<CollectionHandle> handles;
  for (const FrontierRequest& r : compactions) handles.push_back(r.collection);
  return impl_->write("compact", [&](Txn& txn) -> Status {
    auto known = txn.frontiers(handles);
    if (!known) return std::unexpected(known.error());
    std::map<CollectionHandle, Frontiers> stored, planned;
    for (const FrontierRequest& r : compactions) {
      const auto& found = known->at(r.collection);
      if (!found) return std::unexpected(rules::unknown_collection(r.collection));
      stored.emplace(r.collection, *found);
      Frontiers& f = planned.try_emplace(r.collection, *found).first->second;
      if (auto ok = rules::check_compact(f.since, f.upper, r.frontier); !ok) return ok;
      f.since = r.frontier;
    }
    return done(txn.write(frontier_write(stored, planned)));
  });
}

Status PostgresStash::consolidate_batch(std::span<const CollectionHandle> collections) {
  std::vector<CollectionHandle> handles(collections.begin(), collections.end());
  return impl_->write("consolidate", [&](Txn& txn) -> Status {
    auto stored = existing(txn, handles);
    if (!stored) return std::unexpected(stored.error());
    WriteSet w;
    w.expected = *stored;
    for (const auto& [c, f] : *stored) w.consolidate.push_back(c.id);
    return done(txn.write(w));
  });
}

}  // namespace stash
