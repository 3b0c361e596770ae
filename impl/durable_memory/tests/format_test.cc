// The on-disk format: CRC32C test vectors, round trips, and the recovery rule
// for every kind of damage (docs/durable-format.md, "Recovery").
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <sstream>
#include <tuple>

#include "command.h"
#include "files.h"
#include "format.h"
#include "stash/codec.h"
#include "stash/crc32c.h"

namespace stash::durable {
namespace {

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(crc32c(""), 0x00000000u);
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);  // RFC 3720 B.4
  EXPECT_EQ(crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
  EXPECT_EQ(crc32c_extend(crc32c("1234"), "56789"), crc32c("123456789"));
  EXPECT_EQ(crc32c_extend_portable(0, "123456789"), 0xE3069283u);
}

// The hardware path (SSE4.2, 8 bytes at a time) against the table, at every
// length and alignment around the 8-byte steps.
TEST(Crc32cTest, HardwareAgreesWithTheTable) {
  std::mt19937 rng(7);
  std::string data(300, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (std::size_t start = 0; start < 9; ++start) {
    for (std::size_t n = 0; start + n <= data.size(); n += 7) {
      const std::string_view piece = std::string_view(data).substr(start, n);
      ASSERT_EQ(crc32c_extend(0x12345678u, piece), crc32c_extend_portable(0x12345678u, piece))
          << start << "+" << n;
    }
  }
  std::cout << "hardware crc32c: " << (crc32c_uses_hardware() ? "yes" : "no") << "\n";
}

MemoryStashImage sample_image() {
  MemoryStashImage image;
  image.collections.push_back({"orders", Frontier::at(1), Frontier::at(5),
                               {{"k", "v", 2, 3}, {"k", "v", 2, INT64_MAX}, {"k", "v", 2, INT64_MAX}}});
  image.collections.push_back({"other", Frontier::empty(), Frontier::empty(), {}});
  return image;
}

std::string sample_log() {
  std::string log = encode_log_header(7);
  log += encode_log_record(CreateCollection{1, "orders"});
  log += encode_log_record(UpdateMany{{1}, {{"k", "v", 3, -1}}});
  log += encode_log_record(Seal{{1}, Frontier::at(9)});
  return log;
}

TEST(SnapshotFormatTest, RoundTrips) {
  auto decoded = decode_snapshot(encode_snapshot(sample_image(), 3), "SNAPSHOT");
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(decoded->generation, 3u);
  EXPECT_EQ(decoded->image, sample_image());
}

TEST(SnapshotFormatTest, EveryTruncationIsCorruption) {
  const std::string file = encode_snapshot(sample_image(), 3);
  for (std::size_t n = 0; n < file.size(); ++n) {
    auto decoded = decode_snapshot(file.substr(0, n), "SNAPSHOT");
    ASSERT_FALSE(decoded) << "cut at " << n;
    EXPECT_EQ(decoded.error().code(), ErrorCode::kCorruption);
  }
}

TEST(SnapshotFormatTest, EveryFlippedByteIsCorruptionNamingFileAndOffset) {
  const std::string file = encode_snapshot(sample_image(), 3);
  for (std::size_t i = 0; i < file.size(); ++i) {
    std::string damaged = file;
    damaged[i] ^= 0x20;
    auto decoded = decode_snapshot(damaged, "/d/SNAPSHOT");
    ASSERT_FALSE(decoded) << "flipped byte " << i;
    EXPECT_EQ(decoded.error().code(), ErrorCode::kCorruption);
    EXPECT_TRUE(decoded.error().message().starts_with("/d/SNAPSHOT at byte ")) << decoded.error();
  }
}

TEST(SnapshotFormatTest, WrongMagicAndNewerVersion) {
  std::string file = encode_snapshot(sample_image(), 3);
  EXPECT_NE(decode_snapshot(encode_log_header(3), "S").error().message().find("wrong magic"),
            std::string::npos);
  std::string newer = file.substr(0, 4);
  put_u32(kFormatVersion + 1, newer);
  newer += file.substr(8, 8);
  put_u32(crc32c(newer), newer);
  newer += file.substr(kFileHeaderBytes);
  auto decoded = decode_snapshot(newer, "S");
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().message(),
            "S at byte 4: format version 3 is newer than the versions this build reads (1 to 2)");
}

// Version 2 stores a collection as a header and chunks; a collection spread
// over many chunks comes back whole, and no chunk exceeds its target.
TEST(SnapshotFormatTest, LargeCollectionsAreChunked) {
  MemoryStashImage image = sample_image();
  for (int i = 0; i < 500; ++i) {
    image.collections[1].updates.push_back({"key" + std::to_string(1000 + i),
                                            std::string(i % 50, 'x'), i, 1});
  }
  const std::string file = encode_snapshot(image, 4, /*chunk_bytes=*/256);
  auto frames = read_frames(file, kSnapshotMagic, "S", false);
  ASSERT_TRUE(frames) << frames.error();
  EXPECT_GT(frames->records.size(), 50u);
  for (const Frame& f : frames->records) EXPECT_LE(f.payload.size(), 256u + 100u);
  auto decoded = decode_snapshot(file, "S");
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(decoded->image, image);
  // A chunk dropped (its neighbours' checksums intact) is caught by the
  // collection's count and the file checksum.
  const Frame& chunk = frames->records[10];
  std::string dropped = file.substr(0, chunk.offset) +
                        file.substr(chunk.offset + kRecordHeaderBytes + chunk.payload.size());
  auto bad = decode_snapshot(dropped, "S");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kCorruption);
}

