// Encoders and decoders of the two files of a durable MemoryStash: the
// snapshot and the log (grammar: docs/durable-format.md). The decoders are
// pure functions of the bytes, so the fuzzers (fuzz/) call them directly.
#ifndef STASH_DURABLE_MEMORY_FILES_H_
#define STASH_DURABLE_MEMORY_FILES_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "command.h"
#include "format.h"
#include "stash/error.h"
#include "stash/memory_stash.h"

namespace stash::durable {

struct Snapshot {
  std::uint64_t generation = 0;
  MemoryStashImage image;
};

// A collection's updates are split into chunk records of at most this many
// payload bytes (or half the record limit, if that is less); an update
// larger than that gets a chunk of its own.
inline constexpr std::size_t kSnapshotChunkBytes = 1 << 20;

// Writes the snapshot file for `image` piece by piece to `sink` (a chunk
// record at a time, so no second copy of the state is ever built), checking
// that no record exceeds `record_bytes_max`. Errors: whatever `sink`
// returns; kInternal if a record would exceed the limit (impossible for an
// image built from calls the log accepted); then stop writing.
Status encode_snapshot(const MemoryStashImage& image, std::uint64_t generation,
                       const std::function<Status(std::string_view)>& sink,
                       std::uint32_t record_bytes_max = kRecordBytesMax,
                       std::size_t chunk_bytes = kSnapshotChunkBytes);
// The whole snapshot file for `image`, in memory (tests, fuzzers).
std::string encode_snapshot(const MemoryStashImage& image, std::uint64_t generation,
                            std::size_t chunk_bytes = kSnapshotChunkBytes);
// What read_snapshot() hands a snapshot's content to, a piece at a time,
// each piece once its record's checksum and checks passed. The whole is
// known good only when read_snapshot() returns ok (the file's CRC and the
// counts are checked at the end record): on an error, drop what was built.
class SnapshotVisitor {
 public:
  virtual ~SnapshotVisitor() = default;
  // The collections in id order (1, 2, ...): names valid and distinct,
  // since <= upper.
  virtual void collection(std::string name, Frontier since, Frontier upper) = 0;
  // One update of the collection visited last (views valid during the call).
  virtual void update(std::string_view key, std::string_view value, Timestamp time, Diff diff) = 0;
};

// Reads a snapshot from `source` (read from `path`) into `into`, holding
// about one record in memory; returns its generation. Errors: kCorruption
// naming `path` and the offset for anything that does not check out,
// including a snapshot cut short (no torn tail is tolerated: a snapshot is
// renamed into place only after it is synced); the source's read errors.
// Reads format versions kOldestReadableVersion to kFormatVersion.
Result<std::uint64_t> read_snapshot(ByteSource& source, const std::string& path,
                                    SnapshotVisitor& into,
                                    std::uint32_t record_bytes_max = kRecordBytesMax);
// read_snapshot() of a file in memory, into an image (tests, fuzzers).
Result<Snapshot> decode_snapshot(std::string_view file, const std::string& path,
                                 std::uint32_t record_bytes_max = kRecordBytesMax);

struct Log {
  std::uint32_t version = kFormatVersion;  // Of the header (1 and 2 share the grammar).
  std::uint64_t generation = 0;
  std::vector<Command> commands;
  std::vector<std::size_t> offsets;  // Where each command's record starts.
  std::size_t valid_bytes = 0;       // Through the last good record.
  bool torn_tail = false;            // A torn last record was dropped.
};

// The log file's header for a new log.
std::string encode_log_header(std::uint64_t generation, std::uint32_t version = kFormatVersion);
// The record one command appends to the log.
std::string encode_log_record(const Command& command);
// Reads a log's commands one at a time from `source` (read from `path`), so
// that only one record and its command are in memory at once.
class LogReader {
 public:
  LogReader(ByteSource& source, const std::string& path,
            std::uint32_t record_bytes_max = kRecordBytesMax)
      : path_(path), frames_(source, kLogMagic, path, /*torn_tail_ok=*/true, record_bytes_max) {}
  // Reads and checks the header: call first.
  Status read_header() { return frames_.read_header(); }
  std::uint32_t version() const { return frames_.version(); }
  std::uint64_t generation() const { return frames_.generation(); }
  // The next command and where its record starts, or nullopt at the end (a
  // torn last record is dropped: torn_tail()). Errors: kCorruption naming
  // the path and the offset; the source's read errors.
  Result<std::optional<std::pair<Command, std::size_t>>> next();
  std::size_t valid_bytes() const { return frames_.valid_bytes(); }
  bool torn_tail() const { return frames_.torn_tail(); }

 private:
  const std::string path_;
  FrameReader frames_;
};

// The whole log in memory (tests, fuzzers). Errors: kCorruption naming
// `path` and the offset; a torn record at the very end is dropped instead
// (Log::torn_tail).
Result<Log> decode_log(std::string_view file, const std::string& path,
                       std::uint32_t record_bytes_max = kRecordBytesMax);

}  // namespace stash::durable

#endif  // STASH_DURABLE_MEMORY_FILES_H_
