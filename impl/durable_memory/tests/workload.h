// Generated workloads for the crash and I/O-error tests: a fixed list of
// calls, planned from a seed against a MemoryStash, so that every run of the
// same seed makes the same calls whatever the stash under test does.
#ifndef STASH_DURABLE_MEMORY_TESTS_WORKLOAD_H_
#define STASH_DURABLE_MEMORY_TESTS_WORKLOAD_H_

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "stash/durable_memory_stash.h"
#include "stash/memory_stash.h"

namespace stash::test {

// One call. `durable` is null when the call runs on the oracle (snapshot()
// is then a no-op: it changes no state).
struct Op {
  std::string text;  // "Seal(c1, {5})"
  std::function<Status(Stash& stash, DurableMemoryStash* durable)> run;
};

inline const std::vector<std::string>& workload_names() {
  static const std::vector<std::string> names = {"a", "b", "c\xC3\xBC"};
  return names;
}

// "ok" or the error, for comparing outcomes.
inline std::string outcome(const Status& s) { return s ? "ok" : s.error().to_string(); }

// Everything a reader can see of the workload's collections (handles 1..3),
// through reads only: a stash that refuses writes can still be observed.
inline std::string observe(Stash& stash) {
  std::ostringstream out;
  for (std::int64_t id = 1; id <= static_cast<std::int64_t>(workload_names().size()); ++id) {
    const CollectionHandle c{id};
    auto since = stash.since(c);
    if (!since) {
      out << "c" << id << " " << since.error().to_string() << "\n";
      continue;
    }
    out << "c" << id << " since " << *since << " upper " << *stash.upper(c);
    auto rows = stash.iter(c);
    if (!rows) {
      out << " iter: " << rows.error().to_string() << "\n";
      continue;
    }
    for (const Update& u : *rows) out << " " << u;
    out << "\n";
  }
  return out.str();
}

inline std::string observe(const MemoryStashImage& image) {
  MemoryStash stash(image);
  return observe(stash);
}

// Plans `count` calls from `seed`. About one in six is meant to fail (a
// regressing seal, an update before upper, a wrong lower) and must fail the
// same way on the stash under test, logging nothing.
inline std::vector<Op> plan_workload(std::uint64_t seed, int count) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  MemoryStash planner;
  std::vector<Op> ops;
  std::vector<CollectionHandle> handles;
  auto add = [&](std::string text, std::function<Status(Stash&, DurableMemoryStash*)> run) {
    (void)run(planner, nullptr);
    ops.push_back({std::move(text), std::move(run)});
  };
  auto frontier_near = [&](const Frontier& f, int spread) {
    if (f.is_empty()) return pick(4) == 0 ? Frontier::at(1) : Frontier::empty();
    if (pick(12) == 0) return Frontier::empty();
    return Frontier::at(*f.element() + pick(spread + 2) - 1);
  };
  for (int i = 0; i < count; ++i) {
    const int kind = handles.empty() ? 0 : pick(10);
    if (kind == 0) {
      const std::string name = workload_names()[pick(3)];
      add("Collection(" + name + ")", [name](Stash& s, DurableMemoryStash*) -> Status {
        auto c = s.collection(name);
        if (!c) return std::unexpected(c.error());
        return {};
      });
      handles.push_back(*planner.collection(name));
      continue;
    }
    const CollectionHandle c = handles[pick(static_cast<int>(handles.size()))];
    const Frontier upper = *planner.upper(c);
    const Frontier since = *planner.since(c);
    const std::string cs = "c" + std::to_string(c.id);
    const Timestamp base = upper.element().value_or(1);
    if (kind <= 3) {
      std::vector<Update> entries;
      for (int n = pick(3) + 1; n > 0; --n) {
        entries.push_back({"k" + std::to_string(pick(3)), std::string(pick(3), 'v'),
                           base + pick(3) - (pick(8) == 0 ? 1 : 0), pick(5) - 2});
      }
      add("UpdateMany(" + cs + ", " + std::to_string(entries.size()) + ")",
          [c, entries](Stash& s, DurableMemoryStash*) { return s.update_many(c, entries); });
    } else if (kind <= 5) {
      const Frontier f = frontier_near(upper, 2);
      add("Seal(" + cs + ", " + f.to_string() + ")",
          [c, f](Stash& s, DurableMemoryStash*) { return s.seal(c, f); });
    } else if (kind == 6) {
      const Frontier f = pick(2) ? frontier_near(since, 2) : upper;
      add("Compact(" + cs + ", " + f.to_string() + ")",
          [c, f](Stash& s, DurableMemoryStash*) { return s.compact(c, f); });
    } else if (kind == 7) {
      const CollectionHandle d = handles[pick(static_cast<int>(handles.size()))];
      std::vector<AppendBatch> batches = {
          {c, pick(6) == 0 ? Frontier::at(base - 1) : upper, frontier_near(upper, 2), std::nullopt,
           {{"k9", "x", base, 1}}}};
      if (d != c) batches.push_back({d, *planner.upper(d), *planner.upper(d), *planner.upper(d), {}});
      add("Append(" + cs + ", " + std::to_string(batches.size()) + " batches)",
          [batches](Stash& s, DurableMemoryStash*) { return s.append(batches); });
    } else if (kind == 8) {
      add("Consolidate(" + cs + ")", [c](Stash& s, DurableMemoryStash*) { return s.consolidate(c); });
    } else {
      add("Snapshot()", [](Stash&, DurableMemoryStash* d) { return d ? d->snapshot() : Status(); });
    }
  }
  return ops;
}

// A knob from the environment, for deeper runs.
inline int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::atoi(value) : fallback;
}

}  // namespace stash::test

#endif  // STASH_DURABLE_MEMORY_TESTS_WORKLOAD_H_
