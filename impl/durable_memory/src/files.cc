// Snapshot and log files. Framing: format.cc. Command payloads: command.cc.
//
//   snapshot   := header("SSNP") (collection chunk*)* end          version 2
//   collection := 0x12 id:int64 name:bytes since:frontier upper:frontier
//                 count:uint64                    (updates in its chunks)
//   chunk      := 0x13 count:uint64 update*
//   end        := 0x10 count:uint64 file_crc:uint32
//   log        := header("SLOG") command_record*
//
// Version 1 snapshots (still read): collection := 0x11 id name since upper
// count update*, all in one record.
#include "files.h"

#include <algorithm>
#include <set>

#include "payload.h"
#include "stash/crc32c.h"
#include "stash/rules.h"

namespace stash::durable {
namespace {

constexpr std::uint8_t kEndTag = 0x10;
constexpr std::uint8_t kCollectionV1Tag = 0x11;
constexpr std::uint8_t kCollectionTag = 0x12;
constexpr std::uint8_t kChunkTag = 0x13;
// The smallest encoded update: two empty byte strings and two int64s.
constexpr std::size_t kMinUpdateBytes = 2 + 2 + 8 + 8;

std::string collection_payload(std::int64_t id, const MemoryStashImage::Collection& c) {
  std::string out;
  Codec<std::uint8_t>::encode(kCollectionTag, out);
  Codec<std::int64_t>::encode(id, out);
  Codec<std::string>::encode(c.name, out);
  put_frontier(c.since, out);
  put_frontier(c.upper, out);
  Codec<std::uint64_t>::encode(c.updates.size(), out);
  return out;
}

// Writes the records of one snapshot, keeping the running file CRC.
class SnapshotSink {
 public:
  SnapshotSink(const std::function<Status(std::string_view)>& sink, std::uint32_t limit)
      : sink_(sink), limit_(limit) {}

  Status header(std::uint64_t generation) {
    std::string out;
    append_file_header(kSnapshotMagic, generation, out);
    return emit(out);
  }
  Status record(std::string_view payload) {
    if (payload.size() > limit_) {
      return fail(ErrorCode::kInternal,
                  "a snapshot record of " + std::to_string(payload.size()) +
                      " bytes would exceed the record limit of " + std::to_string(limit_) +
                      " bytes; the snapshot was not written");
    }
    buffer_.clear();
    append_record(payload, buffer_);
    return emit(buffer_);
  }
  std::uint32_t crc() const { return crc_; }

