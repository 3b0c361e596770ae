// Feeds g++'s -fsanitize-coverage=trace-pc into AFL++'s edge coverage map.
//
// Why: the project builds only with g++, and neither stock route gives g++
// code coverage feedback on Debian 12. libFuzzer (clang 14) no longer
// consumes trace-pc: its __sanitizer_cov_trace_pc prints "is no longer
// supported by libFuzzer" and exits. AFL++'s GCC plugin (afl-g++-fast) in
// the afl++ 4.04c package refuses the installed compiler ("GCC and plugin
// have incompatible versions": it was built against gcc 12.2.0-14, Debian
// ships 12.2.0-14+deb12u1). g++ itself still calls __sanitizer_cov_trace_pc()
// at the start of every basic block; this turns each call into a classic AFL
// edge (previous block ^ this block) in the map that afl-compiler-rt.o
// shares with afl-fuzz.
#include <cstdint>

extern "C" {
extern std::uint8_t* __afl_area_ptr;  // afl-compiler-rt.o: the shared map
extern const char __executable_start;  // GNU ld: start of the executable
}

namespace {
// The map is at least 64 KiB: afl-fuzz's default map size and the size of
// the runtime's private map used before (or without) afl-fuzz.
constexpr std::uint32_t kMapBits = 16;
thread_local std::uint32_t previous_block = 0;
}  // namespace

// Not instrumented itself (this file is compiled without trace-pc) and not
// sanitized: it runs at every basic block of the code under test.
extern "C" __attribute__((no_sanitize("address", "undefined"))) void
__sanitizer_cov_trace_pc() {
  // Offsets from the executable's start stay the same under ASLR, so
  // afl-showmap, afl-cmin and afl-fuzz all see the same edge ids.
  const auto offset = reinterpret_cast<std::uintptr_t>(__builtin_return_address(0)) -
                      reinterpret_cast<std::uintptr_t>(&__executable_start);
  const auto block = static_cast<std::uint32_t>((offset * 0x9E3779B97F4A7C15ull) >> (64 - kMapBits));
  std::uint8_t& hits = __afl_area_ptr[block ^ previous_block];
  hits = static_cast<std::uint8_t>(hits + 1 + (hits == 255));  // never wraps to 0
  previous_block = block >> 1;  // so that A->B and B->A differ, and A->A is not 0
}
