// consolidate: folds the log entries at or before since into the base keys
// of the user keys they touch, in transactions of bounded size, each one
// invisible to reads (what a read sums is the same before and after).
//
// Work is proportional to what changed since the last consolidation: the
// log chunks (the writes since then), the base keys of the user keys those
// chunks touch, nothing else. A transaction moves the movable entries of a
// group of (user key, chunk) pairs: it rewrites (or deletes) those chunks
// without them and puts the keys' new base values (or deletes a base key
// whose sums all became zero). Its compares (the frontier key, each chunk
// and base key as read) make it fail, and the call plan again, if anything
// changed meanwhile. A pair too large for one transaction on its own stays
// in the log (still read correctly).
//
// A chunk with more movable keys than one transaction can fold is first
// split by key, in transactions of its own (each puts the pieces and
// deletes the chunk: the same updates, so invisible to reads too), into
// pieces of at most one fold's worth of movable keys. Without that, every
// fold rewrote the rest of the chunk: a 20k-entry chunk cost ~160 rewrites
// of up to 20k entries each (quadratic), which outlived the call's deadline
// (benchmarks: consolidation_large).
#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <tuple>

#include "etcd_stash_impl.h"
#include "stash/rules.h"

namespace stash {
namespace {

using etcd::Call;
using etcd::Keys;

struct Chunk {
  std::vector<Update> entries;
  std::int64_t mod_revision = 0;
};

// One (user key, chunk) pair with movable entries.
struct Unit {
  Bytes key;
  std::string chunk;
};

Error corrupt(const std::string& what) { return Error(ErrorCode::kCorruption, "etcd: consolidate: " + what + " does not decode"); }

class Folder {
 public:
  Folder(EtcdStash::Impl& impl, Call& call, CollectionHandle c) : impl_(impl), call_(call), c_(c) {}

  Status run();

 private:
  // Splits every chunk with more movable keys than one fold can take.
  Status split_large_chunks();
  // One split of chunk `name` (its first pieces, and the rest as one more
  // piece if the transaction cannot hold them all). false: the chunk stays
  // as it is (the split would exceed the request size).
  Result<bool> split(const std::string& name);
  std::vector<Unit> units() const;
  std::size_t keys_per_fold() const;
  Status fold(std::span<const Unit> units);
  std::size_t ops_for(std::span<const Unit> units) const;

