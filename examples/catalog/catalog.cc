// A small database catalog kept in a stash: the way stash is meant to be used.
//
// The catalog maps an object name to (object id, kind). Each schema change is
// written at a new time, retracting the old row and inserting the new one;
// sealing the time makes the change definite and visible to peeks; compacting
// and consolidating forget the history nobody needs any more.
//
// The program prints what it sees at each step, and exits non-zero if the
// stash ever disagrees with what this walkthrough expects.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <utility>

#include "stash/collection.h"
#include "stash/memory_stash.h"

namespace {

using Name = std::string;
using Object = std::pair<std::int64_t, std::string>;  // (object id, kind)
using Catalog = stash::Collection<Name, Object>;

// Stops the walkthrough with the error, or returns the value.
template <typename T>
T must(stash::Result<T> result, const char* what) {
  if (!result) {
    std::cerr << what << " failed: " << result.error() << "\n";
    std::exit(1);
  }
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

void expect(bool ok, const char* what) {
  if (ok) return;
  std::cerr << "unexpected: " << what << "\n";
  std::exit(1);
}

void print_peek(const Catalog& catalog) {
  const auto ts = must(catalog.peek_timestamp(), "peek_timestamp");
  std::cout << "  catalog as of time " << ts << ":\n";
  for (const auto& [name, object] : must(catalog.peek_one(), "peek_one")) {
    std::cout << "    " << name << " -> id " << object.first << ", " << object.second
              << "\n";
  }
}

}  // namespace

int main() {
  stash::MemoryStash stash;
  const Catalog catalog = must(Catalog::open(stash, "catalog"), "open catalog");

  std::cout << "time 1: create tables users and orders, seal {2}\n";
  must(catalog.update("users", {1, "table"}, 1, +1), "create users");
  must(catalog.update("orders", {2, "table"}, 1, +1), "create orders");
  must(catalog.seal(stash::Frontier(2)), "seal {2}");
  print_peek(catalog);
  expect(must(catalog.peek_one(), "peek_one").size() == 2, "two objects at time 1");

  std::cout << "time 2: rename orders to order_lines, add view recent_orders, seal {3}\n";
  must(catalog.update("orders", {2, "table"}, 2, -1), "retract orders");
  must(catalog.update("order_lines", {2, "table"}, 2, +1), "insert order_lines");
  must(catalog.update("recent_orders", {3, "view"}, 2, +1), "create recent_orders");
  must(catalog.seal(stash::Frontier(3)), "seal {3}");
  print_peek(catalog);
  expect(!must(catalog.peek_key_one("orders"), "peek_key_one orders").has_value(),
         "orders is gone after the rename");

  std::cout << "a late write at time 1 is refused: times before {3} are sealed\n";
  const auto late = catalog.update("ghosts", {9, "table"}, 1, +1);
  expect(!late && late.error().code() == stash::ErrorCode::kFrontierViolation,
         "update before upper fails with frontier_violation");
  std::cout << "  " << late.error() << "\n";

  std::cout << "compact to {2} and consolidate: history before time 2 is merged,\n"
               "  so orders' insert (+1 @1) and retraction (-1 @2) cancel out\n";
  must(catalog.compact(stash::Frontier(2)), "compact {2}");
  must(catalog.consolidate(), "consolidate");
  const auto rows = must(catalog.iter(), "iter");
  for (const auto& row : rows) {
    std::cout << "    (" << row.key << ", id " << row.value.first << ") @" << row.time
              << " " << (row.diff > 0 ? "+" : "") << row.diff << "\n";
  }
  expect(rows.size() == 3, "three live rows after consolidation");
  for (const auto& row : rows) expect(row.time == 2, "every time advanced to since {2}");
  print_peek(catalog);
  return 0;
}
