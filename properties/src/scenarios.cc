// semantics.md section 6: the scenarios of the original's shared test suite,
// through the Stash interface only. Scenarios 1-8 build on each other, as in
// the original; scenario k replays steps 1..k.
#include <limits>

#include "scenario_support.h"

namespace stash::conformance::internal {

CheckOutput Checker::output() const {
  if (failures_.empty()) return {};
  std::string details;
  for (const std::string& f : failures_) details += (details.empty() ? "" : "\n") + f;
  return {false, details};
}

CollectionHandle ScenarioEnv::coll(Stash& s, const std::string& name) {
  auto h = s.collection(name);
  if (!h) t.fail("collection(\"" + name + "\"): " + h.error().to_string());
  return h.value_or(CollectionHandle{});
}

CheckDef scenario(std::string name, std::string test_name, std::optional<Capability> needs,
                  ScenarioBody body) {
  auto run = [body = std::move(body)](Context& ctx) -> CheckOutput {
    ScenarioEnv env{ctx.backend.make_harness(), nullptr, {}, ctx.coverage};
    auto stash = env.harness->open_fresh();
    if (!stash) return {false, "open_fresh failed: " + stash.error().to_string()};
    env.stash = std::move(*stash);
    body(env);
    env.stash.reset();  // close before the harness goes
    return env.t.output();
  };
  return {Area::kScenarios, std::move(name), std::move(test_name), needs, run};
}

namespace {

// Steps 1-8 on collections "orders" and "other".
void orders_steps(ScenarioEnv& e, int last) {
  Stash& s = *e.stash;
  Checker& t = e.t;
  const CollectionHandle orders = e.coll("orders");
  const CollectionHandle other = e.coll("other");
  t.expect("1: update widgets", s.update(orders, "widgets", "1", 1, 1), "ok");
  t.expect("1: update wombats", s.update(orders, "wombats", "2", 1, 2), "ok");
  if (last == 1) {
    t.expect("1: iter", s.iter(orders), "ok [((widgets, 1), 1, 1), ((wombats, 2), 1, 2)]");
    t.expect("1: iter_key widgets", s.iter_key(orders, "widgets"), "ok [(1, 1, 1)]");
    t.expect("1: iter_key wombats", s.iter_key(orders, "wombats"), "ok [(2, 1, 2)]");
    return;
  }
  t.expect("2: update other", s.update(other, "foo", "bar", 1, 1), "ok");
  if (last == 2) {
    t.expect("2: iter other", s.iter(other), "ok [((foo, bar), 1, 1)]");
    t.expect("2: iter orders", s.iter(orders), "ok [((widgets, 1), 1, 1), ((wombats, 2), 1, 2)]");
    return;
  }
  t.expect("3: retract wombats", s.update(orders, "wombats", "2", 1, -1), "ok");
  if (last == 3) t.expect("3: iter_key wombats", s.iter_key(orders, "wombats"), "ok [(2, 1, 1)]");
  t.expect("3: retract wombats again", s.update(orders, "wombats", "2", 1, -1), "ok");
  if (last == 3) {
    t.expect("3: iter", s.iter(orders), "ok [((widgets, 1), 1, 1)]");
    return;
  }
  const std::vector<Update> more = {{"widgets", "1", 2, 1}, {"widgets", "1", 3, 1},
                                    {"widgets", "1", 4, 1}};
  t.expect("4: update_many", s.update_many(orders, more), "ok");
  t.expect("4: seal {3}", s.seal(orders, Frontier(3)), "ok");
  if (last == 4) {
    t.expect("4: peek_timestamp", s.peek_timestamp(orders), "ok 2");
    t.expect("4: peek", s.peek(orders), "ok [(widgets, 1, 2)]");
    t.expect_error("4: peek_one", s.peek_one(orders), ErrorCode::kMultiplicity);
    return;
  }
  t.expect("5: compact {3}", s.compact(orders, Frontier(3)), "ok");
  const std::string compacted = "ok [((widgets, 1), 3, 3), ((widgets, 1), 4, 1)]";
  if (last == 5) {
    t.expect("5: iter", s.iter(orders), compacted);
    t.expect("5: consolidate", s.consolidate(orders), "ok");
    t.expect("5: iter after consolidate", s.iter(orders), compacted);
    return;
  }
  if (last == 6) {
    t.expect_error("6: seal {2}", s.seal(orders, Frontier(2)), ErrorCode::kFrontierViolation,
                   {"{2}", "{3}"});
    t.expect_error("6: compact {2}", s.compact(orders, Frontier(2)),
                   ErrorCode::kFrontierViolation, {"{2}", "{3}"});
    t.expect_error("6: compact {4}", s.compact(orders, Frontier(4)),
                   ErrorCode::kFrontierViolation, {"{4}", "{3}"});
    t.expect_error("6: update at 2", s.update(orders, "widgets", "1", 2, 1),
                   ErrorCode::kFrontierViolation, {"2", "{3}"});
    t.expect("6: nothing changed", s.iter(orders), compacted);
    t.expect("6: since", s.since(orders), "ok {3}");
    t.expect("6: upper", s.upper(orders), "ok {3}");
    return;
  }
  t.expect("7: seal {}", s.seal(orders, Frontier::empty()), "ok");
  t.expect("7: compact {}", s.compact(orders, Frontier::empty()), "ok");
  if (last == 7) {
    t.expect_error("7: iter", s.iter(orders), ErrorCode::kFrontierViolation);
    t.expect_error("7: iter_key", s.iter_key(orders, "widgets"), ErrorCode::kFrontierViolation);
    t.expect("7: consolidate", s.consolidate(orders), "ok");
    t.expect("7: other since", s.since(other), "ok {0}");
    t.expect("7: other upper", s.upper(other), "ok {0}");
    t.expect("7: other iter", s.iter(other), "ok [((foo, bar), 1, 1)]");
    return;
  }
  t.expect("8: seal other {2}", s.seal(other, Frontier(2)), "ok");
  t.expect("8: peek_one other", s.peek_one(other), "ok {foo: bar}");
  t.expect("8: peek_key_one other foo", s.peek_key_one(other, "foo"), "ok bar");
}

void append_scenario(ScenarioEnv& e) {
  Stash& s = *e.stash;
  Checker& t = e.t;
  const CollectionHandle a = e.coll("a");
  const CollectionHandle b = e.coll("b");
  const Update x{"x", "1", 0, 1};
  const AppendBatch good_a{a, Frontier(0), Frontier(2), std::nullopt, {x}};
  const AppendBatch bad_b{b, Frontier(1), Frontier(2), std::nullopt, {}};
  t.expect_error("append, wrong lower second", s.append(std::vector{good_a, bad_b}),
                 ErrorCode::kFrontierViolation, {"unexpected lower"});
  t.expect_error("append, wrong lower first", s.append(std::vector{bad_b, good_a}),
                 ErrorCode::kFrontierViolation, {"unexpected lower"});
  t.expect("seal b {1}", s.seal(b, Frontier(1)), "ok");
  const AppendBatch regress_b{b, Frontier(1), Frontier(0), std::nullopt, {}};
  t.expect_error("append, regressing upper", s.append(std::vector{good_a, regress_b}),
                 ErrorCode::kFrontierViolation);
  t.expect("nothing committed: iter a", s.iter(a), "ok []");
  t.expect("nothing committed: upper a", s.upper(a), "ok {0}");
  t.expect("nothing committed: upper b", s.upper(b), "ok {1}");
  const AppendBatch good_b{b, Frontier(1), Frontier(2), Frontier(1), {{"y", "2", 1, 1}}};
  t.expect("append, corrected", s.append(std::vector{good_a, good_b}), "ok");
  t.expect("committed: iter a", s.iter(a), "ok [((x, 1), 0, 1)]");
  t.expect("committed: upper a", s.upper(a), "ok {2}");
  t.expect("committed: iter b", s.iter(b), "ok [((y, 2), 1, 1)]");
  t.expect("committed: since b", s.since(b), "ok {1}");
  t.expect("committed: upper b", s.upper(b), "ok {2}");
}

void fencing_scenario(ScenarioEnv& e) {
  Stash& a = *e.stash;
  const CollectionHandle ca = e.coll(a, "fenced");
  e.t.expect("A writes before B opens", a.update(ca, "k", "a", 0, 1), "ok");
  auto b = e.harness->open_another();
  if (!b) return e.t.fail("open_another: " + b.error().to_string());
  e.t.expect_error("A's next write", a.update(ca, "k", "late", 0, 1), ErrorCode::kFenced);
  e.t.expect_error("A's next seal", a.seal(ca, Frontier(5)), ErrorCode::kFenced);
  const CollectionHandle cb = e.coll(**b, "fenced");
  e.t.expect("B writes", (*b)->update(cb, "k", "b", 0, 1), "ok");
  e.t.expect("B sees A's write and its own, not A's fenced one", (*b)->iter(cb),
             "ok [((k, a), 0, 1), ((k, b), 0, 1)]");
  e.t.expect("B's upper", (*b)->upper(cb), "ok {0}");
}

void reopen_scenario(ScenarioEnv& e) {
  {
    Stash& s = *e.stash;
    const CollectionHandle c = e.coll("durable");
    e.t.expect("update_many", s.update_many(c, std::vector<Update>{{"k", "v", 1, 2}, {"k", "w", 3, -1}}), "ok");
    e.t.expect("seal {3}", s.seal(c, Frontier(3)), "ok");
    e.t.expect("compact {2}", s.compact(c, Frontier(2)), "ok");
    e.coll("untouched");
  }
  e.stash.reset();
  auto reopened = e.harness->reopen();
  if (!reopened) return e.t.fail("reopen: " + reopened.error().to_string());
  e.stash = std::move(*reopened);
  const CollectionHandle c = e.coll("durable");
  e.t.expect("iter after reopen", e.stash->iter(c), "ok [((k, v), 2, 2), ((k, w), 3, -1)]");
  e.t.expect("since after reopen", e.stash->since(c), "ok {2}");
  e.t.expect("upper after reopen", e.stash->upper(c), "ok {3}");
  e.t.expect("peek after reopen", e.stash->peek(c), "ok [(k, v, 2)]");
}

void several_handles_scenario(ScenarioEnv& e) {
  Stash& a = *e.stash;
  const CollectionHandle ca = e.coll(a, "shared");
  e.t.expect("A writes", a.update(ca, "k", "v", 1, 1), "ok");
  e.t.expect("A seals {2}", a.seal(ca, Frontier(2)), "ok");
  auto b = e.harness->open_another();
  if (!b) return e.t.fail("open_another: " + b.error().to_string());
  const CollectionHandle cb = e.coll(**b, "shared");
  e.t.expect("B sees A's write", (*b)->iter(cb), "ok [((k, v), 1, 1)]");
  e.t.expect("B sees A's seal", (*b)->upper(cb), "ok {2}");
  e.t.expect("B peeks", (*b)->peek_one(cb), "ok {k: v}");
}

}  // namespace

std::vector<CheckDef> scenario_checks() {
  const std::vector<std::pair<std::string, std::string>> steps = {
      {"orders: iter and iter_key", "Orders"},
      {"a second collection is isolated", "Isolation"},
      {"retractions consolidate away", "Retractions"},
      {"update_many, seal and peek", "SealAndPeek"},
      {"compact, then consolidate changes no read", "CompactAndConsolidate"},
      {"frontier errors change nothing", "FrontierErrors"},
      {"seal and compact to {}", "EmptyFrontiers"},
      {"peek_one and peek_key_one", "PeekOne"}};
  std::vector<CheckDef> out;
  for (int k = 1; k <= 8; ++k) {
    out.push_back(scenario("scenario " + std::to_string(k) + ": " + steps[k - 1].first,
                           "Scenario" + std::to_string(k) + steps[k - 1].second, std::nullopt,
                           [k](ScenarioEnv& e) { orders_steps(e, k); }));
  }
  out.push_back(scenario("scenario 9: append is atomic across collections",
                         "Scenario9AppendAtomic", std::nullopt, append_scenario));
  out.push_back(scenario("scenario 10: a newer Stash fences the older", "Scenario10Fencing",
                         Capability::kFencing, fencing_scenario));
  out.push_back(scenario("scenario 11: reopen keeps acknowledged writes", "Scenario11Reopen",
                         Capability::kDurable, reopen_scenario));
  out.push_back(scenario("scenario: two Stash objects on one store see each other",
                         "ScenarioSeveralHandles", Capability::kSeveralHandles,
                         several_handles_scenario));
  for (CheckDef& c : error_row_checks()) out.push_back(std::move(c));
  for (CheckDef& c : data_checks()) out.push_back(std::move(c));
  for (CheckDef& c : scale_checks()) out.push_back(std::move(c));
  for (CheckDef& c : collections_scenario_checks()) out.push_back(std::move(c));
  return out;
}

}  // namespace stash::conformance::internal
