// `stash check URL [options]`: runs the conformance kit against a backend.
#ifndef STASH_TOOLS_CHECK_COMMAND_H_
#define STASH_TOOLS_CHECK_COMMAND_H_

#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "stash/conformance.h"

namespace stash::tools {

// Exit codes of every `stash` command.
constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;  // the command ran and found a failure
constexpr int kExitUsage = 2;   // bad arguments, unknown backend: nothing ran

struct CheckArgs {
  std::string url;
  conformance::RunOptions options;  // areas, seed, cases, depth from the flags
  bool quiet = false;               // no progress lines on stderr
  bool help = false;
};

// Parses the arguments after "check". Errors: kInvalidArgument, with a
// message fit for the user.
Result<CheckArgs> parse_check_args(std::span<const std::string_view> args);

// The text of `stash check --help`.
std::string check_usage();

// Runs `stash check` and returns its exit code. The report goes to `out`,
// errors and progress to `err`.
int run_check(std::span<const std::string_view> args, std::ostream& out,
              std::ostream& err);

}  // namespace stash::tools

#endif  // STASH_TOOLS_CHECK_COMMAND_H_
