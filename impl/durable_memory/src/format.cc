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

Result<std::string_view> FileSource::peek(std::size_t n) {
  if (buffer_.size() - begin_ < n && !at_end_) {
    buffer_.erase(0, begin_);  // What is left is shorter than n.
    begin_ = 0;
    while (buffer_.size() < n && !at_end_) {
      const std::size_t had = buffer_.size();
      const std::size_t want = std::max(read_bytes_, n - had);
      Result<std::size_t> got = 0;
      buffer_.resize_and_overwrite(had + want, [&](char* p, std::size_t) {
        got = file_.read(p + had, want);
        return had + (got ? *got : 0);
      });
      if (!got) return std::unexpected(got.error());
      if (*got == 0) at_end_ = true;
    }
  }
  return std::string_view(buffer_).substr(begin_, n);
}

Status FrameReader::read_header() {
  auto got = source_.peek(kFileHeaderBytes);
  if (!got) return std::unexpected(got.error());
  const std::string_view file = *got;
  if (file.size() < kFileHeaderBytes) {
    return std::unexpected(corruption(path_, 0, "file header truncated: " +
                                                    std::to_string(file.size()) + " of " +
                                                    std::to_string(kFileHeaderBytes) + " bytes"));
  }
  if (file.substr(0, 4) != magic_) {
    return std::unexpected(corruption(path_, 0, "wrong magic number: not a stash " +
                                                    std::string(magic_ == kLogMagic ? "log" : "snapshot")));
  }
  if (get_u32(file.substr(16)) != crc32c(file.substr(0, 16))) {
    return std::unexpected(corruption(path_, 16, "file header checksum mismatch"));
  }
  version_ = get_u32(file.substr(4));
  if (version_ < kOldestReadableVersion || version_ > kFormatVersion) {
    return std::unexpected(corruption(
        path_, 4, "format version " + std::to_string(version_) +
                      (version_ > kFormatVersion ? " is newer than" : " is not one of") +
                      " the versions this build reads (" + std::to_string(kOldestReadableVersion) +
                      " to " + std::to_string(kFormatVersion) + ")"));
  }
  generation_ = get_u64(file.substr(8));
  consume(file);
  offset_ = kFileHeaderBytes;
  return {};
}

void FrameReader::consume(std::string_view bytes) {
  if (file_crc_) crc_ = crc32c_extend(crc_, bytes);
  source_.skip(bytes.size());
}

Result<std::optional<Frame>> FrameReader::torn() {
  torn_tail_ = true;
  return std::nullopt;
}

// A record whose header does not check out is the torn last append only if
// nothing but zeros follows it.
Result<std::optional<Frame>> FrameReader::torn_or(std::string_view what) {
  if (!torn_tail_ok_) return std::unexpected(corruption(path_, offset_, what));
  for (;;) {
    auto rest = source_.peek(1 << 20);
    if (!rest) return std::unexpected(rest.error());
    if (rest->empty()) return torn();
    if (!only_zeros(*rest)) return std::unexpected(corruption(path_, offset_, what));
    source_.skip(rest->size());
  }
}

Result<std::optional<Frame>> FrameReader::next() {
  if (pending_ > 0) {  // The record returned last: now it may be dropped.
    auto last = source_.peek(pending_);
    if (!last) return std::unexpected(last.error());
    consume(*last);
    pending_ = 0;
  }
  auto got = source_.peek(kRecordHeaderBytes);
  if (!got) return std::unexpected(got.error());
  const std::string_view header = *got;
  if (header.empty()) return std::nullopt;
  if (header.size() < kRecordHeaderBytes) {
    // A header cut short can only be the last append.
    if (torn_tail_ok_) return torn();
    return std::unexpected(corruption(path_, offset_, "record header truncated"));
  }
  if (get_u32(header.substr(8)) != crc32c(header.substr(0, 8))) {
    return torn_or("record header checksum mismatch");
  }
  const std::uint32_t length = get_u32(header);
  if (length > record_bytes_max_) {  // Its header checks out: we never wrote it.
    return std::unexpected(corruption(path_, offset_, "record length " + std::to_string(length) +
                                                          " is over the limit of " +
                                                          std::to_string(record_bytes_max_)));
  }
  const std::size_t size = kRecordHeaderBytes + length;
  // One byte more than the record: whether anything follows it.
  got = source_.peek(size + 1);
  if (!got) return std::unexpected(got.error());
  const std::string_view record = *got;
  if (record.size() < size) {
    if (torn_tail_ok_) return torn();  // The payload runs past the end: cut short.
    return std::unexpected(corruption(path_, offset_, "record truncated: needs " +
                                                          std::to_string(length) + " payload bytes"));
  }
  const std::string_view payload = record.substr(kRecordHeaderBytes, length);
  if (get_u32(record.substr(4)) != crc32c(payload)) {
    // Garbled payload: torn only if it is the last record.
    if (torn_tail_ok_ && record.size() == size) return torn();
    return std::unexpected(corruption(path_, offset_, "record checksum mismatch"));
  }
  crc_before_last_ = crc_;
  pending_ = size;
  const Frame frame{offset_, payload};
  offset_ += size;
  return frame;
}

Result<Frames> read_frames(std::string_view file, std::string_view magic,
                           const std::string& path, bool torn_tail_ok,
                           std::uint32_t record_bytes_max) {
  MemorySource source(file);  // Its views stay valid: they point into `file`.
  FrameReader reader(source, magic, path, torn_tail_ok, record_bytes_max);
  if (auto ok = reader.read_header(); !ok) return std::unexpected(ok.error());
  Frames out;
  out.version = reader.version();
  out.generation = reader.generation();
  for (;;) {
    auto frame = reader.next();
    if (!frame) return std::unexpected(frame.error());
    if (!*frame) break;
    out.records.push_back(**frame);
  }
  out.valid_bytes = reader.valid_bytes();
  out.torn_tail = reader.torn_tail();
  return out;
}

}  // namespace stash::durable
