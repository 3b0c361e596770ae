#include "stored_row.h"

#include <algorithm>
#include <limits>

#include "checksum.h"

namespace stash::sqlite {
namespace {

__extension__ typedef unsigned __int128 UInt128;

constexpr std::size_t kEntryBytes = 24;

// Wraps instead of overflowing (undefined for signed __int128); see
// ordered_scan.cc.
Int128 wrapping_add(Int128 a, Int128 b) {
  return static_cast<Int128>(static_cast<UInt128>(a) + static_cast<UInt128>(b));
}

void put_be(std::string& out, UInt128 v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

UInt128 get_be(const unsigned char* p, int bytes) {
  UInt128 v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

Error corrupt(std::int64_t collection, std::string_view key, const std::string& what) {
  std::string hex;
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < key.size() && i < 32; ++i) {
    hex.push_back(kDigits[static_cast<unsigned char>(key[i]) >> 4]);
    hex.push_back(kDigits[static_cast<unsigned char>(key[i]) & 15]);
  }
  if (key.size() > 32) hex += "...";
  return Error(ErrorCode::kCorruption, "sqlite: data row of collection #" +
                                           std::to_string(collection) + " at key x'" + hex +
                                           "': " + what);
}

}  // namespace

std::string_view column_view(sqlite3_stmt* s, int i) {
  const void* data = sqlite3_column_blob(s, i);
  const int size = sqlite3_column_bytes(s, i);
  if (data == nullptr || size <= 0) return {};
  return {static_cast<const char*>(data), static_cast<std::size_t>(size)};
}

void add_entry(std::vector<Entry>& entries, Timestamp t, Int128 d) {
  auto it = std::lower_bound(entries.begin(), entries.end(), t,
                             [](const Entry& e, Timestamp x) { return e.time < x; });
  if (it != entries.end() && it->time == t) {
    it->diff = wrapping_add(it->diff, d);
    if (it->diff == 0) entries.erase(it);
  } else if (d != 0) {
    entries.insert(it, Entry{t, d});
  }
}

void advance_to(std::vector<Entry>& entries, Timestamp since) {
  std::size_t n = 0;  // entries at or before since
  while (n < entries.size() && entries[n].time <= since) ++n;
  if (n == 0) return;
  Int128 sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum = wrapping_add(sum, entries[i].diff);
  entries.erase(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(n));
  if (sum != 0) entries.insert(entries.begin(), Entry{since, sum});
}

namespace {

constexpr std::size_t kCrcBytes = 4;

// LEB128: 7 bits a byte, low first, the high bit set on all but the last.
void put_varint(std::string& out, UInt128 v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Reads a varint of at most `bytes_max` bytes at `pos`, advancing it; false
// if it runs past `end`, is longer, or is not the shortest encoding.
bool get_varint(const unsigned char* p, std::size_t end, std::size_t& pos, std::size_t bytes_max,
                UInt128& v) {
  v = 0;
  for (std::size_t i = 0; i < bytes_max && pos < end; ++i) {
    const unsigned char byte = p[pos++];
    v |= static_cast<UInt128>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) return byte != 0 || i == 0;
  }
  return false;
}

UInt128 zigzag(Int128 d) {
  return (static_cast<UInt128>(d) << 1) ^ static_cast<UInt128>(d >> 127);
}
Int128 unzigzag(UInt128 u) {
  return static_cast<Int128>((u >> 1) ^ (~(u & 1) + 1));
}

void put_first(std::string& out, Timestamp time, Int128 diff) {
  put_varint(out, static_cast<std::uint64_t>(time));
  put_varint(out, zigzag(diff));
}

// The crc over the columns and the entries after the crc, written into the
// BLOB's first 4 bytes.
std::int64_t seal_crc(std::int64_t collection, const Bytes& key, const Bytes& value,
                      std::string& blob) {
  RowChecksum sum;
  sum.add(collection).add(key).add(value);
  sum.add(std::string_view(blob).substr(kCrcBytes));
  const std::int64_t crc = sum.value();
  const auto bits = static_cast<std::uint32_t>(crc);
  for (std::size_t i = 0; i < kCrcBytes; ++i) {
    blob[i] = static_cast<char>(bits >> (8 * (kCrcBytes - 1 - i)));
  }
  return crc;
}

}  // namespace

RowColumns encode_row(std::int64_t collection, const Bytes& key, const Bytes& value,
                      const std::vector<Entry>& entries) {
  RowColumns r;
  r.entries.assign(kCrcBytes, '\0');
  put_first(r.entries, entries.front().time, entries.front().diff);
  for (std::size_t i = 1; i < entries.size(); ++i) {
    put_be(r.entries, static_cast<UInt128>(static_cast<std::uint64_t>(entries[i].time)), 8);
    put_be(r.entries, static_cast<UInt128>(entries[i].diff), 16);
  }
  if (entries.size() > 1) r.merge_at = entries[1].time;
  r.crc = seal_crc(collection, key, value, r.entries);
  return r;
}

std::int64_t encode_single_entry(std::int64_t collection, const Bytes& key, const Bytes& value,
                                 Timestamp time, std::int64_t diff, std::string& out) {
  out.assign(kCrcBytes, '\0');
  put_first(out, time, diff);
  return seal_crc(collection, key, value, out);
}

void bind_row(sqlite3_stmt* s, int first, const RowColumns& row) {
  sqlite3_bind_blob64(s, first, row.entries.data(), row.entries.size(), SQLITE_STATIC);
  if (row.merge_at) {
    sqlite3_bind_int64(s, first + 1, *row.merge_at);
  } else {
    sqlite3_bind_null(s, first + 1);
  }
}

namespace {

// Appends the entries `blob` holds (its crc already checked) to `entries`.
Status decode_entries(std::string_view blob, std::int64_t collection, std::string_view key,
                      std::vector<Entry>& entries) {
  const auto* p = reinterpret_cast<const unsigned char*>(blob.data());
  std::size_t pos = kCrcBytes;
  UInt128 time = 0;
  UInt128 diff = 0;
  if (!get_varint(p, blob.size(), pos, 10, time) || time > ~std::uint64_t{0} ||
      !get_varint(p, blob.size(), pos, 19, diff) || (blob.size() - pos) % kEntryBytes != 0) {
    return std::unexpected(corrupt(collection, key, "entries have a bad length or encoding"));
  }
  if (diff == 0) return std::unexpected(corrupt(collection, key, "diff is zero"));
  entries.push_back(Entry{static_cast<Timestamp>(static_cast<std::uint64_t>(time)), unzigzag(diff)});
  for (std::size_t off = pos; off < blob.size(); off += kEntryBytes) {
    const auto t = static_cast<Timestamp>(static_cast<std::uint64_t>(get_be(p + off, 8)));
    const auto d = static_cast<Int128>(get_be(p + off + 8, 16));
    if (t <= entries.back().time || d == 0) {
      return std::unexpected(corrupt(collection, key, "later entries out of order or zero"));
    }
    entries.push_back(Entry{t, d});
  }
  return {};
}

}  // namespace

Status decode_row(sqlite3_stmt* s, int first, std::int64_t collection, std::string_view key,
                  std::string_view value, std::vector<Entry>& entries, std::int64_t& crc,
                  bool with_merge_at) {
  sqlite3_value* blob_v = sqlite3_column_value(s, first);
  if (sqlite3_value_type(blob_v) != SQLITE_BLOB) {
    return std::unexpected(corrupt(collection, key, "entries are not a BLOB"));
  }
  const int n = sqlite3_value_bytes(blob_v);
  const auto* data = static_cast<const char*>(sqlite3_value_blob(blob_v));
  const std::string_view blob =
      n > 0 && data != nullptr ? std::string_view(data, static_cast<std::size_t>(n))
                               : std::string_view();
  // Room for the crc and the shortest first entry (two 1-byte varints).
  if (blob.size() < kCrcBytes + 2) {
    return std::unexpected(corrupt(collection, key, "entries have a bad length"));
  }
  // The checksum, over the bytes exactly as stored.
  RowChecksum sum;
  sum.add(collection).add(key).add(value).add(blob.substr(kCrcBytes));
  const auto* p = reinterpret_cast<const unsigned char*>(blob.data());
  const auto stored = static_cast<std::uint32_t>(get_be(p, kCrcBytes));
  crc = static_cast<std::int32_t>(stored);
  if (crc != sum.value()) return std::unexpected(corrupt(collection, key, "checksum mismatch"));
  // Then the encoding (a row written by a buggy or foreign writer).
  if (auto ok = decode_entries(blob, collection, key, entries); !ok) return ok;
  if (!with_merge_at) return {};
  // merge_at is only consolidate's hint, outside the checksum; it must still
  // be the second entry's time (or NULL for one entry).
  sqlite3_value* merge_v = sqlite3_column_value(s, first + 1);
  const bool single = entries.size() == 1;
  const bool merge_ok = single ? sqlite3_value_type(merge_v) == SQLITE_NULL
                               : sqlite3_value_type(merge_v) == SQLITE_INTEGER &&
                                     sqlite3_value_int64(merge_v) == entries[1].time;
  if (!merge_ok) {
    return std::unexpected(corrupt(collection, key, "merge_at is not the second entry's time"));
  }
  return {};
}

}  // namespace stash::sqlite
