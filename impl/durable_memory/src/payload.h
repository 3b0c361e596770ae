// The pieces every record payload is built from, in the order-preserving
// codecs of stash/codec.h (docs/durable-format.md, "Grammar").
#ifndef STASH_DURABLE_MEMORY_PAYLOAD_H_
#define STASH_DURABLE_MEMORY_PAYLOAD_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stash/codec.h"
#include "stash/frontier.h"
#include "stash/update.h"

namespace stash::durable {

// frontier := optional<int64>: 0x00 for {}, 0x01 t for {t}.
void put_frontier(const Frontier& frontier, std::string& out);
// update := key:bytes value:bytes time:int64 diff:int64
void put_updates(std::span<const Update> updates, std::string& out);  // count update*
// The encoded size of one update.
std::size_t update_bytes(const Update& update);

// Reads a payload front to back. The first failure sticks: later reads
// return defaults, and error() says what went wrong and where.
class PayloadReader {
 public:
  explicit PayloadReader(std::string_view payload) : all_(payload), rest_(payload) {}

  template <typename T>
  T read() {
    if (error_) return T{};
    auto value = Codec<T>::decode(rest_);
    if (!value) {
      fail(value.error().message());
      return T{};
    }
    return std::move(*value);
  }
  Frontier frontier();
  std::vector<Update> updates();
  // Reads `count update*` onto the end of `out`; returns the count read.
  std::uint64_t updates_into(std::vector<Update>& out);
  // Reads `count update*`, calling visit(key, value, time, diff) for each
  // update read whole; the views are valid during the call only (two
  // buffers are reused, so nothing is allocated per update). Returns how
  // many were visited.
  template <typename Visit>
  std::uint64_t visit_updates(Visit&& visit) {
    const auto count = read<std::uint64_t>();
    // A damaged count only costs the loop: each update takes at least 20
    // bytes, so the payload runs out first.
    std::uint64_t visited = 0;
    while (visited < count && ok()) {
      read_bytes(key_);
      read_bytes(value_);
      const auto time = read<Timestamp>();
      const auto diff = read<Diff>();
      if (!ok()) break;
      visit(std::string_view(key_), std::string_view(value_), time, diff);
      ++visited;
    }
    return visited;
  }
  // Reads one `bytes` value into `out` (replacing its content).
  void read_bytes(std::string& out);
  // Fails unless the whole payload was read.
  void expect_end();
  void fail(std::string what);

  bool ok() const { return !error_.has_value(); }
  // kCorruption "payload byte N: <what>".
  Error error() const;

 private:
  std::string_view all_;
  std::string_view rest_;
  std::optional<std::string> error_;
  std::string key_, value_;  // visit_updates' buffers.
};

}  // namespace stash::durable

#endif  // STASH_DURABLE_MEMORY_PAYLOAD_H_
