// Writes the seed corpus (fuzz/corpus/): valid snapshots and logs from the
// encoders, plus a torn and a damaged variant of each. (The corpus also
// keeps the version 1 snapshots an earlier build wrote: valid, empty,
// truncated, afl-*.) Run once by hand:
//   build/.../durable_make_fuzz_seeds impl/durable_memory/fuzz/corpus
#include <fstream>
#include <string>

#include "files.h"

using namespace stash;
using namespace stash::durable;

void put(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  MemoryStashImage image;
  image.collections.push_back({"orders", Frontier::at(1), Frontier::at(5),
                               {{"k", "v", 2, 3}, {std::string("a\0b", 3), "", 7, -1}}});
  image.collections.push_back({"other", Frontier::empty(), Frontier::empty(), {}});
  const std::string snapshot = encode_snapshot(image, 3);
  put(dir + "/snapshot/v2-valid", snapshot);
  put(dir + "/snapshot/v2-empty", encode_snapshot({}, 1));
  put(dir + "/snapshot/v2-truncated", snapshot.substr(0, snapshot.size() - 4));
  // A collection over several chunk records.
  for (int i = 0; i < 6; ++i) {
    image.collections[1].updates.push_back({"key" + std::to_string(i), "value", i, 1});
  }
  put(dir + "/snapshot/v2-chunked", encode_snapshot(image, 4, /*chunk_bytes=*/40));
  std::string log = encode_log_header(3);
  log += encode_log_record(CreateCollection{1, "orders"});
  log += encode_log_record(UpdateMany{{1}, {{"k", "v", 3, -1}, {"k", "w", 4, 2}}});
  log += encode_log_record(Seal{{1}, Frontier::at(9)});
  log += encode_log_record(Compact{{1}, Frontier::at(2)});
  log += encode_log_record(Append{{{{1}, Frontier::at(9), Frontier::empty(), Frontier::at(4),
                                     {{"x", "y", 9, 1}}}}});
  put(dir + "/log/valid", log);
  put(dir + "/log/torn", log.substr(0, log.size() - 3));
  std::string damaged = log;
  damaged[40] ^= 1;
  put(dir + "/log/damaged", damaged);
  return 0;
}
