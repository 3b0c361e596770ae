// EtcdStash's operations, each one transaction (etcd_stash_impl.h). The
// frontier checks are the shared ones of rules.h, so errors match
// MemoryStash's exactly; reads consolidate client-side (exact sums) and
// derive the peeks with the rules.h helpers from one snapshot.
#include <map>
#include <tuple>

#include "etcd_stash_impl.h"
#include "stash/rules.h"

namespace stash {
namespace {

using etcd::Cached;
using etcd::Call;
using etcd::Meta;
using etcd::Snapshot;
using etcd::Write;

Error corrupt(const std::string& what) {
  return Error(ErrorCode::kCorruption, "etcd: " + what + " does not decode (not written by this library?)");
}

// One consolidated (key, value, time) and its exact sum.
struct Group {
  Bytes key;
  Bytes value;
  Timestamp time;
  ExactDiff sum;
};

// A collection's frontiers and contents (all of them, or one key's), read at
// one revision.
struct Contents {
  Meta meta;
  std::vector<Group> groups;  // consolidated, sorted, times advanced to since
};

// The consolidated groups of a snapshot's base and log ranges. `since` must
// not be {}.
Result<std::vector<Group>> consolidated(const etcd::Keys& keys, CollectionHandle c,
                                        const Frontier& since,
                                        const etcdserverpb::RangeResponse& base,
                                        const etcdserverpb::RangeResponse& log, const Bytes* only) {
  const Timestamp s = *since.element();
  std::map<std::tuple<Bytes, Bytes, Timestamp>, ExactDiff> sums;
  for (const auto& kv : base.kvs()) {
    auto key = keys.base_key_of(c.id, kv.key());
    auto entries = etcd::decode_base(kv.value());
    if (!key || !entries) return std::unexpected(corrupt("a base key of collection " + std::to_string(c.id)));
    for (auto& e : *entries) sums[{*key, std::move(e.value), s}] += e.diff;
  }
  for (const auto& kv : log.kvs()) {
    auto chunk = etcd::decode_chunk(kv.value());
    if (!chunk) return std::unexpected(corrupt("a log chunk of collection " + std::to_string(c.id)));
    for (Update& u : *chunk) {
      if (only && u.key != *only) continue;
      sums[{std::move(u.key), std::move(u.value), std::max(u.time, s)}] += u.diff;
    }
  }
  std::vector<Group> out;
  out.reserve(sums.size());
  for (auto& [kvt, sum] : sums) {
    if (sum != 0) out.push_back({std::get<0>(kvt), std::get<1>(kvt), std::get<2>(kvt), sum});
  }
  return out;
}

// The groups as iter returns them: kOutOfRange if some sum does not fit.
Result<std::vector<Update>> updates_of(std::vector<Group>& groups, CollectionHandle c) {
  std::vector<Update> out;
  out.reserve(groups.size());
  for (Group& g : groups) {
    if (!fits_in_diff(g.sum)) return std::unexpected(rules::diff_out_of_range(c));
    out.push_back({std::move(g.key), std::move(g.value), g.time, static_cast<Diff>(g.sum)});
  }
  return out;
}

Result<Meta> meta_of(const etcdserverpb::RangeResponse& r, CollectionHandle c) {
  if (r.kvs().empty()) return std::unexpected(rules::unknown_collection(c));
  auto meta = etcd::decode_meta(r.kvs(0).value());
  if (!meta) return std::unexpected(corrupt("the frontier key of collection " + std::to_string(c.id)));
  return *meta;
}

// Reads c's frontiers and, if readable, its contents (all, or `only`'s), in
// one snapshot. Contents are left empty when since is {}.
Result<Contents> contents(EtcdStash::Impl& impl, Call& call, CollectionHandle c, const Bytes* only) {
  const etcd::Keys& keys = impl.keys();
  std::vector<etcd::RequestOp> ops = {etcd::range_op(keys.meta(c.id))};
  ops.push_back(only ? etcd::range_op(keys.base(c.id, *only)) : etcd::prefix_op(keys.base(c.id)));
  ops.push_back(etcd::prefix_op(keys.log(c.id)));
  auto snap = call.read(std::move(ops));
  if (!snap) return std::unexpected(snap.error());
  auto meta = meta_of(snap->ranges[0], c);
  if (!meta) return std::unexpected(meta.error());
  Contents out{*meta, {}};
  if (meta->since.is_empty()) return out;
  auto groups = consolidated(keys, c, meta->since, snap->ranges[1], snap->ranges[2], only);
  if (!groups) return std::unexpected(groups.error());
  out.groups = std::move(*groups);
  return out;
}

// The frontiers of `ids` for a write; every one must exist.
Result<std::map<std::int64_t, Cached>> existing(Call& call, const std::vector<std::int64_t>& ids) {
  auto known = call.frontiers(ids);
  if (!known) return std::unexpected(known.error());
  std::map<std::int64_t, Cached> out;
  for (std::int64_t id : ids) {
    const auto& f = known->at(id);
    if (!f) return std::unexpected(rules::unknown_collection(CollectionHandle{id}));
    out.emplace(id, *f);
  }
  return out;
}

// The write of planned frontiers and entries: compares every collection's
// frontier key as read, puts the frontiers that moved and one log chunk per
// collection with entries.
Write planned_write(const etcd::Keys& keys, Call& call, const std::map<std::int64_t, Cached>& stored,
                    const std::map<std::int64_t, Meta>& planned,
                    const std::map<std::int64_t, std::string>& chunks) {
  Write w;
  for (const auto& [id, c] : stored) w.compares.push_back(etcd::mod_is(keys.meta(id), c.mod_revision));
  for (const auto& [id, m] : planned) {
    const Meta& was = stored.at(id).meta;
    if (m.since == was.since && m.upper == was.upper) continue;
    w.ops.push_back(etcd::put_op(keys.meta(id), etcd::encode_meta(m)));
    w.metas[id] = m;
  }
  for (const auto& [id, chunk] : chunks) {
    if (chunk.empty()) continue;
    w.ops.push_back(etcd::put_op(keys.chunk(id, call.epoch(), call.next_txn()), chunk));
  }
  return w;
}

Status done(const Result<std::int64_t>& r) {
  if (!r) return std::unexpected(r.error());
  return {};
}

std::vector<std::int64_t> ids_of(std::span<const FrontierRequest> requests) {
  std::vector<std::int64_t> ids;
  for (const FrontierRequest& r : requests) ids.push_back(r.collection.id);
  return ids;
}

}  // namespace

EtcdStash::EtcdStash(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EtcdStash::~EtcdStash() = default;

Result<CollectionHandle> EtcdStash::collection(std::string_view name) {
  const etcd::Keys& keys = impl_->keys();
  if (auto ok = rules::check_collection_name(name); !ok) {
    return impl_->run("collection", false, [&](Call& call) -> Result<CollectionHandle> {
      return std::unexpected(call.refused(ok.error()).error());
    });
  }
  const std::string name_key = keys.name(name);
  return impl_->run("collection", false, [&](Call& call) -> Result<CollectionHandle> {
    auto snap = call.read({etcd::range_op(name_key), etcd::range_op(keys.ids())});
    if (!snap) return std::unexpected(snap.error());
    if (!snap->ranges[0].kvs().empty()) {
      return CollectionHandle{static_cast<std::int64_t>(etcd::from_be64(snap->ranges[0].kvs(0).value()))};
    }
    if (!impl_->writer()) {
      return fail(ErrorCode::kNotFound, "no collection named \"" + printable(std::string(name)) +
                                            "\" in this read-only stash");
    }
    if (snap->ranges[1].kvs().empty()) return std::unexpected(corrupt("the ids key (missing)"));
    const auto& ids = snap->ranges[1].kvs(0);
    const auto id = static_cast<std::int64_t>(etcd::from_be64(ids.value()));
    Write w;
    w.compares.push_back(etcd::mod_is(name_key, 0));  // still absent
    w.compares.push_back(etcd::mod_is(keys.ids(), ids.mod_revision()));
    w.ops.push_back(etcd::put_op(name_key, etcd::be64(id)));
    w.ops.push_back(etcd::put_op(keys.meta(id), etcd::encode_meta(Meta{})));
    w.ops.push_back(etcd::put_op(keys.ids(), etcd::be64(id + 1)));
    w.metas[id] = Meta{};
    auto committed = call.commit(w);
    if (!committed) return std::unexpected(committed.error());
    return CollectionHandle{id};
  });
}

Result<std::vector<NamedCollection>> EtcdStash::collections() {
  const etcd::Keys& keys = impl_->keys();
  return impl_->run("collections", false, [&](Call& call) -> Result<std::vector<NamedCollection>> {
    auto snap = call.read({etcd::prefix_op(keys.names())});
    if (!snap) return std::unexpected(snap.error());
    std::vector<NamedCollection> out;
    for (const auto& kv : snap->ranges[0].kvs()) {
      auto name = keys.name_of(kv.key());
      if (!name || kv.value().size() != 8) return std::unexpected(corrupt("a name key"));
      out.push_back({*name, CollectionHandle{static_cast<std::int64_t>(etcd::from_be64(kv.value()))}});
    }
    return out;  // etcd's byte order on the keys is the names' order
  });
}

Result<std::vector<Update>> EtcdStash::iter(CollectionHandle c) {
  return impl_->run("iter", false, [&](Call& call) -> Result<std::vector<Update>> {
    auto got = contents(*impl_, call, c, nullptr);
    if (!got) return std::unexpected(got.error());
    if (auto ok = rules::check_readable(got->meta.since); !ok) return std::unexpected(ok.error());
    return updates_of(got->groups, c);
  });
}

Result<std::vector<ValueUpdate>> EtcdStash::iter_key(CollectionHandle c, const Bytes& key) {
  return impl_->run("iter_key", false, [&](Call& call) -> Result<std::vector<ValueUpdate>> {
    auto got = contents(*impl_, call, c, &key);
    if (!got) return std::unexpected(got.error());
    if (auto ok = rules::check_readable(got->meta.since); !ok) return std::unexpected(ok.error());
    auto updates = updates_of(got->groups, c);
    if (!updates) return std::unexpected(updates.error());
    std::vector<ValueUpdate> out;
    for (Update& u : *updates) out.push_back({std::move(u.value), u.time, u.diff});
    return out;
  });
}

Status EtcdStash::update_many(CollectionHandle c, std::span<const Update> entries) {
  return impl_->run("update_many", true, [&](Call& call) -> Status {
    auto stored = existing(call, {c.id});
    if (!stored) return std::unexpected(stored.error());
    const Meta& m = stored->at(c.id).meta;
    // Check every entry before adding any: all or nothing (INV-6).
    for (const Update& u : entries) {
      if (auto ok = rules::check_update_time(u.time, m.upper); !ok) return call.refused(ok.error());
    }
    const std::map<std::int64_t, Meta> planned = {{c.id, m}};
    const std::map<std::int64_t, std::string> chunks = {{c.id, etcd::encode_chunk(entries)}};
    return done(call.commit(planned_write(impl_->keys(), call, *stored, planned, chunks)));
  });
}

Status EtcdStash::seal(CollectionHandle c, Frontier new_upper) {
  const FrontierRequest request{c, new_upper};
  return seal_batch(std::span<const FrontierRequest>(&request, 1));
}

Status EtcdStash::compact(CollectionHandle c, Frontier new_since) {
  const FrontierRequest request{c, new_since};
  return compact_batch(std::span<const FrontierRequest>(&request, 1));
}

Result<Frontier> EtcdStash::since(CollectionHandle c) {
  return impl_->run("since", false, [&](Call& call) -> Result<Frontier> {
    auto snap = call.read({etcd::range_op(impl_->keys().meta(c.id))});
    if (!snap) return std::unexpected(snap.error());
    auto meta = meta_of(snap->ranges[0], c);
    if (!meta) return std::unexpected(meta.error());
    return meta->since;
  });
}

Result<Frontier> EtcdStash::upper(CollectionHandle c) {
  return impl_->run("upper", false, [&](Call& call) -> Result<Frontier> {
    auto snap = call.read({etcd::range_op(impl_->keys().meta(c.id))});
    if (!snap) return std::unexpected(snap.error());
    auto meta = meta_of(snap->ranges[0], c);
    if (!meta) return std::unexpected(meta.error());
    return meta->upper;
  });
}

Status EtcdStash::append(std::span<const AppendBatch> batches) {
  std::vector<std::int64_t> ids;
  for (const AppendBatch& b : batches) ids.push_back(b.collection.id);
  return impl_->run("append", true, [&](Call& call) -> Status {
    auto known = call.frontiers(ids);
    if (!known) return std::unexpected(known.error());
    // Check each batch against the frontiers the earlier ones leave, in
    // MemoryStash's order, before writing anything.
    std::map<std::int64_t, Cached> stored;
    std::map<std::int64_t, Meta> planned;
    std::map<std::int64_t, std::string> chunks;
    for (const AppendBatch& batch : batches) {
      const std::int64_t id = batch.collection.id;
      const auto& found = known->at(id);
      if (!found) return std::unexpected(rules::unknown_collection(batch.collection));
      stored.emplace(id, *found);
      Meta& m = planned.try_emplace(id, found->meta).first->second;
      if (auto ok = rules::check_append_batch(batch, m.since, m.upper); !ok) return call.refused(ok.error());
      for (const Update& u : batch.entries) etcd::append_chunk(chunks[id], u);
    }
    return done(call.commit(planned_write(impl_->keys(), call, stored, planned, chunks)));
  });
}

// --- Provided operations, as single transactions ---------------------------

Result<Timestamp> EtcdStash::peek_timestamp(CollectionHandle c) {
  return impl_->run("peek_timestamp", false, [&](Call& call) -> Result<Timestamp> {
    auto snap = call.read({etcd::range_op(impl_->keys().meta(c.id))});
    if (!snap) return std::unexpected(snap.error());
    auto meta = meta_of(snap->ranges[0], c);
    if (!meta) return std::unexpected(meta.error());
    return rules::peek_timestamp(c, meta->since, meta->upper);
  });
}

Result<std::vector<PeekEntry>> EtcdStash::peek(CollectionHandle c) {
  return impl_->run("peek", false, [&](Call& call) -> Result<std::vector<PeekEntry>> {
    auto got = contents(*impl_, call, c, nullptr);
    if (!got) return std::unexpected(got.error());
    auto ts = rules::peek_timestamp(c, got->meta.since, got->meta.upper);
    if (!ts) return std::unexpected(ts.error());
    // As the provided peek: iter first (any group out of range fails).
    auto updates = updates_of(got->groups, c);
    if (!updates) return std::unexpected(updates.error());
    return rules::peek_of(c, *updates, *ts);
  });
}

Result<std::map<Bytes, Bytes>> EtcdStash::peek_one(CollectionHandle c) {
  auto entries = peek(c);
  if (!entries) return std::unexpected(entries.error());
  return rules::peek_one_of(c, std::move(*entries));
}

Result<std::optional<Bytes>> EtcdStash::peek_key_one(CollectionHandle c, const Bytes& key) {
  return impl_->run("peek_key_one", false, [&](Call& call) -> Result<std::optional<Bytes>> {
    auto got = contents(*impl_, call, c, &key);
    if (!got) return std::unexpected(got.error());
    auto ts = rules::peek_timestamp(c, got->meta.since, got->meta.upper);
    if (!ts) return std::unexpected(ts.error());
    auto updates = updates_of(got->groups, c);  // as iter_key: all must fit
    if (!updates) return std::unexpected(updates.error());
    std::vector<ValueUpdate> of_key;
    for (Update& u : *updates) of_key.push_back({std::move(u.value), u.time, u.diff});
    return rules::peek_key_one_of(c, of_key, *ts);
  });
}

Status EtcdStash::seal_batch(std::span<const FrontierRequest> seals) {
  const std::vector<std::int64_t> ids = ids_of(seals);
  return impl_->run("seal", true, [&](Call& call) -> Status {
    auto known = call.frontiers(ids);
    if (!known) return std::unexpected(known.error());
    std::map<std::int64_t, Cached> stored;
    std::map<std::int64_t, Meta> planned;
    for (const FrontierRequest& r : seals) {
      const auto& found = known->at(r.collection.id);
      if (!found) return std::unexpected(rules::unknown_collection(r.collection));
      stored.emplace(r.collection.id, *found);
      Meta& m = planned.try_emplace(r.collection.id, found->meta).first->second;
      if (auto ok = rules::check_seal(m.upper, r.frontier); !ok) return call.refused(ok.error());
      m.upper = r.frontier;
    }
    return done(call.commit(planned_write(impl_->keys(), call, stored, planned, {})));
  });
}

Status EtcdStash::compact_batch(std::span<const FrontierRequest> compactions) {
  const std::vector<std::int64_t> ids = ids_of(compactions);
  return impl_->run("compact", true, [&](Call& call) -> Status {
    auto known = call.frontiers(ids);
    if (!known) return std::unexpected(known.error());
    std::map<std::int64_t, Cached> stored;
    std::map<std::int64_t, Meta> planned;
    for (const FrontierRequest& r : compactions) {
      const auto& found = known->at(r.collection.id);
      if (!found) return std::unexpected(rules::unknown_collection(r.collection));
      stored.emplace(r.collection.id, *found);
      Meta& m = planned.try_emplace(r.collection.id, found->meta).first->second;
      if (auto ok = rules::check_compact(m.since, m.upper, r.frontier); !ok) return call.refused(ok.error());
      m.since = r.frontier;
    }
    return done(call.commit(planned_write(impl_->keys(), call, stored, planned, {})));
  });
}

}  // namespace stash
