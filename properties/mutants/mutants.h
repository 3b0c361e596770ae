// Deliberately broken backends: the conformance kit tests itself.
//
// Each mutant is a MemoryStash behind a ForwardingStash subclass that breaks
// exactly one thing, the way a real backend could get it wrong. The kit must
// reject every one of them (mutant_test.cc); a mutant the kit lets pass is a
// hole in the kit.
#ifndef STASH_PROPERTIES_MUTANTS_MUTANTS_H_
#define STASH_PROPERTIES_MUTANTS_MUTANTS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "stash/conformance.h"
#include "stash/stash.h"

namespace stash::mutants {

struct Mutant {
  std::string name;         // snake_case, e.g. "peek_includes_upper"
  std::string description;  // one line: the bug, and the rule it breaks
  // A fresh, empty broken stash (each call independent of the others).
  std::function<std::unique_ptr<Stash>()> make;
  // Instead of `make`, for bugs that show across Stash objects of one store
  // (reopen, open_another): a new broken Stash object over `store`, a
  // MemoryStash shared by every object of one store. The kit then runs with
  // capabilities durable and several_handles.
  std::function<std::unique_ptr<Stash>(std::shared_ptr<Stash> store)> open = nullptr;
};

// Every mutant. Keep this list growing whenever a real bug is found: add a
// mutant that reproduces it, so the kit is proven to catch it from then on.
std::vector<Mutant> all_mutants();

// The same, by the kind of operation they break (mutants_*.cc).
std::vector<Mutant> read_mutants();
std::vector<Mutant> write_mutants();
std::vector<Mutant> frontier_mutants();
// Issue #10's classes: bytes, names, extreme times (mutants_data.cc);
// scale, handles, append chains, error facts (mutants_scale.cc).
std::vector<Mutant> data_mutants();
std::vector<Mutant> scale_mutants();
// Broken subscriptions (mutants_subscribe.cc), killed by the subscribe area
// alone (subscribe_mutant_test.cc), so not part of all_mutants().
std::vector<Mutant> subscribe_mutants();
// Broken ConsistentReader::read_all (mutants_read_all.cc), for the read_all
// checks of the concurrent area (concurrency_mutant_test.cc).
std::vector<Mutant> read_all_mutants();

// Defects found in the PostgreSQL backend (mutants_postgres.cc).
std::vector<Mutant> postgres_mutants();
// Defects found in the etcd backend (mutants_etcd.cc).
std::vector<Mutant> etcd_mutants();
std::vector<Mutant> collections_mutants();  // mutants_collections.cc

// A broken backend that is right one call at a time and wrong only when calls
// overlap: several threads, or several Stash objects on one store
// (mutants_concurrency.cc). The kit's concurrent area must reject each.
struct StoreMutant {
  std::string name;
  std::string description;
  bool fencing = false;  // opening an object fences the older ones
  // A fresh, empty store; the function returned opens one more Stash object
  // on it (the first call opens the first object), or fails as an open can.
  std::function<std::function<Result<std::unique_ptr<Stash>>()>()> make_store;
};
std::vector<StoreMutant> concurrency_mutants();
// The unbroken controls for them: the same stores, without the bug.
StoreMutant correct_store(bool fencing);

// A durable fake whose power can be cut (mutants_crash.cc): open() opens the
// store's one Stash (again, after a crash: what was synced survives);
// crash() is power loss: what was not synced is gone, and nothing the open
// Stash does from then on reaches the "disk".
class CrashableStore {
 public:
  virtual ~CrashableStore() = default;
  virtual std::unique_ptr<Stash> open() = 0;
  virtual void crash() = 0;
};
// A durable backend that loses or tears acknowledged writes on power loss;
// the kit's crash area must reject each.
struct DurableMutant {
  std::string name;
  std::string description;
  std::function<std::shared_ptr<CrashableStore>()> make_store;  // a fresh, empty store
};
std::vector<DurableMutant> crash_mutants();
// The unbroken fake: syncs every write before acknowledging it.
DurableMutant correct_durable_fake();

// The unbroken control: a ForwardingStash over a fresh MemoryStash, which
// must pass the whole kit.
std::unique_ptr<Stash> forwarding_memory_stash();
// The same over a shared store, for the harness of Mutant::open.
std::unique_ptr<Stash> forwarding_shared_stash(std::shared_ptr<Stash> store);

// The harness the self-tests give the kit for one factory: each open_fresh()
// is a new stash from `make`; no capabilities.
class FactoryHarness : public conformance::Harness {
 public:
  explicit FactoryHarness(std::function<std::unique_ptr<Stash>()> make) : make_(std::move(make)) {}
  conformance::Capabilities capabilities() const override { return {}; }
  Result<std::unique_ptr<Stash>> open_fresh() override { return make_(); }

 private:
  std::function<std::unique_ptr<Stash>()> make_;
};

}  // namespace stash::mutants

#endif  // STASH_PROPERTIES_MUTANTS_MUTANTS_H_
