// stash::open's `memory:` scheme: a MemoryStash, or with a directory a
// DurableMemoryStash (registered in impl/open/CMakeLists.txt).
#include "scheme.h"
#include "stash/durable_memory_stash.h"
#include "stash/memory_stash.h"
#include "url_parts.h"

namespace {

using stash::open_scheme::bad;

stash::Result<std::unique_ptr<stash::Stash>> open_memory(std::string_view url,
                                                         std::string_view location,
                                                         const stash::OpenOptions& options) {
  if (location.empty()) {
    if (options.read_only) {
      return std::unexpected(
          bad(url, "a new in-memory store cannot be read-only (it is empty and stays so)"));
    }
    return std::unique_ptr<stash::Stash>(std::make_unique<stash::MemoryStash>());
  }
  auto parts = stash::url::split_options(url, location);
  if (!parts) return std::unexpected(parts.error());
  if (!parts->options.empty()) {
    return std::unexpected(bad(url, "memory:DIR takes no options, got " +
                                        parts->options.begin()->first));
  }
  stash::MemoryStashOptions memory_options;
  memory_options.create_if_missing = options.create_if_missing && !options.read_only;
  memory_options.read_only = options.read_only;
  return stash::open_scheme::as_stash(stash::DurableMemoryStash::open(parts->path, memory_options));
}

}  // namespace

STASH_OPEN_SCHEME(memory){{"memory",
                           "memory:          a new MemoryStash (in memory only)\n"
                           "memory:DIR       a DurableMemoryStash in directory DIR (snapshot + log)",
                           true},
                          open_memory,
                          ""};
