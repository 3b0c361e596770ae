// The registry of every check the kit knows, shared by the runner (run()) and
// the googletest front end, so both run exactly the same code.
#ifndef STASH_PROPERTIES_SRC_CHECKS_H_
#define STASH_PROPERTIES_SRC_CHECKS_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <rapidcheck.h>

#include "stash/conformance.h"
#include "world.h"

namespace stash::conformance::internal {

enum class Capability { kDurable, kSeveralHandles, kFencing, kCrash };
bool has(const Capabilities& caps, Capability need);
std::string to_string(Capability c);  // "durable", "several_handles", "fencing"

// What a check runs with.
struct Context {
  const Backend& backend;
  RunOptions options;       // seed already chosen (never 0)
  ModelFactory make_model;  // the reference; MemoryStash unless testing it
  Coverage* coverage;       // where executed operations are counted
};

struct CheckOutput {
  bool passed = true;
  std::string details;  // failure: what went wrong and how to replay it
  // The check found nothing to check (an optional interface the backend
  // does not implement); details say what. Reported as kNotApplicable.
  bool not_applicable = false;
};

struct CheckDef {
  Area area;
  std::string name;       // "scenario 4: seal and peek"
  std::string test_name;  // a gtest identifier: "Scenario04SealAndPeek"
  std::optional<Capability> needs;
  std::function<CheckOutput(Context&)> body;
};

// Every check, in run order.
const std::vector<CheckDef>& all_checks();
std::vector<CheckDef> scenario_checks();
std::vector<CheckDef> invariant_checks();
std::vector<CheckDef> stateful_checks();
std::vector<CheckDef> exhaustive_checks();
std::vector<CheckDef> concurrent_checks();
std::vector<CheckDef> crash_checks();
std::vector<CheckDef> subscribe_checks();
std::vector<CheckDef> read_all_checks();  // read_all.cc: ConsistentReader, if implemented

// Runs one check (timing it, turning a missing capability into
// kNotApplicable and an escaped exception into a failure).
CheckResult run_check(const CheckDef& check, Context& ctx, const Capabilities& caps);

// The options a gtest run uses: seed and max_success from RC_PARAMS (as
// RapidCheck reads it), the exhaustive depth from STASH_EXHAUSTIVE_DEPTH.
RunOptions options_from_environment();

// Runs a RapidCheck property under ctx's seed and max_success; a failure's
// details carry the shrunk counterexample and the replay command.
CheckOutput run_property(const Context& ctx, const std::string& id,
                         const rc::detail::Property& property);
template <typename Testable>
CheckOutput check_property(const Context& ctx, const std::string& id, Testable&& t) {
  return run_property(ctx, id, rc::detail::toProperty(std::forward<Testable>(t)));
}

// Fails the check unless every `wanted` key occurred in `coverage`, when the
// run had at least the default number of cases (`run_cases`); below that it
// only reports the gaps in the details.
CheckOutput require_coverage(const Coverage& coverage, const std::vector<std::string>& wanted,
                             int run_cases);

}  // namespace stash::conformance::internal

#endif  // STASH_PROPERTIES_SRC_CHECKS_H_
