// Deterministic scenarios for the byte-level classes: keys, values and names
// with NUL bytes, bytes >= 0x80, empty strings, prefixes, lengths up to 1 MiB;
// names that differ only in case, after a long common prefix or by Unicode
// normalisation; every class of invalid UTF-8; and the ends of int64 (the
// edge cases of model/tests/edges_test.cc, through the interface only).
#include <algorithm>
#include <limits>
#include <tuple>

#include "scenario_support.h"

namespace stash::conformance::internal {
namespace {

using namespace std::string_literals;

constexpr Timestamp kMaxT = std::numeric_limits<Timestamp>::max();
constexpr Timestamp kMinT = std::numeric_limits<Timestamp>::min();
constexpr Diff kMaxD = std::numeric_limits<Diff>::max();
constexpr Diff kMinD = std::numeric_limits<Diff>::min();
constexpr ErrorCode kFrontier = ErrorCode::kFrontierViolation;

// The keys a careless backend confuses: NUL anywhere, empty, high bytes
// (which sort after ASCII as unsigned bytes), prefixes of each other.
const std::vector<Bytes>& tricky_keys() {
  static const std::vector<Bytes> keys = {
      ""s,      "\0"s,     "\0\0"s, "k"s,   "k\0"s,   "k\0z"s, "k\x7F"s,
      "k\x80"s, "k\xFF"s, "\x80"s, "\xFF"s, "\xFF\xFF"s, "kk"s, "\x01"s};
  return keys;
}

// The sorted, consolidated iter of `entries` written at times >= {0}.
std::string expected_iter(std::vector<Update> entries) {
  std::sort(entries.begin(), entries.end(), [](const Update& a, const Update& b) {
    // std::string compares as unsigned bytes, as stash.h requires.
    return std::tie(a.key, a.value, a.time) < std::tie(b.key, b.value, b.time);
  });
  return "ok " + render(entries);
}

void tricky_bytes_read_back(ScenarioEnv& e) {
  Stash& s = *e.stash;
  const CollectionHandle c = e.coll("bytes");
  std::vector<Update> all;
  for (std::size_t i = 0; i < tricky_keys().size(); ++i) {
    const Bytes& k = tricky_keys()[i];
    // The value of each key is another tricky string, so values are tested too.
    all.push_back({k, tricky_keys()[(i + 3) % tricky_keys().size()], 1, 1});
  }
  e.t.expect("update_many of every tricky key", s.update_many(c, all), "ok");
  e.t.expect("iter: every key back, in unsigned byte order", s.iter(c), expected_iter(all));
  e.t.expect("seal {2}", s.seal(c, Frontier(2)), "ok");
  std::map<Bytes, Bytes> map;
  for (const Update& u : all) map[u.key] = u.value;
  e.t.expect("peek_one", s.peek_one(c), "ok " + render(map));
  for (const Update& u : all) {
    const std::string k = "\"" + printable(u.key) + "\"";
    e.t.expect("iter_key " + k, s.iter_key(c, u.key), "ok [(" + printable(u.value) + ", 1, 1)]");
    e.t.expect("peek_key_one " + k, s.peek_key_one(c, u.key), "ok " + printable(u.value));
  }
  e.t.expect("iter_key of an absent prefix", s.iter_key(c, "\0\0\0"s), "ok []");
  e.t.expect("peek_key_one of an absent extension", s.peek_key_one(c, "kk\0"s), "ok none");
  // Retract the NUL-bearing key only: "k" must stay.
  e.t.expect("retract k\\0", s.update(c, "k\0"s, all[4].value, 2, -1), "ok");
  e.t.expect("seal {3}", s.seal(c, Frontier(3)), "ok");
  e.t.expect("peek_key_one k\\0 retracted", s.peek_key_one(c, "k\0"s), "ok none");
  e.t.expect("peek_key_one k untouched", s.peek_key_one(c, "k"), "ok " + printable(all[3].value));
  e.note("keys with NUL, bytes >= 0x80, empty, prefixes");
}

// Keys, values and names of several KiB and of 1 MiB, differing only in
// their last byte or in length.
void large_bytes_read_back(ScenarioEnv& e) {
  Stash& s = *e.stash;
  const std::size_t kib4 = 4096, mib = 1 << 20;
  const Bytes a(kib4, 'a');
  const std::vector<Update> entries = {
      {a, "x", 0, 1},
      {a + "\0"s, "y", 0, 1},                         // a longer, by a NUL
      {a.substr(0, kib4 - 1) + "b", Bytes(kib4, '\xFF'), 0, 1},  // differs in the last byte
      {Bytes(mib, 'm'), Bytes(mib, 'v'), 0, 1},       // 1 MiB key and value
      {Bytes(mib - 1, 'm') + "\x80", ""s, 0, 1},      // 1 MiB, last byte high
  };
  const std::string name(mib, 'n');
  const CollectionHandle c = e.coll(name);
  e.t.expect("update_many of large keys and values", s.update_many(c, entries), "ok");
  e.t.expect("iter: all back, exactly", s.iter(c), expected_iter(entries));
  e.t.expect("seal {1}", s.seal(c, Frontier(1)), "ok");
  for (const Update& u : entries) {
    const std::string what = std::to_string(u.key.size()) + "-byte key ending \"" +
                             printable(u.key.substr(u.key.size() - 1)) + "\"";
    e.t.expect("peek_key_one of the " + what, s.peek_key_one(c, u.key), "ok " + printable(u.value));
  }
  const CollectionHandle again = e.coll(name);
  e.t.expect("the 1 MiB name names the same collection", s.upper(again), "ok {1}");
  const CollectionHandle shorter = e.coll(name.substr(0, mib - 1));
  e.t.expect("a name one byte shorter is another collection", s.upper(shorter), "ok {0}");
  e.note_max("key bytes", mib);
  e.note_max("value bytes", mib);
  e.note_max("name bytes", mib);
}

// Names a backend might fold together: each pair must be two collections.
void confusable_names(ScenarioEnv& e) {
  Stash& s = *e.stash;
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"Orders", "orders"},
      {"caf\xC3\xA9", "cafe\xCC\x81"},                           // NFC vs NFD
      {"\xEF\xAC\x81", "fi"},                                     // ligature vs letters (NFKC)
      {"\xE2\x84\xAB", "\xC3\x85"},                               // Angstrom sign vs A-ring
      {std::string(8, 'p') + "a", std::string(8, 'p') + "b"},     // after 8 bytes
      {std::string(16, 'p') + "a", std::string(16, 'p') + "b"},   // after 16 bytes
      {std::string(64, 'p') + "a", std::string(64, 'p') + "b"},   // after 64 bytes
      {std::string(255, 'p') + "a", std::string(255, 'p') + "b"}, // after 255 bytes
      {"n", "n\0"s},                                              // NUL
      {"", "\0"s},
      {"name ", "name"},                                          // trailing space
  };
  int i = 0;
  for (const auto& [x, y] : pairs) {
    ++i;
    const CollectionHandle a = e.coll(x);
    const CollectionHandle b = e.coll(y);
    const std::string what = "\"" + printable(x) + "\" and \"" + printable(y) + "\"";
    e.t.expect("seal " + printable(x) + " to {" + std::to_string(i) + "}", s.seal(a, Frontier(i)), "ok");
    e.t.expect(what + " are two collections", s.upper(b), "ok {0}");
    e.t.expect("update " + printable(y), s.update(b, "k", y, 0, 1), "ok");
    e.t.expect(what + ": the first has no updates", s.iter(a), "ok []");
  }
  for (const auto& [x, y] : pairs) {
    e.t.expect("\"" + printable(y) + "\" found again by name", s.iter(e.coll(y)),
               "ok [((k, " + printable(y) + "), 0, 1)]");
  }
  e.note("names differing in case, after 8/16/64 bytes, by normalisation");
}

