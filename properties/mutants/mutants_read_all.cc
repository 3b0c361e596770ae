// Broken ConsistentReader::read_all, each over a MemoryStash: the read_all
// checks of the concurrent area (properties/src/read_all.cc) must kill every
// one under each of five seeds (concurrency_mutant_test.cc).
#include <chrono>
#include <thread>

#include "mutant_support.h"
#include "mutants.h"
#include "stash/consistent_read.h"
#include "stash/memory_stash.h"

namespace stash::mutants {
namespace {

// Reads every collection through the Stash interface, one after the other,
// each a round trip away from the next: consistent per collection, torn
// across them (what `stash export` did for PostgreSQL before read_all).
class OneCollectionAtATime final : public DerivedStash, public ConsistentReader {
 public:
  using DerivedStash::DerivedStash;
  Result<std::vector<CollectionContents>> read_all() override {
    auto listed = collections();
    if (!listed) return std::unexpected(listed.error());
    std::vector<CollectionContents> out;
    for (const NamedCollection& named : *listed) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      CollectionContents contents{named, {}, {}, {}};
      auto since = this->since(named.handle);
      auto upper = this->upper(named.handle);
      if (!since) return std::unexpected(since.error());
      if (!upper) return std::unexpected(upper.error());
      contents.since = *since;
      contents.upper = *upper;
      if (since->element()) {
        auto updates = iter(named.handle);
        if (!updates) return std::unexpected(updates.error());
        contents.updates = std::move(*updates);
      }
      out.push_back(std::move(contents));
    }
    return out;
  }
};

// One snapshot, but the collections nothing can be read from (since {}) are
// left out instead of listed with their frontiers.
class SkipsUnreadable final : public DerivedStash, public ConsistentReader {
 public:
  explicit SkipsUnreadable(std::shared_ptr<MemoryStash> inner)
      : DerivedStash(inner), memory_(std::move(inner)) {}
  Result<std::vector<CollectionContents>> read_all() override {
    auto all = memory_->read_all();
    if (all) std::erase_if(*all, [](const CollectionContents& c) { return !c.since.element(); });
    return all;
  }

 private:
  std::shared_ptr<MemoryStash> memory_;
};

}  // namespace

std::vector<Mutant> read_all_mutants() {
  return {
      {"read_all_one_collection_at_a_time",
       "reads the collections one after the other: each consistent, torn across them (one cut)",
       [] { return std::unique_ptr<Stash>(std::make_unique<OneCollectionAtATime>(std::make_shared<MemoryStash>())); }},
      {"read_all_skips_unreadable",
       "leaves out the collections compacted to {} (every collection, in collections() order)",
       [] { return std::unique_ptr<Stash>(std::make_unique<SkipsUnreadable>(std::make_shared<MemoryStash>())); }},
  };
}

}  // namespace stash::mutants
