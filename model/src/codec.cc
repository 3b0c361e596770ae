// The non-template parts of the codecs: the escaped `bytes` form and the
// corruption messages. The byte formats are documented in stash/codec.h.
#include "stash/codec.h"

#include <cstdio>

namespace stash::internal {
namespace {

// "0x07": how messages show a single byte.
std::string hex(char byte) {
  char text[5];
  std::snprintf(text, sizeof text, "0x%02X", static_cast<unsigned char>(byte));
  return text;
}

}  // namespace

Error corrupt(std::string_view type, std::string_view problem) {
  std::string message(type);
  message += ": ";
  message += problem;
  return Error(ErrorCode::kCorruption, std::move(message));
}

Error truncated(std::string_view type, std::size_t needed, std::size_t remaining) {
  return corrupt(type, "truncated: needs " + std::to_string(needed) + " byte(s), " +
                           std::to_string(remaining) + " left");
}

Error bad_tag(std::string_view type, char tag) {
  return corrupt(type, "byte " + hex(tag) + " is neither 0x00 nor 0x01");
}

Error at_offset(const Error& error, std::size_t offset, std::size_t total) {
  return Error(error.code(), "at byte " + std::to_string(offset) + " of " +
                                 std::to_string(total) + ": " + error.message());
}

void append_escaped(std::string_view bytes, std::string& out) {
  for (char byte : bytes) {
    out.push_back(byte);
    // 0x00 0xFF stands for a 0x00 byte, so that 0x00 0x01 can end the value.
    if (byte == '\x00') out.push_back('\xFF');
  }
  out.push_back('\x00');
  out.push_back('\x01');
}

Status read_escaped(std::string_view type, std::string_view& in, std::string& out) {
  std::size_t start = 0;  // First byte not yet copied to `out`.
  for (;;) {
    const std::size_t zero = in.find('\x00', start);
    if (zero == std::string_view::npos || zero + 1 == in.size()) {
      in.remove_prefix(in.size());
      return std::unexpected(corrupt(type, "truncated: no terminator 0x00 0x01"));
    }
    out.append(in.substr(start, zero - start));
    const char next = in[zero + 1];
    if (next == '\x01') {
      in.remove_prefix(zero + 2);
      return {};
    }
    if (next != '\xFF') {
      in.remove_prefix(zero);
      return std::unexpected(corrupt(type, "bad escape: 0x00 followed by " + hex(next) +
                                               ", not 0xFF (a 0x00 byte) or 0x01 (the end)"));
    }
    out.push_back('\x00');
    start = zero + 2;
  }
}

}  // namespace stash::internal
