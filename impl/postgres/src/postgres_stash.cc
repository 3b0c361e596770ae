// PostgresStash: each operation is one transaction (see
// postgres_stash_impl.h). Sorting and summing happen in SQL (schema.cc); the
// frontier checks are the shared ones of rules.h, so errors match
// MemoryStash's exactly, and the provided operations are computed from the
// same rows the provided implementations would read, in one snapshot.
#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "postgres_stash_impl.h"
#include "stash/rules.h"
#include "wire.h"

namespace stash {
namespace {

using postgres::Query;
using postgres::Rows;
using postgres::Txn;
using wire_diff = postgres::wire::WideDiff;
namespace wire = postgres::wire;

struct Frontiers {
  Frontier since;
  Frontier upper;
};

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
  Bytes key;  // empty for iter_key
  Bytes value;
  Timestamp time;
  wire_diff sum;
};

Result<std::vector<Group>> groups_of(const Rows& r, bool with_key) {
  std::vector<Group> out;
  const std::size_t v = with_key ? 1 : 0;
  for (const auto& row : r.rows) {
    auto time = wire::to_int8(row[v + 1]);
    auto sum = wire::to_wide(row[v + 2]);
    if (!time || !sum || !row[v]) return std::unexpected(malformed("iter"));
    out.push_back({with_key ? row[0].value_or("") : Bytes(), *row[v], *time, *sum});
  }
  return out;
}

// Reads the collection's frontiers and its consolidated groups (all of them,
// or one key's) in one read transaction.
struct Snapshot {
  Frontiers frontiers;
  std::vector<Group> groups;
};

Result<Snapshot> snapshot(Txn& txn, const postgres::Sql& sql, CollectionHandle c,
                          const Bytes* key) {
  std::vector<Query> queries = {frontiers_query(sql, c)};
  if (key) {
    queries.push_back({&sql.iter_key, {wire::int8(c.id), wire::bytea(*key)}});
  } else {
    queries.push_back({&sql.iter, {wire::int8(c.id)}});
  }
  auto rows = txn.first(std::move(queries));
  if (!rows) return std::unexpected(rows.error());
  auto f = frontiers_of(rows->at(0), c);
  if (!f) return std::unexpected(f.error());
  auto groups = groups_of(rows->at(1), true);  // iter_key rows carry the key too
  if (!groups) return std::unexpected(groups.error());
  return Snapshot{*f, std::move(*groups)};
}

// The iter rows, as the contract returns them (each sum must fit).
Result<std::vector<Update>> updates_of(const std::vector<Group>& groups, CollectionHandle c) {
  std::vector<Update> out;
  for (const Group& g : groups) {
    if (!wire::fits_in_diff(g.sum)) return std::unexpected(rules::diff_out_of_range(c));
    out.push_back({g.key, g.value, g.time, static_cast<Diff>(g.sum)});
  }
  return out;
}

// The data rows of `entries` for the insert statement.
Query insert_query(const postgres::Sql& sql, CollectionHandle c,
                   std::span<const Update> entries) {
  std::vector<std::string> keys, values;
  std::vector<std::int64_t> times, diffs;
  for (const Update& u : entries) {
    keys.push_back(u.key), values.push_back(u.value);
    times.push_back(u.time), diffs.push_back(u.diff);
  }
  return {&sql.insert, {wire::int8(c.id), wire::bytea_array(keys), wire::bytea_array(values),
                        wire::int8_array(times), wire::int8_array(diffs)}};
}

Query set_frontiers_query(const postgres::Sql& sql, CollectionHandle c, const Frontiers& f) {
  return {&sql.set_frontiers, {wire::int8(c.id), wire::frontier(f.since), wire::frontier(f.upper)}};
}

// Reads the frontiers of every distinct collection among `handles` in the
// first round trip of a write, keyed by handle.
Result<std::map<CollectionHandle, std::optional<Frontiers>>> read_frontiers(
    Txn& txn, const postgres::Sql& sql, const std::vector<CollectionHandle>& handles) {
  std::vector<CollectionHandle> distinct;
  for (CollectionHandle c : handles) {
    if (std::find(distinct.begin(), distinct.end(), c) == distinct.end()) distinct.push_back(c);
  }
  std::vector<Query> queries;
  for (CollectionHandle c : distinct) queries.push_back(frontiers_query(sql, c));
  auto rows = txn.first(std::move(queries));
  if (!rows) return std::unexpected(rows.error());
  std::map<CollectionHandle, std::optional<Frontiers>> out;
  for (std::size_t i = 0; i < distinct.size(); ++i) {
    auto f = frontiers_of(rows->at(i), distinct[i]);
    if (f) {
      out[distinct[i]] = *f;
    } else if (f.error().code() == ErrorCode::kNotFound) {
      out[distinct[i]] = std::nullopt;
    } else {
      return std::unexpected(f.error());
    }
  }
  return out;
}

}  // namespace