void invalid_utf8_names(ScenarioEnv& e) {
  Stash& s = *e.stash;
  for (const std::string& name : invalid_names()) {
    e.t.expect_error("collection(\"" + printable(name) + "\")", s.collection(name),
                     ErrorCode::kInvalidArgument);
  }
  // A valid name with an invalid one hidden after 64 bytes.
  e.t.expect_error("invalid byte after 64 valid ones", s.collection(std::string(64, 'p') + "\xC0\x80"),
                   ErrorCode::kInvalidArgument);
  // The edges of the valid range are valid.
  for (const std::string& name : {"\xF4\x8F\xBF\xBF"s, "\xEF\xBF\xBF"s, "\xED\x9F\xBF"s,
                                  "\xEE\x80\x80"s, "\xC2\x80"s, "\x7F"s, "\xF0\x90\x80\x80"s}) {
    e.t.expect("collection(\"" + printable(name) + "\") is valid", s.collection(name), "ok handle");
  }
  e.note("invalid UTF-8 classes");
}

// model/tests/edges_test.cc, times.
void int64_times(ScenarioEnv& e) {
  Stash& s = *e.stash;
  const CollectionHandle c = e.coll("max");
  e.t.expect("update at INT64_MAX under upper {0}", s.update(c, "k", "v", kMaxT, 1), "ok");
  e.t.expect("iter", s.iter(c), "ok [((k, v), 9223372036854775807, 1)]");
  e.t.expect("iter_key", s.iter_key(c, "k"), "ok [(v, 9223372036854775807, 1)]");
  e.t.expect_error("update at INT64_MIN", s.update(c, "k", "v", kMinT, 1), kFrontier,
                   {"-9223372036854775808", "{0}"});
  e.t.expect_error("seal {INT64_MIN}", s.seal(c, Frontier(kMinT)), kFrontier,
                   {"{-9223372036854775808}", "{0}"});
  e.t.expect_error("compact {INT64_MIN}", s.compact(c, Frontier(kMinT)), kFrontier,
                   {"{-9223372036854775808}", "{0}"});
  e.t.expect("update at INT64_MAX - 1", s.update(c, "a", "sealed", kMaxT - 1, 1), "ok");
  e.t.expect("seal {INT64_MAX}", s.seal(c, Frontier(kMaxT)), "ok");
  e.t.expect("upper is {INT64_MAX}, not {}", s.upper(c), "ok {9223372036854775807}");
  e.t.expect("peek_timestamp", s.peek_timestamp(c), "ok 9223372036854775806");
  e.t.expect("update at INT64_MAX after seal {INT64_MAX}", s.update(c, "b", "unsealed", kMaxT, 1), "ok");
  e.t.expect_error("update at INT64_MAX - 1 after seal {INT64_MAX}", s.update(c, "c", "late", kMaxT - 1, 1),
                   kFrontier, {"9223372036854775806", "{9223372036854775807}"});
  e.t.expect("peek_one", s.peek_one(c), "ok {a: sealed}");
  e.t.expect_error("compact {}: beyond upper {INT64_MAX}", s.compact(c, Frontier::empty()), kFrontier,
                   {"{}", "{9223372036854775807}"});
  e.t.expect("compact {INT64_MAX}", s.compact(c, Frontier(kMaxT)), "ok");
  e.t.expect("every time advanced to INT64_MAX", s.iter(c),
             "ok [((a, sealed), 9223372036854775807, 1), ((b, unsealed), 9223372036854775807, 1), "
             "((k, v), 9223372036854775807, 1)]");
  e.t.expect_error("peek_timestamp: since = upper = {INT64_MAX}", s.peek_timestamp(c), kFrontier,
                   {"{9223372036854775807}"});
  e.t.expect("consolidate at INT64_MAX", s.consolidate(c), "ok");
  e.t.expect("seal {}", s.seal(c, Frontier::empty()), "ok");
  e.t.expect("peek_timestamp with upper {}", s.peek_timestamp(c), "ok 9223372036854775807");
  e.t.expect("peek_one", s.peek_one(c), "ok {a: sealed, b: unsealed, k: v}");
  for (Timestamp t : {kMinT, Timestamp{0}, kMaxT - 1, kMaxT}) {
    e.t.expect_error("update at " + std::to_string(t) + " after seal {}", s.update(c, "k", "v", t, 1),
                     kFrontier, {std::to_string(t), "{}"});
  }
  for (Timestamp t : {kMinT, Timestamp{0}, kMaxT}) {
    e.t.expect_error("seal {" + std::to_string(t) + "} after {}", s.seal(c, Frontier(t)), kFrontier,
                     {"{" + std::to_string(t) + "}", "{}"});
  }
  e.t.expect("compact {}", s.compact(c, Frontier::empty()), "ok");
  e.t.expect("since {}", s.since(c), "ok {}");
  e.t.expect_error("iter with since {}", s.iter(c), kFrontier, {"empty since"});
  e.t.expect("consolidate drops everything", s.consolidate(c), "ok");
  e.t.expect_error("iter still fails", s.iter(c), kFrontier, {"empty since"});
  // Appends to the end of time.
  const CollectionHandle d = e.coll("append max");
  const AppendBatch to_max{d, Frontier(0), Frontier(kMaxT), std::nullopt, {{"k", "v", kMaxT - 1, 1}}};
  e.t.expect("append up to {INT64_MAX}", s.append(std::vector{to_max}), "ok");
  const AppendBatch past{d, Frontier(kMaxT), Frontier::empty(), Frontier(kMaxT), {{"k", "w", kMaxT, 1}}};
  e.t.expect("append {INT64_MAX} -> {}", s.append(std::vector{past}), "ok");
  e.t.expect("iter", s.iter(d), "ok [((k, v), 9223372036854775807, 1), ((k, w), 9223372036854775807, 1)]");
  e.note("writes, seals and compactions at INT64_MIN / INT64_MAX");
}

