// run() and print(): the programmatic front end used by `stash check` and the
// mutant self-test.
#include <gtest/gtest.h>

#include <sstream>

#include "shared_memory_harness.h"

namespace stash::conformance {
namespace {

// A seal that forgets to check for regressions: the kit must catch it.
class ForgetfulSealStash final : public Stash {
 public:
  Result<CollectionHandle> collection(std::string_view n) override { return m_.collection(n); }
  Result<std::vector<NamedCollection>> collections() override { return m_.collections(); }
  Result<std::vector<Update>> iter(CollectionHandle c) override { return m_.iter(c); }
  Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c, const Bytes& k) override {
    return m_.iter_key(c, k);
  }
  Status update_many(CollectionHandle c, std::span<const Update> e) override {
    return m_.update_many(c, e);
  }
  Status seal(CollectionHandle c, Frontier f) override {
    auto upper = m_.upper(c);
    if (upper && f < *upper) return {};  // the bug: ok, and nothing done
    return m_.seal(c, f);
  }
  Status compact(CollectionHandle c, Frontier f) override { return m_.compact(c, f); }
  Status consolidate(CollectionHandle c) override { return m_.consolidate(c); }
  Result<Frontier> since(CollectionHandle c) override { return m_.since(c); }
  Result<Frontier> upper(CollectionHandle c) override { return m_.upper(c); }
  Status append(std::span<const AppendBatch> b) override { return m_.append(b); }

 private:
  MemoryStash m_;
};

class ForgetfulHarness : public Harness {
 public:
  Capabilities capabilities() const override { return {}; }
  Result<std::unique_ptr<Stash>> open_fresh() override {
    return std::make_unique<ForgetfulSealStash>();
  }
};

TEST(Runner, MemoryStashPassesAndReportsNotApplicable) {
  const Backend memory{"Memory", [] { return std::make_unique<testing::MemoryHarness>(); }};
  RunOptions options;
  options.max_success = 30;
  const Report report = run(memory, options);
  std::ostringstream text;
  print(report, text);
  EXPECT_TRUE(report.passed()) << text.str();
  EXPECT_NE(report.seed, 0u);
  EXPECT_NE(text.str().find("not applicable"), std::string::npos) << text.str();
  EXPECT_GT(report.coverage.count("op seal_batch"), 0u) << text.str();
}

TEST(Runner, ForgetfulSealIsCaughtInEveryModelArea) {
  const Backend broken{"ForgetfulSeal", [] { return std::make_unique<ForgetfulHarness>(); }};
  for (Area area : {Area::kProperties, Area::kStateful, Area::kExhaustive}) {
    RunOptions options;
    options.areas = {area};
    options.stop_at_first_failure = true;
    const Report report = run(broken, options);
    std::ostringstream text;
    print(report, text);
    EXPECT_FALSE(report.passed()) << text.str();
    if (area == Area::kStateful) {
      EXPECT_NE(text.str().find("Seal("), std::string::npos) << text.str();
      EXPECT_NE(text.str().find("RC_PARAMS=\"reproduce="), std::string::npos) << text.str();
    }
  }
}

}  // namespace
}  // namespace stash::conformance
