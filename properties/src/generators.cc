#include "generators.h"

#include <limits>

#include "stash/rules.h"

namespace stash::conformance::internal {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

using Frontiers = std::vector<std::pair<Frontier, Frontier>>;

bool valid(const Frontiers& f, CollRef c) {
  return c >= 0 && c < static_cast<CollRef>(f.size());
}

// Applies seals / compactions / appends to `f` in order; false (and `f` in
// an unspecified state) if any element fails, as the whole call would.
bool apply_seal(Frontiers& f, CollRef c, const Frontier& to) {
  if (!valid(f, c) || !rules::check_seal(f[c].second, to)) return false;
  f[c].second = to;
  return true;
}

bool apply_compact(Frontiers& f, CollRef c, const Frontier& to) {
  if (!valid(f, c) || !rules::check_compact(f[c].first, f[c].second, to)) return false;
  f[c].first = to;
  return true;
}

bool apply_append(Frontiers& f, const AppendBatchRef& b) {
  if (!valid(f, b.c) || f[b.c].second != b.lower) return false;
  for (const Update& u : b.entries) {
    if (!b.lower.less_equal(u.time)) return false;
  }
  return apply_seal(f, b.c, b.upper) && (!b.since || apply_compact(f, b.c, *b.since));
}

Frontiers next_frontiers(Frontiers f, const Call& call) {
  const Frontiers before = f;
  const bool ok = std::visit(
      Overloaded{
          [&](const SealOp& o) { return apply_seal(f, o.c, o.frontier); },
          [&](const CompactOp& o) { return apply_compact(f, o.c, o.frontier); },
          [&](const SealBatchOp& o) {
            for (const auto& r : o.requests) {
              if (!apply_seal(f, r.c, r.frontier)) return false;
            }
            return true;
          },
          [&](const CompactBatchOp& o) {
            for (const auto& r : o.requests) {
              if (!apply_compact(f, r.c, r.frontier)) return false;
            }
            return true;
          },
          [&](const AppendOp& o) {
            for (const auto& b : o.batches) {
              if (!apply_append(f, b)) return false;
            }
            return true;
          },
          [&](const auto&) { return true; },
      },
      call);
  return ok ? f : before;
}

// A time to draw others near: the frontier's element, or `fallback` for {}.
Timestamp anchor(const Frontier& f, Timestamp fallback) {
  return f.element().value_or(fallback);
}

rc::Gen<Timestamp> gen_time_near(const Frontier& upper) {
  const Timestamp u = anchor(upper, 3);
  return rc::gen::weightedOneOf<Timestamp>({
      {8, rc::gen::inRange<Timestamp>(u, u + 3)},   // valid
      {3, rc::gen::inRange<Timestamp>(u - 2, u)},   // before upper
  });
}

rc::Gen<Frontier> gen_frontier_near(const std::pair<Frontier, Frontier>& f) {
  const Timestamp since = anchor(f.first, anchor(f.second, 3));
  const Timestamp upper = anchor(f.second, since + 1);
  return rc::gen::weightedOneOf<Frontier>({
      {6, rc::gen::map(rc::gen::inRange<Timestamp>(upper - 1, upper + 3), Frontier::at)},
      {3, rc::gen::map(rc::gen::inRange<Timestamp>(since - 1, since + 2), Frontier::at)},
      {1, rc::gen::just(Frontier::empty())},
  });
}

rc::Gen<Diff> gen_diff(const GenConfig& config) {
  constexpr Diff kMax = std::numeric_limits<Diff>::max();
  constexpr Diff kMin = std::numeric_limits<Diff>::min();
  if (!config.extreme_diffs) return rc::gen::weightedElement<Diff>({{6, 1}, {3, -1}, {1, 2}, {1, 0}});
  return rc::gen::weightedElement<Diff>(
      {{6, 1}, {3, -1}, {1, 2}, {1, 0}, {1, kMax}, {1, kMin}});
}

struct Gens {
  const GenState& s;

