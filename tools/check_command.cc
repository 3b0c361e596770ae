// `stash check URL [options]`: runs the conformance kit against a backend.
//
// Unlike the other commands, URL names a harness (stash/harnesses.h): every check
// gets a store of its own (memory:DIR and sqlite:DIR make new ones under DIR).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "stash/conformance.h"
#include "stash/harnesses.h"

namespace stash::tools {
namespace {

namespace kit = stash::conformance;

struct CheckArgs {
  std::string url;
  std::uint64_t seed = 0;
  int cases = kit::RunOptions{}.max_success;
  int depth = kit::RunOptions{}.exhaustive_depth;
  std::vector<std::string> areas;
  bool quiet = false;
  std::string format = "text";
};

const char* area_name(kit::Area area) {
  static const char* const kNames[] = {"scenarios",  "properties", "stateful",
                                       "exhaustive", "concurrent", "crash", "subscribe"};
  return kNames[static_cast<int>(area)];
}

const char* outcome_name(kit::Outcome outcome) {
  switch (outcome) {
    case kit::Outcome::kPassed: return "passed";
    case kit::Outcome::kFailed: return "failed";
    case kit::Outcome::kNotApplicable: return "not_applicable";
  }
  return "unknown";
}

// Progress on stderr: rewritten in place on a terminal; otherwise at most one
// line every few seconds, so CI logs stay short.
class Progress {
 public:
  explicit Progress(bool tty) : tty_(tty) {}
  // Clears the progress line before the report is printed.
  void finish() {
    if (tty_ && shown_) std::cerr << "\r\033[K" << std::flush;
    shown_ = false;
  }
  void operator()(const std::string& line) {
    const auto now = std::chrono::steady_clock::now();
    if (tty_) {
      std::cerr << "\r\033[K" << line << std::flush;
      shown_ = true;
    } else if (now - last_ >= std::chrono::seconds(5)) {
      std::cerr << "... " << line << "\n" << std::flush;
      last_ = now;
    }
  }

 private:
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

void print_json(const std::string& url, const kit::Report& report, double seconds) {
  nlohmann::ordered_json j = {{"url", url},
                              {"passed", report.passed()},
                              {"seed", report.seed},
                              {"seconds", seconds},
                              {"checks", nlohmann::ordered_json::array()},
                              {"coverage", nlohmann::ordered_json::object()}};
  for (const kit::CheckResult& c : report.checks) {
    j["checks"].push_back({{"area", area_name(c.area)},
                           {"name", c.name},
                           {"outcome", outcome_name(c.outcome)},
                           {"details", c.details},
                           {"elapsed_ms", c.elapsed.count()}});
  }
  for (const auto& [what, n] : report.coverage) j["coverage"][what] = n;
  std::cout << j.dump(2) << "\n";
}

int run_check(const CheckArgs& args) {
  auto backend = kit::backend_for_url(args.url);
  if (!backend) return complain("check", backend.error().message());
  kit::RunOptions options;
  options.seed = args.seed;
  options.max_success = args.cases;
  options.exhaustive_depth = args.depth;
  if (!args.areas.empty()) {
    options.areas.clear();
    for (const std::string& name : args.areas) {
      for (kit::Area area : {kit::Area::kScenarios, kit::Area::kProperties, kit::Area::kStateful,
                             kit::Area::kExhaustive, kit::Area::kConcurrent, kit::Area::kCrash,
                             kit::Area::kSubscribe}) {
        if (name == area_name(area)) options.areas.push_back(area);
      }
    }
  }
  Progress progress(isatty(STDERR_FILENO) == 1);
  if (!args.quiet) options.progress = [&progress](const std::string& line) { progress(line); };
  const bool text = args.format == "text";
  if (text) {
    std::string areas;
    for (kit::Area area : options.areas) areas += (areas.empty() ? "" : ", ") + std::string(area_name(area));
    std::cout << "stash check " << args.url << ": areas " << areas << "; " << options.max_success
              << " cases; exhaustive depth " << options.exhaustive_depth << "\n"
              << std::flush;
  }
  const auto start = std::chrono::steady_clock::now();
  const kit::Report report = kit::run(*backend, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  progress.finish();
  if (text) {
    kit::print(report, std::cout);
    char elapsed[32];
    std::snprintf(elapsed, sizeof elapsed, "%.1f s", seconds);
    // print() has already said PASSED or FAILED; add what replays the run.
    std::cout << "stash check " << args.url << " took " << elapsed << "; replay with --seed "
              << report.seed << "\n";
  } else {
    print_json(args.url, report, seconds);
  }
  return report.passed() ? kExitOk : kExitFailed;
}

}  // namespace

void add_check_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<CheckArgs>();
  const std::string backends = "\n" + kit::harness_usage();
  CLI::App* check = app.add_subcommand("check", "Run the conformance kit against a backend");
  check->footer(
      "Run the conformance kit against the backend named by URL and print a report.\n"
      "Every check gets a fresh store of its own. Exit 0 if every check passed, 1 if any\n"
      "failed, 2 on bad arguments.\nBackends:" + backends);
  check->add_option("URL", args->url, "the backend, e.g. memory: or sqlite:DIR")->required();
  check->add_option("--seed", args->seed, "RapidCheck seed (default: a new one, always printed)")
      ->check(CLI::Range(std::uint64_t{1}, UINT64_MAX));
  check->add_option("--cases", args->cases, "random cases per property and stateful test")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  check->add_option("--depth", args->depth, "longest operation sequence the exhaustive area tries")
      ->check(CLI::Range(0, 12))
      ->capture_default_str();
  check->add_option("--area", args->areas, "run only this area; repeat for several (default: all)")
      ->check(CLI::IsMember({"scenarios", "properties", "stateful", "exhaustive", "concurrent", "crash", "subscribe"}))
      ->take_last()
      ->allow_extra_args(false);
  check->add_flag("--quiet,-q", args->quiet, "no progress lines on stderr");
  check->add_option("--format", args->format, "text (default) or json: one JSON object")
      ->check(CLI::IsMember({"text", "json"}));
  check->callback([args, &exit_code] { exit_code = run_check(*args); });
}

}  // namespace stash::tools
