// semantics.md section 5: every error row, plus the general errors of stash.h
// (unknown handle, non-UTF-8 name, out-of-range sums) and the all-or-nothing
// rule for batches. Each asserts the exact code and that nothing changed.
#include <limits>

#include "scenario_support.h"

namespace stash::conformance::internal {
namespace {

constexpr Diff kMax = std::numeric_limits<Diff>::max();
constexpr Diff kMin = std::numeric_limits<Diff>::min();
constexpr ErrorCode kFrontier = ErrorCode::kFrontierViolation;

void update_before_upper(ScenarioEnv& e) {
  Stash& s = *e.stash;
  const CollectionHandle c = e.coll("c");
  e.t.expect("seal {2}", s.seal(c, Frontier(2)), "ok");
  e.t.expect_error("update at 1", s.update(c, "k", "v", 1, 1), kFrontier, {"1", "{2}"});
  e.t.expect_error("update_many with one entry at 1",
                   s.update_many(c, std::vector<Update>{{"k", "v", 2, 1}, {"k", "v", 1, 1}}),
                   kFrontier);
  e.t.expect("nothing added", s.iter(c), "ok []");
  e.t.expect("update at 2", s.update(c, "k", "v", 2, 1), "ok");
  e.t.expect("empty update_many", s.update_many(c, {}), "ok");
}

void seal_regression(ScenarioEnv& e) {
  Stash& s = *e.stash;
  const CollectionHandle c = e.coll("c");
  e.t.expect("seal {3}", s.seal(c, Frontier(3)), "ok");
  e.t.expect_error("seal {2}", s.seal(c, Frontier(2)), kFrontier, {"{2}", "{3}"});
  e.t.expect("upper unchanged", s.upper(c), "ok {3}");
  e.t.expect("seal {3} again is a no-op", s.seal(c, Frontier(3)), "ok");
  e.t.expect("seal {}", s.seal(c, Frontier::empty()), "ok");
  e.t.expect_error("seal {5} after {}", s.seal(c, Frontier(5)), kFrontier, {"{5}", "{}"});
  e.t.expect("seal {} again", s.seal(c, Frontier::empty()), "ok");
  e.t.expect_error("update after {}", s.update(c, "k", "v", kMax, 1), kFrontier);
  e.t.expect("empty update_many after {}", s.update_many(c, {}), "ok");
}

void compact_errors(ScenarioEnv& e) {
  Stash& s = *e.stash;
  const CollectionHandle c = e.coll("c");
  e.t.expect("seal {3}", s.seal(c, Frontier(3)), "ok");
  e.t.expect_error("compact {4}: beyond upper", s.compact(c, Frontier(4)), kFrontier,
                   {"{4}", "{3}"});
  e.t.expect_error("compact {}: beyond upper", s.compact(c, Frontier::empty()), kFrontier);
  e.t.expect("compact {2}", s.compact(c, Frontier(2)), "ok");
  e.t.expect_error("compact {1}: below since", s.compact(c, Frontier(1)), kFrontier,
                   {"{1}", "{2}"});
  e.t.expect("since unchanged", s.since(c), "ok {2}");
  e.t.expect("compact {3} up to upper", s.compact(c, Frontier(3)), "ok");
}

void empty_since(ScenarioEnv& e) {
  Stash& s = *e.stash;
  const CollectionHandle c = e.coll("c");
  e.t.expect("update", s.update(c, "k", "v", 0, 1), "ok");
  e.t.expect("seal {}", s.seal(c, Frontier::empty()), "ok");
  e.t.expect("peek_timestamp with upper {}", s.peek_timestamp(c), "ok 9223372036854775807");
  e.t.expect("compact {}", s.compact(c, Frontier::empty()), "ok");
  e.t.expect_error("iter", s.iter(c), kFrontier, {"empty since"});
  e.t.expect_error("iter_key", s.iter_key(c, "k"), kFrontier, {"empty since"});
  e.t.expect_error("peek", s.peek(c), kFrontier);
  e.t.expect("since", s.since(c), "ok {}");
  e.t.expect("consolidate", s.consolidate(c), "ok");
}

void peek_timestamp_errors(ScenarioEnv& e) {
  Stash& s = *e.stash;
  const CollectionHandle c = e.coll("c");
  e.t.expect_error("fresh collection", s.peek_timestamp(c), kFrontier, {"{0}"});
  e.t.expect_error("peek of a fresh collection", s.peek(c), kFrontier);
  e.t.expect_error("peek_one of a fresh collection", s.peek_one(c), kFrontier);
  e.t.expect_error("peek_key_one of a fresh collection", s.peek_key_one(c, "k"), kFrontier);
  e.t.expect("seal {2}", s.seal(c, Frontier(2)), "ok");
  e.t.expect("compact {2}", s.compact(c, Frontier(2)), "ok");
  e.t.expect_error("compacted up to upper", s.peek_timestamp(c), kFrontier, {"{2}"});
  e.t.expect("seal {5}", s.seal(c, Frontier(5)), "ok");
  e.t.expect("peek_timestamp", s.peek_timestamp(c), "ok 4");
}

void peek_multiplicity(ScenarioEnv& e) {
  Stash& s = *e.stash;
  const CollectionHandle c = e.coll("c");
  e.t.expect("update +2", s.update(c, "k", "v", 0, 2), "ok");
  e.t.expect("unsealed value", s.update(c, "u", "v", 1, 1), "ok");
  e.t.expect("seal {1}", s.seal(c, Frontier(1)), "ok");
  e.t.expect("peek", s.peek(c), "ok [(k, v, 2)]");
  e.t.expect_error("peek_one", s.peek_one(c), ErrorCode::kMultiplicity, {"multiplicity"});
  e.t.expect_error("peek_key_one", s.peek_key_one(c, "k"), ErrorCode::kMultiplicity);
  e.t.expect("peek_key_one of an unsealed key", s.peek_key_one(c, "u"), "ok none");
  e.t.expect("retract one", s.update(c, "k", "v", 1, -1), "ok");
  e.t.expect("seal {2}", s.seal(c, Frontier(2)), "ok");
  e.t.expect("peek_one", s.peek_one(c), "ok {k: v, u: v}");
}

void peek_duplicate_keys(ScenarioEnv& e) {
  Stash& s = *e.stash;
  const CollectionHandle c = e.coll("c");
  e.t.expect("update v1", s.update(c, "k", "v1", 0, 1), "ok");
  e.t.expect("update v2", s.update(c, "k", "v2", 0, 1), "ok");
  e.t.expect("seal {1}", s.seal(c, Frontier(1)), "ok");
  e.t.expect("peek", s.peek(c), "ok [(k, v1, 1), (k, v2, 1)]");
  e.t.expect_error("peek_one", s.peek_one(c), ErrorCode::kMultiplicity, {"duplicate peek keys"});
  e.t.expect_error("peek_key_one", s.peek_key_one(c, "k"), ErrorCode::kMultiplicity,
                   {"multiple values"});
  e.t.expect("peek_key_one of an absent key", s.peek_key_one(c, "absent"), "ok none");
}

void unknown_handle(ScenarioEnv& e) {
  Stash& s = *e.stash;
  const CollectionHandle real = e.coll("c");
  CollectionHandle bogus{std::numeric_limits<std::int64_t>::max()};
  if (bogus == real) bogus.id = -1;
  const ErrorCode nf = ErrorCode::kNotFound;
  e.t.expect_error("iter", s.iter(bogus), nf);
  e.t.expect_error("iter_key", s.iter_key(bogus, "k"), nf);
  e.t.expect_error("update", s.update(bogus, "k", "v", 0, 1), nf);
  e.t.expect_error("update_many", s.update_many(bogus, {}), nf);
  e.t.expect_error("seal", s.seal(bogus, Frontier(1)), nf);
  e.t.expect_error("compact", s.compact(bogus, Frontier(0)), nf);
  e.t.expect_error("consolidate", s.consolidate(bogus), nf);
  e.t.expect_error("since", s.since(bogus), nf);
  e.t.expect_error("upper", s.upper(bogus), nf);
  e.t.expect_error("peek_timestamp", s.peek_timestamp(bogus), nf);
  e.t.expect_error("peek", s.peek(bogus), nf);
  e.t.expect_error("peek_one", s.peek_one(bogus), nf);
  e.t.expect_error("peek_key_one", s.peek_key_one(bogus, "k"), nf);
  e.t.expect_error("seal_batch with one bogus handle",
                   s.seal_batch(std::vector<FrontierRequest>{{real, Frontier(1)}, {bogus, Frontier(1)}}), nf);
  e.t.expect_error("compact_batch", s.compact_batch(std::vector<FrontierRequest>{{bogus, Frontier(0)}}), nf);
  e.t.expect_error("consolidate_batch", s.consolidate_batch(std::vector{bogus}), nf);
  e.t.expect_error("append", s.append(std::vector<AppendBatch>{{bogus, Frontier(0), Frontier(1), {}, {}}}), nf);
  e.t.expect("the real collection is untouched", s.upper(real), "ok {0}");
}

void collection_names(ScenarioEnv& e) {
  Stash& s = *e.stash;
  e.t.expect_error("non-UTF-8 name", s.collection("bad\xFF"), ErrorCode::kInvalidArgument);
  e.t.expect_error("truncated UTF-8 name", s.collection("bad\xC3"), ErrorCode::kInvalidArgument);
  e.t.expect("UTF-8 name", s.collection("caf\xC3\xA9 \xE2\x9C\x93"), "ok handle");
  e.t.expect("empty name", s.collection(""), "ok handle");
  e.t.expect("SQL-looking name", s.collection("x'); DROP TABLE collections; --"), "ok handle");
  const CollectionHandle a = e.coll("same");
  e.t.expect("write through one handle", s.update(a, "k", "v", 0, 1), "ok");
  const CollectionHandle b = e.coll("same");
  e.t.expect("another handle to the same name sees it", s.iter(b), "ok [((k, v), 0, 1)]");
}

void out_of_range(ScenarioEnv& e) {
  Stash& s = *e.stash;
  const CollectionHandle c = e.coll("c");
  e.t.expect("MAX + MAX", s.update_many(c, std::vector<Update>{{"k", "v", 0, kMax}, {"k", "v", 0, kMax}}), "ok");
  e.t.expect_error("iter", s.iter(c), ErrorCode::kOutOfRange);
  e.t.expect_error("iter_key", s.iter_key(c, "k"), ErrorCode::kOutOfRange);
  e.t.expect("MIN at time 1", s.update(c, "k", "v", 1, kMin), "ok");
  e.t.expect("seal {2}", s.seal(c, Frontier(2)), "ok");
  e.t.expect_error("peek reads through iter", s.peek(c), ErrorCode::kOutOfRange);
  // Advancing time 0 to 1 sums MAX + MAX + MIN = MAX - 1, which fits: the
  // intermediate overflow must not be lost.
  e.t.expect("compact {1}", s.compact(c, Frontier(1)), "ok");
  const std::string exact = "ok [((k, v), 1, 9223372036854775806)]";
  e.t.expect("iter after compact", s.iter(c), exact);
  e.t.expect("consolidate", s.consolidate(c), "ok");
  e.t.expect("iter after consolidate", s.iter(c), exact);
  e.t.expect("peek after consolidate", s.peek(c), "ok [(k, v, 9223372036854775806)]");
}

void batches_all_or_nothing(ScenarioEnv& e) {
  Stash& s = *e.stash;
  const CollectionHandle a = e.coll("a");
  const CollectionHandle b = e.coll("b");
  e.t.expect_error("seal_batch, last element regresses",
                   s.seal_batch(std::vector<FrontierRequest>{{a, Frontier(2)}, {b, Frontier(3)}, {a, Frontier(1)}}),
                   kFrontier);
  e.t.expect("upper a unchanged", s.upper(a), "ok {0}");
  e.t.expect("upper b unchanged", s.upper(b), "ok {0}");
  e.t.expect("seal_batch, later sees earlier",
             s.seal_batch(std::vector<FrontierRequest>{{a, Frontier(2)}, {b, Frontier(3)}, {a, Frontier(4)}}), "ok");
  e.t.expect("upper a", s.upper(a), "ok {4}");
  e.t.expect_error("compact_batch, one beyond upper",
                   s.compact_batch(std::vector<FrontierRequest>{{a, Frontier(1)}, {b, Frontier(4)}}), kFrontier);
  e.t.expect("since a unchanged", s.since(a), "ok {0}");
  e.t.expect("compact_batch", s.compact_batch(std::vector<FrontierRequest>{{a, Frontier(1)}, {b, Frontier(3)}}), "ok");
  e.t.expect("since b", s.since(b), "ok {3}");
  e.t.expect("consolidate_batch", s.consolidate_batch(std::vector{a, b}), "ok");
}

}  // namespace

std::vector<CheckDef> error_row_checks() {
  return {
      scenario("error: update before upper", "ErrorUpdateBeforeUpper", std::nullopt, update_before_upper),
      scenario("error: seal regression, and {} is final", "ErrorSealRegression", std::nullopt, seal_regression),
      scenario("error: compact beyond upper or below since", "ErrorCompact", std::nullopt, compact_errors),
      scenario("error: reading with since {}", "ErrorEmptySince", std::nullopt, empty_since),
      scenario("error: peek_timestamp needs upper beyond since", "ErrorPeekTimestamp", std::nullopt, peek_timestamp_errors),
      scenario("error: peek multiplicity", "ErrorPeekMultiplicity", std::nullopt, peek_multiplicity),
      scenario("error: duplicate peek keys", "ErrorPeekDuplicateKeys", std::nullopt, peek_duplicate_keys),
      scenario("error: a handle the stash never issued", "ErrorUnknownHandle", std::nullopt, unknown_handle),
      scenario("error: collection names must be UTF-8", "ErrorCollectionNames", std::nullopt, collection_names),
      scenario("error: sums beyond int64 are out of range, not lost", "ErrorOutOfRange", std::nullopt, out_of_range),
      scenario("error: batches are all or nothing", "ErrorBatchesAtomic", std::nullopt, batches_all_or_nothing),
  };
}

}  // namespace stash::conformance::internal
