#include "facts.h"

#include <cctype>
#include <regex>
#include <variant>

namespace stash::conformance::internal {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

// Every entry the call writes.
std::vector<Update> entries_of(const Call& call) {
  return std::visit(Overloaded{
                        [](const UpdateOp& o) { return std::vector<Update>{o.entry}; },
                        [](const UpdateManyOp& o) { return o.entries; },
                        [](const AppendOp& o) {
                          std::vector<Update> out;
                          for (const auto& b : o.batches) out.insert(out.end(), b.entries.begin(), b.entries.end());
                          return out;
                        },
                        [](const auto&) { return std::vector<Update>{}; },
                    },
                    call);
}

std::optional<Frontier> parse_frontier(const std::string& text) {
  if (text == "{}") return Frontier::empty();
  try {
    return Frontier(std::stoll(text.substr(1, text.size() - 2)));
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace

bool mentions(const std::string& message, const std::string& fact) {
  const bool number = !fact.empty() && (std::isdigit(static_cast<unsigned char>(fact.back())) != 0);
  for (std::size_t at = message.find(fact); at != std::string::npos; at = message.find(fact, at + 1)) {
    if (!number) return true;
    const std::size_t end = at + fact.size();
    const bool starts = at == 0 || (!std::isdigit(static_cast<unsigned char>(message[at - 1])) && message[at - 1] != '-');
    const bool ends = end == message.size() || !std::isdigit(static_cast<unsigned char>(message[end]));
    if (starts && ends) return true;
  }
  return false;
}

std::vector<Fact> documented_facts(const Call& call, const std::string& m) {
  static const std::regex entry(R"(entry time (-?\d+) is less than the current upper frontier (\{-?\d*\}))");
  static const std::regex request(
      R"((seal|compact) request (\{-?\d*\}) is (less|greater) than the current (upper|since) frontier (\{-?\d*\}))");
  static const std::regex peek_ts(R"(since (\{-?\d*\}) is not less than upper (\{-?\d*\}))");
  std::vector<Fact> facts;
  std::smatch match;
  if (std::regex_search(m, match, entry)) {
    // Which failing entry is reported is the backend's choice.
    Fact time{"the failing entry's time", {}};
    const auto upper = parse_frontier(match[2]);
    for (const Update& u : entries_of(call)) {
      if (upper && !upper->less_equal(u.time)) time.any_of.push_back(std::to_string(u.time));
    }
    if (time.any_of.empty()) time.any_of.push_back(match[1]);
    facts.push_back(std::move(time));
    facts.push_back({"the upper frontier", {match[2]}});
  } else if (std::regex_search(m, match, request)) {
    facts.push_back({std::string(match[1]) + " request", {match[2]}});
    facts.push_back({"the current " + std::string(match[4]) + " frontier", {match[5]}});
  } else if (std::regex_search(m, match, peek_ts)) {
    facts.push_back({"since", {match[1]}});
    facts.push_back({"upper", {match[2]}});
  }
  for (const char* phrase : {"unexpected lower", "empty since", "duplicate peek keys", "multiple values"}) {
    if (m.find(phrase) != std::string::npos) facts.push_back({"the phrase", {phrase}});
  }
  if (m.find("unexpected peek multiplicity") != std::string::npos) facts.push_back({"the phrase", {"multiplicity"}});
  return facts;
}

std::optional<std::string> missing_facts(const Call& call, const Answer& got, const Answer& want) {
  if (got.ok() || want.ok()) return std::nullopt;
  std::string missing;
  for (const Fact& fact : documented_facts(call, want.message)) {
    bool found = false;
    for (const std::string& s : fact.any_of) found = found || mentions(got.message, s);
    if (found) continue;
    std::string options;
    for (const std::string& s : fact.any_of) options += (options.empty() ? "" : " or ") + s;
    missing += (missing.empty() ? "" : ", ") + fact.what + " " + options;
  }
  if (missing.empty()) return std::nullopt;
  return "the message \"" + got.message + "\" does not name " + missing + " (stash.h fixes these facts)";
}

}  // namespace stash::conformance::internal

namespace stash::conformance::internal {

std::optional<std::string> missing_facts(const Observation& got, const Observation& want) {
  for (std::size_t c = 0; c < got.collections.size() && c < want.collections.size(); ++c) {
    const CollectionView& g = got.collections[c];
    const CollectionView& w = want.collections[c];
    const std::string name = collection_name(static_cast<CollRef>(c));
    auto check = [&](const std::string& what, const Answer& a, const Answer& b) -> std::optional<std::string> {
      if (auto m = missing_facts(Call{IterOp{static_cast<CollRef>(c)}}, a, b)) return name + " " + what + ": " + *m;
      return std::nullopt;
    };
    if (auto m = check("iter", outcome(g.iter), outcome(w.iter))) return m;
    if (auto m = check("peek_timestamp", outcome(g.peek_ts), outcome(w.peek_ts))) return m;
    if (auto m = check("peek", outcome(g.peek), outcome(w.peek))) return m;
    if (auto m = check("peek_one", outcome(g.peek_one), outcome(w.peek_one))) return m;
    for (const auto& [key, r] : g.peek_key_one) {
      auto it = w.peek_key_one.find(key);
      if (it == w.peek_key_one.end()) continue;
      if (auto m = check("peek_key_one " + printable(key), outcome(r), outcome(it->second))) return m;
    }
  }
  return std::nullopt;
}

}  // namespace stash::conformance::internal
