#include "oracle.h"

#include <limits>
#include <map>
#include <tuple>

#include "stash/exact_diff.h"

namespace stash::conformance::internal {
namespace {

using Wide = ExactDiff;
constexpr std::int64_t kFirstId = 1000;  // unlike MemoryStash, on purpose

// "A is not after B", spelled out from semantics.md section 1.
bool not_after(const Frontier& a, const Frontier& b) {
  if (b.is_empty()) return true;
  if (a.is_empty()) return false;
  return *a.element() <= *b.element();
}

bool at_or_beyond(Timestamp t, const Frontier& f) { return !f.is_empty() && *f.element() <= t; }

bool fits(Wide d) { return fits_in_diff(d); }

Status violation(const std::string& what) { return fail(ErrorCode::kFrontierViolation, "oracle: " + what); }

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    int n = b < 0x80 ? 0 : (b >> 5) == 0x6 ? 1 : (b >> 4) == 0xE ? 2 : (b >> 3) == 0x1E ? 3 : -1;
    if (n < 0) return false;
    std::uint32_t cp = n == 0 ? b : (b & (0x3F >> n));
    for (int k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c >> 6) != 0x2) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    const std::uint32_t min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// The log read from scratch: times advanced to since, summed per
// (key, value, time), restricted to `key` if given.
using Sums = std::map<std::tuple<Bytes, Bytes, Timestamp>, Wide>;
Sums sums(const OracleStash::Coll& c, const std::optional<Bytes>& key) {
  Sums out;
  for (const Update& u : c.log) {
    if (key && u.key != *key) continue;
    out[{u.key, u.value, std::max(u.time, *c.since.element())}] += u.diff;
  }
  return out;
}

// Seal, compact and append checks applied to a copy of one collection.
Status seal_one(OracleStash::Coll& c, const Frontier& f) {
  if (!not_after(c.upper, f)) return violation("seal request " + f.to_string() + " is less than the current upper frontier " + c.upper.to_string());
  c.upper = f;
  return {};
}

Status compact_one(OracleStash::Coll& c, const Frontier& f) {
  if (!not_after(f, c.upper)) return violation("compact request " + f.to_string() + " is greater than the current upper frontier " + c.upper.to_string());
  if (!not_after(c.since, f)) return violation("compact request " + f.to_string() + " is less than the current since frontier " + c.since.to_string());
  c.since = f;
  return {};
}

}  // namespace

std::unique_ptr<Stash> make_oracle() { return std::make_unique<OracleStash>(); }

Result<OracleStash::Coll*> OracleStash::find(CollectionHandle c) {
  const std::int64_t i = c.id - kFirstId;
  if (i < 0 || i >= static_cast<std::int64_t>(colls_.size())) {
    return fail(ErrorCode::kNotFound, "oracle: unknown handle");
  }
  return &colls_[i];
}

Result<CollectionHandle> OracleStash::collection(std::string_view name) {
  if (!valid_utf8(name)) return fail(ErrorCode::kInvalidArgument, "oracle: not UTF-8");
  for (std::size_t i = 0; i < colls_.size(); ++i) {
    if (colls_[i].name == name) return CollectionHandle{kFirstId + static_cast<std::int64_t>(i)};
  }
  colls_.push_back({std::string(name), Frontier(0), Frontier(0), {}});
  return CollectionHandle{kFirstId + static_cast<std::int64_t>(colls_.size()) - 1};
}

Result<std::vector<NamedCollection>> OracleStash::collections() {
  std::vector<NamedCollection> out;
  out.reserve(colls_.size());
  for (std::size_t i = 0; i < colls_.size(); ++i) {
    out.push_back({colls_[i].name, CollectionHandle{kFirstId + static_cast<std::int64_t>(i)}});
  }
  // Insertion sort on bytes read as unsigned char, spelled out (no std::string
  // comparison), so that it shares nothing with the backends' ordering.
  auto before = [](const std::string& a, const std::string& b) {
    for (std::size_t k = 0; k < a.size() && k < b.size(); ++k) {
      const auto x = static_cast<unsigned char>(a[k]);
      const auto y = static_cast<unsigned char>(b[k]);
      if (x != y) return x < y;
    }
    return a.size() < b.size();
  };
  for (std::size_t i = 1; i < out.size(); ++i) {
    for (std::size_t j = i; j > 0 && before(out[j].name, out[j - 1].name); --j) {
      std::swap(out[j], out[j - 1]);
    }
  }
  return out;
}