// Stores written by version 1 (a collection in one record) still open.
TEST(SnapshotFormatTest, ReadsVersion1) {
  const MemoryStashImage image = sample_image();
  std::string v1;
  append_file_header(kSnapshotMagic, 5, v1, /*version=*/1);
  for (std::size_t i = 0; i < image.collections.size(); ++i) {
    const auto& c = image.collections[i];
    std::string payload;
    Codec<std::uint8_t>::encode(0x11, payload);
    Codec<std::int64_t>::encode(static_cast<std::int64_t>(i + 1), payload);
    Codec<std::string>::encode(c.name, payload);
    Codec<std::optional<Timestamp>>::encode(c.since.element(), payload);
    Codec<std::optional<Timestamp>>::encode(c.upper.element(), payload);
    Codec<std::uint64_t>::encode(c.updates.size(), payload);
    for (const Update& u : c.updates) {
      Codec<std::string>::encode(u.key, payload);
      Codec<std::string>::encode(u.value, payload);
      Codec<Timestamp>::encode(u.time, payload);
      Codec<Diff>::encode(u.diff, payload);
    }
    append_record(payload, v1);
  }
  std::string end;
  Codec<std::uint8_t>::encode(0x10, end);
  Codec<std::uint64_t>::encode(image.collections.size(), end);
  Codec<std::uint32_t>::encode(crc32c(v1), end);
  append_record(end, v1);
  auto decoded = decode_snapshot(v1, "S");
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(decoded->generation, 5u);
  EXPECT_EQ(decoded->image, image);
  // A version 2 chunk record in a version 1 file is not part of the grammar.
  std::string mixed;
  append_file_header(kSnapshotMagic, 5, mixed, 1);
  append_record(std::string("\x13") + std::string(8, '\0'), mixed);
  EXPECT_FALSE(decode_snapshot(mixed, "S"));
}

// A record over the limit is never written: the encoder stops instead.
TEST(SnapshotFormatTest, EncoderRefusesARecordOverTheLimit) {
  MemoryStashImage image;
  image.collections.push_back({std::string(600, 'n'), Frontier::at(0), Frontier::at(0), {}});
  std::string out;
  auto ok = encode_snapshot(image, 1, [&](std::string_view b) -> Status {
    out.append(b);
    return {};
  }, /*record_bytes_max=*/512);
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().code(), ErrorCode::kInternal);
  EXPECT_EQ(out.size(), kFileHeaderBytes);
}

TEST(LogFormatTest, RoundTrips) {
  auto log = decode_log(sample_log(), "LOG");
  ASSERT_TRUE(log) << log.error();
  EXPECT_EQ(log->generation, 7u);
  ASSERT_EQ(log->commands.size(), 3u);
  EXPECT_EQ(log->commands[2], Command(Seal{{1}, Frontier::at(9)}));
  EXPECT_FALSE(log->torn_tail);
}

// A crash mid-append leaves a prefix of the last record, or zeros in place of
// it: dropped, and everything before it kept.
TEST(LogFormatTest, TornTailIsDropped) {
  const std::string full = sample_log();
  const std::size_t last = decode_log(full, "LOG")->offsets[2];
  for (std::size_t n = last + 1; n < full.size(); ++n) {
    auto log = decode_log(full.substr(0, n), "LOG");
    ASSERT_TRUE(log) << "cut at " << n << ": " << log.error();
    EXPECT_EQ(log->commands.size(), 2u);
    EXPECT_TRUE(log->torn_tail);
  }
  auto zeros = decode_log(full.substr(0, last) + std::string(full.size() - last, '\0'), "LOG");
  ASSERT_TRUE(zeros) << zeros.error();
  EXPECT_EQ(zeros->commands.size(), 2u);
  std::string garbled = full;
  garbled.back() ^= 1;  // The last record's payload: torn too.
  EXPECT_EQ(decode_log(garbled, "LOG")->commands.size(), 2u);
}

