// Fuzzes decode_log and replay: any bytes either decode (dropping at most a
// torn tail) or give kCorruption, never crash; decoded commands re-encode to
// the same records, and replaying them onto a model never crashes.
// Each input is checked as it is and, so that mutations reach the payload
// decoders, once more with its checksums repaired.
#include <cstdlib>
#include <string_view>

#include "checksum_repair.h"
#include "files.h"
#include "fuzz_targets.h"

namespace {

void check(std::string_view bytes) {
  using namespace stash;
  auto log = durable::decode_log(bytes, "LOG");
  if (!log) {
    if (log.error().code() != ErrorCode::kCorruption) std::abort();
    return;
  }
  if (log->valid_bytes > bytes.size()) std::abort();
  std::string again = durable::encode_log_header(log->generation, log->version);
  for (const auto& command : log->commands) again += durable::encode_log_record(command);
  if (again != bytes.substr(0, log->valid_bytes)) std::abort();
  MemoryStash model;
  for (const auto& command : log->commands) (void)durable::apply(command, model);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check(bytes);
  const std::string repaired = stash::durable::with_checksums_repaired(bytes);
  if (repaired != bytes) check(repaired);
  return 0;
}
