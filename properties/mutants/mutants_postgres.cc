// Mutants of defects found in the PostgreSQL backend (issue #12).
#include <string>

#include "mutant_support.h"
#include "mutants.h"
#include "stash/memory_stash.h"

namespace stash::mutants {
namespace {

// A B-tree index entry holds at most 2704 bytes (a third of a page): the
// format 1 schema indexed keys, values and collection names themselves, so
// it refused anything longer with kInternal.
constexpr std::size_t kIndexRowLimit = 2704;

Error row_too_big(std::size_t bytes) {
  return Error(ErrorCode::kInternal, "index row size " + std::to_string(bytes) +
                                         " exceeds btree maximum " +
                                         std::to_string(kIndexRowLimit) + " (SQLSTATE 54000)");
}

class IndexRowLimit : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Result<CollectionHandle> collection(std::string_view name) override {
    if (name.size() > kIndexRowLimit) return std::unexpected(row_too_big(name.size()));
    return inner().collection(name);
  }
  Status update_many(CollectionHandle c, std::span<const Update> entries) override {
    for (const Update& u : entries) {
      if (auto ok = fits(u); !ok) return ok;
    }
    return inner().update_many(c, entries);
  }
  Status append(std::span<const AppendBatch> batches) override {
    for (const AppendBatch& b : batches) {
      for (const Update& u : b.entries) {
        if (auto ok = fits(u); !ok) return ok;
      }
    }
    return inner().append(batches);
  }

 private:
  static Status fits(const Update& u) {
    const std::size_t bytes = u.key.size() + u.value.size() + 16;
    if (bytes > kIndexRowLimit) return std::unexpected(row_too_big(bytes));
    return {};
  }
};

}  // namespace

std::vector<Mutant> postgres_mutants() {
  return {
      {"index_row_limit", "keys, values and names over ~2.7 KB are refused with kInternal "
                          "(PostgreSQL format 1 indexed the bytes themselves)",
       [] { return std::unique_ptr<Stash>(std::make_unique<IndexRowLimit>(std::make_unique<MemoryStash>())); }},
  };
}

}  // namespace stash::mutants
