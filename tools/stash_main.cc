// The `stash` command-line tool.
//
//   stash check URL [options]   run the conformance kit against a backend
//   stash --help
//   stash --version
//
// Exit codes: 0 ok, 1 the command found a failure, 2 bad arguments.
#include <iostream>
#include <string_view>
#include <vector>

#include "check_command.h"
#include "stash/version.h"

namespace {

constexpr std::string_view kUsage =
    "usage: stash <command> [arguments]\n"
    "\n"
    "Commands:\n"
    "  check URL   run the conformance kit against the backend named by URL\n"
    "              (e.g. `stash check memory:`; see `stash check --help`)\n"
    "\n"
    "Options:\n"
    "  --help      this text\n"
    "  --version   print the version (stash X.Y.Z)\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace stash::tools;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  const std::string_view command = args[0];
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  if (command == "--version" || command == "version") {
    std::cout << "stash " << stash::kVersion << "\n";
    return kExitOk;
  }
  if (command == "check") {
    return run_check(std::span(args).subspan(1), std::cout, std::cerr);
  }
  std::cerr << "stash: unknown command \"" << command << "\"\nTry 'stash --help'.\n";
  return kExitUsage;
}
