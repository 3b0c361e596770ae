// Encoders and decoders of the two files of a durable MemoryStash: the
// snapshot and the log (grammar: docs/durable-format.md). The decoders are
// pure functions of the bytes, so the fuzzers (fuzz/) call them directly.
#ifndef STASH_DURABLE_MEMORY_FILES_H_
#define STASH_DURABLE_MEMORY_FILES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "command.h"
#include "stash/error.h"
#include "stash/memory_stash.h"

namespace stash::durable {

struct Snapshot {
  std::uint64_t generation = 0;
  MemoryStashImage image;
};

// The whole snapshot file for `image`.
std::string encode_snapshot(const MemoryStashImage& image, std::uint64_t generation);
// Errors: kCorruption naming `path` and the offset for anything that does not
// check out, including a snapshot cut short (no torn tail is tolerated: a
// snapshot is renamed into place only after it is synced).
Result<Snapshot> decode_snapshot(std::string_view file, const std::string& path);

struct Log {
  std::uint64_t generation = 0;
  std::vector<Command> commands;
  std::vector<std::size_t> offsets;  // Where each command's record starts.
  std::size_t valid_bytes = 0;       // Through the last good record.
  bool torn_tail = false;            // A torn last record was dropped.
};

// The log file's header for a new log.
std::string encode_log_header(std::uint64_t generation);
// The record one command appends to the log.
std::string encode_log_record(const Command& command);
// Errors: kCorruption naming `path` and the offset; a torn record at the
// very end is dropped instead (Log::torn_tail).
Result<Log> decode_log(std::string_view file, const std::string& path);

}  // namespace stash::durable

#endif  // STASH_DURABLE_MEMORY_FILES_H_
