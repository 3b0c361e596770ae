// Bytes as text for the commands' output, both ways.
#ifndef STASH_TOOLS_BYTES_TEXT_H_
#define STASH_TOOLS_BYTES_TEXT_H_

#include <optional>
#include <string>
#include <string_view>

namespace stash::tools {

// `bytes` between double quotes: printable ASCII as itself except '"' and
// '\' (written \" and \\), every other byte as \xNN (lowercase hex).
// "k\x00\xff" is the three bytes 'k', 0x00, 0xFF.
std::string quote_bytes(std::string_view bytes);

// Lowercase hex, two digits per byte; "" for no bytes.
std::string hex(std::string_view bytes);

// The bytes of a hex string (either case), or nullopt if it is not one.
std::optional<std::string> unhex(std::string_view text);

}  // namespace stash::tools

#endif  // STASH_TOOLS_BYTES_TEXT_H_
