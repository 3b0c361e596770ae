// CRC32C two ways: with the SSE4.2 crc32 instruction where the CPU has it
// (8 bytes per instruction, so checking a 100 MB snapshot costs tens of
// milliseconds instead of a third of a second), and table-driven, one byte at
// a time, everywhere else. Both compute the same function; format_test
// (impl/durable_memory/tests) checks them against each other and against the published test vectors.
#include "stash/crc32c.h"

#include <array>
#include <cstring>

namespace stash {
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

// Both work on the raw register (no pre- or post-inversion).
std::uint32_t portable_register(std::uint32_t reg, std::string_view data) {
  for (char c : data) reg = (reg >> 8) ^ kTable[(reg ^ static_cast<unsigned char>(c)) & 0xFF];
  return reg;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t hardware_register(std::uint32_t reg,
                                                                   std::string_view data) {
  const char* p = data.data();
  std::size_t n = data.size();
  std::uint64_t wide = reg;
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);  // The instruction takes the bytes little-endian, as x86 is.
    wide = __builtin_ia32_crc32di(wide, word);
  }
  reg = static_cast<std::uint32_t>(wide);
  for (; n > 0; ++p, --n) reg = __builtin_ia32_crc32qi(reg, static_cast<unsigned char>(*p));
  return reg;
}

bool have_hardware() {
  static const bool have = __builtin_cpu_supports("sse4.2");
  return have;
}
#else
std::uint32_t hardware_register(std::uint32_t reg, std::string_view data) {
  return portable_register(reg, data);
}
bool have_hardware() { return false; }
#endif

}  // namespace

// The standard pre- and post-inversion, undone and redone so that a CRC can
// be continued over more bytes.
std::uint32_t crc32c_extend(std::uint32_t crc, std::string_view data) {
  return ~(have_hardware() ? hardware_register(~crc, data) : portable_register(~crc, data));
}

std::uint32_t crc32c_extend_portable(std::uint32_t crc, std::string_view data) {
  return ~portable_register(~crc, data);
}

bool crc32c_uses_hardware() { return have_hardware(); }

}  // namespace stash
