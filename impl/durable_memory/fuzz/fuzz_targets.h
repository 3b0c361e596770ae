// The decoders' fuzz entry points, one per file kind. Each is compiled into
// a libFuzzer binary (STASH_BUILD_FUZZERS) and, unchanged, into a plain
// corpus-replay test that runs in every ctest.
#ifndef STASH_DURABLE_MEMORY_FUZZ_FUZZ_TARGETS_H_
#define STASH_DURABLE_MEMORY_FUZZ_FUZZ_TARGETS_H_

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

#endif  // STASH_DURABLE_MEMORY_FUZZ_FUZZ_TARGETS_H_
