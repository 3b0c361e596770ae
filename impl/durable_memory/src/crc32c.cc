// Table-driven CRC32C, one byte at a time. Our records are small and synced
// one by one, so the fsync, not the checksum, dominates; a slicing-by-8 or
// SSE4.2 version would be faster and harder to check against the definition.
#include "crc32c.h"

#include <array>

namespace stash::durable {
namespace {

constexpr std::uint32_t kPolynomial = 0x82F63B78;  // Castagnoli, bit-reversed.

// table[b] = the CRC register after shifting byte b through eight rounds.
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

}  // namespace

std::uint32_t crc32c_extend(std::uint32_t crc, std::string_view data) {
  // The standard pre- and post-inversion, undone and redone so that a CRC
  // can be continued over more bytes.
  std::uint32_t reg = ~crc;
  for (char c : data) reg = (reg >> 8) ^ kTable[(reg ^ static_cast<unsigned char>(c)) & 0xFF];
  return ~reg;
}

}  // namespace stash::durable