// A bad checksum with good records after it is damage, not a torn append.
TEST(LogFormatTest, MidLogDamageIsCorruptionAtItsOffset) {
  const std::string full = sample_log();
  const std::size_t second = decode_log(full, "LOG")->offsets[1];
  std::string damaged = full;
  damaged[second + kRecordHeaderBytes] ^= 1;
  auto log = decode_log(damaged, "/d/LOG");
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code(), ErrorCode::kCorruption);
  EXPECT_EQ(log.error().message(),
            "/d/LOG at byte " + std::to_string(second) + ": record checksum mismatch");
}

// open() reads the files through a FileSource, a piece at a time; the
// decoders above read them whole from memory. For every cut and every flipped
// bit of a snapshot and a log, read in pieces of 7 bytes from a file that
// hands out at most 3 bytes per read, both must say exactly the same.
class TrickleFile final : public SequentialFile {
 public:
  explicit TrickleFile(std::string_view content) : rest_(content) {}
  Result<std::size_t> read(char* to, std::size_t n) override {
    n = std::min({n, rest_.size(), std::size_t{3}});
    rest_.copy(to, n);
    rest_.remove_prefix(n);
    return n;
  }

 private:
  std::string_view rest_;
};

std::string snapshot_in_pieces(std::string_view file) {
  TrickleFile trickle(file);
  FileSource source(trickle, 7);
  MemoryStashImage image;
  struct Into final : SnapshotVisitor {
    MemoryStashImage& image;
    explicit Into(MemoryStashImage& i) : image(i) {}
    void collection(std::string name, Frontier since, Frontier upper) override {
      image.collections.push_back({std::move(name), since, upper, {}});
    }
    void update(std::string_view k, std::string_view v, Timestamp t, Diff d) override {
      image.collections.back().updates.push_back({Bytes(k), Bytes(v), t, d});
    }
  } into(image);
  auto generation = read_snapshot(source, "S", into);
  if (!generation) return "error: " + generation.error().message();
  return "ok " + std::to_string(*generation) + " " + encode_snapshot(image, *generation);
}

std::string snapshot_whole(std::string_view file) {
  auto decoded = decode_snapshot(file, "S");
  if (!decoded) return "error: " + decoded.error().message();
  return "ok " + std::to_string(decoded->generation) + " " +
         encode_snapshot(decoded->image, decoded->generation);
}

std::string log_in_pieces(std::string_view file) {
  TrickleFile trickle(file);
  FileSource source(trickle, 7);
  LogReader reader(source, "L");
  if (auto ok = reader.read_header(); !ok) return "error: " + ok.error().message();
  std::ostringstream out;
  out << "gen " << reader.generation();
  for (;;) {
    auto next = reader.next();
    if (!next) return "error: " + next.error().message();
    if (!*next) break;
    out << " @" << (*next)->second << " " << (*next)->first;
  }
  out << " valid " << reader.valid_bytes() << " torn " << reader.torn_tail();
  return out.str();
}

std::string log_whole(std::string_view file) {
  auto log = decode_log(file, "L");
  if (!log) return "error: " + log.error().message();
  std::ostringstream out;
  out << "gen " << log->generation;
  for (std::size_t i = 0; i < log->commands.size(); ++i) {
    out << " @" << log->offsets[i] << " " << log->commands[i];
  }
  out << " valid " << log->valid_bytes << " torn " << log->torn_tail;
  return out.str();
}

TEST(FileSourceTest, ReadingInPiecesAgreesWithReadingWhole) {
  const std::string snapshot = encode_snapshot(sample_image(), 3, /*chunk_bytes=*/16);
  const std::string log = sample_log();
  for (const auto& [file, whole, pieces] :
       {std::tuple{snapshot, &snapshot_whole, &snapshot_in_pieces},
        std::tuple{log, &log_whole, &log_in_pieces}}) {
    ASSERT_FALSE(whole(file).starts_with("error")) << whole(file);  // the sample reads
    for (std::size_t n = 0; n <= file.size(); ++n) {
      ASSERT_EQ(pieces(file.substr(0, n)), whole(file.substr(0, n))) << "cut at " << n;
    }
    for (std::size_t i = 0; i < file.size(); ++i) {
      for (int bit = 0; bit < 8; bit += 3) {
        std::string damaged = file;
        damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
        ASSERT_EQ(pieces(damaged), whole(damaged)) << "byte " << i << " bit " << bit;
      }
    }
    // Zeros after the end (a file system's extended, never written pages).
    const std::string zeros = file + std::string(40, '\0');
    ASSERT_EQ(pieces(zeros), whole(zeros));
  }
}

}  // namespace
}  // namespace stash::durable