  EtcdStash::Impl& impl_;
  Call& call_;
  const CollectionHandle c_;
  Timestamp since_ = 0;
  std::int64_t meta_mod_ = 0;
  std::map<std::string, Chunk> chunks_;  // by etcd key
  std::set<std::string> unsplittable_;   // chunks whose split is too large to send
  bool stop_ = false;                    // a commit's revision is unknown
};

// The movable user keys of an entry list, sorted.
std::set<Bytes> movable_keys(const std::vector<Update>& entries, Timestamp since) {
  std::set<Bytes> out;
  for (const Update& u : entries) {
    if (u.time <= since) out.insert(u.key);
  }
  return out;
}

std::size_t Folder::ops_for(std::span<const Unit> units) const {
  std::set<std::string_view> keys, chunks;
  for (const Unit& u : units) keys.insert(u.key), chunks.insert(u.chunk);
  // Each key and chunk is one op and one compare, plus the fence (both)
  // and the frontier key (a compare).
  return keys.size() + chunks.size() + 2;
}

Status Folder::run() {
  const Keys& keys = impl_.keys();
  etcd::RequestOp base_count = etcd::prefix_op(keys.base(c_.id));
  base_count.mutable_request_range()->set_count_only(true);
  auto snap = call_.read({etcd::range_op(keys.meta(c_.id)), etcd::prefix_op(keys.log(c_.id)), base_count});
  if (!snap) return std::unexpected(snap.error());
  const auto& metas = snap->ranges[0].kvs();
  if (metas.empty()) return std::unexpected(rules::unknown_collection(c_));
  auto meta = etcd::decode_meta(metas[0].value());
  if (!meta) return std::unexpected(corrupt("the frontier key"));
  meta_mod_ = metas[0].mod_revision();
  if (meta->since.is_empty()) {
    // Nothing is readable any more: drop every stored update (two deletes).
    if (snap->ranges[1].kvs().empty() && snap->ranges[2].count() == 0) return {};
    etcd::Write w;
    w.compares.push_back(etcd::mod_is(keys.meta(c_.id), meta_mod_));
    w.ops.push_back(etcd::delete_op(keys.log(c_.id), etcd::prefix_end(keys.log(c_.id))));
    w.ops.push_back(etcd::delete_op(keys.base(c_.id), etcd::prefix_end(keys.base(c_.id))));
    auto done = call_.commit(w);
    if (!done) return std::unexpected(done.error());
    return {};
  }
  since_ = *meta->since.element();
  for (const auto& kv : snap->ranges[1].kvs()) {
    auto entries = etcd::decode_chunk(kv.value());
    if (!entries) return std::unexpected(corrupt("a log chunk"));
    chunks_[kv.key()] = Chunk{std::move(*entries), kv.mod_revision()};
  }
  if (auto ok = split_large_chunks(); !ok) return ok;
  if (stop_) return {};
  const std::vector<Unit> units = this->units();
  const auto max_ops = static_cast<std::size_t>(impl_.options().max_txn_ops);
  std::size_t begin = 0;
  while (begin < units.size() && !stop_) {
    std::size_t end = begin + 1;
    while (end < units.size() && ops_for(std::span(units).subspan(begin, end + 1 - begin)) <= max_ops) ++end;
    // Too large in bytes: fewer pairs at a time, down to one (which, if
    // still too large, stays in the log).
    for (;;) {
      auto folded = fold(std::span(units).subspan(begin, end - begin));
      if (folded) break;
      if (folded.error().code() != ErrorCode::kInvalidArgument) return folded;
      if (end - begin == 1) break;
      end = begin + (end - begin) / 2;
    }
    begin = end;
  }
  return {};
}

std::vector<Unit> Folder::units() const {
  std::vector<Unit> out;
  for (const auto& [name, chunk] : chunks_) {
    for (const Bytes& k : movable_keys(chunk.entries, since_)) out.push_back({k, name});
  }
  // By user key, so that a key's pairs share transactions (one base put).
  std::sort(out.begin(), out.end(), [](const Unit& a, const Unit& b) {
    return std::tie(a.key, a.chunk) < std::tie(b.key, b.chunk);
  });
  return out;
}

std::size_t Folder::keys_per_fold() const {
  // A fold of one chunk's keys: a base op per key, the chunk, the fence and
  // the frontier key (ops_for).
  const auto max_ops = static_cast<std::size_t>(impl_.options().max_txn_ops);
  return max_ops > 3 ? max_ops - 3 : 1;
}

Status Folder::split_large_chunks() {
  for (;;) {
    std::string large;
    for (const auto& [name, chunk] : chunks_) {
      if (!unsplittable_.contains(name) && movable_keys(chunk.entries, since_).size() > keys_per_fold()) {
        large = name;
        break;
      }
    }
    if (large.empty()) return {};
    auto split_it = split(large);
    if (!split_it) return std::unexpected(split_it.error());
    if (!*split_it) unsplittable_.insert(large);
    if (stop_) return {};
  }
}

Result<bool> Folder::split(const std::string& name) {
  const Keys& keys = impl_.keys();
  const Chunk& chunk = chunks_.at(name);
  // The entries by user key (stable: a key's entries keep their order).
  std::vector<Update> sorted = chunk.entries;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Update& a, const Update& b) { return a.key < b.key; });
  // A piece per keys_per_fold() movable keys; the pieces the transaction
  // cannot hold (the chunk's delete and the fence's put are ops too) go
  // into its last piece, split again next.
  const auto max_ops = static_cast<std::size_t>(impl_.options().max_txn_ops);
  const std::size_t max_pieces = max_ops > 3 ? max_ops - 2 : 1;
  std::vector<std::vector<Update>> pieces(1);
  std::size_t movable_in_piece = 0;
  for (auto run = sorted.begin(); run != sorted.end();) {
    const auto end = std::find_if(run, sorted.end(), [&](const Update& v) { return v.key != run->key; });
    if (std::any_of(run, end, [&](const Update& v) { return v.time <= since_; })) {
      if (movable_in_piece == keys_per_fold() && pieces.size() < max_pieces) {
        pieces.emplace_back();
        movable_in_piece = 0;
      }
      ++movable_in_piece;
    }
    pieces.back().insert(pieces.back().end(), std::make_move_iterator(run), std::make_move_iterator(end));
    run = end;
  }
  etcd::Write w;
  w.compares.push_back(etcd::mod_is(keys.meta(c_.id), meta_mod_));
  w.compares.push_back(etcd::mod_is(name, chunk.mod_revision));
  w.ops.push_back(etcd::delete_op(name));
  std::vector<std::string> names;
  for (std::size_t p = 0; p < pieces.size(); ++p) {
    names.push_back(keys.piece(c_.id, call_.epoch(), call_.next_txn(), static_cast<std::uint32_t>(p)));
    w.ops.push_back(etcd::put_op(names.back(), etcd::encode_chunk(pieces[p])));
  }
  auto revision = call_.commit(w);
  if (!revision) {
    // Too large to send (checked before sending: nothing was): left whole.
    if (revision.error().code() == ErrorCode::kInvalidArgument) return false;
    return std::unexpected(revision.error());
  }
  if (*revision == 0) stop_ = true;  // committed, revision unknown: the next call goes on
  chunks_.erase(name);
  for (std::size_t p = 0; p < pieces.size(); ++p) chunks_[names[p]] = Chunk{std::move(pieces[p]), *revision};
  return true;
}

