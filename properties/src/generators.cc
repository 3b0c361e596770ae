#include "generators.h"

#include <algorithm>
#include <limits>
#include <string>

#include "stash/rules.h"
#include "world.h"

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
  return valid(f, b.c) && rules::check_append_batch(CollectionHandle{}, b.lower, b.entries,
                                                    b.upper, b.since, f[b.c].first,
                                                    f[b.c].second).has_value();
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

constexpr Timestamp kMaxTime = std::numeric_limits<Timestamp>::max();
constexpr Timestamp kMinTime = std::numeric_limits<Timestamp>::min();

// t + d, saturated at the ends of int64 (drawing near INT64_MAX must not
// overflow the generator itself).
Timestamp plus(Timestamp t, int d) {
  if (d > 0 && t > kMaxTime - d) return kMaxTime;
  if (d < 0 && t < kMinTime - d) return kMinTime;
  return t + d;
}

// A time to draw others near: the frontier's element, or `fallback` for {}.
Timestamp anchor(const Frontier& f, Timestamp fallback) {
  return f.element().value_or(fallback);
}

// t + [lo, hi], saturated.
rc::Gen<Timestamp> near(Timestamp t, int lo, int hi) {
  return rc::gen::map(rc::gen::inRange(lo, hi + 1), [t](int d) { return plus(t, d); });
}

rc::Gen<Timestamp> gen_extreme_time() {
  return rc::gen::element(kMaxTime, kMaxTime - 1, kMaxTime - 2, kMinTime, kMinTime + 1);
}

rc::Gen<Timestamp> gen_time_near(const Frontier& upper, bool extreme) {
  const Timestamp u = anchor(upper, 3);
  return rc::gen::weightedOneOf<Timestamp>({
      {8, near(u, 0, 2)},   // valid
      {3, near(u, -2, -1)},  // before upper
      {extreme ? 1 : 0, gen_extreme_time()},
  });
}

