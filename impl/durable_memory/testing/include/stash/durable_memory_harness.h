// The conformance kit's Harness for DurableMemoryStash: every fresh store is
// a new directory ROOT/store-N, opened with stash::open("memory:ROOT/store-N");
// reopen() opens that directory again, so the kit's durability checks apply.
// Used by the backend's conformance test and by `stash check memory:ROOT`.
//
// Every store directory a harness made is removed when it is destroyed, and
// ROOT too once empty if the harnesses made it; an empty ROOT means a new
// temporary directory.
#ifndef STASH_DURABLE_MEMORY_HARNESS_H_
#define STASH_DURABLE_MEMORY_HARNESS_H_

#include <memory>
#include <string>
#include <vector>

#include "stash/conformance.h"

namespace stash {

class DurableMemoryHarness : public conformance::Harness {
 public:
  // The harnesses of one factory share ROOT (see factory()).
  struct Root;
  explicit DurableMemoryHarness(std::shared_ptr<Root> root);
  ~DurableMemoryHarness() override;

  // A factory of harnesses whose stores live under `root` ("" for a new
  // temporary directory).
  static conformance::HarnessFactory factory(std::string root = "");

  // Durable; one handle per store (a second open of a directory is refused).
  conformance::Capabilities capabilities() const override;
  Result<std::unique_ptr<Stash>> open_fresh() override;
  Result<std::unique_ptr<Stash>> reopen() override;

 private:
  std::shared_ptr<Root> root_;
  std::string dir_;  // of the store last made by open_fresh()
  std::vector<std::string> created_;
};

}  // namespace stash

#endif  // STASH_DURABLE_MEMORY_HARNESS_H_
