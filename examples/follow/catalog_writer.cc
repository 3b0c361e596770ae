// The writing half of the follow example: a process that keeps a database
// catalog (object name -> "kind id") in a stash and changes it step by step.
// Run catalog_follower on the same URL, in another terminal or process, to
// watch each change arrive as it is sealed.
//
//   catalog_writer URL           write the changes below, then seal for ever
//   catalog_writer URL --init    only create the store and the collection
//   catalog_writer URL --pause-ms N
//                                wait N ms between changes (a demo for human
//                                eyes; the test runs without it)
//
// Each change is written at a new time t (a retraction of the old row and an
// insertion of the new one) and sealed at {t + 1}: only then may a follower
// see it. The last step seals {}, telling every follower that nothing more
// will come.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "stash/open.h"

namespace {

// Stops the program with the error, or returns the value.
template <typename T>
T must(stash::Result<T> result, const char* what) {
  if (!result) {
    std::cerr << "catalog_writer: " << what << " failed: " << result.error() << "\n";
    std::exit(1);
  }
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

struct Change {
  const char* what;
  std::vector<stash::Update> rows;  // times are filled in when written
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: catalog_writer URL [--init | --pause-ms N]\n";
    return 2;
  }
  const std::string url = argv[1];
  const bool init_only = argc > 2 && std::string(argv[2]) == "--init";
  const int pause_ms = argc > 3 && std::string(argv[2]) == "--pause-ms" ? std::atoi(argv[3]) : 0;

  auto stash = must(stash::open(url), "open");
  const stash::CollectionHandle catalog = must(stash->collection("catalog"), "collection");
  if (init_only) return 0;

  const std::vector<Change> changes = {
      {"create table users", {{"users", "table 1", 0, +1}}},
      {"create table orders", {{"orders", "table 2", 0, +1}}},
      {"rename orders to order_lines",
       {{"orders", "table 2", 0, -1}, {"order_lines", "table 2", 0, +1}}},
      {"create view recent_orders", {{"recent_orders", "view 3", 0, +1}}},
      {"drop view recent_orders", {{"recent_orders", "view 3", 0, -1}}},
  };
  stash::Timestamp t = *must(stash->upper(catalog), "upper").element();
  for (const Change& change : changes) {
    std::vector<stash::Update> rows = change.rows;
    for (stash::Update& row : rows) row.time = t;
    must(stash->update_many(catalog, rows), "update_many");
    must(stash->seal(catalog, stash::Frontier::at(t + 1)), "seal");
    std::cout << "time " << t << ": " << change.what << "\n" << std::flush;
    ++t;
    if (pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
  }
  must(stash->seal(catalog, stash::Frontier::empty()), "seal {}");
  std::cout << "sealed for ever\n";
  return 0;
}
