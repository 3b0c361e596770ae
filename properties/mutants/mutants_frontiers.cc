// Mutants that break a frontier: seal, compact, since.
#include <map>

#include "mutant_support.h"
#include "mutants.h"
#include "stash/mutex.h"
#include "stash/memory_stash.h"

namespace stash::mutants {
namespace {

template <typename T>
std::unique_ptr<Stash> over_memory() {
  return std::make_unique<T>(std::make_unique<MemoryStash>());
}

// `UPDATE ... SET upper = max(upper, ?)`: a regressing seal is a silent no-op
// success (kFrontierViolation "seal request ... is less than ...").
class SealClampsRegression : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Status seal(CollectionHandle c, Frontier new_upper) override {
    auto upper = inner().upper(c);
    if (!upper) return std::unexpected(upper.error());
    if (new_upper < *upper) return {};
    return inner().seal(c, new_upper);
  }
};

// A regressing seal fails, but with kInvalidArgument instead of
// kFrontierViolation (the error codes are part of the contract).
class SealRegressionWrongCode : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Status seal(CollectionHandle c, Frontier new_upper) override {
    auto ok = inner().seal(c, new_upper);
    if (ok || ok.error().code() != ErrorCode::kFrontierViolation) return ok;
    return fail(ErrorCode::kInvalidArgument, ok.error().message());
  }
};

// Skips the since-regression check: compacting below since is a silent no-op
// success (kFrontierViolation "compact request ... is less than ...").
class CompactSkipsRegressionCheck : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Status compact(CollectionHandle c, Frontier new_since) override {
    auto since = inner().since(c);
    if (!since) return std::unexpected(since.error());
    if (new_since < *since) return {};
    return inner().compact(c, new_since);
  }
};

// Clamps a compaction beyond upper to upper and reports success
// (kFrontierViolation "compact request ... is greater than ...", INV-2).
class CompactClampsToUpper : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Status compact(CollectionHandle c, Frontier new_since) override {
    auto upper = inner().upper(c);
    if (!upper) return std::unexpected(upper.error());
    return inner().compact(c, std::min(new_since, *upper));
  }
};

// since() is served from a cache that compact forgets to invalidate, so it
// lags after a compaction (since reports the current since frontier).
class SinceStaleAfterCompact : public DerivedStash {
 public:
  using DerivedStash::DerivedStash;
  Result<Frontier> since(CollectionHandle c) override {
    MutexLock lock(mutex_);
    if (auto cached = cache_.find(c.id); cached != cache_.end()) return cached->second;
    auto since = inner().since(c);
    if (since) cache_.emplace(c.id, *since);
    return since;
  }

 private:
  Mutex mutex_;
  std::map<std::int64_t, Frontier> cache_ STASH_GUARDED_BY(mutex_);
};

}  // namespace

std::vector<Mutant> frontier_mutants() {
  return {
      {"seal_clamps_regression",
       "a regressing seal returns ok and changes nothing (must be kFrontierViolation)",
       over_memory<SealClampsRegression>},
      {"seal_regression_wrong_code",
       "a regressing seal fails with kInvalidArgument, not kFrontierViolation",
       over_memory<SealRegressionWrongCode>},
      {"compact_skips_regression_check",
       "compacting below since returns ok (must be kFrontierViolation; since never moves back)",
       over_memory<CompactSkipsRegressionCheck>},
      {"compact_clamps_to_upper",
       "compacting beyond upper compacts to upper and returns ok (must be kFrontierViolation)",
       over_memory<CompactClampsToUpper>},
      {"since_stale_after_compact",
       "since() is cached and not refreshed by compact (since reports the current since)",
       over_memory<SinceStaleAfterCompact>},
  };
}

}  // namespace stash::mutants