  rc::Gen<CollRef> coll() const {
    const int n = s.config.collections;
    if (!s.config.invalid_handles) return rc::gen::inRange<CollRef>(0, n);
    return rc::gen::weightedOneOf<CollRef>(
        {{30, rc::gen::inRange<CollRef>(0, n)}, {1, rc::gen::just(kBogus)}});
  }
  std::pair<Frontier, Frontier> frontiers(CollRef c) const {
    return c == kBogus ? std::pair{Frontier(), Frontier()} : s.frontiers[c];
  }
  rc::Gen<Bytes> key() const {
    return rc::gen::map(rc::gen::inRange(0, s.config.keys),
                        [](int k) { return "k" + std::to_string(k); });
  }
  Update update(CollRef c) const {
    return Update{*key(), "v" + std::to_string(*rc::gen::inRange(0, s.config.values)),
                  *gen_time_near(frontiers(c).second), *gen_diff(s.config)};
  }
  std::vector<Update> updates(CollRef c, int max) const {
    std::vector<Update> out(*rc::gen::inRange(0, max + 1));
    for (Update& u : out) u = update(c);
    return out;
  }
  // Two updates of one (key, value, time) whose sum overflows int64.
  std::vector<Update> overflowing(CollRef c) const {
    Update u = update(c);
    u.diff = *rc::gen::element(std::numeric_limits<Diff>::max(),
                               std::numeric_limits<Diff>::min());
    return {u, u};
  }
  std::vector<FrontierRequestRef> requests() const {
    std::vector<FrontierRequestRef> out(*rc::gen::inRange(1, 4));
    for (auto& r : out) {
      r.c = *coll();
      r.frontier = *gen_frontier_near(frontiers(r.c));
    }
    return out;
  }
  AppendBatchRef append_batch() const {
    AppendBatchRef b;
    b.c = *coll();
    const auto f = frontiers(b.c);
    b.lower = *rc::gen::weightedOneOf<Frontier>(
        {{5, rc::gen::just(f.second)}, {1, gen_frontier_near(f)}});
    b.entries = updates(b.c, 2);
    b.upper = *gen_frontier_near(f);
    if (*rc::gen::inRange(0, 3) == 0) b.since = *gen_frontier_near(f);
    return b;
  }
};

rc::Gen<Call> gen_write(const GenState& s) {
  return rc::gen::exec([s]() -> Call {
    const Gens g{s};
    const CollRef c = *g.coll();
    const auto f = g.frontiers(c);
    const int overflow = s.config.extreme_diffs ? 1 : 0;
    switch (*rc::gen::weightedElement<int>({{12, 0}, {5, 1}, {8, 2}, {6, 3}, {3, 4},
                                            {3, 5}, {3, 6}, {2, 7}, {4, 8},
                                            {overflow, 9}, {2, 10}})) {
      case 0: return UpdateOp{c, g.update(c)};
      case 1: return UpdateManyOp{c, g.updates(c, 3)};
      case 2: return SealOp{c, *gen_frontier_near(f)};
      case 3: return CompactOp{c, *gen_frontier_near(f)};
      case 4: return ConsolidateOp{c};
      case 5: return SealBatchOp{g.requests()};
      case 6: return CompactBatchOp{g.requests()};
      case 7: return ConsolidateBatchOp{{c, *g.coll()}};
      case 8: {
        AppendOp op;
        op.batches.resize(*rc::gen::inRange(1, 3));
        for (auto& b : op.batches) b = g.append_batch();
        return op;
      }
      case 9: return UpdateManyOp{c, g.overflowing(c)};
      default: {
        // The same entry twice: a diff of 2, which peek_one must refuse.
        const Update u = g.update(c);
        return UpdateManyOp{c, {u, u}};
      }
    }
  });
}

rc::Gen<Call> gen_read(const GenState& s) {
  return rc::gen::exec([s]() -> Call {
    const Gens g{s};
    const CollRef c = *g.coll();
    switch (*rc::gen::weightedElement<int>(
        {{3, 0}, {2, 1}, {1, 2}, {1, 3}, {2, 4}, {3, 5}, {4, 6}, {4, 7}})) {
      case 0: return IterOp{c};
      case 1: return IterKeyOp{c, *g.key()};
      case 2: return SinceOp{c};
      case 3: return UpperOp{c};
      case 4: return PeekTimestampOp{c};
      case 5: return PeekOp{c};
      case 6: return PeekOneOp{c};
      default: return PeekKeyOneOp{c, *g.key()};
    }
  });
}

rc::Gen<Call> gen_collection(const GenState& s) {
  const int n = s.config.collections;
  if (!s.config.invalid_handles) {
    return rc::gen::map(rc::gen::inRange(0, n),
                        [](int c) -> Call { return CollectionOp{collection_name(c)}; });
  }
  return rc::gen::weightedOneOf<Call>(
      {{3, rc::gen::map(rc::gen::inRange(0, n),
                        [](int c) -> Call { return CollectionOp{collection_name(c)}; })},
       {1, rc::gen::just<Call>(CollectionOp{kInvalidName})}});
}

}  // namespace

GenState::GenState(GenConfig c)
    : config(c), frontiers(c.collections), fenced{false} {}

void GenState::apply(const Op& op) {
  if (std::holds_alternative<ReopenOp>(op.call)) {
    fenced = {false};
  } else if (std::holds_alternative<OpenAnotherOp>(op.call)) {
    if (config.events.fencing) fenced.assign(fenced.size(), true);
    fenced.push_back(false);
  } else if (op.stash >= 0 && op.stash < static_cast<int>(fenced.size()) &&
             !fenced[op.stash]) {
    frontiers = next_frontiers(frontiers, op.call);
  }
}

bool GenState::allows(const Op& op) const {
  if (std::holds_alternative<ReopenOp>(op.call)) return config.events.durable;
  if (std::holds_alternative<OpenAnotherOp>(op.call)) {
    return config.events.several_handles &&
           static_cast<int>(fenced.size()) < config.max_objects;
  }
  if (op.stash < 0 || op.stash >= static_cast<int>(fenced.size())) return false;
  for (CollRef c : touched(op.call)) {
    if (c != kBogus && (c < 0 || c >= config.collections)) return false;
  }
  return true;
}

rc::Gen<Op> gen_op(const GenState& s) {
  const bool reopen = s.config.events.durable;
  const bool another = s.config.events.several_handles &&
                       static_cast<int>(s.fenced.size()) < s.config.max_objects;
  const int objects = static_cast<int>(s.fenced.size());
  auto call = rc::gen::weightedOneOf<Call>({
      {16, gen_write(s)},
      {s.config.reads ? 8 : 0, gen_read(s)},
      {1, gen_collection(s)},
      {1, rc::gen::just<Call>(CollectionsOp{})},
      {reopen ? 1 : 0, rc::gen::just<Call>(ReopenOp{})},
      {another ? 1 : 0, rc::gen::just<Call>(OpenAnotherOp{})},
  });
  return rc::gen::apply([](int stash, Call c) { return Op{stash, std::move(c)}; },
                        rc::gen::inRange(0, objects), call);
}

}  // namespace stash::conformance::internal
