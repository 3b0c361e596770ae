#include "checksum.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace stash::sqlite {
namespace {

constexpr std::uint32_t kPolynomial = 0x82F63B78;  // Castagnoli, bit-reversed.

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t byte = 0; byte < 256; ++byte) {
    std::uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kPolynomial : 0);
    table[byte] = crc;
  }
  return table;
}

constexpr std::array<std::uint32_t, 256> kTable = make_table();

std::uint32_t crc_bytewise(std::uint32_t reg, const unsigned char* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) reg = (reg >> 8) ^ kTable[(reg ^ p[i]) & 0xFF];
  return reg;
}

#if defined(__x86_64__)
// The same register arithmetic, eight bytes per instruction.
__attribute__((target("sse4.2"))) std::uint32_t crc_sse42(std::uint32_t reg,
                                                          const unsigned char* p,
                                                          std::size_t n) {
  std::uint64_t r = reg;
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    r = _mm_crc32_u64(r, word);
  }
  auto r32 = static_cast<std::uint32_t>(r);
  for (; n > 0; --n, ++p) r32 = _mm_crc32_u8(r32, *p);
  return r32;
}

const bool kHaveSse42 = __builtin_cpu_supports("sse4.2");
#endif

}  // namespace

std::uint32_t crc32c(std::uint32_t crc, std::string_view data) {
  // The standard pre- and post-inversion, undone and redone so that a CRC
  // can be continued.
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
#if defined(__x86_64__)
  if (kHaveSse42) return ~crc_sse42(~crc, p, data.size());
#endif
  return ~crc_bytewise(~crc, p, data.size());
}

void RowChecksum::flush() {
  crc_ = crc32c(crc_, std::string_view(buffer_, used_));
  used_ = 0;
}

void RowChecksum::put(const void* data, std::size_t n) {
  if (used_ + n > sizeof buffer_) {
    flush();
    if (n > sizeof buffer_) {
      crc_ = crc32c(crc_, std::string_view(static_cast<const char*>(data), n));
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
