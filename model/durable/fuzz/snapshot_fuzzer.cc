// Fuzzes decode_snapshot: any bytes either decode or give kCorruption, never
// crash; whatever decodes re-encodes to a file that decodes to the same image.
#include <cstdlib>
#include <string_view>

#include "files.h"
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stash;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto snapshot = durable::decode_snapshot(bytes, "SNAPSHOT");
  if (!snapshot) {
    if (snapshot.error().code() != ErrorCode::kCorruption) std::abort();
    return 0;
  }
  const std::string again = durable::encode_snapshot(snapshot->image, snapshot->generation);
  auto round_trip = durable::decode_snapshot(again, "SNAPSHOT");
  if (!round_trip || round_trip->image != snapshot->image) std::abort();
  MemoryStash model(snapshot->image);  // Loading must keep the model's invariants.
  (void)model.image();
  return 0;
}
