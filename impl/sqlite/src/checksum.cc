#include "checksum.h"

#include <cstring>

#include "stash/crc32c.h"

namespace stash::sqlite {

void RowChecksum::flush() {
  crc_ = crc32c_extend(crc_, std::string_view(buffer_, used_));
  used_ = 0;
}

void RowChecksum::put(const void* data, std::size_t n) {
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

RowChecksum& RowChecksum::add(std::int64_t v) {
  unsigned char buf[9] = {'i'};
  for (int i = 0; i < 8; ++i) {
    buf[1 + i] = static_cast<unsigned char>(static_cast<std::uint64_t>(v) >> (8 * i));
  }
  put(buf, sizeof buf);
  return *this;
}

RowChecksum& RowChecksum::add(std::string_view bytes) {
  unsigned char buf[9] = {'b'};
  const std::uint64_t n = bytes.size();
  for (int i = 0; i < 8; ++i) buf[1 + i] = static_cast<unsigned char>(n >> (8 * i));
  put(buf, sizeof buf);
  if (!bytes.empty()) put(bytes.data(), bytes.size());
  return *this;
}

RowChecksum& RowChecksum::add_null() {
  put("n", 1);
  return *this;
}

std::int64_t RowChecksum::value() {
  flush();
  return static_cast<std::int32_t>(crc_);
}

}  // namespace stash::sqlite
