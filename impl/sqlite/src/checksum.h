// Checksums of the stored rows (see schema.cc): SQLite keeps none of its
// own, so every row we store carries a CRC32C of its columns, and every
// collection row the count and the sum of its data rows' CRCs.
#ifndef STASH_IMPL_SQLITE_SRC_CHECKSUM_H_
#define STASH_IMPL_SQLITE_SRC_CHECKSUM_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "stash/crc32c.h"

namespace stash::sqlite {

// Feeds the columns of one row, in order, into a CRC32C (stash/crc32c.h).
// Each field is framed (a tag byte, a length for byte strings), so moving a
// byte from one column to the next changes the checksum.
// Inline: every row a scan reads goes through these.
class RowChecksum {
 public:
  RowChecksum& add(std::int64_t v) {
    put_framed('i', static_cast<std::uint64_t>(v));
    return *this;
  }
  RowChecksum& add(std::string_view bytes) {
    put_framed('b', bytes.size());
    if (!bytes.empty()) put(bytes.data(), bytes.size());
    return *this;
  }
  RowChecksum& add_null() {
    put("n", 1);
    return *this;
  }
  // As stored: a signed 32-bit INTEGER (SQLite's 4-byte serial type).
  std::int64_t value() {
    flush();
    return static_cast<std::int32_t>(crc_);
  }

 private:
  // A tag byte and 8 little-endian bytes.
  void put_framed(char tag, std::uint64_t n) {
    unsigned char buf[9] = {static_cast<unsigned char>(tag)};
    for (int i = 0; i < 8; ++i) buf[1 + i] = static_cast<unsigned char>(n >> (8 * i));
    put(buf, sizeof buf);
  }
  // The framed fields are gathered here and checksummed in one call (the
  // CRC of the concatenation is the same): a row costs one pass, not one
  // call per field.
  void put(const void* data, std::size_t n) {
    if (used_ + n > sizeof buffer_) {
      flush();
      if (n > sizeof buffer_) {
        crc_ = crc32c_extend(crc_, std::string_view(static_cast<const char*>(data), n));
        return;
      }
    }
    std::memcpy(buffer_ + used_, data, n);
    used_ += n;
  }
  void flush() {
    crc_ = crc32c_extend(crc_, std::string_view(buffer_, used_));
    used_ = 0;
  }

  std::uint32_t crc_ = 0;
  std::size_t used_ = 0;
  char buffer_[256];
};

}  // namespace stash::sqlite

#endif  // STASH_IMPL_SQLITE_SRC_CHECKSUM_H_
