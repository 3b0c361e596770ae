#include "check_command.h"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "stash/harnesses.h"

namespace stash::tools {
namespace {

namespace kit = stash::conformance;

Result<kit::Area> parse_area(std::string_view name) {
  if (name == "scenarios") return kit::Area::kScenarios;
  if (name == "properties") return kit::Area::kProperties;
  if (name == "stateful") return kit::Area::kStateful;
  if (name == "exhaustive") return kit::Area::kExhaustive;
  return fail(ErrorCode::kInvalidArgument,
              "--area: unknown area \"" + std::string(name) +
                  "\" (scenarios, properties, stateful or exhaustive)");
}

// A whole decimal number in [min, max].
template <typename T>
Result<T> parse_number(std::string_view flag, std::string_view text, T min, T max) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return fail(ErrorCode::kInvalidArgument,
                std::string(flag) + ": expected a number from " + std::to_string(min) +
                    " to " + std::to_string(max) + ", got \"" + std::string(text) + "\"");
  }
  return value;
}

// Applies one "--flag value" pair to `parsed`.
Status apply_flag(std::string_view flag, std::string_view value, CheckArgs& parsed,
                  bool& areas_given) {
  if (flag == "--seed") {
    auto seed = parse_number<std::uint64_t>(flag, value, 1, UINT64_MAX);
    if (!seed) return std::unexpected(seed.error());
    parsed.options.seed = *seed;
  } else if (flag == "--cases") {
    auto cases = parse_number<int>(flag, value, 1, 1'000'000);
    if (!cases) return std::unexpected(cases.error());
    parsed.options.max_success = *cases;
  } else if (flag == "--depth") {
    auto depth = parse_number<int>(flag, value, 0, 12);
    if (!depth) return std::unexpected(depth.error());
    parsed.options.exhaustive_depth = *depth;
  } else {  // --area
    auto area = parse_area(value);
    if (!area) return std::unexpected(area.error());
    if (!areas_given) parsed.options.areas.clear();
    areas_given = true;
    parsed.options.areas.push_back(*area);
  }
  return {};
}

bool takes_value(std::string_view flag) {
  return flag == "--seed" || flag == "--cases" || flag == "--depth" || flag == "--area";
}

// Progress on stderr: rewritten in place on a terminal; otherwise at most one
// line every few seconds, so CI logs stay short.
class Progress {
 public:
  Progress(std::ostream& err, bool tty) : err_(err), tty_(tty) {}
  // Clears the progress line before the report is printed.
  void finish() {
    if (tty_ && shown_) err_ << "\r\033[K" << std::flush;
    shown_ = false;
  }
  void operator()(const std::string& line) {
    const auto now = std::chrono::steady_clock::now();
    if (tty_) {
      err_ << "\r\033[K" << line << std::flush;
      shown_ = true;
    } else if (now - last_ >= std::chrono::seconds(5)) {
      err_ << "... " << line << "\n" << std::flush;
      last_ = now;
    }
  }

 private:
  std::ostream& err_;
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

std::string area_list(const std::vector<kit::Area>& areas) {
  static const char* const kNames[] = {"scenarios", "properties", "stateful", "exhaustive"};
  std::string out;
  for (kit::Area area : areas) {
    out += (out.empty() ? "" : ", ") + std::string(kNames[static_cast<int>(area)]);
  }
  return out;
}

}  // namespace

Result<CheckArgs> parse_check_args(std::span<const std::string_view> args) {
  CheckArgs parsed;
  bool areas_given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parsed.help = true;
    } else if (arg == "--quiet" || arg == "-q") {
      parsed.quiet = true;
    } else if (takes_value(arg)) {
      if (i + 1 == args.size()) {
        return fail(ErrorCode::kInvalidArgument, std::string(arg) + " needs a value");
      }
      if (auto ok = apply_flag(arg, args[++i], parsed, areas_given); !ok) {
        return std::unexpected(ok.error());
      }
    } else if (arg.starts_with("-")) {
      return fail(ErrorCode::kInvalidArgument, "unknown option " + std::string(arg));
    } else if (parsed.url.empty()) {
      parsed.url = arg;
    } else {
      return fail(ErrorCode::kInvalidArgument,
                  "expected one backend URL, got a second one: " + std::string(arg));
    }
  }
  if (parsed.url.empty() && !parsed.help) {
    return fail(ErrorCode::kInvalidArgument, "missing the backend URL (e.g. memory:)");
  }
  return parsed;
}

std::string check_usage() {
  const std::string schemes_help = conformance::harness_usage();
  return "usage: stash check URL [--seed N] [--cases N] [--depth N]\n"
         "                       [--area scenarios|properties|stateful|exhaustive]...\n"
         "                       [--quiet]\n"
         "\n"
         "Runs the conformance kit against the backend named by URL and prints a\n"
         "report. Exits 0 if every check passed, 1 if any failed, 2 on bad arguments.\n"
         "\n"
         "Backends:\n" +
         schemes_help +
         "\n"
         "Options:\n"
         "  --seed N     RapidCheck seed (default: a new one, always printed)\n"
         "  --cases N    random cases per property and stateful test (default " +
         std::to_string(conformance::RunOptions{}.max_success) + ")\n"
         "  --depth N    longest operation sequence the exhaustive area tries\n"
         "               (default " + std::to_string(conformance::RunOptions{}.exhaustive_depth) + ")\n"
         "  --area A     run only area A; repeat to run several (default: all)\n"
         "  --quiet      no progress lines on stderr\n"
         "  --help       this text\n";
}

int run_check(std::span<const std::string_view> args, std::ostream& out,
              std::ostream& err) {
  auto parsed = parse_check_args(args);
  if (!parsed) {
    err << "stash check: " << parsed.error().message() << "\n"
        << "Try 'stash check --help'.\n";
    return kExitUsage;
  }
  if (parsed->help) {
    out << check_usage();
    return kExitOk;
  }
  auto backend = conformance::backend_for_url(parsed->url);
  if (!backend) {
    err << "stash check: " << backend.error().message() << "\n";
    return kExitUsage;
  }
  Progress progress(err, isatty(STDERR_FILENO) == 1);
  if (!parsed->quiet) {
    parsed->options.progress = [&progress](const std::string& line) { progress(line); };
  }
  out << "stash check " << parsed->url << ": areas " << area_list(parsed->options.areas)
      << "; " << parsed->options.max_success << " cases; exhaustive depth "
      << parsed->options.exhaustive_depth << "\n"
      << std::flush;
  const auto start = std::chrono::steady_clock::now();
  const kit::Report report = kit::run(*backend, parsed->options);
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start);
  progress.finish();
  kit::print(report, out);
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.1f s", seconds.count());
  // print() has already said PASSED or FAILED; add what replays the run.
  out << "stash check " << parsed->url << " took " << elapsed << "; replay with --seed "
      << report.seed << "\n";
  return report.passed() ? kExitOk : kExitFailed;
}

}  // namespace stash::tools
