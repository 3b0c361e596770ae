// Deterministic scenarios for the classes that need a little size or a
// second look: tens of collections, batches of thousands of entries and
// collections of thousands of rows, hundreds of writes between reopens;
// every handle issued for a collection (and, on several_handles backends,
// handles used on another Stash object of the store); append chains through
// one collection; and the facts stash.h fixes in every error message.
#include <limits>

#include "scenario_support.h"

namespace stash::conformance::internal {
namespace {

using namespace std::string_literals;

constexpr ErrorCode kFrontier = ErrorCode::kFrontierViolation;
constexpr Timestamp kMinT = std::numeric_limits<Timestamp>::min();

// Row i of a big collection: distinct keys in a fixed order.
Bytes row_key(int i) {
  Bytes k = "row";
  for (int shift = 24; shift >= 0; shift -= 8) k.push_back(static_cast<char>((i >> shift) & 0xFF));
  return k;
}

void many_collections(ScenarioEnv& e) {
  Stash& s = *e.stash;
  constexpr int kCollections = 48;
  std::vector<CollectionHandle> hs;
  for (int i = 0; i < kCollections; ++i) {
    // Names sharing a 20-byte prefix, so a table keyed by a prefix or
    // holding a few dozen entries shows.
    hs.push_back(e.coll(std::string(20, 'c') + std::to_string(i)));
    e.t.expect("update c" + std::to_string(i), s.update(hs[i], "k", std::to_string(i), 0, 1), "ok");
    e.t.expect("seal c" + std::to_string(i), s.seal(hs[i], Frontier(i + 1)), "ok");
  }
  for (int i = 0; i < kCollections; ++i) {
    const CollectionHandle again = e.coll(std::string(20, 'c') + std::to_string(i));
    e.t.expect("c" + std::to_string(i) + " reads its own update", s.iter(again),
               "ok [((k, " + std::to_string(i) + "), 0, 1)]");
    e.t.expect("c" + std::to_string(i) + " has its own upper", s.upper(again),
               "ok {" + std::to_string(i + 1) + "}");
  }
  std::vector<FrontierRequest> seals;
  seals.reserve(kCollections);
  for (int i = 0; i < kCollections; ++i) seals.push_back({hs[i], Frontier(100)});
  e.t.expect("seal_batch of every collection", s.seal_batch(seals), "ok");
  e.t.expect("the last collection", s.upper(hs.back()), "ok {100}");
  e.note_max("collections", kCollections);
}

void big_batches(ScenarioEnv& e) {
  Stash& s = *e.stash;
  constexpr int kRows = 3000;
  const CollectionHandle c = e.coll("big");
  std::vector<Update> rows;
  rows.reserve(kRows);
  for (int i = 0; i < kRows; ++i) rows.push_back({row_key(i), "v" + std::to_string(i % 7), 1, 1});
  e.t.expect("update_many of 3000 entries", s.update_many(c, rows), "ok");
  e.t.expect("seal {2}", s.seal(c, Frontier(2)), "ok");
  auto it = s.iter(c);
  e.t.expect("iter returns all 3000 rows", it, "ok " + render(rows));
  auto one = s.peek_one(c);
  if (!one || one->size() != kRows) e.t.fail("peek_one: " + outcome(one).detailed().substr(0, 200) + ", expected 3000 keys");
  e.t.expect("peek_key_one of the last row", s.peek_key_one(c, row_key(kRows - 1)), "ok v" + std::to_string((kRows - 1) % 7));
  // A batch of 3000 whose last entry is before upper: nothing at all.
  std::vector<Update> more;
  more.reserve(kRows);
  for (int i = 0; i < kRows; ++i) more.push_back({row_key(i), "w", 2, 1});
  more.back().time = 1;
  e.t.expect_error("3000 entries, the last before upper", s.update_many(c, more), kFrontier, {"1", "{2}"});
  e.t.expect("nothing of it was added", s.iter(c), "ok " + render(rows));
  // The same through append, entry 2500 bad.
  more.back().time = 2;
  more[2500].time = 0;
  const AppendBatch batch{c, Frontier(2), Frontier(3), std::nullopt, more};
  e.t.expect_error("append of 3000, one before lower", s.append(std::vector{batch}), kFrontier, {"0"});
  e.t.expect("upper unchanged", s.upper(c), "ok {2}");
  more[2500].time = 2;
  const AppendBatch good{c, Frontier(2), Frontier(3), std::nullopt, more};
  e.t.expect("append of 3000", s.append(std::vector{good}), "ok");
  auto after = s.iter(c);
  if (!after || after->size() != 2 * kRows) e.t.fail("iter after the append: " + std::to_string(after ? after->size() : 0) + " rows, expected 6000");
  // Retract every row but one: consolidation over thousands of rows.
  std::vector<Update> retract;
  retract.reserve(kRows - 1);
  for (int i = 0; i < kRows - 1; ++i) retract.push_back({row_key(i), "v" + std::to_string(i % 7), 3, -1});
  e.t.expect("retract 2999 rows", s.update_many(c, retract), "ok");
  e.t.expect("seal {5}", s.seal(c, Frontier(5)), "ok");
  e.t.expect("compact {4}", s.compact(c, Frontier(4)), "ok");
  e.t.expect("consolidate", s.consolidate(c), "ok");
  auto left = s.peek(c);
  if (!left || left->size() != kRows + 1) e.t.fail("peek after retracting: " + std::to_string(left ? left->size() : 0) + " entries, expected 3001");
  e.note_max("batch entries", kRows);
  e.note_max("rows in a collection", 2 * kRows);
}

void writes_between_reopens(ScenarioEnv& e) {
  constexpr int kWrites = 300;
  std::vector<Update> want;
  for (int round = 0; round < 2; ++round) {
    const CollectionHandle c = e.coll("log");
    for (int i = 0; i < kWrites; ++i) {
      const Timestamp t = round * kWrites + i;
      e.t.expect("write " + std::to_string(t), e.stash->update(c, row_key(static_cast<int>(t)), "v", t, 1), "ok");
      want.push_back({row_key(static_cast<int>(t)), "v", t, 1});
      if (i % 50 == 49) e.t.expect("seal", e.stash->seal(c, Frontier(t + 1)), "ok");
    }
    e.stash.reset();
    auto reopened = e.harness->reopen();
    if (!reopened) return e.t.fail("reopen: " + reopened.error().to_string());
    e.stash = std::move(*reopened);
    const CollectionHandle again = e.coll("log");
    e.t.expect("every write survives reopen " + std::to_string(round + 1), e.stash->iter(again), "ok " + render(want));
    e.t.expect("upper survives", e.stash->upper(again), "ok {" + std::to_string((round + 1) * kWrites) + "}");
  }
  e.note_max("writes between reopens", kWrites);
}

void every_handle(ScenarioEnv& e) {
  Stash& s = *e.stash;
  const CollectionHandle h1 = e.coll("h");
  const CollectionHandle h2 = e.coll("h");
  const CollectionHandle h3 = e.coll("h");
  e.t.expect("write through the first", s.update(h1, "k", "1", 0, 1), "ok");
  e.t.expect("write through the second", s.update(h2, "k", "2", 0, 1), "ok");
  e.t.expect("seal through the third", s.seal(h3, Frontier(2)), "ok");
  for (const auto& [h, n] : {std::pair{h1, "first"}, std::pair{h2, "second"}, std::pair{h3, "third"}}) {
    const std::string w = std::string("the ") + n + " handle";
    e.t.expect(w + ": iter", s.iter(h), "ok [((k, 1), 0, 1), ((k, 2), 0, 1)]");
    e.t.expect(w + ": upper", s.upper(h), "ok {2}");
    e.t.expect(w + ": peek", s.peek(h), "ok [(k, 1, 1), (k, 2, 1)]");
  }
  e.t.expect("compact through the second", s.compact(h2, Frontier(1)), "ok");
  e.t.expect("since through the first", s.since(h1), "ok {1}");
  e.t.expect("append through the first and the third",
             s.append(std::vector<AppendBatch>{{h1, Frontier(2), Frontier(3), std::nullopt, {{"k", "3", 2, 1}}},
                                               {h3, Frontier(3), Frontier(4), std::nullopt, {}}}),
             "ok");
  e.t.expect("upper through the second", s.upper(h2), "ok {4}");
  e.t.expect("seal_batch through all three",
             s.seal_batch(std::vector<FrontierRequest>{{h1, Frontier(5)}, {h2, Frontier(6)}, {h3, Frontier(7)}}), "ok");
  e.t.expect("upper", s.upper(h1), "ok {7}");
  e.note_max("handles per collection", 3);
}

void handles_across_objects(ScenarioEnv& e) {
  Stash& a = *e.stash;
  const CollectionHandle ha = e.coll(a, "shared");
  e.t.expect("A writes", a.update(ha, "k", "a", 0, 1), "ok");
  auto opened = e.harness->open_another();
  if (!opened) return e.t.fail("open_another: " + opened.error().to_string());
  Stash& b = **opened;
  // Before B is issued a handle of its own (which may have the same id).
  e.t.expect("B writes through A's handle", b.update(ha, "k", "b", 0, 1), "ok");
  const CollectionHandle hb = e.coll(b, "shared");
  e.t.expect("B seals through A's handle", b.seal(ha, Frontier(1)), "ok");
  e.t.expect("B reads through A's handle", b.iter(ha), "ok [((k, a), 0, 1), ((k, b), 0, 1)]");
  e.t.expect("B reads through its own", b.upper(hb), "ok {1}");
  e.t.expect("B peeks through A's handle", b.peek(ha), "ok [(k, a, 1), (k, b, 1)]");
  e.t.expect("B appends through A's handle",
             b.append(std::vector<AppendBatch>{{ha, Frontier(1), Frontier(2), std::nullopt, {{"k", "c", 1, 1}}}}), "ok");
  e.t.expect("B sees it through its own", b.upper(hb), "ok {2}");
  e.note("handles used on another Stash object");
}

void append_chains(ScenarioEnv& e) {
  Stash& s = *e.stash;
  const CollectionHandle a = e.coll("a");
  const CollectionHandle b = e.coll("b");
  const std::vector<AppendBatch> chain = {
      {a, Frontier(0), Frontier(2), std::nullopt, {{"x", "0", 0, 1}, {"x", "1", 1, 1}}},
      {a, Frontier(2), Frontier(4), std::nullopt, {{"x", "2", 2, 1}}},
      {b, Frontier(0), Frontier(1), std::nullopt, {{"y", "0", 0, 1}}},
      {a, Frontier(4), Frontier(5), Frontier(3), {{"x", "4", 4, 1}}},
      {b, Frontier(1), Frontier(1), std::nullopt, {}},
  };
  e.t.expect("a chain of four batches through a, two through b", s.append(chain), "ok");
  e.t.expect("iter a", s.iter(a), "ok [((x, 0), 3, 1), ((x, 1), 3, 1), ((x, 2), 3, 1), ((x, 4), 4, 1)]");
  e.t.expect("upper a", s.upper(a), "ok {5}");
  e.t.expect("since a", s.since(a), "ok {3}");
  e.t.expect("upper b", s.upper(b), "ok {1}");
  // Broken chains: the second batch's lower is the upper from before the call.
  e.t.expect_error("lower from before the call",
                   s.append(std::vector<AppendBatch>{{a, Frontier(5), Frontier(6), std::nullopt, {}},
                                                     {a, Frontier(5), Frontier(7), std::nullopt, {}}}),
                   kFrontier, {"unexpected lower"});
  e.t.expect("nothing applied", s.upper(a), "ok {5}");
  // An entry of a later batch before the upper an earlier batch left.
  e.t.expect_error("entry before the chained lower",
                   s.append(std::vector<AppendBatch>{{a, Frontier(5), Frontier(7), std::nullopt, {}},
                                                     {a, Frontier(7), Frontier(8), std::nullopt, {{"x", "6", 6, 1}}}}),
                   kFrontier, {"6", "{7}"});
  e.t.expect("nothing applied", s.upper(a), "ok {5}");
  // A later batch compacting beyond the upper it seals to.
  e.t.expect_error("since beyond the batch's upper",
                   s.append(std::vector<AppendBatch>{{a, Frontier(5), Frontier(6), std::nullopt, {}},
                                                     {a, Frontier(6), Frontier(7), Frontier(8), {}}}),
                   kFrontier, {"{8}", "{7}"});
  e.t.expect("since unchanged", s.since(a), "ok {3}");
  e.t.expect("a chain to {} ", s.append(std::vector<AppendBatch>{{a, Frontier(5), Frontier(9), std::nullopt, {}},
                                                                 {a, Frontier(9), Frontier::empty(), std::nullopt, {{"x", "9", 9, 1}}}}),
             "ok");
  e.t.expect("upper a {}", s.upper(a), "ok {}");
  e.note("append chains");
}

// Every error row's documented facts, with the failing element not first.
void error_facts(ScenarioEnv& e) {
  Stash& s = *e.stash;
  const CollectionHandle c = e.coll("facts");
  const CollectionHandle d = e.coll("other");
  e.t.expect("seal {3}", s.seal(c, Frontier(3)), "ok");
  e.t.expect_error("update_many, the second entry at 1",
                   s.update_many(c, std::vector<Update>{{"k", "v", 5, 1}, {"k", "v", 1, 1}, {"k", "v", 7, 1}}), kFrontier,
                   {"1", "{3}"});
  e.t.expect_error("update at INT64_MIN", s.update(c, "k", "v", kMinT, 1), kFrontier,
                   {"-9223372036854775808", "{3}"});
  e.t.expect_error("seal_batch, the second request regresses",
                   s.seal_batch(std::vector<FrontierRequest>{{d, Frontier(4)}, {c, Frontier(2)}}), kFrontier,
                   {"{2}", "{3}"});
  e.t.expect_error("seal_batch, a later request regresses an earlier one",
                   s.seal_batch(std::vector<FrontierRequest>{{d, Frontier(6)}, {d, Frontier(5)}}), kFrontier,
                   {"{5}", "{6}"});
  e.t.expect("compact {2}", s.compact(c, Frontier(2)), "ok");
  e.t.expect_error("compact_batch, the second beyond upper",
                   s.compact_batch(std::vector<FrontierRequest>{{c, Frontier(3)}, {d, Frontier(1)}}), kFrontier,
                   {"{1}", "{0}"});
  e.t.expect_error("compact below since", s.compact(c, Frontier(1)), kFrontier, {"{1}", "{2}"});
  e.t.expect_error("compact beyond upper", s.compact(c, Frontier(9)), kFrontier, {"{9}", "{3}"});
  e.t.expect_error("append, the entry of the second batch",
                   s.append(std::vector<AppendBatch>{{d, Frontier(0), Frontier(1), std::nullopt, {}},
                                                     {c, Frontier(3), Frontier(4), std::nullopt, {{"k", "v", 3, 1}, {"k", "v", 2, 1}}}}),
                   kFrontier, {"2", "{3}"});
  e.t.expect_error("append, the seal of the second batch",
                   s.append(std::vector<AppendBatch>{{d, Frontier(0), Frontier(1), std::nullopt, {}},
                                                     {c, Frontier(3), Frontier(2), std::nullopt, {}}}),
                   kFrontier, {"{2}", "{3}"});
  e.t.expect_error("append, a wrong lower", s.append(std::vector<AppendBatch>{{c, Frontier(4), Frontier(5), std::nullopt, {}}}),
                   kFrontier, {"unexpected lower"});
  e.t.expect("compact {3}", s.compact(c, Frontier(3)), "ok");
  e.t.expect_error("peek_timestamp, since = upper", s.peek_timestamp(c), kFrontier, {"{3}"});
  e.t.expect_error("peek_timestamp of a fresh collection", s.peek_timestamp(d), kFrontier, {"{0}"});
  e.t.expect("seal {}", s.seal(d, Frontier::empty()), "ok");
  e.t.expect_error("update after seal {}", s.update(d, "k", "v", 12, 1), kFrontier, {"12", "{}"});
  e.t.expect_error("seal after seal {}", s.seal(d, Frontier(12)), kFrontier, {"{12}", "{}"});
  e.note("error messages checked for their facts");
}

}  // namespace

std::vector<CheckDef> scale_checks() {
  return {
      scenario("scale: 48 collections, each its own", "ScaleCollections", std::nullopt, many_collections),
      scenario("scale: batches of 3000 entries, collections of 6000 rows, all or nothing", "ScaleBatches",
               std::nullopt, big_batches),
      scenario("scale: 300 writes between reopens", "ScaleReopen", Capability::kDurable, writes_between_reopens),
      scenario("handles: every handle issued for a collection works", "HandlesEvery", std::nullopt, every_handle),
      scenario("handles: a handle used on another Stash object of the store", "HandlesAcrossObjects",
               Capability::kSeveralHandles, handles_across_objects),
      scenario("append: chains through one collection, and broken chains", "AppendChains", std::nullopt,
               append_chains),
      scenario("errors: every message names its documented facts", "ErrorFacts", std::nullopt, error_facts),
  };
}

}  // namespace stash::conformance::internal
