// The on-disk format: CRC32C test vectors, round trips, and the recovery rule
// for every kind of damage (docs/durable-format.md, "Recovery").
#include <gtest/gtest.h>

#include "command.h"
#include "crc32c.h"
#include "files.h"
#include "format.h"

namespace stash::durable {
namespace {

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(crc32c(""), 0x00000000u);
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);  // RFC 3720 B.4
  EXPECT_EQ(crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
  EXPECT_EQ(crc32c_extend(crc32c("1234"), "56789"), crc32c("123456789"));
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
            "S at byte 4: format version 2 is newer than the version this build reads (1)");
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

}  // namespace
}  // namespace stash::durable
