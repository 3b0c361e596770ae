// The commands of the `stash` tool. Each command file registers one CLI11
// subcommand whose callback runs the command and stores its exit code.
//
// Conventions every command keeps: data on stdout, messages on stderr (one
// line naming the facts, prefixed "stash <command>: "); a store that is only
// read is opened read-only, so it is never modified and another process may
// be writing it; bad input writes nothing.
#ifndef STASH_TOOLS_COMMANDS_H_
#define STASH_TOOLS_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "stash/stash.h"

namespace stash::tools {

// Exit codes of every `stash` command (listed in `stash --help` and the
// README).
constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;  // it ran and found problems: a failed check,
                                // a verify problem
constexpr int kExitUsage = 2;   // it could not run or do its job: bad
                                // arguments, a store that does not open, a
                                // bad input file, a refused import

void add_check_command(CLI::App& app, int& exit_code);
void add_ls_command(CLI::App& app, int& exit_code);
void add_dump_command(CLI::App& app, int& exit_code);
void add_verify_command(CLI::App& app, int& exit_code);
void add_export_command(CLI::App& app, int& exit_code);
void add_import_command(CLI::App& app, int& exit_code);
void add_backup_command(CLI::App& app, int& exit_code);

// Opens `url` for `command`, read-only unless `write`; on failure prints
// "stash COMMAND: cannot open URL: <error>" and returns nullptr.
std::unique_ptr<Stash> open_store(const std::string& command, const std::string& url,
                                  bool write);

// Prints "stash COMMAND: MESSAGE" on stderr; returns kExitUsage.
int complain(const std::string& command, const std::string& message);

// The version line: "stash 0.1.0".
std::string version_line();

}  // namespace stash::tools

#endif  // STASH_TOOLS_COMMANDS_H_