PostgresStash::PostgresStash(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PostgresStash::~PostgresStash() = default;

Result<CollectionHandle> PostgresStash::collection(std::string_view name) {
  if (auto ok = rules::check_collection_name(name); !ok) {
    // A fenced handle reports kFenced first, whatever the request: learn
    // whether it is fenced before blaming the name.
    auto fence = impl_->read("collection", [](Txn& txn) -> Status {
      auto rows = txn.first({});
      if (!rows) return std::unexpected(rows.error());
      return {};
    });
    if (!fence) return std::unexpected(fence.error());
    return std::unexpected(ok.error());
  }
  const auto& sql = impl_->sql();
  const Query find{&sql.find_collection, {wire::bytea(std::string(name))}};
  auto id_of = [](const Rows& r) -> std::optional<CollectionHandle> {
    if (r.rows.empty()) return std::nullopt;
    auto id = wire::to_int8(r.rows[0][0]);
    if (!id) return std::nullopt;
    return CollectionHandle{*id};
  };
  // Most calls find an existing collection: one read round trip.
  auto found = impl_->read("collection", [&](Txn& txn) -> Result<std::optional<CollectionHandle>> {
    auto rows = txn.first({find});
    if (!rows) return std::unexpected(rows.error());
    return id_of(rows->at(0));
  });
  if (!found) return std::unexpected(found.error());
  if (*found) return **found;
  if (impl_->options().read_only) {
    return fail(ErrorCode::kNotFound, "no collection named \"" + std::string(name) +
                                          "\" in this read-only stash");
  }
  return impl_->write("collection", [&](Txn& txn) -> Result<CollectionHandle> {
    auto rows = txn.first({{&sql.create_collection, {wire::bytea(std::string(name))}}, find});
    if (!rows) return std::unexpected(rows.error());
    auto id = id_of(rows->at(1));
    if (!id) return std::unexpected(malformed("collection"));
    if (auto ok = txn.commit({}); !ok) return std::unexpected(ok.error());
    return *id;
  });
}

Result<std::vector<Update>> PostgresStash::iter(CollectionHandle c) {
  return impl_->read("iter", [&](Txn& txn) -> Result<std::vector<Update>> {
    auto snap = snapshot(txn, impl_->sql(), c, nullptr);
    if (!snap) return std::unexpected(snap.error());
    if (auto ok = rules::check_readable(snap->frontiers.since); !ok) {
      return std::unexpected(ok.error());
    }
    return updates_of(snap->groups, c);
  });
}

Result<std::vector<ValueUpdate>> PostgresStash::iter_key(CollectionHandle c, const Bytes& key) {
  return impl_->read("iter_key", [&](Txn& txn) -> Result<std::vector<ValueUpdate>> {
    auto snap = snapshot(txn, impl_->sql(), c, &key);
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
    auto rows = txn.first({frontiers_query(impl_->sql(), c)});
    if (!rows) return std::unexpected(rows.error());
    auto f = frontiers_of(rows->at(0), c);
    if (!f) return std::unexpected(f.error());
    // Check every entry before adding any: all or nothing (INV-6).
    for (const Update& u : entries) {
      if (auto ok = rules::check_update_time(u.time, f->upper); !ok) return ok;
    }
    std::vector<Query> writes;
    if (!entries.empty()) writes.push_back(insert_query(impl_->sql(), c, entries));
    return txn.commit(std::move(writes));
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
    auto rows = txn.first({{&impl_->sql().list_collections, {}}});
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
    auto rows = txn.first({frontiers_query(impl_->sql(), c)});
    if (!rows) return std::unexpected(rows.error());
    auto f = frontiers_of(rows->at(0), c);
    if (!f) return std::unexpected(f.error());
    return f->since;
  });
}

Result<Frontier> PostgresStash::upper(CollectionHandle c) {
  return impl_->read("upper", [&](Txn& txn) -> Result<Frontier> {
    auto rows = txn.first({frontiers_query(impl_->sql(), c)});
    if (!rows) return std::unexpected(rows.error());
    auto f = frontiers_of(rows->at(0), c);
    if (!f) return std::unexpected(f.error());
    return f->upper;
  });
}

Status PostgresStash::append(std::span<const AppendBatch> batches) {
  std::vector<CollectionHandle> handles;
  for (const AppendBatch& b : batches) handles.push_back(b.collection);
  return impl_->write("append", [&](Txn& txn) -> Status {
    auto known = read_frontiers(txn, impl_->sql(), handles);
    if (!known) return std::unexpected(known.error());
    // Check each batch against the frontiers the earlier ones leave, in
    // MemoryStash's order, before writing anything.
    std::map<CollectionHandle, Frontiers> planned;
    std::vector<Query> writes;
    for (const AppendBatch& batch : batches) {
      const CollectionHandle c = batch.collection;
      const auto& stored = known->at(c);
      if (!stored) return std::unexpected(rules::unknown_collection(c));
      auto [it, _] = planned.try_emplace(c, *stored);
      Frontiers& f = it->second;
      if (auto ok = rules::check_lower(c, f.upper, batch.lower); !ok) return ok;
      for (const Update& u : batch.entries) {
        if (auto ok = rules::check_update_time(u.time, f.upper); !ok) return ok;
      }
      if (auto ok = rules::check_seal(f.upper, batch.upper); !ok) return ok;
      f.upper = batch.upper;
      if (batch.since) {
        if (auto ok = rules::check_compact(f.since, f.upper, *batch.since); !ok) return ok;
        f.since = *batch.since;
      }
      if (!batch.entries.empty()) writes.push_back(insert_query(impl_->sql(), c, batch.entries));
    }
    for (const auto& [c, f] : planned) writes.push_back(set_frontiers_query(impl_->sql(), c, f));
    return txn.commit(std::move(writes));
  });
}

// --- Provided operations, as single transactions ---------------------------

Result<Timestamp> PostgresStash::peek_timestamp(CollectionHandle c) {
  return impl_->read("peek_timestamp", [&](Txn& txn) -> Result<Timestamp> {
    auto rows = txn.first({frontiers_query(impl_->sql(), c)});
    if (!rows) return std::unexpected(rows.error());
    auto f = frontiers_of(rows->at(0), c);
    if (!f) return std::unexpected(f.error());
    return rules::peek_timestamp(c, f->since, f->upper);
  });
}

Result<std::vector<PeekEntry>> PostgresStash::peek(CollectionHandle c) {
  return impl_->read("peek", [&](Txn& txn) -> Result<std::vector<PeekEntry>> {
    auto snap = snapshot(txn, impl_->sql(), c, nullptr);
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
    auto snap = snapshot(txn, impl_->sql(), c, &key);
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
    auto known = read_frontiers(txn, impl_->sql(), handles);
    if (!known) return std::unexpected(known.error());
    std::map<CollectionHandle, Frontiers> planned;
    for (const FrontierRequest& r : seals) {
      const auto& stored = known->at(r.collection);
      if (!stored) return std::unexpected(rules::unknown_collection(r.collection));
      Frontiers& f = planned.try_emplace(r.collection, *stored).first->second;
      if (auto ok = rules::check_seal(f.upper, r.frontier); !ok) return ok;
      f.upper = r.frontier;
    }
    std::vector<Query> writes;
    for (const auto& [c, f] : planned) writes.push_back(set_frontiers_query(impl_->sql(), c, f));
    return txn.commit(std::move(writes));
  });
}

Status PostgresStash::compact_batch(std::span<const FrontierRequest> compactions) {
  std::vector<CollectionHandle> handles;
  for (const FrontierRequest& r : compactions) handles.push_back(r.collection);
  return impl_->write("compact", [&](Txn& txn) -> Status {
    auto known = read_frontiers(txn, impl_->sql(), handles);
    if (!known) return std::unexpected(known.error());
    std::map<CollectionHandle, Frontiers> planned;
    for (const FrontierRequest& r : compactions) {
      const auto& stored = known->at(r.collection);
      if (!stored) return std::unexpected(rules::unknown_collection(r.collection));
      Frontiers& f = planned.try_emplace(r.collection, *stored).first->second;
      if (auto ok = rules::check_compact(f.since, f.upper, r.frontier); !ok) return ok;
      f.since = r.frontier;
    }
    std::vector<Query> writes;
    for (const auto& [c, f] : planned) writes.push_back(set_frontiers_query(impl_->sql(), c, f));
    return txn.commit(std::move(writes));
  });
}

}  // namespace stash
