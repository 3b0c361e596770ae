#include "payload.h"

namespace stash::durable {

void put_frontier(const Frontier& frontier, std::string& out) {
  Codec<std::optional<Timestamp>>::encode(frontier.element(), out);
}

void put_updates(const std::vector<Update>& updates, std::string& out) {
  Codec<std::uint64_t>::encode(updates.size(), out);
  for (const Update& u : updates) {
    Codec<std::string>::encode(u.key, out);
    Codec<std::string>::encode(u.value, out);
    Codec<Timestamp>::encode(u.time, out);
    Codec<Diff>::encode(u.diff, out);
  }
}

Frontier PayloadReader::frontier() {
  const auto element = read<std::optional<Timestamp>>();
  return element ? Frontier::at(*element) : Frontier::empty();
}

std::vector<Update> PayloadReader::updates() {
  const auto count = read<std::uint64_t>();
  std::vector<Update> out;
  // No reserve(count): a damaged count must not allocate. Each update takes
  // at least 20 bytes, so the loop ends with the payload.
  for (std::uint64_t i = 0; i < count && ok(); ++i) {
    Update u;
    u.key = read<std::string>();
    u.value = read<std::string>();
    u.time = read<Timestamp>();
    u.diff = read<Diff>();
    if (ok()) out.push_back(std::move(u));
  }
  return out;
}

void PayloadReader::expect_end() {
  if (ok() && !rest_.empty()) fail(std::to_string(rest_.size()) + " trailing bytes");
}

void PayloadReader::fail(std::string what) {
  if (error_) return;
  error_ = "payload byte " + std::to_string(all_.size() - rest_.size()) + ": " + what;
}

Error PayloadReader::error() const {
  return Error(ErrorCode::kCorruption, error_.value_or("no error"));
}

}  // namespace stash::durable
