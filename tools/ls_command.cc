// `stash ls URL`: every collection with its frontiers, rows and bytes.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bytes_text.h"
#include "commands.h"
#include "store_reader.h"

namespace stash::tools {
namespace {

struct LsArgs {
  std::string url;
  std::string format = "text";
};

int run_ls(const LsArgs& args) {
  auto stash = open_store("ls", args.url, /*write=*/false);
  if (!stash) return kExitUsage;
  auto store = read_store(*stash, std::nullopt);
  if (!store) return complain("ls", args.url + ": " + store.error().to_string());
  if (args.format == "json") {
    for (const CollectionState& c : *store) {
      std::size_t bytes = 0;
      for (const Update& u : c.updates) bytes += u.key.size() + u.value.size();
      nlohmann::ordered_json j = {{"collection", c.collection.name},
                                  {"since", c.since.is_empty() ? nullptr : nlohmann::ordered_json(*c.since.element())},
                                  {"upper", c.upper.is_empty() ? nullptr : nlohmann::ordered_json(*c.upper.element())},
                                  {"rows", c.updates.size()},
                                  {"bytes", bytes}};
      std::cout << j.dump() << "\n";
    }
    return kExitOk;
  }
  std::size_t width = 10;
  for (const CollectionState& c : *store) width = std::max(width, quote_bytes(c.collection.name).size());
  // Frontiers take up to 21 characters ("{-9223372036854775808}").
  std::cout << std::left << std::setw(static_cast<int>(width)) << "COLLECTION" << std::right
            << "  " << std::setw(21) << "SINCE" << "  " << std::setw(21) << "UPPER" << "  "
            << std::setw(10) << "ROWS" << "  " << std::setw(12) << "BYTES" << "\n";
  for (const CollectionState& c : *store) {
    std::size_t bytes = 0;
    for (const Update& u : c.updates) bytes += u.key.size() + u.value.size();
    std::cout << std::left << std::setw(static_cast<int>(width)) << quote_bytes(c.collection.name)
              << std::right << "  " << std::setw(21) << c.since.to_string() << "  "
              << std::setw(21) << c.upper.to_string() << "  " << std::setw(10) << c.updates.size()
              << "  " << std::setw(12) << bytes << "\n";
  }
  return kExitOk;
}

}  // namespace

void add_ls_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<LsArgs>();
  CLI::App* ls = app.add_subcommand("ls", "List the collections with their frontiers, rows and bytes");
  ls->footer(
      "List every collection with its since and upper frontiers, its row count (the rows\n"
      "iter returns: consolidated, times advanced to since) and bytes (their keys' and\n"
      "values' bytes). Opens the store read-only.");
  ls->add_option("URL", args->url, "the store: memory:DIR, sqlite:PATH or postgres:DSN")->required();
  ls->add_option("--format", args->format, "text (default): a table; json: JSON Lines, one object per collection")
      ->check(CLI::IsMember({"text", "json"}));
  ls->callback([args, &exit_code] { exit_code = run_ls(*args); });
}

}  // namespace stash::tools
