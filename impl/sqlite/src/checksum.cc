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

}  // namespace stash::sqlite
