// Runs a fuzz target over every file of the given corpus directories, without
// libFuzzer: the corpus replay that runs in every ctest (and under ASan and
// UBSan in ci/fuzz-replay).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fuzz_targets.h"

int main(int argc, char** argv) {
  int files = 0;
  for (int i = 1; i < argc; ++i) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(argv[i])) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      const std::string data = bytes.str();
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
      ++files;
    }
  }
  std::printf("replayed %d corpus files\n", files);
  return files > 0 ? 0 : 1;  // An empty corpus is a broken checkout.
}
