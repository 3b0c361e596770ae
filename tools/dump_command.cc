// `stash dump URL [COLLECTION]`: the updates of a store as text or JSON Lines.
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "bytes_text.h"
#include "commands.h"
#include "stash/rules.h"
#include "store_reader.h"

namespace stash::tools {
namespace {

struct DumpArgs {
  std::string url;
  std::optional<std::string> collection;
  std::optional<Timestamp> as_of;
  std::string format = "text";
  std::string bytes = "escaped";
};

// --as-of T reads the collection as of time T: defined only when T is sealed
// (T < upper) and not compacted away (since <= T).
Status check_as_of(const CollectionState& c, Timestamp t) {
  if (c.since.less_equal(t) && !c.upper.less_equal(t)) return {};
  return fail(ErrorCode::kFrontierViolation,
              "collection " + quote_bytes(c.collection.name) + " cannot be read as of " +
                  std::to_string(t) + ": it has since " + c.since.to_string() + " and upper " +
                  c.upper.to_string() + " (as-of needs since <= T < upper)");
}

int run_dump(const DumpArgs& args) {
  auto stash = open_store("dump", args.url, /*write=*/false);
  if (!stash) return kExitUsage;
  auto store = read_store(*stash, args.collection);
  if (!store) return complain("dump", args.url + ": " + store.error().to_string());
  auto text = [&](const std::string& b) { return args.bytes == "hex" ? hex(b) : quote_bytes(b); };
  // Every check before any output: a refused dump prints nothing.
  std::vector<std::vector<PeekEntry>> peeks;
  if (args.as_of) {
    for (const CollectionState& c : *store) {
      if (auto ok = check_as_of(c, *args.as_of); !ok) return complain("dump", ok.error().message());
      auto entries = rules::peek_of(c.collection.handle, c.updates, *args.as_of);
      if (!entries) return complain("dump", entries.error().to_string());
      peeks.push_back(std::move(*entries));
    }
  }
  for (std::size_t i = 0; i < store->size(); ++i) {
    const CollectionState& c = (*store)[i];
    const std::string& name = c.collection.name;
    if (args.format == "json") {
      using Line = nlohmann::ordered_json;
      if (args.as_of) {
        for (const PeekEntry& e : peeks[i]) {
          std::cout << Line{{"collection", name}, {"as_of", *args.as_of}, {"key", hex(e.key)},
                            {"value", hex(e.value)}, {"diff", e.diff}}.dump()
                    << "\n";
        }
      } else {
        for (const Update& u : c.updates) {
          std::cout << Line{{"collection", name}, {"key", hex(u.key)}, {"value", hex(u.value)},
                            {"time", u.time}, {"diff", u.diff}}.dump()
                    << "\n";
        }
      }
      continue;
    }
    if (args.as_of) {
      std::cout << "collection " << quote_bytes(name) << " as of " << *args.as_of << " (since "
                << c.since << " upper " << c.upper << ")\n";
      for (const PeekEntry& e : peeks[i]) {
        std::cout << "  " << text(e.key) << " " << text(e.value) << " " << e.diff << "\n";
      }
    } else {
      std::cout << "collection " << quote_bytes(name) << " since " << c.since << " upper " << c.upper
                << "\n";
      for (const Update& u : c.updates) {
        std::cout << "  " << text(u.key) << " " << text(u.value) << " " << u.time << " " << u.diff
                  << "\n";
      }
    }
  }
  std::cout << std::flush;
  if (!std::cout) return complain("dump", "cannot write to stdout");
  return kExitOk;
}

}  // namespace

void add_dump_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DumpArgs>();
  CLI::App* dump = app.add_subcommand("dump", "Print the updates of a store, or its contents as of a time");
  dump->footer(
      "Print the updates of every collection (or of COLLECTION), sorted by name. Each\n"
      "collection starts with `collection NAME since S upper U`, then one line per update\n"
      "as iter returns it: `KEY VALUE TIME DIFF` (consolidated, times advanced to since,\n"
      "unsealed updates included). With --as-of T, the contents at time T instead:\n"
      "`KEY VALUE DIFF`, the sums of the diffs of the updates at times <= T, zero sums\n"
      "dropped: what peek returns when T is the peek timestamp (upper - 1). T must be\n"
      "sealed and not compacted away: since <= T < upper, for every collection dumped.\n"
      "Opens the store read-only.");
  dump->add_option("URL", args->url, "the store: memory:DIR, sqlite:PATH or postgres:DSN")->required();
  dump->add_option("COLLECTION", args->collection, "only this collection (its name, as UTF-8)");
  dump->add_option("--as-of", args->as_of, "read as of time T (since <= T < upper), as a peek does");
  dump->add_option("--format", args->format,
                   "text (default), or json: JSON Lines, one object per update, keys and values "
                   "in hex")
      ->check(CLI::IsMember({"text", "json"}));
  dump->add_option("--bytes", args->bytes,
                   "text format: escaped (default; \"...\" with \\xNN for bytes that are not "
                   "printable ASCII) or hex")
      ->check(CLI::IsMember({"escaped", "hex"}));
  dump->callback([args, &exit_code] { exit_code = run_dump(*args); });
}

}  // namespace stash::tools
