#include "payload.h"

#include <algorithm>

namespace stash::durable {

void put_frontier(const Frontier& frontier, std::string& out) {
  Codec<std::optional<Timestamp>>::encode(frontier.element(), out);
}

std::size_t update_bytes(const Update& u) {
  // bytes := escaped content + 2 terminator bytes; each 0x00 is escaped to two.
  auto escaped = [](const std::string& b) {
    return b.size() + 2 + static_cast<std::size_t>(std::count(b.begin(), b.end(), '\0'));
  };
  return escaped(u.key) + escaped(u.value) + 2 * sizeof(std::int64_t);
}

void put_updates(std::span<const Update> updates, std::string& out) {
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
  std::vector<Update> out;
  updates_into(out);
  return out;
}

std::uint64_t PayloadReader::updates_into(std::vector<Update>& out) {
  const auto count = read<std::uint64_t>();
  // No reserve(count): a damaged count must not allocate. Each update takes
  // at least 20 bytes, so the loop ends with the payload.
  std::uint64_t i = 0;
  for (; i < count && ok(); ++i) {
    Update u;
    u.key = read<std::string>();
    u.value = read<std::string>();
    u.time = read<Timestamp>();
    u.diff = read<Diff>();
    if (ok()) out.push_back(std::move(u));
  }
  return i;
}

void PayloadReader::read_bytes(std::string& out) {
  out.clear();
  if (error_) return;
  if (auto ok = internal::read_escaped("string", rest_, out); !ok) fail(ok.error().message());
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
