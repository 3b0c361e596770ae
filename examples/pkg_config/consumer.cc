// A program built against an installed stash with nothing but pkg-config:
//
//   c++ -std=c++23 consumer.cc $(pkg-config --cflags --libs stash)
//
// It opens a store by URL (a directory given as argv[1], or memory:), writes,
// reads back and prints the version. Exits 0 if everything checked out.
#include <cstdio>
#include <string>
#include <vector>

#include "stash/open.h"
#include "stash/version.h"

int main(int argc, char** argv) {
  const std::string url = argc > 1 ? std::string("memory:") + argv[1] : "memory:";
  auto stash = stash::open(url);
  if (!stash) {
    std::fprintf(stderr, "open %s: %s\n", url.c_str(), stash.error().to_string().c_str());
    return 1;
  }
  auto c = (*stash)->collection("greetings");
  if (!c) return 1;
  const std::vector<stash::Update> updates = {{"hello", "world", 0, 1}};
  if (auto ok = (*stash)->update_many(*c, updates); !ok) {
    std::fprintf(stderr, "update_many: %s\n", ok.error().to_string().c_str());
    return 1;
  }
  auto rows = (*stash)->iter(*c);
  if (!rows || rows->size() != 1 || (*rows)[0].value != "world") return 1;
  std::printf("stash %s: %s holds hello -> world\n", stash::kVersion, url.c_str());
  return 0;
}
