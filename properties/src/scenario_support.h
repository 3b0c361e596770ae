// Helpers for the deterministic scenarios: a store to run them on and a
// Checker whose assertions compare one rendered result with one expectation,
// so each scenario line reads like the reference text.
#ifndef STASH_PROPERTIES_SRC_SCENARIO_SUPPORT_H_
#define STASH_PROPERTIES_SRC_SCENARIO_SUPPORT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "checks.h"
#include "facts.h"

namespace stash::conformance::internal {

class Checker {
 public:
  // `result` must render as `want` ("ok [((widgets, 1), 1, 1)]",
  // "error frontier_violation").
  template <typename R>
  void expect(const std::string& what, const R& result, const std::string& want) {
    const Answer got = outcome(result);
    if (got.text != want) fail(what + ": got " + got.detailed() + ", expected " + want);
  }
  // `result` must be an error with `code` whose message mentions each fact
  // (semantics.md section 5: keep the same facts in the messages).
  template <typename R>
  void expect_error(const std::string& what, const R& result, ErrorCode code,
                    const std::vector<std::string>& facts = {}) {
    const Answer got = outcome(result);
    expect(what, result, "error " + std::string(to_string(code)));
    for (const std::string& fact : facts) {
      if (!got.ok() && !mentions(got.message, fact)) {
        std::string problem = what;
        problem.append(": the message \"").append(got.message).append("\" does not mention ").append(fact);
        fail(problem);
      }
    }
  }
  void fail(const std::string& message) { failures_.push_back(message); }
  CheckOutput output() const;

 private:
  std::vector<std::string> failures_;
};

// One scenario's store.
struct ScenarioEnv {
  std::unique_ptr<Harness> harness;
  std::unique_ptr<Stash> stash;
  Checker t;
  Coverage* coverage = nullptr;
  // Records what a scenario covered ("scenarios: max key bytes").
  void note_max(const std::string& what, std::uint64_t n) {
    if (coverage) internal::note_max(*coverage, "scenarios: " + what, n);
  }
  void note(const std::string& what) {
    if (coverage) ++(*coverage)["scenarios: " + what];
  }
  // The handle for `name` through `s`; records a failure if there is none.
  CollectionHandle coll(Stash& s, const std::string& name);
  CollectionHandle coll(const std::string& name) { return coll(*stash, name); }
};

using ScenarioBody = std::function<void(ScenarioEnv&)>;
CheckDef scenario(std::string name, std::string test_name, std::optional<Capability> needs,
                  ScenarioBody body);

std::vector<CheckDef> error_row_checks();
// Each class of bug the random checks look for, deterministically too, so
// that catching it never depends on the seed:
//   scenarios_data.cc   bytes, names, the ends of int64;
//   scenarios_scale.cc  scale, handles, append chains, error facts.
std::vector<CheckDef> data_checks();
std::vector<CheckDef> scale_checks();
std::vector<CheckDef> collections_scenario_checks();  // scenarios_collections.cc

}  // namespace stash::conformance::internal

#endif  // STASH_PROPERTIES_SRC_SCENARIO_SUPPORT_H_
