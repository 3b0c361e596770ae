// Writes and checks the file header and record framing. See
// docs/durable-format.md for the grammar and for why each check is there.
#include "format.h"
#include "stash/crc32c.h"

#include <algorithm>


namespace stash::durable {
namespace {

// The torn-tail rule for a record starting at `offset` whose header or
// payload does not check out: it is the crash's half-written append only if
// nothing but zeros (pages the file system extended but never wrote) or
// nothing at all follows the point where it went wrong.
bool only_zeros(std::string_view rest) {
  return std::all_of(rest.begin(), rest.end(), [](char c) { return c == '\0'; });
}

}  // namespace

void put_u32(std::uint32_t value, std::string& out) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

void put_u64(std::uint64_t value, std::string& out) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

std::uint32_t get_u32(std::string_view bytes) {
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

std::uint64_t get_u64(std::string_view bytes) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

Error corruption(const std::string& path, std::size_t offset, std::string_view what) {
  return Error(ErrorCode::kCorruption,
               path + " at byte " + std::to_string(offset) + ": " + std::string(what));
}

void append_file_header(std::string_view magic, std::uint64_t generation, std::string& out,
                        std::uint32_t version) {
  const std::size_t start = out.size();
  out.append(magic);
  put_u32(version, out);
  put_u64(generation, out);
  put_u32(crc32c(std::string_view(out).substr(start)), out);
}

void append_record(std::string_view payload, std::string& out) {
  const std::size_t start = out.size();
  put_u32(static_cast<std::uint32_t>(payload.size()), out);
  put_u32(crc32c(payload), out);
  // The header has its own checksum so that a damaged length is caught
  // before it is trusted to find the payload (and the next record).
  put_u32(crc32c(std::string_view(out).substr(start, 8)), out);
  out.append(payload);
}

Result<Frames> read_frames(std::string_view file, std::string_view magic,
                           const std::string& path, bool torn_tail_ok,
                           std::uint32_t record_bytes_max) {
  if (file.size() < kFileHeaderBytes) {
    return std::unexpected(corruption(path, 0, "file header truncated: " +
                                                   std::to_string(file.size()) + " of " +
                                                   std::to_string(kFileHeaderBytes) + " bytes"));
  }
  if (file.substr(0, 4) != magic) {
    return std::unexpected(corruption(path, 0, "wrong magic number: not a stash " +
                                                   std::string(magic == kLogMagic ? "log" : "snapshot")));
  }
  if (get_u32(file.substr(16)) != crc32c(file.substr(0, 16))) {
    return std::unexpected(corruption(path, 16, "file header checksum mismatch"));
  }
  const std::uint32_t version = get_u32(file.substr(4));
  if (version < kOldestReadableVersion || version > kFormatVersion) {
    return std::unexpected(corruption(
        path, 4, "format version " + std::to_string(version) +
                     (version > kFormatVersion ? " is newer than" : " is not one of") +
                     " the versions this build reads (" + std::to_string(kOldestReadableVersion) +
                     " to " + std::to_string(kFormatVersion) + ")"));
  }
  Frames out;
  out.version = version;
  out.generation = get_u64(file.substr(8));
  std::size_t offset = kFileHeaderBytes;
  out.valid_bytes = offset;
  auto torn_or = [&](std::size_t from, std::string_view what) -> Result<Frames> {
    if (torn_tail_ok && only_zeros(file.substr(from))) {
      out.torn_tail = true;
      return std::move(out);
    }
    return std::unexpected(corruption(path, offset, what));
  };
  while (offset < file.size()) {
    const std::string_view rest = file.substr(offset);
    if (rest.size() < kRecordHeaderBytes) {
      if (torn_tail_ok) {  // A header cut short can only be the last append.
        out.torn_tail = true;
        return out;
      }
      return std::unexpected(corruption(path, offset, "record header truncated"));
    }
    if (get_u32(rest.substr(8)) != crc32c(rest.substr(0, 8))) {
      return torn_or(offset, "record header checksum mismatch");
    }
    const std::uint32_t length = get_u32(rest);
    if (length > record_bytes_max) {  // Its header checks out: we never wrote it.
      return std::unexpected(corruption(path, offset, "record length " + std::to_string(length) +
                                                          " is over the limit of " +
                                                          std::to_string(record_bytes_max)));
    }
    if (rest.size() - kRecordHeaderBytes < length) {
      if (torn_tail_ok) {  // The payload runs past the end: cut short.
        out.torn_tail = true;
        return out;
      }
      return std::unexpected(corruption(path, offset, "record truncated: needs " +
                                                          std::to_string(length) + " payload bytes"));
    }
    const std::string_view payload = rest.substr(kRecordHeaderBytes, length);
    if (get_u32(rest.substr(4)) != crc32c(payload)) {
      // Garbled payload: torn only if it is the last record.
      if (torn_tail_ok && rest.size() == kRecordHeaderBytes + length) {
        out.torn_tail = true;
        return out;
      }
      return std::unexpected(corruption(path, offset, "record checksum mismatch"));
    }
    out.records.push_back({offset, payload});
    offset += kRecordHeaderBytes + length;
    out.valid_bytes = offset;
  }
  return out;
}

}  // namespace stash::durable
