// Invariant properties: random operation sequences on several collections,
// with every collection read back after every step and the outputs checked
// against the contract itself (no model). Each property checks one group of
// invariants, so a failure names the broken one.
#include <map>
#include <tuple>

#include "checks.h"
#include "generators.h"

namespace stash::conformance::internal {
namespace {

__extension__ typedef __int128 Sum;

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

// One step as the invariants see it.
struct Step {
  const Op& op;
  const Answer& out;
  const Observation& before;
  const Observation& after;
};

// A violated invariant, or nullopt.
using Violation = std::optional<std::string>;
using Invariant = std::function<Violation(const Step&)>;

std::string name(std::size_t c) { return collection_name(static_cast<CollRef>(c)); }

Violation frontiers(const Step& s) {
  for (std::size_t c = 0; c < s.after.collections.size(); ++c) {
    const CollectionView& a = s.after.collections[c];
    const CollectionView& b = s.before.collections[c];
    if (!a.since || !a.upper) return name(c) + ": since/upper failed";
    if (!(*a.since <= *a.upper)) return name(c) + ": since " + a.since->to_string() + " > upper " + a.upper->to_string();
    if (b.since && *a.since < *b.since) return name(c) + ": since went back from " + b.since->to_string() + " to " + a.since->to_string();
    if (b.upper && *a.upper < *b.upper) return name(c) + ": upper went back from " + b.upper->to_string() + " to " + a.upper->to_string();
  }
  return std::nullopt;
}

Violation iter_shape(const Step& s) {
  for (std::size_t c = 0; c < s.after.collections.size(); ++c) {
    const CollectionView& v = s.after.collections[c];
    if (!v.since) return name(c) + ": since failed";
    if (v.since->is_empty()) {
      if (outcome(v.iter).text != "error frontier_violation") return name(c) + ": iter with since {} returned " + outcome(v.iter).text;
    } else if (!v.iter) {
      return name(c) + ": iter failed: " + outcome(v.iter).detailed();
    } else {
      const auto& it = *v.iter;
      for (std::size_t i = 0; i < it.size(); ++i) {
        if (it[i].diff == 0) return name(c) + ": iter returned a zero diff";
        if (!v.since->less_equal(it[i].time)) return name(c) + ": iter time before since";
        if (i > 0 && !(std::tie(it[i - 1].key, it[i - 1].value, it[i - 1].time) <
                       std::tie(it[i].key, it[i].value, it[i].time))) {
          return name(c) + ": iter not sorted by (key, value, time) or not consolidated";
        }
      }
    }
    for (const auto& [key, got] : v.iter_key) {
      Result<std::vector<ValueUpdate>> want = std::vector<ValueUpdate>{};
      if (!v.iter) want = std::unexpected(v.iter.error());
      else for (const Update& u : *v.iter) if (u.key == key) want->push_back({u.value, u.time, u.diff});
      if (outcome(got).text != outcome(want).text) {
        return name(c) + ": iter_key " + printable(key) + " returned " + outcome(got).text + ", iter filtered to the key is " + outcome(want).text;
      }
    }
  }
  return std::nullopt;
}

// peek_timestamp, peek, peek_one and peek_key_one derived from iter and the
// frontiers as semantics.md section 4 defines them.
struct Peeks {
  Result<Timestamp> ts;
  Result<std::vector<PeekEntry>> peek;
  Result<std::map<Bytes, Bytes>> one;
};

Result<std::optional<Bytes>> peek_key_one(const Result<std::vector<PeekEntry>>& peek, const Bytes& key) {
  if (!peek) return std::unexpected(peek.error());
  std::vector<PeekEntry> mine;
  for (const PeekEntry& e : *peek) if (e.key == key) mine.push_back(e);
  if (mine.empty()) return std::optional<Bytes>();
  if (mine.size() > 1 || mine[0].diff != 1) return fail(ErrorCode::kMultiplicity, "derived");
  return std::optional<Bytes>(mine[0].value);
}

Peeks derive_peeks(const CollectionView& v) {
  Peeks p;
  const Frontier since = *v.since, upper = *v.upper;
  if (upper <= since) p.ts = fail(ErrorCode::kFrontierViolation, "derived");
  else p.ts = upper.is_empty() ? std::numeric_limits<Timestamp>::max() : *upper.element() - 1;
  if (!p.ts) p.peek = std::unexpected(p.ts.error());
  else if (!v.iter) p.peek = std::unexpected(v.iter.error());
  else {
    std::map<std::pair<Bytes, Bytes>, Sum> sums;
    for (const Update& u : *v.iter) if (u.time <= *p.ts) sums[{u.key, u.value}] += u.diff;
    p.peek = std::vector<PeekEntry>{};
    for (const auto& [kv, d] : sums) if (d != 0) p.peek->push_back({kv.first, kv.second, static_cast<Diff>(d)});
  }
  if (!p.peek) { p.one = std::unexpected(p.peek.error()); return p; }
  p.one = std::map<Bytes, Bytes>{};
  for (const PeekEntry& e : *p.peek) {
    if (e.diff != 1 || !p.one->emplace(e.key, e.value).second) {
      p.one = fail(ErrorCode::kMultiplicity, "derived");
      break;
    }
  }
  return p;
}

Violation peeks(const Step& s) {
  for (std::size_t c = 0; c < s.after.collections.size(); ++c) {
    const CollectionView& v = s.after.collections[c];
    if (!v.since || !v.upper) return name(c) + ": since/upper failed";
    const Peeks want = derive_peeks(v);
    auto differ = [&](const std::string& what, const Answer& got, const Answer& expected) -> Violation {
      if (got.text == expected.text) return std::nullopt;
      return name(c) + ": " + what + " returned " + got.detailed() + ", but iter and the frontiers say " + expected.text;
    };
    if (auto d = differ("peek_timestamp", outcome(v.peek_ts), outcome(want.ts))) return d;
    if (auto d = differ("peek", outcome(v.peek), outcome(want.peek))) return d;
    if (auto d = differ("peek_one", outcome(v.peek_one), outcome(want.one))) return d;
    for (const auto& [key, got] : v.peek_key_one) {
      if (auto d = differ("peek_key_one " + printable(key), outcome(got), outcome(peek_key_one(want.peek, key)))) return d;
    }
  }
  return std::nullopt;
}

bool is_consolidate(const Call& call) {
  return std::holds_alternative<ConsolidateOp>(call) || std::holds_alternative<ConsolidateBatchOp>(call);
}

Violation consolidate_invisible(const Step& s) {
  if (!is_consolidate(s.op.call)) return std::nullopt;
  const auto refs = touched(s.op.call);
  const bool valid = std::find(refs.begin(), refs.end(), kBogus) == refs.end();
  if (valid && !s.out.ok()) return "consolidate failed: " + s.out.detailed();
  if (s.before.render() != s.after.render()) {
    return "consolidate changed what reads return:\nbefore:\n" + s.before.render() + "after:\n" + s.after.render();
  }
  return std::nullopt;
}

// The entries a successful `call` added to collection `c`.
std::vector<Update> added(const Call& call, CollRef c) {
  return std::visit(Overloaded{
      [&](const UpdateOp& o) { return o.c == c ? std::vector{o.entry} : std::vector<Update>{}; },
      [&](const UpdateManyOp& o) { return o.c == c ? o.entries : std::vector<Update>{}; },
      [&](const AppendOp& o) {
        std::vector<Update> out;
        for (const auto& b : o.batches) if (b.c == c) out.insert(out.end(), b.entries.begin(), b.entries.end());
        return out;
      },
      [](const auto&) { return std::vector<Update>{}; }}, call);
}

// The frontiers a successful `call` must leave: (collection, since?, upper?)
// for each element, later elements overriding earlier ones.
struct Target {
  std::optional<Frontier> since, upper;
};
std::map<CollRef, Target> targets(const Call& call) {
  std::map<CollRef, Target> out;
  std::visit(Overloaded{
      [&](const SealOp& o) { out[o.c].upper = o.frontier; },
      [&](const CompactOp& o) { out[o.c].since = o.frontier; },
      [&](const SealBatchOp& o) { for (const auto& r : o.requests) out[r.c].upper = r.frontier; },
      [&](const CompactBatchOp& o) { for (const auto& r : o.requests) out[r.c].since = r.frontier; },
      [&](const AppendOp& o) {
        for (const auto& b : o.batches) {
          out[b.c].upper = b.upper;
          if (b.since) out[b.c].since = *b.since;
        }
      },
      [](const auto&) {}}, call);
  return out;
}

Violation frontiers_applied(const Step& s) {
  for (const auto& [c, target] : targets(s.op.call)) {
    if (c < 0 || c >= static_cast<CollRef>(s.after.collections.size())) continue;
    const CollectionView& a = s.after.collections[c];
    if (target.upper && (!a.upper || *a.upper != *target.upper)) {
      return name(c) + ": a successful call left upper " + outcome(a.upper).text + ", requested " + target.upper->to_string();
    }
    if (target.since && (!a.since || *a.since != *target.since)) {
      return name(c) + ": a successful call left since " + outcome(a.since).text + ", requested " + target.since->to_string();
    }
  }
  return std::nullopt;
}

Violation all_or_nothing(const Step& s) {
  if (!s.out.ok()) {
    if (s.before.render() == s.after.render()) return std::nullopt;
    return "a call that failed (" + s.out.detailed() + ") changed what reads return:\nbefore:\n" +
           s.before.render() + "after:\n" + s.after.render();
  }
  if (auto v = frontiers_applied(s)) return v;
  for (std::size_t c = 0; c < s.after.collections.size(); ++c) {
    const CollectionView& b = s.before.collections[c];
    const CollectionView& a = s.after.collections[c];
    if (!b.iter || !a.iter || !a.since) continue;
    // Expected: everything before plus everything added, advanced to the new
    // since and consolidated.
    std::map<std::tuple<Bytes, Bytes, Timestamp>, Sum> sums;
    auto add = [&](const Update& u) {
      sums[{u.key, u.value, std::max(u.time, *a.since->element())}] += u.diff;
    };
    for (const Update& u : *b.iter) add(u);
    for (const Update& u : added(s.op.call, static_cast<CollRef>(c))) add(u);
    std::vector<Update> want;
    for (const auto& [kvt, d] : sums) {
      if (d != 0) want.push_back({std::get<0>(kvt), std::get<1>(kvt), std::get<2>(kvt), static_cast<Diff>(d)});
    }
    if (render(want) != render(*a.iter)) {
      return name(c) + ": after a successful call iter is " + render(*a.iter) + ", expected " + render(want) + " (every element applied, once)";
    }
  }
  return std::nullopt;
}

// Runs one operation, reads everything back, and checks one invariant.
struct InvariantSut {
  World& world;
  const Invariant& invariant;
  int collections;
  std::vector<Bytes> keys;
  Observation now;

