#include "checksum_repair.h"

#include <cstdint>

#include "format.h"
#include "stash/codec.h"
#include "stash/crc32c.h"

namespace stash::durable {
namespace {

void overwrite_u32(std::uint32_t value, std::size_t at, std::string& file) {
  std::string bytes;
  put_u32(value, bytes);
  file.replace(at, 4, bytes);
}

// A snapshot's end record (files.cc): 0x10 count:uint64 file_crc:uint32.
void repair_end_record(std::size_t record, std::size_t length, std::string& file) {
  constexpr std::size_t kEndPayloadBytes = 1 + 8 + 4;
  const std::size_t payload = record + kRecordHeaderBytes;
  if (length != kEndPayloadBytes || file[payload] != 0x10) return;
  std::string crc;
  Codec<std::uint32_t>::encode(crc32c(std::string_view(file).substr(0, record)), crc);
  file.replace(payload + 9, 4, crc);
}

}  // namespace

std::string with_checksums_repaired(std::string_view original) {
  std::string file(original);
  if (file.size() < kFileHeaderBytes) return file;
  overwrite_u32(crc32c(std::string_view(file).substr(0, 16)), 16, file);
  std::size_t offset = kFileHeaderBytes;
  while (file.size() - offset >= kRecordHeaderBytes) {
    const std::uint32_t length = get_u32(std::string_view(file).substr(offset));
    if (file.size() - offset - kRecordHeaderBytes < length) break;  // Cut short: leave it.
    if (file.starts_with(kSnapshotMagic)) repair_end_record(offset, length, file);
    const auto payload = std::string_view(file).substr(offset + kRecordHeaderBytes, length);
    overwrite_u32(crc32c(payload), offset + 4, file);
    overwrite_u32(crc32c(std::string_view(file).substr(offset, 8)), offset + 8, file);
    offset += kRecordHeaderBytes + length;
  }
  return file;
}

}  // namespace stash::durable
