// CRC32C (Castagnoli, reflected polynomial 0x82F63B78): the one checksum of
// the project: every DurableMemoryStash snapshot and log record
// (docs/durable-format.md), every SQLite row (docs/sqlite-format.md) and the
// export format's trailer (docs/export-format.md). Chosen over zlib's CRC32
// for its better error detection on the short messages we checksum, because
// x86-64 computes it in hardware (SSE4.2), and because it is what LevelDB,
// ext4 and iSCSI use, so its test vectors are well known:
// crc32c("123456789") == 0xE3069283.
#ifndef STASH_CRC32C_H_
#define STASH_CRC32C_H_

#include <cstdint>
#include <string_view>

namespace stash {

// The CRC32C of `data` continued from the CRC `crc` of the bytes before it:
// crc32c_extend(crc32c(a), b) == crc32c(a + b). Uses the CPU's crc32
// instruction when it has one.
std::uint32_t crc32c_extend(std::uint32_t crc, std::string_view data);

inline std::uint32_t crc32c(std::string_view data) { return crc32c_extend(0, data); }

// The table-driven version, whatever the CPU: the reference the hardware
// path is tested against.
std::uint32_t crc32c_extend_portable(std::uint32_t crc, std::string_view data);
bool crc32c_uses_hardware();

}  // namespace stash

#endif  // STASH_CRC32C_H_
