#include "key_layout.h"

#include <span>

namespace stash::etcd {
namespace {

void put32(std::string& out, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_bytes(std::string& out, std::string_view b) {
  put32(out, static_cast<std::uint32_t>(b.size()));
  out.append(b);
}

void put_frontier(std::string& out, const Frontier& f) {
  if (f.is_empty()) {
    out.push_back('\0');
  } else {
    out.push_back('\1');
    out += be64(static_cast<std::uint64_t>(*f.element()));
  }
}

void put_diff128(std::string& out, ExactDiff d) {
  const auto bits = static_cast<ExactDiffBits>(d);
  out += be64(static_cast<std::uint64_t>(bits >> 64));
  out += be64(static_cast<std::uint64_t>(bits));
}

// Reads a record front to back; any short read makes it fail for good.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool done() const { return ok_ && s_.empty(); }
  bool ok() const { return ok_; }

  std::string_view take(std::size_t n) {
    if (!ok_ || s_.size() < n) {
      ok_ = false;
      return {};
    }
    std::string_view out = s_.substr(0, n);
    s_.remove_prefix(n);
    return out;
  }
  std::uint64_t u64() {
    auto b = take(8);
    return ok_ ? from_be64(b) : 0;
  }
  std::uint32_t u32() {
    auto b = take(4);
    if (!ok_) return 0;
    std::uint32_t v = 0;
    for (unsigned char c : b) v = (v << 8) | c;
    return v;
  }
  std::string_view bytes() { return take(u32()); }
  Frontier frontier() {
    auto tag = take(1);
    if (!ok_) return Frontier();
    if (tag[0] == '\0') return Frontier::empty();
    if (tag[0] != '\1') ok_ = false;
    return Frontier(static_cast<Timestamp>(u64()));
  }
  ExactDiff diff128() {
    const ExactDiffBits hi = u64();
    const ExactDiffBits lo = u64();
    return static_cast<ExactDiff>((hi << 64) | lo);
  }

 private:
  std::string_view s_;
  bool ok_ = true;
};

}  // namespace

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) != 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();  // 0xFF cannot be incremented: carry into the byte before
  }
  return std::string(1, '\0');
}

std::string be64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

std::uint64_t from_be64(std::string_view eight) {
  std::uint64_t v = 0;
  for (unsigned char c : eight.substr(0, 8)) v = (v << 8) | c;
  return v;
}

std::optional<std::string> Keys::name_of(std::string_view etcd_key) const {
  const std::string n = names();
  if (!etcd_key.starts_with(n)) return std::nullopt;
  return std::string(etcd_key.substr(n.size()));
}

std::optional<Bytes> Keys::base_key_of(std::int64_t id, std::string_view etcd_key) const {
  const std::string b = base(id);
  if (!etcd_key.starts_with(b)) return std::nullopt;
  return Bytes(etcd_key.substr(b.size()));
}

std::string encode_meta(const Meta& m) {
  std::string out;
  put_frontier(out, m.since);
  put_frontier(out, m.upper);
  return out;
}

std::optional<Meta> decode_meta(std::string_view s) {
  Reader r(s);
  Meta m{r.frontier(), r.frontier()};
  if (!r.done()) return std::nullopt;
  return m;
}

std::string encode_fence(const Fence& f) {
  std::string out = be64(f.epoch);
  out += f.nonce;
  out += be64(f.txn);
  out += be64(f.prev_epoch);
  out += be64(f.prev_txn);
  return out;
}

std::optional<Fence> decode_fence(std::string_view s) {
  Reader r(s);
  Fence f;
  f.epoch = static_cast<std::int64_t>(r.u64());
  f.nonce = std::string(r.take(16));
  f.txn = static_cast<std::int64_t>(r.u64());
  f.prev_epoch = static_cast<std::int64_t>(r.u64());
  f.prev_txn = static_cast<std::int64_t>(r.u64());
  if (!r.done()) return std::nullopt;
  return f;
}

void append_chunk(std::string& out, const Update& u) {
  put_bytes(out, u.key);
  put_bytes(out, u.value);
  out += be64(static_cast<std::uint64_t>(u.time));
  out += be64(static_cast<std::uint64_t>(u.diff));
}

std::string encode_chunk(std::span<const Update> updates) {
  std::string out;
  for (const Update& u : updates) append_chunk(out, u);
  return out;
}

std::optional<std::vector<Update>> decode_chunk(std::string_view s) {
  Reader r(s);
  std::vector<Update> out;
  while (r.ok() && !r.done()) {
    Update u;
    u.key = Bytes(r.bytes());
    u.value = Bytes(r.bytes());
    u.time = static_cast<Timestamp>(r.u64());
    u.diff = static_cast<Diff>(r.u64());
    if (r.ok()) out.push_back(std::move(u));
  }
  if (!r.done()) return std::nullopt;
  return out;
}

std::string encode_base(std::span<const BaseEntry> entries) {
  std::string out;
  for (const BaseEntry& e : entries) {
    put_bytes(out, e.value);
    put_diff128(out, e.diff);
  }
  return out;
}

std::optional<std::vector<BaseEntry>> decode_base(std::string_view s) {
  Reader r(s);
  std::vector<BaseEntry> out;
  while (r.ok() && !r.done()) {
    BaseEntry e;
    e.value = Bytes(r.bytes());
    e.diff = r.diff128();
    if (r.ok()) out.push_back(std::move(e));
  }
  if (!r.done()) return std::nullopt;
  return out;
}

}  // namespace stash::etcd
