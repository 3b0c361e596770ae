// Fuzzes decode_snapshot: any bytes either decode or give kCorruption, never
// crash; whatever decodes re-encodes to a file that decodes to the same image.
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
  auto snapshot = durable::decode_snapshot(bytes, "SNAPSHOT");
  if (!snapshot) {
    if (snapshot.error().code() != ErrorCode::kCorruption) std::abort();
    return;
  }
  const std::string again = durable::encode_snapshot(snapshot->image, snapshot->generation);
  auto round_trip = durable::decode_snapshot(again, "SNAPSHOT");
  if (!round_trip || round_trip->image != snapshot->image) std::abort();
  MemoryStash model(snapshot->image);  // Loading must keep the model's invariants.
  (void)model.image();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check(bytes);
  const std::string repaired = stash::durable::with_checksums_repaired(bytes);
  if (repaired != bytes) check(repaired);
  return 0;
}
