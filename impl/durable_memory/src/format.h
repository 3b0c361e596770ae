// The framing shared by the snapshot and the log: a file header, then
// checksummed records. The grammar is docs/durable-format.md; this file and
// format.cc are the code that writes and checks it.
#ifndef STASH_DURABLE_MEMORY_FORMAT_H_
#define STASH_DURABLE_MEMORY_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stash/env.h"
#include "stash/error.h"

namespace stash::durable {

// Magic numbers: the first four bytes of each kind of file.
inline constexpr std::string_view kSnapshotMagic = "SSNP";
inline constexpr std::string_view kLogMagic = "SLOG";
// The format version this build writes and the newest it reads, and the
// oldest it still reads. Version 2 splits each collection of a snapshot into
// chunk records (version 1 stored a collection as one record, so a
// collection over the record limit made the store unreadable); the log is
// the same in both.
inline constexpr std::uint32_t kFormatVersion = 2;
inline constexpr std::uint32_t kOldestReadableVersion = 1;

// header := magic[4] version:u32 generation:u64 header_crc:u32
inline constexpr std::size_t kFileHeaderBytes = 20;
// record := length:u32 payload_crc:u32 header_crc:u32 payload[length]
inline constexpr std::size_t kRecordHeaderBytes = 12;
// The largest record payload. Larger records are never written (a call whose
// log record would be larger is refused up front; snapshots are chunked) and
// are taken as corruption on read, so a damaged length field cannot make the
// reader allocate gigabytes.
inline constexpr std::uint32_t kRecordBytesMax = 1u << 30;
// A mutating call's log record may take at most the record limit minus this:
// whatever a call brings in (a name, an update) then also fits in the
// snapshot record that later holds it, whose framing is at most this much
// larger than the call's.
inline constexpr std::uint32_t kSnapshotRecordSlack = 64;

// Appends a file header / a framed record to `out`. The header says
// `version` (tests write older versions).
void append_file_header(std::string_view magic, std::uint64_t generation, std::string& out,
                        std::uint32_t version = kFormatVersion);
void append_record(std::string_view payload, std::string& out);

// One record's payload and where its frame starts in the file.
struct Frame {
  std::size_t offset = 0;
  std::string_view payload;
};

// A file split into frames, every checksum checked.
struct Frames {
  std::uint32_t version = kFormatVersion;
  std::uint64_t generation = 0;
  std::vector<Frame> records;
  // Bytes from the start of the file through the last good record.
  std::size_t valid_bytes = 0;
  // A torn record followed the last good one and was dropped (logs only).
  bool torn_tail = false;
};

// Where a FrameReader gets a file's bytes: the whole file in memory (tests,
// fuzzers) or a SequentialFile read through a buffer (open).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // The next `n` bytes, or all that are left if fewer, without consuming
  // them. Valid until the next call.
  virtual Result<std::string_view> peek(std::size_t n) = 0;
  // Consumes `n` bytes of what peek() returned.
  virtual void skip(std::size_t n) = 0;
};

// A file already in memory. Views point into it and stay valid as long as it.
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::string_view file) : rest_(file) {}
  Result<std::string_view> peek(std::size_t n) override { return rest_.substr(0, n); }
  void skip(std::size_t n) override { rest_.remove_prefix(n); }

 private:
  std::string_view rest_;
};

// A file read in pieces of `read_bytes` (or a whole record, if larger), so
// that only about one record is ever in memory.
class FileSource final : public ByteSource {
 public:
  explicit FileSource(SequentialFile& file, std::size_t read_bytes = 1 << 20)
      : file_(file), read_bytes_(read_bytes) {}
  Result<std::string_view> peek(std::size_t n) override;
  void skip(std::size_t n) override {
    begin_ += n;
    consumed_ += n;
  }
  // Bytes consumed so far: the file's size once it was read to the end.
  std::size_t consumed() const { return consumed_; }

 private:
  SequentialFile& file_;
  const std::size_t read_bytes_;
  std::string buffer_;     // Bytes read, of which [begin_, size) are not consumed.
  std::size_t begin_ = 0;
  bool at_end_ = false;    // The file has no more bytes.
  std::size_t consumed_ = 0;
};

// Reads a file's frames one at a time, every checksum checked, with the
// rules of read_frames() below. With `file_crc`, it also keeps the CRC32C of
// every byte before the record next() returned last (the snapshot's end
// record checks it).
class FrameReader {
 public:
  FrameReader(ByteSource& source, std::string_view magic, std::string path,
              bool torn_tail_ok, std::uint32_t record_bytes_max, bool file_crc = false)
      : source_(source), magic_(magic), path_(std::move(path)), torn_tail_ok_(torn_tail_ok),
        record_bytes_max_(record_bytes_max), file_crc_(file_crc) {}
  // Reads and checks the file header: call first.
  Status read_header();
  std::uint32_t version() const { return version_; }
  std::uint64_t generation() const { return generation_; }
  // The next record (its payload valid until the next call), or nullopt at
  // the end of the file or, with torn_tail_ok, at a torn tail.
  Result<std::optional<Frame>> next();
  // Bytes from the start of the file through the last good record.
  std::size_t valid_bytes() const { return offset_; }
  bool torn_tail() const { return torn_tail_; }
  std::uint32_t crc_before_last() const { return crc_before_last_; }

 private:
  Result<std::optional<Frame>> torn_or(std::string_view what);
  Result<std::optional<Frame>> torn();
  void consume(std::string_view bytes);

  ByteSource& source_;
  const std::string_view magic_;
  const std::string path_;
  const bool torn_tail_ok_;
  const std::uint32_t record_bytes_max_;
  const bool file_crc_;
  std::uint32_t version_ = kFormatVersion;
  std::uint64_t generation_ = 0;
  std::size_t offset_ = 0;  // Of the next record.
  bool torn_tail_ = false;
  std::uint32_t crc_ = 0;   // Of the bytes before offset_ (file_crc_ only).
  std::uint32_t crc_before_last_ = 0;
  std::size_t pending_ = 0;  // Bytes of the record returned last, not yet consumed.
};

// Splits `file` (read from `path`) into frames. With `torn_tail_ok` (the
// log), a record cut short or left garbled by a crash mid-append at the very
// end of the file is dropped; everything else that does not check out is
// kCorruption naming `path` and the byte offset. Records longer than
// `record_bytes_max` are corruption (tests lower it).
Result<Frames> read_frames(std::string_view file, std::string_view magic,
                           const std::string& path, bool torn_tail_ok,
                           std::uint32_t record_bytes_max = kRecordBytesMax);

// kCorruption "<path> at byte <offset>: <what>".
Error corruption(const std::string& path, std::size_t offset, std::string_view what);

// Little-endian fixed-width integers for the framing (payloads use the
// order-preserving codecs of stash/codec.h instead).
void put_u32(std::uint32_t value, std::string& out);
void put_u64(std::uint64_t value, std::string& out);
std::uint32_t get_u32(std::string_view bytes);  // Reads bytes[0..4).
std::uint64_t get_u64(std::string_view bytes);  // Reads bytes[0..8).

}  // namespace stash::durable

#endif  // STASH_DURABLE_MEMORY_FORMAT_H_
