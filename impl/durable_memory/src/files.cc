// Snapshot and log files. Framing: format.cc. Command payloads: command.cc.
//
//   snapshot   := header("SSNP") collection_record* end_record
//   collection := 0x11 id:int64 name:bytes since:frontier upper:frontier
//                 count:uint64 update*
//   end        := 0x10 count:uint64 file_crc:uint32
//   log        := header("SLOG") command_record*
#include "files.h"

#include <set>

#include "crc32c.h"
#include "format.h"
#include "payload.h"
#include "stash/rules.h"

namespace stash::durable {
namespace {

constexpr std::uint8_t kEndTag = 0x10;
constexpr std::uint8_t kCollectionTag = 0x11;

std::string collection_payload(std::int64_t id, const MemoryStashImage::Collection& c) {
  std::string out;
  Codec<std::uint8_t>::encode(kCollectionTag, out);
  Codec<std::int64_t>::encode(id, out);
  Codec<std::string>::encode(c.name, out);
  put_frontier(c.since, out);
  put_frontier(c.upper, out);
  put_updates(c.updates, out);
  return out;
}

// One collection record; checks what MemoryStash(image) relies on.
Status read_collection(std::string_view payload, std::int64_t expected_id,
                       std::set<std::string>& names, MemoryStashImage& image) {
  PayloadReader in(payload);
  MemoryStashImage::Collection c;
  const auto id = in.read<std::int64_t>();
  c.name = in.read<std::string>();
  c.since = in.frontier();
  c.upper = in.frontier();
  c.updates = in.updates();
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
  image.collections.push_back(std::move(c));
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

std::string encode_snapshot(const MemoryStashImage& image, std::uint64_t generation) {
  std::string out;
  append_file_header(kSnapshotMagic, generation, out);
  for (std::size_t i = 0; i < image.collections.size(); ++i) {
    append_record(collection_payload(static_cast<std::int64_t>(i + 1), image.collections[i]), out);
  }
  std::string end;
  Codec<std::uint8_t>::encode(kEndTag, end);
  Codec<std::uint64_t>::encode(image.collections.size(), end);
  Codec<std::uint32_t>::encode(crc32c(out), end);
  append_record(end, out);
  return out;
}

Result<Snapshot> decode_snapshot(std::string_view file, const std::string& path) {
  auto frames = read_frames(file, kSnapshotMagic, path, /*torn_tail_ok=*/false);
  if (!frames) return std::unexpected(frames.error());
  Snapshot out;
  out.generation = frames->generation;
  std::set<std::string> names;
  for (std::size_t i = 0; i < frames->records.size(); ++i) {
    const Frame& frame = frames->records[i];
    const auto where = [&](const Error& e) { return corruption(path, frame.offset, e.message()); };
    const std::uint8_t tag = frame.payload.empty() ? 0 : static_cast<std::uint8_t>(frame.payload[0]);
    const std::string_view body = frame.payload.substr(frame.payload.empty() ? 0 : 1);
    if (tag == kCollectionTag) {
      auto ok = read_collection(body, static_cast<std::int64_t>(out.image.collections.size() + 1),
                                names, out.image);
      if (!ok) return std::unexpected(where(ok.error()));
    } else if (tag == kEndTag) {
      auto ok = read_end(body, out.image.collections.size(),
                         crc32c(file.substr(0, frame.offset)));
      if (!ok) return std::unexpected(where(ok.error()));
      if (i + 1 != frames->records.size()) {
        return std::unexpected(corruption(path, frames->records[i + 1].offset,
                                          "record after the end record"));
      }
      return out;
    } else {
      return std::unexpected(where(Error(ErrorCode::kCorruption,
                                         "unknown snapshot record tag " + std::to_string(tag))));
    }
  }
  return std::unexpected(corruption(path, frames->valid_bytes,
                                    "snapshot truncated: no end record"));
}

std::string encode_log_header(std::uint64_t generation) {
  std::string out;
  append_file_header(kLogMagic, generation, out);
  return out;
}

std::string encode_log_record(const Command& command) {
  std::string out;
  append_record(encode_command(command), out);
  return out;
}

Result<Log> decode_log(std::string_view file, const std::string& path) {
  auto frames = read_frames(file, kLogMagic, path, /*torn_tail_ok=*/true);
  if (!frames) return std::unexpected(frames.error());
  Log out;
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
