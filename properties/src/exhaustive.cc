// Bounded exhaustive model checking: every operation sequence up to a depth
// over a tiny alphabet (2 collections, 2 keys, 2 values, times 0..3, diffs
// +-1, seals and compactions to {0}..{3} and {}, a few batches), each compared
// with the model: every result, its documented facts, and then everything
// readable. The alphabet is adversarial, so that every sequence also tests
// bytes: the names differ only in case, one key has a NUL byte and one a
// byte >= 0x80 (signed comparison orders them the other way), one value is
// empty.
//
// Breadth first over the model's distinct observable states: a sequence is
// extended only if it reached a state no shorter (or earlier) sequence
// reached, as explicit-state model checkers do. Every transition from every
// reachable state up to the depth is executed on a fresh store.
#include <set>

#include "checks.h"
#include "facts.h"

namespace stash::conformance::internal {
namespace {

constexpr int kCollections = 2;

using namespace std::string_literals;
const std::vector<std::string> kNames = {"Orders", "orders"};
const std::vector<Bytes> kKeys = {"k\0"s, "\xFF"s};
const std::vector<Bytes> kValues = {"v", ""};

std::vector<Frontier> frontier_alphabet() {
  return {Frontier(0), Frontier(1), Frontier(2), Frontier(3), Frontier::empty()};
}

std::vector<Op> alphabet() {
  std::vector<Op> ops;
  for (CollRef c = 0; c < kCollections; ++c) {
    for (const Bytes& k : kKeys) {
      for (const Bytes& v : kValues) {
        for (Timestamp t = 0; t <= 3; ++t) {
          for (Diff d : {1, -1}) ops.push_back({0, UpdateOp{c, {k, v, t, d}}});
        }
      }
    }
    for (const Frontier& f : frontier_alphabet()) {
      ops.push_back({0, SealOp{c, f}});
      ops.push_back({0, CompactOp{c, f}});
    }
    ops.push_back({0, ConsolidateOp{c}});
  }
  ops.push_back({0, SealBatchOp{{{0, Frontier(2)}, {1, Frontier(1)}}}});
  ops.push_back({0, SealBatchOp{{{0, Frontier(2)}, {1, Frontier(3)}, {0, Frontier(1)}}}});
  ops.push_back({0, CompactBatchOp{{{0, Frontier(1)}, {1, Frontier(1)}}}});
  ops.push_back({0, AppendOp{{{0, Frontier(0), Frontier(2), std::nullopt, {{kKeys[0], kValues[0], 1, 1}}},
                              {1, Frontier(0), Frontier(1), Frontier(1), {{kKeys[1], kValues[1], 0, -1}}}}}});
  return ops;
}

std::string show(const std::vector<Op>& ops) {
  std::string out;
  for (std::size_t i = 0; i < ops.size(); ++i) out += "\n  " + to_string(ops[i]);
  return out;
}

struct Explorer {
  Context& ctx;
  std::vector<Bytes> keys = kKeys;
  std::uint64_t sequences = 0;

  // Runs `ops` on a fresh backend and a fresh model; returns the model's
  // final observation, or the mismatch as an error.
  Result<std::string> replay(const std::vector<Op>& ops) {
    ++sequences;
    auto backend = World::open(ctx.backend);
    if (!backend) return fail(ErrorCode::kInternal, "open_fresh failed: " + backend.error().to_string());
    (*backend)->coverage = ctx.coverage;
    (*backend)->area = "exhaustive";
    (*backend)->set_names(kNames);
    auto model = World::model(ctx.make_model, Capabilities{});
    model->set_names(kNames);
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const Answer want = model->execute(ops[i]);
      const Answer got = (*backend)->execute(ops[i]);
      const std::string step = "step " + std::to_string(i + 1) + " " + to_string(ops[i]) + ": ";
      if (got.text != want.text) {
        return fail(ErrorCode::kInternal, step + "backend returned " + got.detailed() +
                                              ", model returned " + want.detailed());
      }
      if (auto missing = missing_facts(ops[i].call, got, want)) {
        return fail(ErrorCode::kInternal, step + *missing);
      }
    }
    const Observation want = model->observe(0, kCollections, keys);
    const Observation got = (*backend)->observe(0, kCollections, keys);
    if (got.render() != want.render()) {
      return fail(ErrorCode::kInternal, "reads differ at the end.\nbackend:\n" + got.render() +
                                            "model:\n" + want.render());
    }
    if (auto missing = missing_facts(got, want)) {
      return fail(ErrorCode::kInternal, "reads at the end: " + *missing);
    }
    return want.render();
  }
};

CheckOutput explore(Context& ctx) {
  const std::vector<Op> ops = alphabet();
  Explorer explorer{ctx};
  auto initial = explorer.replay({});
  if (!initial) return {false, initial.error().message()};
  std::set<std::string> seen = {*initial};
  std::vector<std::vector<Op>> frontier = {{}};
  const int depth = ctx.options.exhaustive_depth;
  for (int d = 1; d <= depth && !frontier.empty(); ++d) {
    std::vector<std::vector<Op>> next;
    for (const auto& path : frontier) {
      for (const Op& op : ops) {
        std::vector<Op> seq = path;
        seq.push_back(op);
        auto state = explorer.replay(seq);
        if (!state) {
          return {false, state.error().message() + "\nSequence (deterministic; STASH_EXHAUSTIVE_DEPTH=" +
                             std::to_string(depth) + " replays it):" + show(seq)};
        }
        if (seen.insert(*state).second && d < depth) next.push_back(std::move(seq));
      }
    }
    frontier = std::move(next);
  }
  (*ctx.coverage)["exhaustive sequences"] += explorer.sequences;
  (*ctx.coverage)["exhaustive distinct states"] += seen.size();
  return {true, "depth " + std::to_string(depth) + ", alphabet of " + std::to_string(ops.size()) +
                    " operations: explored " + std::to_string(explorer.sequences) +
                    " sequences, " + std::to_string(seen.size()) + " distinct states"};
}

}  // namespace

std::vector<CheckDef> exhaustive_checks() {
  return {{Area::kExhaustive, "exhaustive: every short sequence agrees with the model",
           "ExhaustiveModel", std::nullopt, explore}};
}

}  // namespace stash::conformance::internal