 private:
  Status emit(std::string_view bytes) {
    crc_ = crc32c_extend(crc_, bytes);
    return sink_(bytes);
  }
  const std::function<Status(std::string_view)>& sink_;
  const std::uint32_t limit_;
  std::uint32_t crc_ = 0;
  std::string buffer_;
};

// Reads one collection's header (version 2) or whole record (version 1);
// checks what MemoryStash(image) relies on.
Status read_collection(std::string_view payload, bool with_updates, std::int64_t expected_id,
                       std::set<std::string>& names, MemoryStashImage& image,
                       std::uint64_t& chunked_updates, std::size_t bytes_left) {
  PayloadReader in(payload);
  MemoryStashImage::Collection c;
  const auto id = in.read<std::int64_t>();
  c.name = in.read<std::string>();
  c.since = in.frontier();
  c.upper = in.frontier();
  chunked_updates = 0;
  if (with_updates) {
    c.updates = in.updates();
  } else {
    chunked_updates = in.read<std::uint64_t>();
  }
  in.expect_end();
  if (!in.ok()) return std::unexpected(in.error());
  if (id != expected_id) {
    return fail(ErrorCode::kCorruption, "collection id " + std::to_string(id) +
                                            " where id " + std::to_string(expected_id) +
                                            " belongs");
  }
  if (auto ok = rules::check_collection_name(c.name); !ok) {
    return fail(ErrorCode::kCorruption, "bad collection name: " + ok.error().message());
  }
  if (!names.insert(c.name).second) {
    return fail(ErrorCode::kCorruption, "collection name \"" + printable(c.name) + "\" twice");
  }
  if (c.upper < c.since) {  // INV-2
    return fail(ErrorCode::kCorruption, "since " + c.since.to_string() + " is beyond upper " +
                                            c.upper.to_string());
  }
  if (chunked_updates > bytes_left / kMinUpdateBytes) {
    return fail(ErrorCode::kCorruption, "collection claims " + std::to_string(chunked_updates) +
                                            " updates, more than the rest of the file holds");
  }
  // Bounded by the file's size (checked above), so a damaged count cannot
  // make us allocate more than the file could hold.
  c.updates.reserve(static_cast<std::size_t>(chunked_updates));
  image.collections.push_back(std::move(c));
  return {};
}

// A chunk of the last collection's updates.
Status read_chunk(std::string_view payload, MemoryStashImage& image, std::uint64_t& remaining) {
  if (image.collections.empty()) return fail(ErrorCode::kCorruption, "chunk before any collection");
  PayloadReader in(payload);
  std::vector<Update>& updates = image.collections.back().updates;
  const std::size_t before = updates.size();
  in.updates_into(updates);
  in.expect_end();
  if (!in.ok()) return std::unexpected(in.error());
  const std::uint64_t count = updates.size() - before;
  if (count == 0 || count > remaining) {
    return fail(ErrorCode::kCorruption,
                "chunk of " + std::to_string(count) + " updates where the collection has " +
                    std::to_string(remaining) + " left");
  }
  remaining -= count;
  return {};
}

// The end record: how many collections, and the CRC of everything before it.
Status read_end(std::string_view payload, std::size_t collections, std::uint32_t crc_before) {
  PayloadReader in(payload);
  const auto count = in.read<std::uint64_t>();
  const auto crc = in.read<std::uint32_t>();
  in.expect_end();
  if (!in.ok()) return std::unexpected(in.error());
  if (count != collections) {
    return fail(ErrorCode::kCorruption, "end record counts " + std::to_string(count) +
                                            " collections, the file has " +
                                            std::to_string(collections));
  }
  if (crc != crc_before) return fail(ErrorCode::kCorruption, "snapshot checksum mismatch");
  return {};
}

}  // namespace

Status encode_snapshot(const MemoryStashImage& image, std::uint64_t generation,
                       const std::function<Status(std::string_view)>& sink,
                       std::uint32_t record_bytes_max, std::size_t chunk_bytes) {
  chunk_bytes = std::min<std::size_t>(chunk_bytes, record_bytes_max / 2);
  SnapshotSink out(sink, record_bytes_max);
  if (auto ok = out.header(generation); !ok) return ok;
  std::string payload;
  for (std::size_t i = 0; i < image.collections.size(); ++i) {
    const MemoryStashImage::Collection& c = image.collections[i];
    if (auto ok = out.record(collection_payload(static_cast<std::int64_t>(i + 1), c)); !ok) {
      return ok;
    }
    const std::span<const Update> all(c.updates);
    for (std::size_t first = 0; first < all.size();) {
      std::size_t last = first;
      std::size_t bytes = 0;
      do bytes += update_bytes(all[last++]);
      while (last < all.size() && bytes + update_bytes(all[last]) <= chunk_bytes);
      payload.clear();
      Codec<std::uint8_t>::encode(kChunkTag, payload);
      put_updates(all.subspan(first, last - first), payload);
      if (auto ok = out.record(payload); !ok) return ok;
      first = last;
    }
  }
  std::string end;
  Codec<std::uint8_t>::encode(kEndTag, end);
  Codec<std::uint64_t>::encode(image.collections.size(), end);
  Codec<std::uint32_t>::encode(out.crc(), end);
  return out.record(end);
}

std::string encode_snapshot(const MemoryStashImage& image, std::uint64_t generation,
                            std::size_t chunk_bytes) {
  std::string file;
  const auto sink = [&](std::string_view bytes) -> Status {
    file.append(bytes);
    return {};
  };
  // Only the record limit can fail, and an image from the model fits it.
  (void)encode_snapshot(image, generation, sink, kRecordBytesMax, chunk_bytes);
  return file;
}

Result<Snapshot> decode_snapshot(std::string_view file, const std::string& path,
                                 std::uint32_t record_bytes_max) {
  auto frames = read_frames(file, kSnapshotMagic, path, /*torn_tail_ok=*/false, record_bytes_max);
  if (!frames) return std::unexpected(frames.error());
  const bool v1 = frames->version == 1;
  Snapshot out;
  out.generation = frames->generation;
  std::set<std::string> names;
  std::uint64_t remaining = 0;  // Updates the current collection's chunks still owe.
  for (std::size_t i = 0; i < frames->records.size(); ++i) {
    const Frame& frame = frames->records[i];
    const auto where = [&](const Error& e) { return corruption(path, frame.offset, e.message()); };
    const std::uint8_t tag = frame.payload.empty() ? 0 : static_cast<std::uint8_t>(frame.payload[0]);
    const std::string_view body = frame.payload.substr(frame.payload.empty() ? 0 : 1);
    const std::int64_t next_id = static_cast<std::int64_t>(out.image.collections.size() + 1);
    if (tag != kChunkTag && remaining > 0) {
      return std::unexpected(where(Error(ErrorCode::kCorruption,
                                         "collection ends " + std::to_string(remaining) +
                                             " updates short of its count")));
    }
    Status ok;
    if (tag == (v1 ? kCollectionV1Tag : kCollectionTag)) {
      ok = read_collection(body, v1, next_id, names, out.image, remaining,
                           file.size() - frame.offset);
    } else if (tag == kChunkTag && !v1) {
      ok = read_chunk(body, out.image, remaining);
    } else if (tag == kEndTag) {
      ok = read_end(body, out.image.collections.size(), crc32c(file.substr(0, frame.offset)));
      if (ok && i + 1 != frames->records.size()) {
        return std::unexpected(corruption(path, frames->records[i + 1].offset,
                                          "record after the end record"));
      }
      if (ok) return out;
    } else {
      ok = fail(ErrorCode::kCorruption, "unknown snapshot record tag " + std::to_string(tag) +
                                            " (format version " +
                                            std::to_string(frames->version) + ")");
    }
    if (!ok) return std::unexpected(where(ok.error()));
  }
  return std::unexpected(corruption(path, frames->valid_bytes,
                                    "snapshot truncated: no end record"));
}

std::string encode_log_header(std::uint64_t generation, std::uint32_t version) {
  std::string out;
  append_file_header(kLogMagic, generation, out, version);
  return out;
}

std::string encode_log_record(const Command& command) {
  std::string out;
  append_record(encode_command(command), out);
  return out;
}

Result<Log> decode_log(std::string_view file, const std::string& path,
                       std::uint32_t record_bytes_max) {
  auto frames = read_frames(file, kLogMagic, path, /*torn_tail_ok=*/true, record_bytes_max);
  if (!frames) return std::unexpected(frames.error());
  Log out;
  out.version = frames->version;
  out.generation = frames->generation;
  out.valid_bytes = frames->valid_bytes;
  out.torn_tail = frames->torn_tail;
  for (const Frame& frame : frames->records) {
    auto command = decode_command(frame.payload);
    if (!command) return std::unexpected(corruption(path, frame.offset, command.error().message()));
    out.commands.push_back(std::move(*command));
    out.offsets.push_back(frame.offset);
  }
  return out;
}

}  // namespace stash::durable
