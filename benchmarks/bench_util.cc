#include "bench_util.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace stash::bench {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

Config load() {
  Config c;
  c.smoke = env("STASH_BENCH_SMOKE") == "1";
  if (c.smoke) c.max_n = 1000;
  if (auto max = env("STASH_BENCH_MAX_N"); !max.empty()) c.max_n = std::stoll(max);
  if (auto r = env("STASH_BENCH_ROUNDS"); !r.empty()) c.rounds = std::max(1, std::stoi(r));
  if (auto ms = env("STASH_BENCH_SLOT_MS"); !ms.empty()) c.slot_seconds = std::stod(ms) / 1000;
  c.postgres_url = env("STASH_TEST_POSTGRES_URL");
  c.subjects = env("STASH_BENCH_SUBJECTS");
  std::string base = env("STASH_BENCH_DIR");
  if (base.empty()) base = env("TMPDIR");
  if (base.empty()) base = "/tmp";
  std::string tmpl = base + "/stash-bench.XXXXXX";
  if (!mkdtemp(tmpl.data())) die("mkdtemp " + tmpl, "failed");
  c.dir = tmpl;
  // The files of a 1M-entry run are a few hundred MB; never leave them.
  static std::string to_remove = c.dir;
  std::atexit([] { std::filesystem::remove_all(to_remove); });
  return c;
}

}  // namespace

const Config& config() {
  static const Config c = load();
  return c;
}

std::vector<std::int64_t> Config::sizes() const {
  std::vector<std::int64_t> out;
  for (std::int64_t n : {1'000, 10'000, 100'000, 1'000'000}) {
    if (n <= max_n) out.push_back(n);
  }
  return out;
}

const char* name_of(Keys keys) { return keys == Keys::kSequential ? "seq" : "rand"; }

std::string key_of(std::int64_t i, Keys keys) {
  if (keys == Keys::kRandom) {
    // splitmix64 of i: its first byte picks the length, the rest the bytes.
    std::uint64_t x = static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ULL;
    auto next = [&x] {
      std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      return z ^ (z >> 31);
    };
    std::string key(16 + next() % 49, '\0');
    for (std::size_t k = 0; k < key.size(); k += 8) {
      const std::uint64_t bits = next();
      for (std::size_t b = 0; b < 8 && k + b < key.size(); ++b) {
        key[k + b] = static_cast<char>(bits >> (8 * b));
      }
    }
    return key;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "k%010lld", static_cast<long long>(i));
  return buf;
}

std::string value_of(std::int64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "val%010lld", static_cast<long long>(i));
  return buf;
}

std::vector<Update> entries(std::int64_t first, std::int64_t n, Timestamp time, Diff diff,
                            Keys keys) {
  std::vector<Update> out;
  out.reserve(n);
  for (std::int64_t i = first; i < first + n; ++i) {
    out.push_back({key_of(i, keys), value_of(i), time, diff});
  }
  return out;
}

void die(const std::string& what, const std::string& why) {
  std::fprintf(stderr, "stash_bench: %s: %s\n", what.c_str(), why.c_str());
  std::fflush(stderr);
  std::exit(1);  // runs the atexit cleanup of the files
}

}  // namespace stash::bench
