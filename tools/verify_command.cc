// `stash verify URL`: every structural check the backend can make.
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "bytes_text.h"
#include "commands.h"
#include "open_adapter.h"
#include "stash/rules.h"
#include "stash/verify.h"
#include "store_reader.h"

namespace stash::tools {
namespace {

struct VerifyArgs {
  std::string url;
  std::string format = "text";
};

using Problems = std::vector<VerifyReport::Problem>;

// The checks the interface allows on one collection, read at one moment
// (read_collection). Comparisons between calls look only at sealed data,
// which a concurrent writer cannot change without moving a frontier.
Problems check_collection(Stash& stash, const CollectionState& c) {
  Problems out;
  const std::string who = "collection " + quote_bytes(c.collection.name) + ": ";
  auto problem = [&](const char* check, const std::string& detail) {
    out.push_back({check, who + detail});
  };
  if (c.upper < c.since) {
    problem("INV-2 since <= upper", "since " + c.since.to_string() + " is beyond upper " +
                                        c.upper.to_string());
  }
  if (c.since < Frontier(0)) {
    problem("INV-1/INV-3 since never before {0}", "since " + c.since.to_string());
  }
  for (std::size_t i = 0; i < c.updates.size(); ++i) {
    const Update& u = c.updates[i];
    if (u.diff == 0) problem("INV-5 reads are consolidated", "iter returned a zero diff");
    if (!c.since.less_equal(u.time)) {
      problem("INV-5 reads see times advanced to since",
              "iter returned time " + std::to_string(u.time) + " before since " + c.since.to_string());
    }
    if (i > 0 && !(std::tie(c.updates[i - 1].key, c.updates[i - 1].value, c.updates[i - 1].time) <
                   std::tie(u.key, u.value, u.time))) {
      problem("INV-5 reads are sorted and consolidated",
              "iter rows " + std::to_string(i) + " and " + std::to_string(i + 1) +
                  " are out of order or repeat (key, value, time)");
    }
  }
  if (c.since.is_empty()) return out;
  auto sealed = [&](Timestamp t) { return !c.upper.less_equal(t); };
  // iter_key agrees with iter on every key's sealed rows.
  std::map<Bytes, std::vector<ValueUpdate>> by_key;
  for (const Update& u : c.updates) {
    if (sealed(u.time)) by_key[u.key].push_back({u.value, u.time, u.diff});
  }
  for (auto& [key, want] : by_key) {
    auto got = stash.iter_key(c.collection.handle, key);
    if (!got) {
      problem("iter_key agrees with iter", "iter_key(" + quote_bytes(key) + "): " + got.error().to_string());
      continue;
    }
    std::erase_if(*got, [&](const ValueUpdate& v) { return !sealed(v.time); });
    if (*got != want) problem("iter_key agrees with iter", "iter_key(" + quote_bytes(key) + ") differs from iter");
  }
  // The backend's peek agrees with the peek derived from iter.
  if (c.since < c.upper) {
    auto ts = rules::peek_timestamp(c.collection.handle, c.since, c.upper);
    auto got_ts = stash.peek_timestamp(c.collection.handle);
    if (!ts || !got_ts || *ts != *got_ts) {
      problem("peek_timestamp is upper - 1", "peek_timestamp returned " +
                                                 (got_ts ? std::to_string(*got_ts) : got_ts.error().to_string()));
    } else {
      auto want = rules::peek_of(c.collection.handle, c.updates, *ts);
      auto got = stash.peek(c.collection.handle);
      if (want && (!got || *got != *want)) {
        problem("peek agrees with iter",
                "peek " + (got ? std::string("differs from the sums of iter's sealed rows") : got.error().to_string()));
      }
    }
  }
  return out;
}

// check_collection, again while a writer moved the frontiers during it.
Result<Problems> check_collection_stable(Stash& stash, const NamedCollection& named) {
  for (int attempt = 0;; ++attempt) {
    auto c = read_collection(stash, named);
    if (!c) return std::unexpected(c.error());
    Problems found = check_collection(stash, *c);
    auto since = stash.since(named.handle);
    auto upper = stash.upper(named.handle);
    if (!since) return std::unexpected(since.error());
    if (!upper) return std::unexpected(upper.error());
    if ((*since == c->since && *upper == c->upper) || attempt == 10) return found;
  }
}

int report(const VerifyArgs& args, const std::vector<std::string>& checks, const Problems& problems) {
  if (args.format == "json") {
    nlohmann::ordered_json j = {{"url", args.url}, {"healthy", problems.empty()},
                                {"checks", checks}, {"problems", nlohmann::ordered_json::array()}};
    for (const auto& p : problems) j["problems"].push_back({{"check", p.check}, {"detail", p.detail}});
    std::cout << j.dump() << "\n";
  } else {
    std::map<std::string, int> failed;
    for (const auto& p : problems) ++failed[p.check];
    for (const std::string& check : checks) {
      if (!failed.contains(check)) std::cout << "ok       " << check << "\n";
    }
    for (const auto& p : problems) std::cout << "PROBLEM  " << p.check << ": " << p.detail << "\n";
    std::cout << "verify " << args.url << ": " << checks.size() << " checks, " << problems.size()
              << (problems.size() == 1 ? " problem" : " problems") << "\n";
  }
  return problems.empty() ? kExitOk : kExitFailed;
}

int run_verify(const VerifyArgs& args) {
  std::vector<std::string> checks;
  Problems problems;
  const bool durable = args.url.starts_with("memory:") && args.url.size() > 7;
  const std::string open_check = durable ? "durable SNAPSHOT and LOG: checksums, grammar, replay of every record"
                                         : "the store opens and checks out";
  checks.push_back(open_check);
  auto opened = open_url(args.url, {.read_only = true});
  if (!opened) {
    if (opened.error().code() != ErrorCode::kCorruption) {
      return complain("verify", "cannot open " + args.url + ": " + opened.error().to_string());
    }
    problems.push_back({open_check, opened.error().message()});
    return report(args, checks, problems);
  }
  Stash& stash = **opened;
  if (auto* deep = dynamic_cast<Verifiable*>(&stash)) {
    auto found = deep->verify_report();
    if (!found && found.error().code() == ErrorCode::kCorruption) {
      // Damage bad enough that the backend's checks cannot finish: a problem.
      checks.emplace_back("backend structural checks");
      problems.push_back({"backend structural checks", found.error().message()});
      return report(args, checks, problems);
    }
    if (!found) return complain("verify", args.url + ": " + found.error().to_string());
    checks.insert(checks.end(), found->checks.begin(), found->checks.end());
    problems.insert(problems.end(), found->problems.begin(), found->problems.end());
  }
  for (const char* check : {"collections() sorted by name, names unique",
                            "collection names are valid UTF-8", "INV-2 since <= upper",
                            "INV-1/INV-3 since never before {0}", "INV-5 reads are sorted and consolidated",
                            "INV-5 reads see times advanced to since", "iter_key agrees with iter",
                            "peek_timestamp is upper - 1", "peek agrees with iter"}) {
    checks.emplace_back(check);
  }
  auto list = stash.collections();
  if (!list) return complain("verify", args.url + ": collections(): " + list.error().to_string());
  for (std::size_t i = 1; i < list->size(); ++i) {
    if (!((*list)[i - 1].name < (*list)[i].name)) {
      problems.push_back({"collections() sorted by name, names unique",
                          quote_bytes((*list)[i - 1].name) + " is listed before " + quote_bytes((*list)[i].name)});
    }
  }
  for (const NamedCollection& c : *list) {
    if (auto ok = rules::check_collection_name(c.name); !ok) {
      problems.push_back({"collection names are valid UTF-8", quote_bytes(c.name) + ": " + ok.error().message()});
    }
  }
  for (const NamedCollection& c : *list) {
    auto found = check_collection_stable(stash, c);
    if (!found) {
      if (found.error().code() == ErrorCode::kOutOfRange) continue;  // Exact sums are not a fault.
      if (found.error().code() == ErrorCode::kCorruption) {
        problems.push_back({"INV-5 reads are sorted and consolidated",
                            "collection " + quote_bytes(c.name) + ": " + found.error().message()});
        continue;
      }
      return complain("verify", args.url + ": collection " + quote_bytes(c.name) + ": " +
                                    found.error().to_string());
    }
    problems.insert(problems.end(), found->begin(), found->end());
  }
  return report(args, checks, problems);
}

}  // namespace

void add_verify_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* verify = app.add_subcommand("verify", "Run every structural check the backend can make");
  verify->footer(
      "Run every structural check the backend can make, read-only: for SQLite,\n"
      "PRAGMA quick_check, integrity_check and foreign_key_check, the header and the\n"
      "format's invariants on the stored rows; for the durable MemoryStash, every\n"
      "checksum and record of SNAPSHOT and LOG, replayed (which checks INV-4 for each\n"
      "write); for every backend, INV-2, INV-5 and the reads' agreement (iter, iter_key,\n"
      "peek) on each collection. Prints one line per check and per problem.\n"
      "Exit 0 healthy, 1 problems found (each named), 2 could not run.");
  verify->add_option("URL", args->url, "the store: memory:DIR, sqlite:PATH or postgres:DSN")->required();
  verify->add_option("--format", args->format, "text (default) or json: one JSON object")
      ->check(CLI::IsMember({"text", "json"}));
  verify->callback([args, &exit_code] { exit_code = run_verify(*args); });
}

}  // namespace stash::tools
