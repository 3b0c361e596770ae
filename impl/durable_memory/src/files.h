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
// Errors: kCorruption naming `path` and the offset for anything that does not
// check out, including a snapshot cut short (no torn tail is tolerated: a
// snapshot is renamed into place only after it is synced). Reads format
// versions kOldestReadableVersion to kFormatVersion.
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
// Errors: kCorruption naming `path` and the offset; a torn record at the
// very end is dropped instead (Log::torn_tail).
Result<Log> decode_log(std::string_view file, const std::string& path,
                       std::uint32_t record_bytes_max = kRecordBytesMax);

}  // namespace stash::durable

#endif  // STASH_DURABLE_MEMORY_FILES_H_
