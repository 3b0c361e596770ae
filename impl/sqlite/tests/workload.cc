#include "workload.h"

#include <random>
#include <sstream>

#include "stash/memory_stash.h"
#include "test_util.h"

namespace stash::testing {
namespace {

using Rng = std::mt19937_64;

int uniform(Rng& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
bool chance(Rng& rng, int percent) { return uniform(rng, 0, 99) < percent; }

// The handle of collection `index` in `stash`.
Result<CollectionHandle> handle(Stash& stash, int index) {
  return stash.collection(collection_names()[index]);
}

// A time at or beyond `upper` (or, rarely, just before it: a failing call).
Timestamp pick_time(Rng& rng, const Frontier& upper) {
  const Timestamp base = upper.is_empty() ? 1000 : *upper.element();
  return chance(rng, 4) ? base - 1 : base + uniform(rng, 0, 3);
}

std::vector<Update> pick_entries(Rng& rng, const Frontier& upper, int max_count) {
  std::vector<Update> entries(uniform(rng, 0, max_count));
  for (Update& u : entries) {
    u = {"k" + std::to_string(uniform(rng, 0, 4)), "v" + std::to_string(uniform(rng, 0, 2)),
         pick_time(rng, upper), uniform(rng, -2, 3)};
  }
  return entries;
}

// A frontier at or after `from` (rarely before it, or {}).
Frontier pick_frontier(Rng& rng, const Frontier& from, const Frontier& limit) {
  if (from.is_empty()) return from;
  const Timestamp base = *from.element();
  if (chance(rng, 4)) return Frontier(base - 1);
  if (chance(rng, 1)) return Frontier::empty();
  Timestamp t = base + uniform(rng, 0, 3);
  if (!limit.is_empty() && t > *limit.element()) t = *limit.element();
  return Frontier(t);
}

Op pick_op(Rng& rng, MemoryStash& model) {
  Op op;
  op.collection = uniform(rng, 0, 2);
  const CollectionHandle c = *handle(model, op.collection);
  const Frontier since = *model.since(c);
  const Frontier upper = *model.upper(c);
  const int roll = uniform(rng, 0, 99);
  if (roll < 45) {
    op.kind = Op::Kind::kUpdateMany;
    op.entries = pick_entries(rng, upper, 4);
  } else if (roll < 65) {
    op.kind = Op::Kind::kSeal;
    op.frontier = pick_frontier(rng, upper, Frontier::empty());
  } else if (roll < 77) {
    op.kind = Op::Kind::kCompact;
    op.frontier = pick_frontier(rng, since, upper);
  } else if (roll < 85) {
    op.kind = Op::Kind::kConsolidate;
  } else if (roll < 95) {
    op.kind = Op::Kind::kAppend;
    for (int i = uniform(rng, 1, 2); i > 0; --i) {
      const int index = uniform(rng, 0, 2);
      const Frontier lower = *model.upper(*handle(model, index));
      AppendBatch b{{index}, chance(rng, 5) ? Frontier(7) : lower,
                    pick_frontier(rng, lower, Frontier::empty()), std::nullopt,
                    pick_entries(rng, lower, 3)};
      if (chance(rng, 30)) b.since = pick_frontier(rng, *model.since(*handle(model, index)), b.upper);
      op.batches.push_back(std::move(b));
    }
  } else {
    op.kind = Op::Kind::kSealBatch;
    for (int i = uniform(rng, 1, 3); i > 0; --i) {
      const int index = uniform(rng, 0, 2);
      op.requests.push_back(
          {{index}, pick_frontier(rng, *model.upper(*handle(model, index)), Frontier::empty())});
    }
  }
  return op;
}

}  // namespace

const std::vector<std::string>& collection_names() {
  static const std::vector<std::string> names = {"c0", "c1", "c2"};
  return names;
}

std::vector<Op> generate_workload(std::uint64_t seed, int count) {
  Rng rng(seed);
  MemoryStash model;  // tracks frontiers so that most calls are valid
  std::vector<Op> ops;
  for (int i = 0; i < count; ++i) {
    Op op;
    if (i < 3) {
      op.collection = i;
    } else {
      op = pick_op(rng, model);
    }
    (void)apply(model, op);
    ops.push_back(std::move(op));
  }
  return ops;
}

Status apply(Stash& stash, const Op& op) {
  auto c = handle(stash, op.collection);
  if (!c) return std::unexpected(c.error());
  switch (op.kind) {
    case Op::Kind::kCollection:
      return {};
    case Op::Kind::kUpdateMany:
      return stash.update_many(*c, op.entries);
    case Op::Kind::kSeal:
      return stash.seal(*c, op.frontier);
    case Op::Kind::kCompact:
      return stash.compact(*c, op.frontier);
    case Op::Kind::kConsolidate:
      return stash.consolidate(*c);
    case Op::Kind::kAppend: {
      std::vector<AppendBatch> batches = op.batches;
      for (AppendBatch& b : batches) {
        auto h = handle(stash, static_cast<int>(b.collection.id));
        if (!h) return std::unexpected(h.error());
        b.collection = *h;
      }
      return stash.append(batches);
    }
    case Op::Kind::kSealBatch: {
      std::vector<FrontierRequest> requests = op.requests;
      for (FrontierRequest& r : requests) {
        auto h = handle(stash, static_cast<int>(r.collection.id));
        if (!h) return std::unexpected(h.error());
        r.collection = *h;
      }
      return stash.seal_batch(requests);
    }
  }
  return fail(ErrorCode::kInternal, "unknown op");
}

std::string show(const Op& op) {
  std::ostringstream out;
  const std::string& name = collection_names()[op.collection];
  switch (op.kind) {
    case Op::Kind::kCollection:
      out << "Collection(" << name << ")";
      break;
    case Op::Kind::kUpdateMany:
      out << "UpdateMany(" << name << ", " << op.entries.size() << " entries)";
      break;
    case Op::Kind::kSeal:
      out << "Seal(" << name << ", " << op.frontier << ")";
      break;
    case Op::Kind::kCompact:
      out << "Compact(" << name << ", " << op.frontier << ")";
      break;
    case Op::Kind::kConsolidate:
      out << "Consolidate(" << name << ")";
      break;
    case Op::Kind::kAppend:
      out << "Append(" << op.batches.size() << " batches)";
      break;
    case Op::Kind::kSealBatch:
      out << "SealBatch(" << op.requests.size() << " requests)";
      break;
  }
  return out.str();
}

std::string model_state(const std::vector<Op>& ops, std::size_t n) {
  MemoryStash model;
  for (std::size_t i = 0; i < n && i < ops.size(); ++i) (void)apply(model, ops[i]);
  return dump(model, collection_names());
}

}  // namespace stash::testing
