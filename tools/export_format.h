// The stash export format, version 1 (docs/export-format.md): a portable,
// checksummed text file holding every collection of a store with its
// frontiers and its updates, to move a store between backends.
#ifndef STASH_TOOLS_EXPORT_FORMAT_H_
#define STASH_TOOLS_EXPORT_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stash/error.h"
#include "store_reader.h"

namespace stash::tools {

inline constexpr std::int64_t kExportVersion = 1;

// The export file of `collections` (read_store's result); `producer` names
// the program in the header, e.g. "stash 0.1.0".
std::string encode_export(const std::vector<CollectionState>& collections,
                          const std::string& producer);

// Parses and checks a whole export file: its checksum, every line's grammar,
// the counts, and that each collection could have come from a stash (valid
// UTF-8 unique names, {0} <= since <= upper, updates sorted, at or beyond
// since, non-zero, none when since is {}). `file` names the file in errors.
// Errors: kCorruption for a truncated, tampered or malformed file;
// kInvalidArgument for a file that is not an export, or of a newer version.
Result<std::vector<CollectionState>> decode_export(std::string_view text,
                                                   const std::string& file);

}  // namespace stash::tools

#endif  // STASH_TOOLS_EXPORT_FORMAT_H_
