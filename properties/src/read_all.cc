// ConsistentReader::read_all (consistent_read.h), for backends that offer it:
// the kit finds it with dynamic_cast, as `stash export` does, and reports
// these checks not applicable otherwise.
//
// Two checks:
//   - at rest, read_all is exactly collections(), and per collection since,
//     upper and iter (nothing extra, nothing missing, same order);
//   - under a writer thread that moves a unit between two collections in
//     each atomic append (one collection +1, the other -1, both sealed in
//     the same call), every read_all is one cut: the two uppers are equal,
//     the two collections' contents cancel, and successive cuts never go
//     back in time. A read_all that reads the collections one after the
//     other sees the writer between them.
#include <atomic>
#include <chrono>
#include <expected>
#include <random>
#include <thread>

#include "checks.h"
#include "stash/consistent_read.h"

namespace stash::conformance::internal {
namespace {

__extension__ typedef __int128 Sum;

CheckOutput not_a_reader() {
  CheckOutput out;
  out.not_applicable = true;
  out.details = "the backend does not implement ConsistentReader";
  return out;
}

CheckOutput failed(const Context& ctx, const std::string& what) {
  return {false, what + "\nReplay the run: RC_PARAMS=\"seed=" + std::to_string(ctx.options.seed) +
                     " max_success=" + std::to_string(ctx.options.max_success) + "\""};
}

Sum total(const std::vector<Update>& updates) {
  Sum sum = 0;
  for (const Update& u : updates) sum += u.diff;
  return sum;
}

// A fresh store of the backend under test and its ConsistentReader, or the
// check's outcome when it cannot be had (open failed, or not a reader).
struct OpenReader {
  std::unique_ptr<Harness> harness;
  std::unique_ptr<Stash> stash;
  ConsistentReader* reader;
};

std::expected<OpenReader, CheckOutput> open_reader(const Context& ctx) {
  auto harness = ctx.backend.make_harness();
  auto opened = harness->open_fresh();
  if (!opened) return std::unexpected(failed(ctx, "open failed: " + opened.error().to_string()));
  auto* reader = dynamic_cast<ConsistentReader*>(opened->get());
  if (!reader) return std::unexpected(not_a_reader());
  return OpenReader{std::move(harness), std::move(*opened), reader};
}

// read_all against collections(), since, upper and iter, after random writes
// to three collections (one compacted to {} so nothing of it is readable).
CheckOutput at_rest(Context& ctx) {
  auto opened = open_reader(ctx);
  if (!opened) return opened.error();
  Stash& stash = *opened->stash;
  ConsistentReader* reader = opened->reader;
  std::mt19937_64 rng(ctx.options.seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const std::vector<std::string> names = {"b-orders", "a-items", "gone"};
  std::vector<CollectionHandle> handles;
  for (const std::string& name : names) {
    auto c = stash.collection(name);
    if (!c) return failed(ctx, "collection " + name + " failed: " + c.error().to_string());
    handles.push_back(*c);
  }
  for (int step = 0; step < 30; ++step) {
    const CollectionHandle c = handles[pick(0, 2)];
    auto upper = stash.upper(c);
    if (!upper || !upper->element()) return failed(ctx, "upper failed");
    const Timestamp u = *upper->element();
    Status ok;
    switch (pick(0, 3)) {
      case 0: ok = stash.seal(c, Frontier::at(u + pick(1, 3))); break;
      case 1: ok = stash.compact(c, Frontier::at(u)); break;
      default: {
        std::vector<Update> entries;
        for (int i = pick(1, 3); i > 0; --i) {
          entries.push_back({"k" + std::to_string(pick(0, 4)), "v" + std::to_string(pick(0, 1)),
                             u + pick(0, 2), pick(0, 3) == 0 ? -1 : 1});
        }
        ok = stash.update_many(c, entries);
      }
    }
    if (!ok) return failed(ctx, "a valid call failed: " + ok.error().to_string());
  }
  if (auto ok = stash.seal(handles[2], Frontier::empty()); !ok) return failed(ctx, "seal to {} failed");
  if (auto ok = stash.compact(handles[2], Frontier::empty()); !ok) return failed(ctx, "compact to {} failed");

  auto all = reader->read_all();
  if (!all) return failed(ctx, "read_all failed: " + all.error().to_string());
  auto listed = stash.collections();
  if (!listed) return failed(ctx, "collections failed");
  if (all->size() != listed->size()) {
    return failed(ctx, "read_all returned " + std::to_string(all->size()) + " collections, collections() " +
                           std::to_string(listed->size()));
  }
  for (std::size_t i = 0; i < all->size(); ++i) {
    const CollectionContents& got = (*all)[i];
    const NamedCollection& want = (*listed)[i];
    const std::string where = "read_all, collection " + std::to_string(i) + " (" + want.name + "): ";
    if (got.collection != want) return failed(ctx, where + "is " + got.collection.name + ", not in collections() order");
    auto since = stash.since(want.handle);
    auto upper = stash.upper(want.handle);
    if (!since || !upper) return failed(ctx, where + "frontier read failed");
    if (got.since != *since) return failed(ctx, where + "since " + got.since.to_string() + ", since() " + since->to_string());
    if (got.upper != *upper) return failed(ctx, where + "upper " + got.upper.to_string() + ", upper() " + upper->to_string());
    std::vector<Update> want_updates;
    if (since->element()) {
      auto iter = stash.iter(want.handle);
      if (!iter) return failed(ctx, where + "iter failed: " + iter.error().to_string());
      want_updates = std::move(*iter);
    }
    if (got.updates != want_updates) {
      return failed(ctx, where + std::to_string(got.updates.size()) + " updates, iter has " +
                             std::to_string(want_updates.size()) + " (or they differ)");
    }
  }
  (*ctx.coverage)["read_all: collections compared at rest"] += static_cast<int>(all->size());
  return {};
}

// The writer moves one unit per append from "left" to "right" (or back),
// sealing both to the same new upper in that append; the reader's cuts must
// each balance.
CheckOutput one_cut(Context& ctx) {
  auto opened = open_reader(ctx);
  if (!opened) return opened.error();
  Stash& stash = *opened->stash;
  ConsistentReader* reader = opened->reader;
  auto left = stash.collection("left");
  auto right = stash.collection("right");
  if (!left || !right) return failed(ctx, "collection failed");
  // The writer runs until kCuts cuts were taken while it ran (bounded).
  constexpr int kCuts = 40;
  constexpr int kMaxAppends = 100000;
  constexpr auto kBound = std::chrono::seconds(10);
  std::atomic<bool> stop{false};
  std::atomic<bool> done{false};
  std::string writer_error;
  int appends = 0;
  std::thread writer([&] {
    std::mt19937_64 rng(ctx.options.seed * 31 + 7);
    const auto give_up = std::chrono::steady_clock::now() + kBound;
    for (Timestamp t = 0; !stop.load() && t < kMaxAppends && writer_error.empty() &&
                          std::chrono::steady_clock::now() < give_up;
         ++t) {
      const Diff d = std::uniform_int_distribution<int>(0, 1)(rng) ? 1 : -1;
      const Bytes key = "unit" + std::to_string(t % 7);
      AppendBatch batches[2] = {
          {*left, Frontier::at(t), Frontier::at(t + 1), std::nullopt, {{key, "x", t, d}}},
          {*right, Frontier::at(t), Frontier::at(t + 1), std::nullopt, {{key, "x", t, -d}}}};
      if (auto ok = stash.append(batches); !ok) {
        writer_error = "append at " + std::to_string(t) + " failed: " + ok.error().to_string();
      } else {
        ++appends;
      }
    }
    done.store(true);
  });
  std::string error;
  Frontier last_upper = Frontier::at(0);
  int cuts = 0, mid_stream = 0;
  while (error.empty() && !done.load()) {
    auto all = reader->read_all();
    if (!all) {
      error = "read_all failed under a writer: " + all.error().to_string();
      break;
    }
    ++cuts;
    if (!done.load() && ++mid_stream == kCuts) stop.store(true);
    if (all->size() != 2) {
      error = "read_all returned " + std::to_string(all->size()) + " collections, want 2";
      break;
    }
    const CollectionContents& l = (*all)[0].collection.name == "left" ? (*all)[0] : (*all)[1];
    const CollectionContents& r = (*all)[0].collection.name == "left" ? (*all)[1] : (*all)[0];
    if (l.upper != r.upper) {
      error = "a cut with left's upper " + l.upper.to_string() + " and right's " + r.upper.to_string() +
              ": each append sealed both to the same upper, so read_all read them at different moments";
    } else if (total(l.updates) + total(r.updates) != 0) {
      error = "a cut at upper " + l.upper.to_string() + " where left and right do not cancel (" +
              std::to_string(static_cast<long long>(total(l.updates))) + " vs " +
              std::to_string(static_cast<long long>(total(r.updates))) + "): not one moment";
    } else if (l.upper < last_upper) {
      error = "a cut at upper " + l.upper.to_string() + " after one at " + last_upper.to_string() +
              ": read_all went back in time";
    }
    last_upper = l.upper;
  }
  stop.store(true);
  writer.join();
  if (!writer_error.empty()) return failed(ctx, writer_error);
  if (!error.empty()) {
    return failed(ctx, error + " (cut " + std::to_string(cuts) + ", after " + std::to_string(appends) +
                           " appends)");
  }
  if (mid_stream < kCuts) {
    return failed(ctx, "only " + std::to_string(mid_stream) + " read_all calls completed while a writer made " +
                           std::to_string(appends) + " appends in up to 10 s (want " + std::to_string(kCuts) +
                           "): read_all must not wait for writers to stop");
  }
  (*ctx.coverage)["read_all: cuts while the writer ran"] += mid_stream;
  return {};
}

}  // namespace

std::vector<CheckDef> read_all_checks() {
  return {
      {Area::kConcurrent, "read_all: at rest, equals collections, frontiers and iter",
       "ReadAllAtRest", std::nullopt, at_rest},
      {Area::kConcurrent, "read_all: one cut under a writer moving between collections",
       "ReadAllOneCut", std::nullopt, one_cut},
  };
}

}  // namespace stash::conformance::internal
