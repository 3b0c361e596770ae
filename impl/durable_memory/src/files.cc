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

// Reads one collection's header (version 2) or whole record (version 1),
// checks what MemoryStash::Loader relies on, and hands it to `into`.
Status read_collection(std::string_view payload, bool with_updates, std::int64_t expected_id,
                       std::set<std::string>& names, SnapshotVisitor& into,
                       std::uint64_t& chunked_updates) {
  PayloadReader in(payload);
  const auto id = in.read<std::int64_t>();
  std::string name = in.read<std::string>();
  const Frontier since = in.frontier();
  const Frontier upper = in.frontier();
  chunked_updates = with_updates ? 0 : in.read<std::uint64_t>();
  if (!with_updates) in.expect_end();
  if (!in.ok()) return std::unexpected(in.error());
  if (id != expected_id) {
    return fail(ErrorCode::kCorruption, "collection id " + std::to_string(id) +
                                            " where id " + std::to_string(expected_id) +
                                            " belongs");
  }
  if (auto ok = rules::check_collection_name(name); !ok) {
    return fail(ErrorCode::kCorruption, "bad collection name: " + ok.error().message());
  }
  if (!names.insert(name).second) {
    return fail(ErrorCode::kCorruption, "collection name \"" + printable(name) + "\" twice");
  }
  if (upper < since) {  // INV-2
    return fail(ErrorCode::kCorruption, "since " + since.to_string() + " is beyond upper " +
                                            upper.to_string());
  }
  into.collection(std::move(name), since, upper);
  if (with_updates) {
    in.visit_updates([&](std::string_view key, std::string_view value, Timestamp time, Diff diff) {
      into.update(key, value, time, diff);
    });
    in.expect_end();
    if (!in.ok()) return std::unexpected(in.error());
  }
  return {};
}

// A chunk of the last collection's updates, handed to `into` as decoded (a
// chunk that then fails fails the whole read).
Status read_chunk(std::string_view payload, bool have_collection, SnapshotVisitor& into,
                  std::uint64_t& remaining) {
  if (!have_collection) return fail(ErrorCode::kCorruption, "chunk before any collection");
  PayloadReader in(payload);
  const std::uint64_t count = in.visit_updates(
      [&](std::string_view key, std::string_view value, Timestamp time, Diff diff) {
        into.update(key, value, time, diff);
      });
  in.expect_end();
  if (!in.ok()) return std::unexpected(in.error());
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

// Builds a MemoryStashImage (decode_snapshot).
class ImageVisitor final : public SnapshotVisitor {
 public:
  explicit ImageVisitor(MemoryStashImage& image) : image_(image) {}
  void collection(std::string name, Frontier since, Frontier upper) override {
    image_.collections.push_back({std::move(name), since, upper, {}});
  }
  void update(std::string_view key, std::string_view value, Timestamp time, Diff diff) override {
    image_.collections.back().updates.push_back({Bytes(key), Bytes(value), time, diff});
  }

 private:
  MemoryStashImage& image_;
};

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

Result<std::uint64_t> read_snapshot(ByteSource& source, const std::string& path,
                                    SnapshotVisitor& into, std::uint32_t record_bytes_max) {
  FrameReader frames(source, kSnapshotMagic, path, /*torn_tail_ok=*/false, record_bytes_max,
                     /*file_crc=*/true);
  if (auto ok = frames.read_header(); !ok) return std::unexpected(ok.error());
  const bool v1 = frames.version() == 1;
  std::set<std::string> names;
  std::size_t collections = 0;
  std::uint64_t remaining = 0;  // Updates the current collection's chunks still owe.
  for (;;) {
    auto next = frames.next();
    if (!next) return std::unexpected(next.error());
    if (!*next) break;
    const Frame& frame = **next;
    const auto where = [&](const Error& e) { return corruption(path, frame.offset, e.message()); };
    const std::uint8_t tag = frame.payload.empty() ? 0 : static_cast<std::uint8_t>(frame.payload[0]);
    const std::string_view body = frame.payload.substr(frame.payload.empty() ? 0 : 1);
    if (tag != kChunkTag && remaining > 0) {
      return std::unexpected(where(Error(ErrorCode::kCorruption,
                                         "collection ends " + std::to_string(remaining) +
                                             " updates short of its count")));
    }
    Status ok;
    if (tag == (v1 ? kCollectionV1Tag : kCollectionTag)) {
      ok = read_collection(body, v1, static_cast<std::int64_t>(collections + 1), names, into,
                           remaining);
      if (ok) ++collections;
    } else if (tag == kChunkTag && !v1) {
      ok = read_chunk(body, collections > 0, into, remaining);
    } else if (tag == kEndTag) {
      ok = read_end(body, collections, frames.crc_before_last());
      if (!ok) return std::unexpected(where(ok.error()));
      auto after = frames.next();
      if (!after) return std::unexpected(after.error());
      if (*after) return std::unexpected(corruption(path, (*after)->offset, "record after the end record"));
      return frames.generation();
    } else {
      ok = fail(ErrorCode::kCorruption, "unknown snapshot record tag " + std::to_string(tag) +
                                            " (format version " +
                                            std::to_string(frames.version()) + ")");
    }
    if (!ok) return std::unexpected(where(ok.error()));
  }
  return std::unexpected(corruption(path, frames.valid_bytes(),
                                    "snapshot truncated: no end record"));
}

Result<Snapshot> decode_snapshot(std::string_view file, const std::string& path,
                                 std::uint32_t record_bytes_max) {
  Snapshot out;
  MemorySource source(file);
  ImageVisitor into(out.image);
  auto generation = read_snapshot(source, path, into, record_bytes_max);
  if (!generation) return std::unexpected(generation.error());
  out.generation = *generation;
  return out;
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

Result<std::optional<std::pair<Command, std::size_t>>> LogReader::next() {
  auto frame = frames_.next();
  if (!frame) return std::unexpected(frame.error());
  if (!*frame) return std::nullopt;
  auto command = decode_command((*frame)->payload);
  if (!command) {
    return std::unexpected(corruption(path_, (*frame)->offset, command.error().message()));
  }
  return std::pair{std::move(*command), (*frame)->offset};
}

Result<Log> decode_log(std::string_view file, const std::string& path,
                       std::uint32_t record_bytes_max) {
  MemorySource source(file);
  LogReader reader(source, path, record_bytes_max);
  if (auto ok = reader.read_header(); !ok) return std::unexpected(ok.error());
  Log out;
  out.version = reader.version();
  out.generation = reader.generation();
  for (;;) {
    auto next = reader.next();
    if (!next) return std::unexpected(next.error());
    if (!*next) break;
    out.commands.push_back(std::move((*next)->first));
    out.offsets.push_back((*next)->second);
  }
  out.valid_bytes = reader.valid_bytes();
  out.torn_tail = reader.torn_tail();
  return out;
}

}  // namespace stash::durable
