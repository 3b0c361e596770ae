// Mutants that list collections wrongly: Stash::collections().
#include <algorithm>
#include <string>

#include "stash/forwarding_stash.h"
#include "mutants.h"
#include "stash/memory_stash.h"

namespace stash::mutants {
namespace {

template <typename T>
std::unique_ptr<Stash> over_memory() {
  return std::make_unique<T>(std::make_unique<MemoryStash>());
}

// Lists names through a C string API (strlen, or a NUL-terminated column): a
// collection with the empty name, or with a NUL in its name, is dropped.
class CollectionsDropNulNames : public ForwardingStash {
 public:
  using ForwardingStash::ForwardingStash;
  Result<std::vector<NamedCollection>> collections() override {
    auto list = inner().collections();
    if (!list) return list;
    std::erase_if(*list, [](const NamedCollection& c) {
      return c.name.empty() || c.name.find('\0') != std::string::npos;
    });
    return list;
  }
};

// Sorts names as signed chars (a `char` comparison in C): names with bytes
// >= 0x80 come before ASCII ones.
class CollectionsSignedOrder : public ForwardingStash {
 public:
  using ForwardingStash::ForwardingStash;
  Result<std::vector<NamedCollection>> collections() override {
    auto list = inner().collections();
    if (!list) return list;
    std::sort(list->begin(), list->end(), [](const NamedCollection& a, const NamedCollection& b) {
      return std::lexicographical_compare(
          a.name.begin(), a.name.end(), b.name.begin(), b.name.end(),
          [](char x, char y) { return static_cast<signed char>(x) < static_cast<signed char>(y); });
    });
    return list;
  }
};

// Lists only the collections that hold data (a SELECT DISTINCT over the
// data table instead of the collections table).
class CollectionsSkipEmpty : public ForwardingStash {
 public:
  using ForwardingStash::ForwardingStash;
  Result<std::vector<NamedCollection>> collections() override {
    auto list = inner().collections();
    if (!list) return list;
    std::erase_if(*list, [this](const NamedCollection& c) {
      auto rows = inner().iter(c.handle);
      return rows && rows->empty();
    });
    return list;
  }
};

}  // namespace

std::vector<Mutant> collections_mutants() {
  return {
      {"collections_drop_nul_names",
       "collections() drops the empty name and names with a NUL byte (every collection is listed)",
       over_memory<CollectionsDropNulNames>, nullptr},
      {"collections_signed_order",
       "collections() sorts names as signed chars (names sort as unsigned bytes)",
       over_memory<CollectionsSignedOrder>, nullptr},
      {"collections_skip_empty",
       "collections() lists only collections holding data (every collection is listed)",
       over_memory<CollectionsSkipEmpty>, nullptr},
  };
}

}  // namespace stash::mutants