Status Folder::fold(std::span<const Unit> units) {
  const Keys& keys = impl_.keys();
  std::set<Bytes> user_keys;
  std::set<std::string> touched;
  for (const Unit& u : units) user_keys.insert(u.key), touched.insert(u.chunk);
  // The current base values of the keys.
  std::vector<etcd::RequestOp> reads;
  reads.reserve(user_keys.size());
  for (const Bytes& k : user_keys) reads.push_back(etcd::range_op(keys.base(c_.id, k)));
  auto snap = call_.read(std::move(reads));
  if (!snap) return std::unexpected(snap.error());
  std::map<Bytes, std::map<Bytes, ExactDiff>> base;
  std::map<Bytes, std::int64_t> base_mod;
  std::size_t i = 0;
  for (const Bytes& k : user_keys) {
    const auto& kvs = snap->ranges[i++].kvs();
    base_mod[k] = kvs.empty() ? 0 : kvs[0].mod_revision();
    auto& sums = base[k];
    if (kvs.empty()) continue;
    auto entries = etcd::decode_base(kvs[0].value());
    if (!entries) return std::unexpected(corrupt("a base key"));
    for (auto& e : *entries) sums[std::move(e.value)] += e.diff;
  }
  // Move the units' entries out of their chunks into the sums.
  std::map<std::string, std::vector<Update>> rest;
  for (const std::string& name : touched) {
    for (const Update& u : chunks_.at(name).entries) {
      const bool moves = u.time <= since_ &&
                         std::any_of(units.begin(), units.end(), [&](const Unit& unit) {
                           return unit.chunk == name && unit.key == u.key;
                         });
      if (moves) {
        base[u.key][u.value] += u.diff;
      } else {
        rest[name].push_back(u);
      }
    }
  }
  etcd::Write w;
  w.compares.push_back(etcd::mod_is(keys.meta(c_.id), meta_mod_));
  for (const auto& [k, sums] : base) {
    const std::string key = keys.base(c_.id, k);
    w.compares.push_back(etcd::mod_is(key, base_mod[k]));
    std::vector<etcd::BaseEntry> entries;
    for (const auto& [value, sum] : sums) {
      if (sum != 0) entries.push_back({value, sum});  // zero sums are dropped
    }
    if (entries.empty()) {
      if (base_mod[k] != 0) w.ops.push_back(etcd::delete_op(key));
    } else {
      w.ops.push_back(etcd::put_op(key, etcd::encode_base(entries)));
    }
  }
  for (const std::string& name : touched) {
    w.compares.push_back(etcd::mod_is(name, chunks_.at(name).mod_revision));
    if (rest[name].empty()) {
      w.ops.push_back(etcd::delete_op(name));
    } else {
      w.ops.push_back(etcd::put_op(name, etcd::encode_chunk(rest[name])));
    }
  }
  auto revision = call_.commit(w);
  if (!revision) return std::unexpected(revision.error());
  if (*revision == 0) stop_ = true;  // committed, revision unknown: the next call goes on
  for (const std::string& name : touched) {
    if (rest[name].empty()) {
      chunks_.erase(name);
    } else {
      chunks_[name] = Chunk{std::move(rest[name]), *revision};
    }
  }
  return {};
}

}  // namespace

Status EtcdStash::consolidate(CollectionHandle c) {
  return impl_->run("consolidate", true, [&](etcd::Call& call) -> Status {
    Folder folder(*impl_, call, c);
    return folder.run();
  });
}

}  // namespace stash
