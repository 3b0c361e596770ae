// The conformance kit's Harness for MemoryStash: every store is a new, empty
// MemoryStash. It declares no capabilities (nothing survives a reopen), so
// the kit reports its durability, several-handles and fencing checks as not
// applicable. Used by `stash check memory:` and the kit's own tests.
#ifndef STASH_MEMORY_HARNESS_H_
#define STASH_MEMORY_HARNESS_H_

#include <memory>

#include "stash/conformance.h"

namespace stash {

class MemoryHarness : public conformance::Harness {
 public:
  conformance::Capabilities capabilities() const override;
  Result<std::unique_ptr<Stash>> open_fresh() override;
};

}  // namespace stash

#endif  // STASH_MEMORY_HARNESS_H_
