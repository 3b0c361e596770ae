// Helpers shared by the SQLite backend's tests.
#ifndef STASH_IMPL_SQLITE_TESTS_TEST_UTIL_H_
#define STASH_IMPL_SQLITE_TESTS_TEST_UTIL_H_

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "stash/stash.h"

namespace stash::testing {

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "stash_sqlite_XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The whole content of a file ("" if missing), to compare byte for byte.
inline std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// "ok" or the error's code name, so each assertion is one line.
template <typename T>
std::string code_of(const Result<T>& r) {
  return r ? "ok" : std::string(to_string(r.error().code()));
}

// Everything the API shows about the named collections, as text:
// per collection its handle id, since, upper, and iter (or the error code).
// Loads the collections in the order given, so ids are comparable between
// two stores that created them in that order.
inline std::string dump(Stash& s, const std::vector<std::string>& names) {
  std::ostringstream out;
  for (const std::string& name : names) {
    auto c = s.collection(name);
    if (!c) {
      out << name << ": " << c.error() << "\n";
      continue;
    }
    out << name << " #" << c->id;
    auto since = s.since(*c);
    auto upper = s.upper(*c);
    out << " since " << (since ? since->to_string() : code_of(since)) << " upper "
        << (upper ? upper->to_string() : code_of(upper)) << ":";
    auto rows = s.iter(*c);
    if (!rows) {
      out << " " << code_of(rows);
    } else {
      for (const Update& u : *rows) out << " " << u;
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace stash::testing

#endif  // STASH_IMPL_SQLITE_TESTS_TEST_UTIL_H_
