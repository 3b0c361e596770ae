#include "mutants.h"

#include "stash/forwarding_stash.h"
#include "stash/memory_stash.h"

namespace stash::mutants {

std::vector<Mutant> all_mutants() {
  std::vector<Mutant> out;
  for (auto group : {read_mutants, write_mutants, frontier_mutants, data_mutants, scale_mutants,
                     postgres_mutants, collections_mutants}) {
    for (Mutant& m : group()) out.push_back(std::move(m));
  }
  return out;
}

std::unique_ptr<Stash> forwarding_memory_stash() {
  return std::make_unique<ForwardingStash>(std::make_unique<MemoryStash>());
}

std::unique_ptr<Stash> forwarding_shared_stash(std::shared_ptr<Stash> store) {
  return std::make_unique<ForwardingStash>(std::move(store));
}

}  // namespace stash::mutants
