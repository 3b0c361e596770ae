// The whole conformance kit against toy::VectorStash: a Harness that says how
// to make a fresh store, and one line to instantiate every test.
#include <memory>

#include "stash/conformance_gtest.h"
#include "vector_stash.h"

class VectorHarness : public stash::conformance::Harness {
 public:
  stash::conformance::Capabilities capabilities() const override { return {}; }
  stash::Result<std::unique_ptr<stash::Stash>> open_fresh() override {
    return std::make_unique<toy::VectorStash>();
  }
};

STASH_INSTANTIATE_CONFORMANCE(VectorStash, [] { return std::make_unique<VectorHarness>(); });