Result<std::vector<Update>> OracleStash::iter(CollectionHandle h) {
  auto c = find(h);
  if (!c) return std::unexpected(c.error());
  if ((*c)->since.is_empty()) return std::unexpected(violation("cannot iterate collection with empty since frontier").error());
  std::vector<Update> out;
  for (const auto& [kvt, d] : sums(**c, std::nullopt)) {
    if (d == 0) continue;
    if (!fits(d)) return fail(ErrorCode::kOutOfRange, "oracle: sum");
    out.push_back({std::get<0>(kvt), std::get<1>(kvt), std::get<2>(kvt), static_cast<Diff>(d)});
  }
  return out;
}

Result<std::vector<ValueUpdate>> OracleStash::iter_key(CollectionHandle h, const Bytes& key) {
  auto c = find(h);
  if (!c) return std::unexpected(c.error());
  if ((*c)->since.is_empty()) return std::unexpected(violation("cannot iterate collection with empty since frontier").error());
  std::vector<ValueUpdate> out;
  for (const auto& [kvt, d] : sums(**c, key)) {
    if (d == 0) continue;
    if (!fits(d)) return fail(ErrorCode::kOutOfRange, "oracle: sum");
    out.push_back({std::get<1>(kvt), std::get<2>(kvt), static_cast<Diff>(d)});
  }
  return out;
}

Status OracleStash::update_many(CollectionHandle h, std::span<const Update> entries) {
  auto c = find(h);
  if (!c) return std::unexpected(c.error());
  for (const Update& u : entries) {
    if (!at_or_beyond(u.time, (*c)->upper)) return violation("entry time " + std::to_string(u.time) + " is less than the current upper frontier " + (*c)->upper.to_string());
  }
  (*c)->log.insert((*c)->log.end(), entries.begin(), entries.end());
  return {};
}

Status OracleStash::seal(CollectionHandle h, Frontier f) {
  auto c = find(h);
  if (!c) return std::unexpected(c.error());
  return seal_one(**c, f);
}

Status OracleStash::compact(CollectionHandle h, Frontier f) {
  auto c = find(h);
  if (!c) return std::unexpected(c.error());
  return compact_one(**c, f);
}

Status OracleStash::consolidate(CollectionHandle h) {
  auto c = find(h);
  if (!c) return std::unexpected(c.error());
  return {};  // the oracle keeps every update ever written
}

Result<Frontier> OracleStash::since(CollectionHandle h) {
  auto c = find(h);
  if (!c) return std::unexpected(c.error());
  return (*c)->since;
}

Result<Frontier> OracleStash::upper(CollectionHandle h) {
  auto c = find(h);
  if (!c) return std::unexpected(c.error());
  return (*c)->upper;
}

Status OracleStash::append(std::span<const AppendBatch> batches) {
  std::vector<Coll> next = colls_;
  for (const AppendBatch& b : batches) {
    auto c = find(b.collection);
    if (!c) return std::unexpected(c.error());
    Coll& col = next[b.collection.id - kFirstId];
    if (col.upper != b.lower) return violation("unexpected lower");
    for (const Update& u : b.entries) {
      if (!at_or_beyond(u.time, col.upper)) return violation("entry time " + std::to_string(u.time) + " is less than the current upper frontier " + col.upper.to_string());
    }
    col.log.insert(col.log.end(), b.entries.begin(), b.entries.end());
    if (auto ok = seal_one(col, b.upper); !ok) return ok;
    if (b.since) {
      if (auto ok = compact_one(col, *b.since); !ok) return ok;
    }
  }
  colls_ = std::move(next);
  return {};
}

