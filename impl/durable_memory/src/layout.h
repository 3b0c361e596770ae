// The files of a durable MemoryStash's directory (docs/durable-format.md).
#ifndef STASH_DURABLE_MEMORY_LAYOUT_H_
#define STASH_DURABLE_MEMORY_LAYOUT_H_

#include <string_view>

namespace stash::durable {

inline constexpr std::string_view kSnapshotFile = "SNAPSHOT";
inline constexpr std::string_view kLogFile = "LOG";
// A new SNAPSHOT or LOG is written as NAME.tmp, synced, then renamed.
inline constexpr std::string_view kTempSuffix = ".tmp";

}  // namespace stash::durable

#endif  // STASH_DURABLE_MEMORY_LAYOUT_H_
