// The following half of the follow example: a process that subscribes to the
// catalog another process writes (catalog_writer) and prints each change as
// it happens, in time order, until the writer seals the catalog for ever.
//
//   catalog_follower URL [--timeout-s N]
//
// It opens the store read-only (so it fences nobody) and subscribes as of
// time 0: the first batch is the catalog's contents at 0, then every sealed
// change follows, never one twice, never one missed (stash/subscription.h).
// With SQLite, the writer's commits wake it through a file-change
// notification; with PostgreSQL through LISTEN/NOTIFY once the backend has
// it. It exits 0 after the catalog is sealed for ever, 1 if nothing arrived
// for N seconds (default 30).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include "stash/open.h"

namespace {

template <typename T>
T must(stash::Result<T> result, const char* what) {
  if (!result) {
    std::cerr << "catalog_follower: " << what << " failed: " << result.error() << "\n";
    std::exit(1);
  }
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: catalog_follower URL [--timeout-s N]\n";
    return 2;
  }
  const std::string url = argv[1];
  const int timeout_s = argc > 3 && std::string(argv[2]) == "--timeout-s" ? std::atoi(argv[3]) : 30;

  stash::OpenOptions options;
  options.read_only = true;
  auto stash = must(stash::open(url, options), "open");
  const stash::CollectionHandle catalog = must(stash->collection("catalog"), "collection");
  auto subscription = must(stash->subscribe(catalog, 0), "subscribe");

  while (true) {
    auto batch = must(subscription->next(std::chrono::seconds(timeout_s)), "next");
    if (!batch) {
      std::cerr << "catalog_follower: nothing arrived for " << timeout_s << " s\n";
      return 1;
    }
    // A batch is sorted by (name, row, time); a reader of a catalog wants
    // time order, retractions before insertions.
    std::stable_sort(batch->updates.begin(), batch->updates.end(),
                     [](const stash::Update& a, const stash::Update& b) {
                       if (a.time != b.time) return a.time < b.time;
                       return a.diff < b.diff;
                     });
    for (const stash::Update& u : batch->updates) {
      std::cout << "time " << u.time << ": " << (u.diff > 0 ? "+ " : "- ") << u.key << " ("
                << u.value << ")";
      if (u.diff != 1 && u.diff != -1) std::cout << " x" << (u.diff > 0 ? u.diff : -u.diff);
      std::cout << "\n";
    }
    std::cout << std::flush;
    if (batch->upper.is_empty()) {
      std::cout << "catalog sealed for ever\n";
      return 0;
    }
  }
}