Result<Timestamp> OracleStash::peek_timestamp(CollectionHandle h) {
  auto c = find(h);
  if (!c) return std::unexpected(c.error());
  if (not_after((*c)->upper, (*c)->since)) return std::unexpected(violation("since " + (*c)->since.to_string() + " is not less than upper " + (*c)->upper.to_string()).error());
  if ((*c)->upper.is_empty()) return std::numeric_limits<Timestamp>::max();
  return *(*c)->upper.element() - 1;
}

Result<std::vector<PeekEntry>> OracleStash::peek(CollectionHandle h) {
  auto ts = peek_timestamp(h);
  if (!ts) return std::unexpected(ts.error());
  if (auto all = iter(h); !all) return std::unexpected(all.error());  // "errors as iter"
  std::map<std::pair<Bytes, Bytes>, Wide> sealed;
  for (const Update& u : (*find(h))->log) {
    if (u.time <= *ts) sealed[{u.key, u.value}] += u.diff;
  }
  std::vector<PeekEntry> out;
  for (const auto& [kv, d] : sealed) {
    if (d == 0) continue;
    if (!fits(d)) return fail(ErrorCode::kOutOfRange, "oracle: sum");
    out.push_back({kv.first, kv.second, static_cast<Diff>(d)});
  }
  return out;
}

Result<std::map<Bytes, Bytes>> OracleStash::peek_one(CollectionHandle h) {
  auto entries = peek(h);
  if (!entries) return std::unexpected(entries.error());
  std::map<Bytes, Bytes> out;
  for (const PeekEntry& e : *entries) {
    if (e.diff != 1) return fail(ErrorCode::kMultiplicity, "oracle: unexpected peek multiplicity");
    if (out.contains(e.key)) return fail(ErrorCode::kMultiplicity, "oracle: duplicate peek keys");
    out[e.key] = e.value;
  }
  return out;
}

Result<std::optional<Bytes>> OracleStash::peek_key_one(CollectionHandle h, const Bytes& key) {
  auto ts = peek_timestamp(h);
  if (!ts) return std::unexpected(ts.error());
  if (auto mine = iter_key(h, key); !mine) return std::unexpected(mine.error());
  std::map<Bytes, Wide> sealed;
  for (const Update& u : (*find(h))->log) {
    if (u.key == key && u.time <= *ts) sealed[u.value] += u.diff;
  }
  std::optional<Bytes> found;
  for (const auto& [value, d] : sealed) {
    if (d == 0) continue;
    // A sealed sum beyond int64 is out of range before it is the wrong
    // multiplicity (the order peek uses).
    if (!fits(d)) return fail(ErrorCode::kOutOfRange, "oracle: sum");
    if (found || d != 1) return fail(ErrorCode::kMultiplicity, "oracle: multiple values unexpected");
    found = value;
  }
  return found;
}

Status OracleStash::seal_batch(std::span<const FrontierRequest> seals) {
  std::vector<Coll> next = colls_;
  for (const FrontierRequest& r : seals) {
    if (auto c = find(r.collection); !c) return std::unexpected(c.error());
    if (auto ok = seal_one(next[r.collection.id - kFirstId], r.frontier); !ok) return ok;
  }
  colls_ = std::move(next);
  return {};
}

Status OracleStash::compact_batch(std::span<const FrontierRequest> compactions) {
  std::vector<Coll> next = colls_;
  for (const FrontierRequest& r : compactions) {
    if (auto c = find(r.collection); !c) return std::unexpected(c.error());
    if (auto ok = compact_one(next[r.collection.id - kFirstId], r.frontier); !ok) return ok;
  }
  colls_ = std::move(next);
  return {};
}

Status OracleStash::consolidate_batch(std::span<const CollectionHandle> collections) {
  for (CollectionHandle h : collections) {
    if (auto c = find(h); !c) return std::unexpected(c.error());
  }
  return {};
}

}  // namespace stash::conformance::internal
