// The store writer the CLI tests drive (cli_test.py):
//
//   stash_test_writer fill URL   writes a fixed store with every shape the
//                                commands must carry: awkward names and bytes,
//                                history before since, unsealed updates, since
//                                and upper {}, extreme diffs and times
//   stash_test_writer run URL STOP_FILE
//                                appends to collections "a" and "b" in one
//                                atomic append per step, the same entries and
//                                frontiers in both, until STOP_FILE exists (at
//                                most 1,000,000 steps); prints "step N" after
//                                every 20 steps
//
// A consistent copy of a store being written by `run` has a and b equal.
#include <sys/stat.h>

#include <cstdint>
#include <iostream>
#include <limits>
#include <string>

#include "open_adapter.h"

namespace {

using namespace stash;
using namespace std::string_literals;

int die(const std::string& what, const Error& e) {
  std::cerr << "stash_test_writer: " << what << ": " << e.to_string() << "\n";
  return 1;
}

#define CHECK_OK(what, call)                         \
  do {                                               \
    if (auto ok_ = (call); !ok_) return die(what, ok_.error()); \
  } while (0)

int fill(Stash& s) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  auto coll = [&](const std::string& name) { return s.collection(name); };
  auto empty_name = coll("");
  auto orders = coll("orders");
  auto odd = coll("bytes\0name"s);
  auto unreadable = coll("\xC3\xA9t\xC3\xA9");
  auto sealed_all = coll("sealed all");
  auto extremes = coll("extremes");
  auto fresh = coll("fresh");
  for (auto* h : {&empty_name, &orders, &odd, &unreadable, &sealed_all, &extremes, &fresh}) {
    if (!*h) return die("collection", h->error());
  }
  CHECK_OK("update", s.update(*empty_name, "", "", 0, 1));
  CHECK_OK("seal", s.seal(*empty_name, Frontier(1)));
  CHECK_OK("update_many", s.update_many(*orders, std::vector<Update>{
                                                     {"widgets", "1", 1, 1},
                                                     {"widgets", "1", 2, 1},
                                                     {"widgets", "2", 3, 1},
                                                     {"wombats", "2", 1, 2},
                                                     {"wombats", "2", 4, -2},
                                                     {"zebras", "9", 7, 1}}));
  CHECK_OK("seal", s.seal(*orders, Frontier(5)));
  CHECK_OK("compact", s.compact(*orders, Frontier(3)));
  CHECK_OK("update", s.update(*odd, "\x00\xff\"\\"s, "\n\t", 5, -3));
  CHECK_OK("update", s.update(*odd, "plain", ""s, 0, 1));
  CHECK_OK("seal", s.seal(*odd, Frontier(2)));
  CHECK_OK("update", s.update(*unreadable, "gone", "x", 0, 1));
  CHECK_OK("seal", s.seal(*unreadable, Frontier::empty()));
  CHECK_OK("compact", s.compact(*unreadable, Frontier::empty()));
  CHECK_OK("update", s.update(*sealed_all, "k", "v", 10, 1));
  CHECK_OK("seal", s.seal(*sealed_all, Frontier::empty()));
  CHECK_OK("compact", s.compact(*sealed_all, Frontier(4)));
  CHECK_OK("update_many", s.update_many(*extremes, std::vector<Update>{
                                                       {"max", "v", kMax, kMax},
                                                       {"min", "v", 0, kMin},
                                                       {"zero", "v", 1, 5},
                                                       {"zero", "v", 1, -5}}));
  CHECK_OK("seal", s.seal(*extremes, Frontier(kMax)));
  return 0;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

int run(Stash& s, const std::string& stop_file) {
  auto a = s.collection("a");
  auto b = s.collection("b");
  if (!a) return die("collection", a.error());
  if (!b) return die("collection", b.error());
  for (std::int64_t step = 0; step < 1'000'000 && !exists(stop_file); ++step) {
    const std::vector<Update> entries = {{"k" + std::to_string(step % 7), "v", step, 1},
                                         {"k" + std::to_string(step % 5), "w", step + 1, -1}};
    const std::optional<Frontier> since =
        step % 10 == 9 ? std::optional(Frontier(step - 4)) : std::nullopt;
    const std::vector<AppendBatch> batches = {
        {*a, Frontier(step), Frontier(step + 1), since, entries},
        {*b, Frontier(step), Frontier(step + 1), since, entries}};
    CHECK_OK("append", s.append(batches));
    if (step % 20 == 19) std::cout << "step " << step + 1 << std::endl;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: stash_test_writer fill URL | run URL STOP_FILE\n";
    return 2;
  }
  const std::string mode = argv[1];
  auto stash = stash::open(argv[2]);
  if (!stash) return die(std::string("open ") + argv[2], stash.error());
  if (mode == "fill") return fill(**stash);
  if (mode == "run" && argc == 4) return run(**stash, argv[3]);
  std::cerr << "stash_test_writer: unknown mode " << mode << "\n";
  return 2;
}
