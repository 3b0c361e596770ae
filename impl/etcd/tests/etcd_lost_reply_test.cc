// Lost requests and lost replies, on purpose (testing/faults/txn_faults.h):
// for every kind of write call and every fault, the exact result code, and
// the state read back afterwards through a fresh read-only handle, which
// must be the state with the call applied exactly once (ok, or
// kOutcomeUnknown after a write that landed) or not at all (kUnavailable,
// or kOutcomeUnknown after a write that never landed). A call that fails
// must also leave no key behind: every key of the prefix but the fence (which
// the burns move) is as it was, down to its mod_revision.
//
// The expected states come from MemoryStash running the same calls.
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include "etcd_client.h"
#include "etcd_test_util.h"
#include "key_layout.h"
#include "stash/etcd_stash.h"
#include "stash/memory_stash.h"
#include "txn_faults.h"

namespace stash {
namespace {

using etcd::faults::kEvery;
using etcd::faults::TxnFaults;
using testing::fresh_prefix;
using testing::options_for;

// Small budgets, so that a fault outlasting them is quick to reach: four
// retries per call, 1-4 ms apart.
constexpr int kRetries = 4;

EtcdOptions test_options(const std::string& prefix) {
  EtcdOptions o = options_for(prefix);
  o.max_retries = kRetries;
  o.backoff_initial_ms = 1;
  o.backoff_max_ms = 4;
  o.call_timeout_ms = 20000;
  return o;
}

// Every key under `prefix` but its fence, with its mod_revision.
std::map<std::string, std::int64_t> raw_keys(const std::string& prefix) {
  etcd::Client client(options_for(prefix).endpoints);
  etcdserverpb::TxnRequest r;
  auto* range = r.add_success()->mutable_request_range();
  range->set_key(prefix);
  range->set_range_end(etcd::prefix_end(prefix));
  etcdserverpb::TxnResponse response;
  grpc::Status s = client.txn(r, &response, etcd::Clock::now() + std::chrono::seconds(10));
  EXPECT_TRUE(s.ok()) << s.error_message();
  std::map<std::string, std::int64_t> out;
  if (!s.ok()) return out;
  for (const auto& kv : response.responses(0).response_range().kvs()) {
    if (kv.key() != prefix + "fence") out[kv.key()] = kv.mod_revision();
  }
  return out;
}

// What a reader sees of a stash, by collection name: frontiers and contents.
std::string state_of(Stash& s) {
  std::ostringstream out;
  auto all = s.collections();
  if (!all) return "collections: " + all.error().to_string();
  for (const NamedCollection& c : *all) {
    out << c.name << ":";
    auto since = s.since(c.handle);
    auto upper = s.upper(c.handle);
    out << " since " << (since ? since->to_string() : since.error().to_string());
    out << " upper " << (upper ? upper->to_string() : upper.error().to_string());
    auto entries = s.iter(c.handle);
    if (!entries) {
      out << " iter " << to_string(entries.error().code());
    } else {
      for (const Update& u : *entries) out << " " << u;
    }
    out << "\n";
  }
  return out.str();
}

std::string read_back(const std::string& prefix) {
  EtcdOptions o = options_for(prefix);
  o.read_only = true;
  auto reader = EtcdStash::open(o);
  if (!reader) return "open: " + reader.error().to_string();
  return state_of(**reader);
}

struct Two {
  CollectionHandle a, b;
};

// Collections "a" and "b", each with two updates, sealed to 5, "a"
// compacted to 3 (so both of its updates can be consolidated).
Result<Two> set_up(Stash& s) {
  std::vector<CollectionHandle> made;
  for (const char* name : {"a", "b"}) {
    auto c = s.collection(name);
    if (!c) return std::unexpected(c.error());
    const std::vector<Update> two = {{"k1", "v1", 1, 1}, {"k2", "v2", 2, 1}};
    if (auto ok = s.update_many(*c, two); !ok) return std::unexpected(ok.error());
    if (auto ok = s.seal(*c, Frontier(5)); !ok) return std::unexpected(ok.error());
    made.push_back(*c);
  }
  if (auto ok = s.compact(made[0], Frontier(3)); !ok) return std::unexpected(ok.error());
  return Two{made[0], made[1]};
}

// One write call of the API: what it does, on either stash.
struct WriteCall {
  std::string name;
  std::function<Status(Stash&, Two)> run;
};

std::vector<WriteCall> write_calls() {
  return {
      {"collection_create",
       [](Stash& s, Two) -> Status {
         auto c = s.collection("c");
         if (!c) return std::unexpected(c.error());
         return {};
       }},
      {"update_many",
       [](Stash& s, Two t) {
         const std::vector<Update> u = {{"k3", "v3", 6, 1}, {"k1", "v1", 7, -1}};
         return s.update_many(t.a, u);
       }},
      {"append",
       [](Stash& s, Two t) {
         const std::vector<AppendBatch> batches = {
             {t.a, Frontier(5), Frontier(8), std::nullopt, {{"k4", "v4", 5, 2}}},
             {t.b, Frontier(5), Frontier(9), Frontier(4), {{"k5", "v5", 6, 1}, {"k2", "v2", 7, -1}}}};
         return s.append(batches);
       }},
      {"seal", [](Stash& s, Two t) { return s.seal(t.a, Frontier(10)); }},
      {"seal_batch",
       [](Stash& s, Two t) {
         const std::vector<FrontierRequest> r = {{t.a, Frontier(11)}, {t.b, Frontier::empty()}};
         return s.seal_batch(r);
       }},
      {"compact", [](Stash& s, Two t) { return s.compact(t.b, Frontier(4)); }},
      {"compact_batch",
       [](Stash& s, Two t) {
         const std::vector<FrontierRequest> r = {{t.a, Frontier(4)}, {t.b, Frontier(5)}};
         return s.compact_batch(r);
       }},
      {"consolidate", [](Stash& s, Two t) { return s.consolidate(t.a); }},
  };
}

// Whether the call's effect is stored, per the faults.
enum class Stored { kOnce, kNothing };

struct Fault {
  std::string name;
  std::function<void(TxnFaults&)> arm;
  std::string code;  // the call's result: "ok" or an error code's name
  Stored stored;
};

std::vector<Fault> faults() {
  return {
      // The write never lands; the burn proves it and the retry commits.
      {"write_dropped_once", [](TxnFaults& f) { f.drop_writes(1); }, "ok", Stored::kOnce},
      // The write lands and its reply is lost; the burn finds it landed.
      {"write_reply_lost", [](TxnFaults& f) { f.lose_write_replies(1); }, "ok", Stored::kOnce},
      // Every attempt is dropped: each is proven not to have landed, then
      // the call's retries run out.
      {"write_dropped_always", [](TxnFaults& f) { f.drop_writes(kEvery); }, "unavailable", Stored::kNothing},
      // A short outage after a dropped write: all but one of the call's
      // retries' worth of burns fail, then one gets through (the write did
      // not land) and the retry commits: the burns must not have used up the
      // call's own retries.
      {"write_dropped_burns_fail",
       [](TxnFaults& f) {
         f.drop_writes(1);
         f.drop_burns(kRetries - 1);
       },
       "ok", Stored::kOnce},
      {"write_lost_burns_fail",
       [](TxnFaults& f) {
         f.lose_write_replies(1);
         f.drop_burns(kRetries - 1);
       },
       "ok", Stored::kOnce},
      // The burn lands and its reply is lost too: the next burn tells the
      // burn's counter from the write's.
      {"write_dropped_burn_reply_lost",
       [](TxnFaults& f) {
         f.drop_writes(1);
         f.lose_burn_replies(1);
       },
       "ok", Stored::kOnce},
      {"write_lost_burn_reply_lost",
       [](TxnFaults& f) {
         f.lose_write_replies(1);
         f.lose_burn_replies(1);
       },
       "ok", Stored::kOnce},
      // No burn ever gets through: resolution is impossible.
      {"write_dropped_burns_never",
       [](TxnFaults& f) {
         f.drop_writes(1);
         f.drop_burns(kEvery);
       },
       "outcome_unknown", Stored::kNothing},
      {"write_lost_burns_never",
       [](TxnFaults& f) {
         f.lose_write_replies(1);
         f.drop_burns(kEvery);
       },
       "outcome_unknown", Stored::kOnce},
  };
}

struct Case {
  WriteCall call;
  Fault fault;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const WriteCall& c : write_calls()) {
    for (const Fault& f : faults()) out.push_back({c, f});
  }
  return out;
}

// For test names and failure messages (not gtest's byte dump).
void PrintTo(const Case& c, std::ostream* out) { *out << c.call.name << " under " << c.fault.name; }

class LostReply : public ::testing::TestWithParam<Case> {};

TEST_P(LostReply, ResultCodeAndStoredState) {
  const Case& c = GetParam();
  // The expected states, from MemoryStash.
  MemoryStash model;
  auto in_model = set_up(model);
  ASSERT_TRUE(in_model) << in_model.error();
  const std::string before = state_of(model);
  auto ran = c.call.run(model, *in_model);
  ASSERT_TRUE(ran) << "the call must succeed on a fault-free stash: " << ran.error();
  const std::string after = state_of(model);
  if (c.call.name != "consolidate") {
    ASSERT_NE(before, after) << "the call must change what a reader sees";
  }

  const std::string prefix = fresh_prefix();
  auto writer = EtcdStash::open(test_options(prefix));
  ASSERT_TRUE(writer) << writer.error();
  auto two = set_up(**writer);
  ASSERT_TRUE(two) << two.error();
  ASSERT_EQ(read_back(prefix), before);
  const auto keys_before = raw_keys(prefix);

  Status result;
  etcd::faults::TxnCounts counts;
  {
    TxnFaults faults(prefix);
    c.fault.arm(faults);
    result = c.call.run(**writer, *two);
    counts = faults.counts();
  }
  const std::string code = result ? "ok" : std::string(to_string(result.error().code()));
  EXPECT_EQ(code, c.fault.code) << (result ? "" : result.error().to_string());
  EXPECT_GE(counts.writes_dropped + counts.writes_lost, 1) << "the fault never hit a write";
  EXPECT_GE(counts.burns, 1) << "nothing resolved the lost write";

  const std::string stored = read_back(prefix);
  EXPECT_EQ(stored, c.fault.stored == Stored::kOnce ? after : before);
  if (c.fault.stored == Stored::kNothing) {
    EXPECT_EQ(raw_keys(prefix), keys_before) << "a failed call left keys behind";
  } else if (c.call.name == "consolidate") {
    // Both of a's updates are at or before since: its log is gone.
    const etcd::Keys keys(prefix);
    std::size_t log = 0, base = 0;
    for (const auto& [k, rev] : raw_keys(prefix)) {
      log += k.starts_with(keys.log(two->a.id));
      base += k.starts_with(keys.base(two->a.id));
    }
    EXPECT_EQ(log, 0u);
    EXPECT_EQ(base, 2u);
  }
  // The handle goes on writing, whatever happened (its counter and cache
  // are right again after its next write).
  auto sealed = (*writer)->seal(two->a, Frontier::empty());
  EXPECT_TRUE(sealed) << sealed.error();
  writer->reset();
  EXPECT_TRUE(EtcdStash::destroy(options_for(prefix)));
}

INSTANTIATE_TEST_SUITE_P(All, LostReply, ::testing::ValuesIn(cases()), [](const auto& info) {
  return info.param.call.name + "_" + info.param.fault.name;
});

}  // namespace
}  // namespace stash

int main(int argc, char** argv) { return stash::testing::run_etcd_tests(argc, argv); }