  void run(const Op& op) {
    const Answer out = world.execute(op);
    Observation after = world.observe(0, collections, keys);
    if (auto v = invariant(Step{op, out, now, after})) RC_FAIL("after " + to_string(op) + " -> " + out.detailed() + ": " + *v);
    now = std::move(after);
  }
};

CheckDef invariant(std::string title, std::string test_name, Invariant check) {
  auto body = [test_name, check](Context& ctx) {
    return check_property(ctx, test_name, [&ctx, &check] {
      GenConfig config;
      config.reads = false;  // every step reads everything back anyway
      config.alphabet = *gen_alphabet(config.collections, 3, 3);
      auto world = World::open(ctx.backend);
      if (!world) RC_FAIL("open_fresh failed: " + world.error().to_string());
      (*world)->coverage = ctx.coverage;
      (*world)->area = "properties";
      (*world)->set_names(config.alphabet.names);
      const auto& keys = config.alphabet.keys;
      InvariantSut sut{**world, check, config.collections, keys,
                       (*world)->observe(0, config.collections, keys)};
      if (auto v = check(Step{Op{0, ReopenOp{}}, Answer{"ok", {}, ""}, sut.now, sut.now})) {
        RC_FAIL("fresh store: " + *v);
      }
      rc::state::check(GenState(config), sut, gen_command<InvariantSut>);
    });
  };
  return {Area::kProperties, std::move(title), std::move(test_name), std::nullopt, body};
}

}  // namespace

std::vector<CheckDef> invariant_checks() {
  return {
      invariant("property: since <= upper, and frontiers never go back", "PropertyFrontiers", frontiers),
      invariant("property: iter sorted, consolidated, at or beyond since; iter_key is iter filtered",
                "PropertyIterShape", iter_shape),
      invariant("property: the peeks are iter consolidated at peek_timestamp", "PropertyPeeks", peeks),
      invariant("property: consolidate changes no read", "PropertyConsolidateInvisible", consolidate_invisible),
      invariant("property: failed calls change nothing; batches apply whole", "PropertyAllOrNothing",
                all_or_nothing),
  };
}

}  // namespace stash::conformance::internal