rc::Gen<Frontier> gen_frontier_near(const std::pair<Frontier, Frontier>& f, bool extreme) {
  const Timestamp since = anchor(f.first, anchor(f.second, 3));
  const Timestamp upper = anchor(f.second, plus(since, 1));
  return rc::gen::weightedOneOf<Frontier>({
      {6, rc::gen::map(near(upper, -1, 2), Frontier::at)},
      {3, rc::gen::map(near(since, -1, 1), Frontier::at)},
      {1, rc::gen::just(Frontier::empty())},
      {extreme ? 1 : 0, rc::gen::map(gen_extreme_time(), Frontier::at)},
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

  bool extreme() const { return s.config.extreme_times; }
  rc::Gen<CollRef> coll() const {
    const int n = s.config.collections;
    if (!s.config.invalid_handles) return rc::gen::inRange<CollRef>(0, n);
    return rc::gen::weightedOneOf<CollRef>(
        {{30, rc::gen::inRange<CollRef>(0, n)}, {1, rc::gen::just(kBogus)}});
  }
  std::pair<Frontier, Frontier> frontiers(CollRef c) const {
    return c == kBogus ? std::pair{Frontier(), Frontier()} : s.frontiers[c];
  }
  rc::Gen<Bytes> key() const { return rc::gen::elementOf(s.config.alphabet.keys); }
  Bytes value() const { return *rc::gen::elementOf(s.config.alphabet.values); }
  Update update_at(const Frontier& upper) const {
    return Update{*key(), value(), *gen_time_near(upper, extreme()), *gen_diff(s.config)};
  }
  Update update(CollRef c) const { return update_at(frontiers(c).second); }
  std::vector<Update> updates_at(const Frontier& upper, int max) const {
    std::vector<Update> out(*rc::gen::inRange(0, max + 1));
    for (Update& u : out) u = update_at(upper);
    return out;
  }
  std::vector<Update> updates(CollRef c, int max) const {
    return updates_at(frontiers(c).second, max);
  }
  // Thousands of entries on distinct rows (keys of the alphabet with a
  // big-endian index appended), at valid times; one in four batches has one
  // entry before upper somewhere (the whole batch must fail).
  std::vector<Update> bulk(CollRef c) const {
    const int max = s.config.bulk_entries;
    const int n = *rc::gen::inRange(max / 2, max + 1);
    const auto seed = *rc::gen::arbitrary<std::uint32_t>();
    const bool broken = *rc::gen::inRange(0, 4) == 0;
    const Timestamp u = anchor(frontiers(c).second, 3);
    const auto& keys = s.config.alphabet.keys;
    const auto& values = s.config.alphabet.values;
    std::vector<Update> out;
    out.reserve(n);
    std::uint64_t r = seed;
    for (int i = 0; i < n; ++i) {
      r = r * 6364136223846793005ULL + 1442695040888963407ULL;
      Bytes key = keys[(r >> 33) % keys.size()];
      for (int shift = 24; shift >= 0; shift -= 8) key.push_back(static_cast<char>((i >> shift) & 0xFF));
      out.push_back({std::move(key), values[(r >> 40) % values.size()], plus(u, static_cast<int>((r >> 50) % 3)),
                     (r >> 60) % 4 == 0 ? Diff{-1} : Diff{1}});
    }
    if (broken && n > 0 && !frontiers(c).second.is_empty()) {
      out[(seed >> 3) % n].time = plus(u, -1);
    }
    return out;
  }
  // Two updates of one (key, value, time) whose sum overflows int64.
  std::vector<Update> overflowing(CollRef c) const {
    Update u = update(c);
    u.time = *near(anchor(frontiers(c).second, 3), 0, 1);  // valid, so it shows on reads
    u.diff = *rc::gen::element(std::numeric_limits<Diff>::max(),
                               std::numeric_limits<Diff>::min());
    return {u, u};
  }
  std::vector<FrontierRequestRef> requests() const {
    std::vector<FrontierRequestRef> out(*rc::gen::inRange(1, 4));
    for (auto& r : out) {
      r.c = *coll();
      r.frontier = *gen_frontier_near(frontiers(r.c), extreme());
    }
    return out;
  }
  // 1-3 batches. Later batches often go to the collection of the one before
  // and then mostly chain: their lower is the upper the earlier batches of
  // this call leave (tracked), sometimes the upper from before the call or
  // a frontier nearby (a broken chain).
  AppendOp append() const {
    AppendOp op;
    Frontiers local = s.frontiers;
    const int n = *rc::gen::inRange(1, 4);
    for (int i = 0; i < n; ++i) {
      AppendBatchRef b;
      const bool same = i > 0 && *rc::gen::inRange(0, 3) != 0;
      b.c = same ? op.batches.back().c : *coll();
      const auto before = frontiers(b.c);
      const auto now = b.c == kBogus ? before : local[b.c];
      b.lower = *rc::gen::weightedOneOf<Frontier>({{10, rc::gen::just(now.second)},
                                                   {1, rc::gen::just(before.second)},
                                                   {1, gen_frontier_near(now, extreme())}});
      b.entries = updates_at(b.lower, 2);
      b.upper = *rc::gen::weightedOneOf<Frontier>(
          {{4, rc::gen::map(near(anchor(b.lower, 3), 0, 2), Frontier::at)},
           {3, gen_frontier_near(now, extreme())}});
      if (*rc::gen::inRange(0, 3) == 0) b.since = *gen_frontier_near(now, extreme());
      const Frontiers saved = local;
      if (!apply_append(local, b)) local = saved;
      op.batches.push_back(std::move(b));
    }
    return op;
  }
};

rc::Gen<Call> gen_write(const GenState& s) {
  return rc::gen::exec([s]() -> Call {
    const Gens g{s};
    const CollRef c = *g.coll();
    const auto f = g.frontiers(c);
    const bool x = g.extreme();
    const int overflow = s.config.extreme_diffs ? 2 : 0;
    const int bulk = s.config.bulk_entries > 0 && c != kBogus ? 12 : 0;
    switch (*rc::gen::weightedElement<int>({{12, 0}, {5, 1}, {8, 2}, {6, 3}, {3, 4},
                                            {3, 5}, {3, 6}, {2, 7}, {5, 8},
                                            {overflow, 9}, {2, 10}, {bulk, 11}})) {
      case 0: return UpdateOp{c, g.update(c)};
      case 1: return UpdateManyOp{c, g.updates(c, 3)};
      case 2: return SealOp{c, *gen_frontier_near(f, x)};
      case 3: return CompactOp{c, *gen_frontier_near(f, x)};
      case 4: return ConsolidateOp{c};
      case 5: return SealBatchOp{g.requests()};
      case 6: return CompactBatchOp{g.requests()};
      case 7: return ConsolidateBatchOp{{c, *g.coll()}};
      case 8: return g.append();
      case 9: return UpdateManyOp{c, g.overflowing(c)};
      case 11: return UpdateManyOp{c, g.bulk(c)};
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
  const auto& names = s.config.alphabet.names;
  auto valid = rc::gen::map(rc::gen::elementOf(names), [](std::string n) -> Call {
    return CollectionOp{std::move(n)};
  });
  if (!s.config.invalid_handles) return valid;
  return rc::gen::weightedOneOf<Call>(
      {{3, valid},
       {1, rc::gen::map(rc::gen::elementOf(invalid_names()),
                        [](std::string n) -> Call { return CollectionOp{std::move(n)}; })}});
}

}  // namespace

GenState::GenState(const GenConfig& c)
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
      {2, gen_collection(s)},
      {s.config.list_collections ? 1 : 0, rc::gen::just<Call>(CollectionsOp{})},
      {reopen ? 1 : 0, rc::gen::just<Call>(ReopenOp{})},
      {another ? 1 : 0, rc::gen::just<Call>(OpenAnotherOp{})},
  });
  // Half the calls go through the first handle, the others through any.
  auto pick = rc::gen::weightedOneOf<unsigned>(
      {{1, rc::gen::just(0u)}, {1, rc::gen::inRange(1u, 1000u)}});
  return rc::gen::apply(
      [](int stash, Call c, unsigned p) { return Op{stash, std::move(c), p}; },
      rc::gen::inRange(0, objects), call, pick);
}

}  // namespace stash::conformance::internal

