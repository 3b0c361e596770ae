#include "stored_row.h"

#include <algorithm>
#include <limits>

#include "checksum.h"

namespace stash::sqlite {
namespace {

__extension__ typedef unsigned __int128 UInt128;

constexpr std::size_t kEntryBytes = 24;

bool fits(Int128 d) {
  return d >= std::numeric_limits<std::int64_t>::min() &&
         d <= std::numeric_limits<std::int64_t>::max();
}

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

std::string wide_bytes(Int128 d) {
  std::string out;
  put_be(out, static_cast<UInt128>(d), 16);
  return out;
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

std::int64_t row_crc(std::int64_t collection, const Bytes& key, const Bytes& value,
                     const RowColumns& r) {
  RowChecksum sum;
  sum.add(collection).add(key).add(value).add(r.time);
  if (fits(r.diff)) {
    sum.add(static_cast<std::int64_t>(r.diff));
  } else {
    sum.add(wide_bytes(r.diff));
  }
  if (r.later.empty()) {
    sum.add_null();
  } else {
    sum.add(r.later);
  }
  return sum.value();
}

}  // namespace

RowColumns encode_row(std::int64_t collection, const Bytes& key, const Bytes& value,
                      const std::vector<Entry>& entries) {
  RowColumns r;
  r.time = entries.front().time;
  r.diff = entries.front().diff;
  for (std::size_t i = 1; i < entries.size(); ++i) {
    put_be(r.later, static_cast<UInt128>(static_cast<std::uint64_t>(entries[i].time)), 8);
    put_be(r.later, static_cast<UInt128>(entries[i].diff), 16);
  }
  if (entries.size() > 1) r.merge_at = entries[1].time;
  r.crc = row_crc(collection, key, value, r);
  return r;
}

std::int64_t single_entry_crc(std::int64_t collection, const Bytes& key, const Bytes& value,
                              Timestamp time, std::int64_t diff) {
  RowChecksum sum;
  sum.add(collection).add(key).add(value).add(time).add(diff).add_null();
  return sum.value();
}

void bind_row(sqlite3_stmt* s, int first, const RowColumns& row) {
  sqlite3_bind_int64(s, first, row.time);
  if (fits(row.diff)) {
    sqlite3_bind_int64(s, first + 1, static_cast<std::int64_t>(row.diff));
  } else {
    const std::string wide = wide_bytes(row.diff);
    sqlite3_bind_blob(s, first + 1, wide.data(), static_cast<int>(wide.size()), SQLITE_TRANSIENT);
  }
  if (row.later.empty()) {
    sqlite3_bind_null(s, first + 2);
  } else {
    sqlite3_bind_blob64(s, first + 2, row.later.data(), row.later.size(), SQLITE_STATIC);
  }
  if (row.merge_at) {
    sqlite3_bind_int64(s, first + 3, *row.merge_at);
  } else {
    sqlite3_bind_null(s, first + 3);
  }
  sqlite3_bind_int64(s, first + 4, row.crc);
}

Status decode_row(sqlite3_stmt* s, int first, std::int64_t collection, std::string_view key,
                  std::string_view value, std::vector<Entry>& entries, std::int64_t& crc,
                  bool with_merge_at) {
  // One column fetch each (the sqlite3_value_* calls on it are cheap).
  sqlite3_value* time_v = sqlite3_column_value(s, first);
  sqlite3_value* diff_v = sqlite3_column_value(s, first + 1);
  sqlite3_value* later_v = sqlite3_column_value(s, first + 2);
  sqlite3_value* crc_v = sqlite3_column_value(s, first + 3);
  // The checksum first, over the columns exactly as stored.
  RowChecksum sum;
  sum.add(collection).add(key).add(value);
  if (sqlite3_value_type(time_v) != SQLITE_INTEGER) {
    return std::unexpected(corrupt(collection, key, "time is not an integer"));
  }
  const Timestamp time = sqlite3_value_int64(time_v);
  sum.add(time);
  const int diff_type = sqlite3_value_type(diff_v);
  Int128 diff = 0;
  if (diff_type == SQLITE_INTEGER) {
    diff = sqlite3_value_int64(diff_v);
    sum.add(static_cast<std::int64_t>(diff));
  } else if (diff_type == SQLITE_BLOB && sqlite3_value_bytes(diff_v) == 16) {
    const auto* wide = static_cast<const unsigned char*>(sqlite3_value_blob(diff_v));
    diff = static_cast<Int128>(get_be(wide, 16));
    sum.add(std::string_view(reinterpret_cast<const char*>(wide), 16));
  } else {
    return std::unexpected(corrupt(collection, key, "diff is neither an integer nor 16 bytes"));
  }
  const int later_type = sqlite3_value_type(later_v);
  std::string_view later;
  if (later_type == SQLITE_NULL) {
    sum.add_null();
  } else if (later_type == SQLITE_BLOB) {
    const int n = sqlite3_value_bytes(later_v);
    const void* p = sqlite3_value_blob(later_v);
    if (p != nullptr && n > 0) later = {static_cast<const char*>(p), static_cast<std::size_t>(n)};
    sum.add(later);
  } else {
    return std::unexpected(corrupt(collection, key, "later entries are not a BLOB"));
  }
  crc = sqlite3_value_int64(crc_v);
  if (sqlite3_value_type(crc_v) != SQLITE_INTEGER || crc != sum.value()) {
    return std::unexpected(corrupt(collection, key, "checksum mismatch"));
  }
  // Then the encoding (a row written by a buggy or foreign writer).
  if (diff == 0 || (diff_type == SQLITE_BLOB && fits(diff))) {
    return std::unexpected(corrupt(collection, key, "diff is not a canonical non-zero sum"));
  }
  entries.push_back(Entry{time, diff});
  if (later_type == SQLITE_BLOB) {
    if (later.empty() || later.size() % kEntryBytes != 0) {
      return std::unexpected(corrupt(collection, key, "later entries have a bad length"));
    }
    const auto* p = reinterpret_cast<const unsigned char*>(later.data());
    for (std::size_t off = 0; off < later.size(); off += kEntryBytes) {
      const auto t = static_cast<Timestamp>(static_cast<std::uint64_t>(get_be(p + off, 8)));
      const auto d = static_cast<Int128>(get_be(p + off + 8, 16));
      if (t <= entries.back().time || d == 0) {
        return std::unexpected(corrupt(collection, key, "later entries out of order or zero"));
      }
      entries.push_back(Entry{t, d});
    }
  }
  if (!with_merge_at) return {};
  // merge_at is only consolidate's hint, outside the checksum; it must still
  // be the second entry's time (or NULL for one entry).
  sqlite3_value* merge_v = sqlite3_column_value(s, first + 4);
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
