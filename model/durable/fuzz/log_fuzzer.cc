// Fuzzes decode_log and replay: any bytes either decode (dropping at most a
// torn tail) or give kCorruption, never crash; decoded commands re-encode to
// the same records, and replaying them onto a model never crashes.
#include <cstdlib>
#include <string_view>

#include "files.h"
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stash;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto log = durable::decode_log(bytes, "LOG");
  if (!log) {
    if (log.error().code() != ErrorCode::kCorruption) std::abort();
    return 0;
  }
  if (log->valid_bytes > size) std::abort();
  std::string again = durable::encode_log_header(log->generation);
  for (const auto& command : log->commands) again += durable::encode_log_record(command);
  if (again != bytes.substr(0, log->valid_bytes)) std::abort();
  MemoryStash model;
  for (const auto& command : log->commands) (void)durable::apply(command, model);
  return 0;
}