namespace stash::conformance::internal {
namespace {

using namespace std::string_literals;

// Byte strings made to trip byte handling: NUL anywhere, bytes >= 0x80 (as
// signed chars they sort before ASCII), the empty string, and long strings
// that differ only in their last byte.
rc::Gen<Bytes> gen_tricky_bytes(char letter) {
  const Bytes l(1, letter);
  return rc::gen::weightedOneOf<Bytes>({
      {4, rc::gen::map(rc::gen::inRange(0, 4), [l](int i) { return l + std::to_string(i); })},
      {1, rc::gen::just(Bytes())},
      {2, rc::gen::element("\0"s, "\0\0"s, l + "\0"s, "\0"s + l, l + "\0z"s)},
      {2, rc::gen::element("\x80"s, "\xFF"s, l + "\xFF", "\xC3\xA9"s, "\x7F"s, l + "\x80\0"s)},
      {2, rc::gen::apply(
              [letter](int length, unsigned char last) {
                return Bytes(length, letter) + static_cast<char>(last);
              },
              rc::gen::inRange(100, 4097), rc::gen::arbitrary<unsigned char>())},
  });
}

// A key made from one drawn before: a prefix of it, or it extended by a NUL,
// a high byte or a letter (so keys are prefixes of each other).
Bytes related_key(const Bytes& base, int how) {
  switch (how) {
    case 0: return base.empty() ? "\0"s : base.substr(0, base.size() - 1);
    case 1: return base + "\0"s;
    case 2: return base + "\xFF";
    default: return base + "a";
  }
}

// Valid UTF-8 names that a careless backend confuses: case variants, long
// names sharing their first 8/16/64 bytes, the two normal forms of "é",
// NUL and astral code points, the empty name, names of a few KiB.
std::string tricky_name(int how, int i, const std::vector<std::string>& earlier) {
  const std::string n = std::to_string(i);
  switch (how) {
    case 0: return "c" + n;
    case 1: return "C" + n;                                     // case only
    case 2: return std::string(8, 'p') + "c" + n;               // after 8 bytes
    case 3: return std::string(16, 'p') + "c" + n;              // after 16 bytes
    case 4: return std::string(64, 'p') + "c" + n;              // after 64 bytes
    case 5: return "caf\xC3\xA9" + n;                           // NFC é
    case 6: return "cafe\xCC\x81" + n;                          // NFD é
    case 7: return "c\0"s + n;                                  // NUL
    case 8: return "\xF0\x9F\x97\x84" + n;                      // U+1F5C4
    case 9: return earlier.empty() ? "" : earlier.back() + "\xC3\xA9";  // extends another
    case 10: return std::string(3000, 'p') + n;                 // KiB
    default: return "";
  }
}

}  // namespace

Alphabet plain_alphabet(int collections, int keys, int values) {
  Alphabet a;
  a.names = plain_names(collections);
  a.keys = key_alphabet(keys);
  for (int v = 0; v < values; ++v) a.values.push_back("v" + std::to_string(v));
  return a;
}

rc::Gen<Alphabet> gen_alphabet(int collections, int keys, int values) {
  return rc::gen::exec([collections, keys, values] {
    Alphabet a;
    // Often the first two names are a confusable pair.
    if (collections >= 2 && *rc::gen::inRange(0, 2) == 0) {
      switch (*rc::gen::inRange(0, 5)) {
        case 0: a.names = {"Orders", "orders"}; break;                  // case only
        case 1: a.names = {"caf\xC3\xA9", "cafe\xCC\x81"}; break;     // NFC / NFD
        default: {
          const std::string common(*rc::gen::element(8, 16, 64), 'p');  // same first bytes
          a.names = {common + "a", common + "b"};
        }
      }
    }
    while (static_cast<int>(a.names.size()) < collections) {
      const int i = static_cast<int>(a.names.size());
      std::string name = tricky_name(*rc::gen::inRange(0, 12), i, a.names);
      while (std::find(a.names.begin(), a.names.end(), name) != a.names.end()) name += "#";
      a.names.push_back(std::move(name));
    }
    while (static_cast<int>(a.keys.size()) < keys) {
      Bytes key = a.keys.empty() || *rc::gen::inRange(0, 3) != 0
                      ? *gen_tricky_bytes('k')
                      : related_key(*rc::gen::elementOf(a.keys), *rc::gen::inRange(0, 4));
      // Distinct without drawing again (draws repeat at small sizes).
      while (std::find(a.keys.begin(), a.keys.end(), key) != a.keys.end()) key += "#";
      a.keys.push_back(std::move(key));
    }
    while (static_cast<int>(a.values.size()) < values) a.values.push_back(*gen_tricky_bytes('v'));
    return a;
  });
}

}  // namespace stash::conformance::internal
