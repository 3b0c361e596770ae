// run() and print(): the kit without googletest, plus the glue every check
// shares (RapidCheck results as text, capabilities, coverage).
#include <chrono>
#include <cstdlib>
#include <exception>
#include <iomanip>
#include <sstream>
#include <unordered_map>

#include "checks.h"

namespace rc::detail {
// Exported by librapidcheck (src/detail/Serialization? ReproduceListener);
// not declared in its installed headers.
std::string reproduceMapToString(
    const std::unordered_map<std::string, Reproduce>& reproduceMap);
}  // namespace rc::detail

namespace stash::conformance {

Result<std::unique_ptr<Stash>> Harness::reopen() {
  return fail(ErrorCode::kInternal, "this harness cannot reopen (not durable)");
}

Result<std::unique_ptr<Stash>> Harness::open_another() {
  return fail(ErrorCode::kInternal, "this harness cannot open another Stash");
}

Status Harness::crash() {
  return fail(ErrorCode::kInternal, "this harness cannot simulate a crash");
}

bool Report::passed() const {
  for (const CheckResult& c : checks) {
    if (c.outcome == Outcome::kFailed) return false;
  }
  return true;
}

namespace internal {
namespace {

class SilentListener : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&,
                      const rc::detail::TestResult&) override {}
};

std::string failure_text(const Context& ctx, const std::string& id,
                         const rc::detail::FailureResult& failure) {
  std::ostringstream os;
  os << failure.description << "\n";
  os << "Counterexample (shrunk, after " << failure.numSuccess << " passing cases):\n";
  for (const auto& [type, value] : failure.counterExample) os << value << "\n";
  const std::string reproduce =
      rc::detail::reproduceMapToString({{id, failure.reproduce}});
  os << "Replay this case: RC_PARAMS=\"reproduce=" << reproduce << "\"\n";
  os << "Replay the run:   RC_PARAMS=\"seed=" << ctx.options.seed
     << " max_success=" << ctx.options.max_success << "\" (or stash check --seed "
     << ctx.options.seed << ")";
  return os.str();
}

}  // namespace

bool has(const Capabilities& caps, Capability need) {
  switch (need) {
    case Capability::kDurable: return caps.durable;
    case Capability::kSeveralHandles: return caps.several_handles;
    case Capability::kFencing: return caps.fencing;
    case Capability::kCrash: return caps.crash && caps.durable;
  }
  return false;
}

std::string to_string(Capability c) {
  switch (c) {
    case Capability::kDurable: return "durable";
    case Capability::kSeveralHandles: return "several_handles";
    case Capability::kFencing: return "fencing";
    case Capability::kCrash: return "crash";
  }
  return "?";
}

const std::vector<CheckDef>& all_checks() {
  static const std::vector<CheckDef> checks = [] {
    std::vector<CheckDef> all;
    for (auto part : {scenario_checks(), invariant_checks(), stateful_checks(),
                      exhaustive_checks(), concurrent_checks(), read_all_checks(),
                      crash_checks(), subscribe_checks()}) {
      all.insert(all.end(), part.begin(), part.end());
    }
    return all;
  }();
  return checks;
}

CheckOutput run_property(const Context& ctx, const std::string& id,
                         const rc::detail::Property& property) {
  const auto& config = rc::detail::configuration();
  rc::detail::TestParams params = config.testParams;
  // Each check gets its own stream, derived from the run's seed and its id,
  // so that replaying the run's seed replays every check.
  params.seed = ctx.options.seed + std::hash<std::string>{}(id);
  params.maxSuccess = ctx.options.max_success;
  SilentListener listener;
  const auto result = rc::detail::checkProperty(property, {id, id}, params, listener,
                                                config.reproduce);
  if (result.is<rc::detail::SuccessResult>()) return {};
  if (result.is<rc::detail::FailureResult>()) {
    return {false, failure_text(ctx, id, result.get<rc::detail::FailureResult>())};
  }
  std::ostringstream os;
  rc::detail::printResultMessage(result, os);
  return {false, os.str()};
}

CheckOutput require_coverage(const Coverage& coverage, const std::vector<std::string>& wanted,
                             int run_cases) {
  std::string missing;
  for (const std::string& key : wanted) {
    if (!coverage.contains(key)) missing += "\n  " + key;
  }
  if (missing.empty()) return {};
  // The gate judges the generators, so it holds them to the default budget:
  // a shorter run (`stash check --cases 5`) reports the gaps without failing.
  if (run_cases < RunOptions{}.max_success) {
    return {true, "with " + std::to_string(run_cases) +
                      " cases the random commands never exercised:" + missing +
                      "\n(not a failure below the default " +
                      std::to_string(RunOptions{}.max_success) + " cases)"};
  }
  return {false, "the random commands never exercised:" + missing +
                     "\n(raise max_success, or the generators have a gap)"};
}

