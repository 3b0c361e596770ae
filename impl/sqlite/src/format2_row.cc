// Reading one data row of format version 2, for the upgrade to format 3
// (schema.cc). Format 2 stored each pair's entries in four columns:
//
//   time, diff   the first entry (diff an INTEGER, or a 16-byte BLOB when it
//                does not fit in int64)
//   later        NULL, or the entries after the first: 24 bytes each, the
//                time (8 bytes) then the diff (16 bytes), big-endian
//   crc          RowChecksum over (collection_id, key, value, time, diff,
//                later), later NULL framed as a null
#include "format2_row.h"

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

Status decode_format2_row(sqlite3_stmt* s, int first, std::int64_t collection,
                          std::string_view key, std::string_view value,
                          std::vector<Entry>& entries) {
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
  if (sqlite3_value_type(crc_v) != SQLITE_INTEGER || sqlite3_value_int64(crc_v) != sum.value()) {
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
  // merge_at is derived from the entries; format 3 writes it anew.
  return {};
}

}  // namespace stash::sqlite
