// Checksums of the stored rows (see schema.cc): SQLite keeps none of its
// own, so every row we store carries a CRC32C of its columns, and every
// collection row the count and the sum of its data rows' CRCs.
#ifndef STASH_IMPL_SQLITE_SRC_CHECKSUM_H_
#define STASH_IMPL_SQLITE_SRC_CHECKSUM_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stash::sqlite {

// Feeds the columns of one row, in order, into a CRC32C (stash/crc32c.h). Each field is framed
// (a tag byte, a length for byte strings), so moving a byte from one column
// to the next changes the checksum.
class RowChecksum {
 public:
  RowChecksum& add(std::int64_t v);
  RowChecksum& add(std::string_view bytes);
  RowChecksum& add_null();
  // As stored: a signed 32-bit INTEGER (SQLite's 4-byte serial type).
  std::int64_t value();

 private:
  // The framed fields are gathered here and checksummed in one call (the
  // CRC of the concatenation is the same): a row costs one pass, not one
  // call per field.
  void put(const void* data, std::size_t n);
  void flush();

  std::uint32_t crc_ = 0;
  std::size_t used_ = 0;
  char buffer_[256];
};

}  // namespace stash::sqlite

#endif  // STASH_IMPL_SQLITE_SRC_CHECKSUM_H_