CheckResult run_check(const CheckDef& check, Context& ctx, const Capabilities& caps) {
  CheckResult result{check.area, check.name, Outcome::kPassed, "", {}};
  if (check.needs && !has(caps, *check.needs)) {
    result.outcome = Outcome::kNotApplicable;
    result.details = "needs capability " + to_string(*check.needs);
    return result;
  }
  const auto start = std::chrono::steady_clock::now();
  CheckOutput out;
  try {
    out = check.body(ctx);
  } catch (const std::exception& e) {
    out = {false, std::string("exception escaped: ") + e.what()};
  }
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  result.outcome = out.not_applicable ? Outcome::kNotApplicable
                   : out.passed       ? Outcome::kPassed
                                      : Outcome::kFailed;
  result.details = out.details;
  return result;
}

RunOptions options_from_environment() {
  RunOptions options;
  const auto& params = rc::detail::configuration().testParams;
  options.seed = params.seed;
  options.max_success = params.maxSuccess;
  if (const char* depth = std::getenv("STASH_EXHAUSTIVE_DEPTH")) {
    options.exhaustive_depth = std::atoi(depth);
  }
  if (const char* n = std::getenv("STASH_CONCURRENT_HISTORIES")) {
    options.concurrent_histories = std::atoi(n);
  }
  return options;
}

}  // namespace internal

Report run(const Backend& backend, const RunOptions& options) {
  using namespace internal;
  Report report;
  RunOptions resolved = options;
  // Never an unprinted seed: 0 means RapidCheck's (RC_PARAMS or random).
  if (resolved.seed == 0) resolved.seed = rc::detail::configuration().testParams.seed;
  report.seed = resolved.seed;
  const Capabilities caps = backend.make_harness()->capabilities();
  Context ctx{backend, resolved, make_memory_model, &report.coverage};
  for (const CheckDef& check : all_checks()) {
    if (std::find(options.areas.begin(), options.areas.end(), check.area) ==
        options.areas.end()) {
      continue;
    }
    if (options.progress) options.progress(check.name);
    report.checks.push_back(run_check(check, ctx, caps));
    if (options.stop_at_first_failure && report.checks.back().outcome == Outcome::kFailed) {
      break;
    }
  }
  return report;
}

namespace {

const char* area_name(Area a) {
  switch (a) {
    case Area::kScenarios: return "scenarios";
    case Area::kProperties: return "properties";
    case Area::kStateful: return "stateful";
    case Area::kExhaustive: return "exhaustive";
    case Area::kConcurrent: return "concurrent";
    case Area::kCrash: return "crash";
    case Area::kSubscribe: return "subscribe";
  }
  return "?";
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kPassed: return "passed";
    case Outcome::kFailed: return "FAILED";
    case Outcome::kNotApplicable: return "not applicable";
  }
  return "?";
}

}  // namespace

void print(const Report& report, std::ostream& out) {
  out << "stash conformance: seed " << report.seed << "\n";
  std::map<std::pair<Area, Outcome>, int> counts;
  for (const CheckResult& c : report.checks) {
    ++counts[{c.area, c.outcome}];
    out << "  [" << area_name(c.area) << "] " << c.name << ": " << outcome_name(c.outcome)
        << " (" << c.elapsed.count() << " ms)";
    if (c.outcome != Outcome::kPassed || !c.details.empty()) {
      std::string details = c.details;
      for (std::size_t p = details.find('\n'); p != std::string::npos;
           p = details.find('\n', p + 5)) {
        details.replace(p, 1, "\n      ");
      }
      out << "\n      " << details;
    }
    out << "\n";
  }
  // "op seal", "error ..." and "event ..." are counts over the whole run;
  // "<area>: ..." and "max <area>: ..." are the dimensions per area (how
  // often, or the largest value seen).
  std::map<std::string, std::vector<std::pair<std::string, std::uint64_t>>> by_area;
  out << "coverage (operations, error codes, events exercised by the random checks):\n";
  for (const auto& [what, n] : report.coverage) {
    const bool max = what.starts_with("max ");
    const std::string rest = max ? what.substr(4) : what;
    const std::size_t colon = rest.find(": ");
    if (colon == std::string::npos) {
      out << "  " << std::left << std::setw(48) << what << n << "\n";
      continue;
    }
    by_area[rest.substr(0, colon)].emplace_back((max ? "largest " : "") + rest.substr(colon + 2), n);
  }
  for (const auto& [area, lines] : by_area) {
    out << "covered by " << area << ":\n";
    for (const auto& [what, n] : lines) out << "  " << std::left << std::setw(52) << what << " " << n << "\n";
  }
  out << (report.passed() ? "PASSED" : "FAILED") << "\n";
}

}  // namespace stash::conformance
