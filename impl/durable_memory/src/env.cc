// Env's default open_sequential_file(): the whole file through read_file(),
// handed out a piece at a time. Env::posix() reads the file itself instead.
#include <algorithm>
#include <cstring>

#include "stash/env.h"

namespace stash {
namespace {

class StringFile final : public SequentialFile {
 public:
  explicit StringFile(std::string content) : content_(std::move(content)) {}
  Result<std::size_t> read(char* to, std::size_t n) override {
    n = std::min(n, content_.size() - at_);
    if (n > 0) std::memcpy(to, content_.data() + at_, n);
    at_ += n;
    return n;
  }

 private:
  std::string content_;
  std::size_t at_ = 0;
};

}  // namespace

Result<std::unique_ptr<SequentialFile>> Env::open_sequential_file(const std::string& path) {
  auto content = read_file(path);
  if (!content) return std::unexpected(content.error());
  return std::make_unique<StringFile>(std::move(*content));
}

}  // namespace stash
