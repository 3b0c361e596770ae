// The `stash` command-line tool: look inside, verify, move and back up a
// stash, and run the conformance kit against a backend. `stash --help` lists
// the commands and exit codes; `stash COMMAND --help` explains one.
#include <cctype>
#include <iostream>

#include "commands.h"
#include "open_adapter.h"
#include "stash/version.h"

namespace stash::tools {

std::string version_line() { return "stash " + std::string(stash::kVersion); }

int complain(const std::string& command, const std::string& message) {
  // One line, whatever the message: libpq's, for one, span several.
  std::string line = message;
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  for (std::size_t at; (at = line.find_first_of("\n\t")) != std::string::npos;) {
    const std::size_t end = line.find_first_not_of("\n\t ", at);
    line.replace(at, (end == std::string::npos ? line.size() : end) - at, " ");
  }
  std::cerr << "stash " << command << ": " << line << "\n";
  return kExitUsage;
}

std::unique_ptr<Stash> open_store(const std::string& command, const std::string& url, bool write) {
  auto stash = open_url(url, {.read_only = !write});
  if (!stash) {
    complain(command, "cannot open " + url + ": " + stash.error().to_string());
    return nullptr;
  }
  return std::move(*stash);
}

}  // namespace stash::tools

int main(int argc, char** argv) {
  using namespace stash::tools;
  CLI::App app("stash: look inside, verify, copy and check stash stores.", "stash");
  app.footer(
      "A store URL is memory:DIR (the durable MemoryStash in directory DIR), sqlite:PATH\n"
      "(an SQLite stash file) or postgres:DSN (a libpq connection string; schema\n"
      "\"stash\"); memory: alone is an empty in-process store. Commands that only read\n"
      "open the store read-only: they never modify it, and another process may be\n"
      "writing it meanwhile. Data goes to stdout, messages to stderr.\n"
      "\n"
      "Exit codes: 0 ok; 1 the command ran and found problems (check: a check failed;\n"
      "verify: a problem found); 2 it could not run or do its job (bad arguments, a\n"
      "store that does not open, a missing, foreign, truncated or tampered file, an\n"
      "import refused), with one line on stderr saying why.\n"
      "\n"
      "`stash COMMAND --help` explains each command.");
  app.set_version_flag("--version", version_line());
  app.require_subcommand(1);
  int exit_code = kExitOk;
  add_ls_command(app, exit_code);
  add_dump_command(app, exit_code);
  add_verify_command(app, exit_code);
  add_export_command(app, exit_code);
  add_import_command(app, exit_code);
  add_backup_command(app, exit_code);
  add_check_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);  // The help of the command asked about, on stdout.
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "stash: " << e.what() << "\nRun 'stash --help' or 'stash COMMAND --help'.\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    // Nothing in the commands throws by design; this is the last line.
    std::cerr << "stash: internal error: " << e.what() << "\n";
    return kExitUsage;
  }
  return exit_code;
}