// model/tests/edges_test.cc, diffs and consolidation.
void int64_sums(ScenarioEnv& e) {
  Stash& s = *e.stash;
  const CollectionHandle c = e.coll("sums");
  e.t.expect("MAX", s.update(c, "k", "v", 1, kMaxD), "ok");
  e.t.expect("+1", s.update(c, "k", "v", 1, 1), "ok");
  e.t.expect_error("iter past MAX", s.iter(c), ErrorCode::kOutOfRange);
  e.t.expect("-1", s.update(c, "k", "v", 1, -1), "ok");
  e.t.expect("iter back in range", s.iter(c), "ok [((k, v), 1, 9223372036854775807)]");
  const CollectionHandle m = e.coll("min");
  e.t.expect("MIN, -1, +1 in one batch",
             s.update_many(m, std::vector<Update>{{"b", "v", 1, kMinD}, {"b", "v", 1, -1}, {"b", "v", 1, 1}}),
             "ok");
  e.t.expect("iter", s.iter(m), "ok [((b, v), 1, -9223372036854775808)]");
  const CollectionHandle n = e.coll("many");
  for (int i = 0; i < 4; ++i) e.t.expect("+MAX", s.update(n, "k", "v", 1, kMaxD), "ok");
  for (int i = 0; i < 3; ++i) e.t.expect("-MAX", s.update(n, "k", "v", 1, -kMaxD), "ok");
  e.t.expect("4 MAX - 3 MAX", s.iter(n), "ok [((k, v), 1, 9223372036854775807)]");
  e.t.expect("big", s.update(n, "big", "v", 1, kMaxD), "ok");
  e.t.expect("big again", s.update(n, "big", "v", 1, kMaxD), "ok");
  e.t.expect_error("iter", s.iter(n), ErrorCode::kOutOfRange);
  e.t.expect("iter_key of another key", s.iter_key(n, "k"), "ok [(v, 1, 9223372036854775807)]");
  // Not sealed past since: the peeks fail on the peek timestamp first,
  // whatever the sums (the etcd backend narrowed the sums first).
  e.t.expect_error("peek before any seal", s.peek(n), ErrorCode::kFrontierViolation);
  e.t.expect_error("peek_one before any seal", s.peek_one(n), ErrorCode::kFrontierViolation);
  e.t.expect_error("peek_key_one before any seal", s.peek_key_one(n, "big"),
                   ErrorCode::kFrontierViolation);
  const CollectionHandle p = e.coll("peek");
  e.t.expect("MAX at 1", s.update(p, "k", "v", 1, kMaxD), "ok");
  e.t.expect("1 at 2", s.update(p, "k", "v", 2, 1), "ok");
  e.t.expect("seal {3}", s.seal(p, Frontier(3)), "ok");
  e.t.expect_error("peek over times whose sum overflows", s.peek(p), ErrorCode::kOutOfRange);
  e.t.expect_error("peek_one", s.peek_one(p), ErrorCode::kOutOfRange);
  e.t.expect_error("peek_key_one", s.peek_key_one(p, "k"), ErrorCode::kOutOfRange);
  e.t.expect("compact {2}", s.compact(p, Frontier(2)), "ok");
  const std::string before = outcome(s.iter(p)).text;
  e.t.expect("consolidate", s.consolidate(p), "ok");
  e.t.expect("consolidate keeps the overflow exact", s.iter(p), before);
  e.t.expect("-1 at 4", s.update(p, "k", "v", 4, -1), "ok");
  e.t.expect("seal {5}", s.seal(p, Frontier(5)), "ok");
  e.t.expect("compact {4}", s.compact(p, Frontier(4)), "ok");
  e.t.expect("iter", s.iter(p), "ok [((k, v), 4, 9223372036854775807)]");
}

}  // namespace

std::vector<CheckDef> data_checks() {
  return {
      scenario("bytes: NUL, high bytes, empty and prefix keys read back exactly", "BytesTricky",
               std::nullopt, tricky_bytes_read_back),
      scenario("bytes: keys, values and names of 4 KiB and 1 MiB", "BytesLarge", std::nullopt,
               large_bytes_read_back),
      scenario("names: case, long common prefixes, normal forms, NUL are distinct", "NamesDistinct",
               std::nullopt, confusable_names),
      scenario("names: every class of invalid UTF-8 is invalid_argument", "NamesInvalidUtf8",
               std::nullopt, invalid_utf8_names),
      scenario("times: writes, seals, compactions and appends at the ends of int64", "TimesInt64",
               std::nullopt, int64_times),
      scenario("times: diffs summing past the ends of int64", "TimesInt64Sums", std::nullopt,
               int64_sums),
  };
}

}  // namespace stash::conformance::internal
