// The child of sqlite_crash_test: runs generate_workload(SEED, COUNT) on the
// stash at PATH and acknowledges each call that returned by writing its index
// and a newline to stdout, unbuffered, right after it returns. The parent
// kills it with SIGKILL at a random moment.
//
//   sqlite_crash_worker PATH SEED COUNT
//
// Exits 0 when every call ran, 2 if the stash does not open, 3 if a call's
// result differs from MemoryStash's (printed to stderr).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "stash/memory_stash.h"
#include "stash/sqlite_stash.h"
#include "workload.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s PATH SEED COUNT\n", argv[0]);
    return 2;
  }
  const auto ops = stash::testing::generate_workload(std::strtoull(argv[2], nullptr, 10),
                                                     std::atoi(argv[3]));
  auto stash = stash::SqliteStash::open(argv[1]);
  if (!stash) {
    std::fprintf(stderr, "open: %s\n", stash.error().to_string().c_str());
    return 2;
  }
  stash::MemoryStash model;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    auto got = stash::testing::apply(**stash, ops[i]);
    auto want = stash::testing::apply(model, ops[i]);
    if (got != want) {
      std::fprintf(stderr, "call %zu %s: sqlite %s, model %s\n", i,
                   stash::testing::show(ops[i]).c_str(),
                   got ? "ok" : got.error().to_string().c_str(),
                   want ? "ok" : want.error().to_string().c_str());
      return 3;
    }
    const std::string ack = std::to_string(i) + "\n";
    if (::write(STDOUT_FILENO, ack.data(), ack.size()) != static_cast<ssize_t>(ack.size())) {
      return 4;
    }
  }
  return 0;
}
