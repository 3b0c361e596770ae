#include "facts.h"

#include <cctype>
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

// The token right after the first `marker` at or after `from`: "{...}" or a
// decimal number. (Hand-parsed: std::regex is too slow for the exhaustive
// checker, which checks every error of ~250k sequences.)
std::string token_after(const std::string& m, const std::string& marker, std::size_t from = 0) {
  std::size_t at = m.find(marker, from);
  if (at == std::string::npos) return "";
  at += marker.size();
  std::size_t end = at;
  if (end < m.size() && m[end] == '{') {
    end = m.find('}', end);
    return end == std::string::npos ? "" : m.substr(at, end - at + 1);
  }
  while (end < m.size() && (std::isdigit(static_cast<unsigned char>(m[end])) != 0 || m[end] == '-')) ++end;
  return m.substr(at, end - at);
}

std::vector<Fact> documented_facts(const Call& call, const std::string& m) {
  std::vector<Fact> facts;
  if (const std::string t = token_after(m, "entry time "); !t.empty()) {
    const std::string u = token_after(m, "upper frontier ");
    // Which failing entry is reported is the backend's choice.
    Fact time{"the failing entry's time", {}};
    if (const auto upper = parse_frontier(u)) {
      for (const Update& e : entries_of(call)) {
        if (!upper->less_equal(e.time)) time.any_of.push_back(std::to_string(e.time));
      }
    }
    if (time.any_of.empty()) time.any_of.push_back(t);
    facts.push_back(std::move(time));
    facts.push_back({"the upper frontier", {u}});
  } else if (const std::size_t r = m.find(" request {"); r != std::string::npos) {
    const bool seal = m.rfind("seal", r) != std::string::npos && m.find("compact") == std::string::npos;
    facts.push_back({seal ? "the seal request" : "the compact request", {token_after(m, "request ", r)}});
    const bool since = m.find("current since frontier", r) != std::string::npos;
    facts.push_back({since ? "the current since frontier" : "the current upper frontier",
                     {token_after(m, "frontier ", r)}});
  } else if (m.find(" is not less than upper ") != std::string::npos) {
    facts.push_back({"since", {token_after(m, " since ")}});
    facts.push_back({"upper", {token_after(m, " is not less than upper ")}});
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
      auto m = missing_facts(Call{IterOp{static_cast<CollRef>(c)}}, a, b);
      if (!m) return std::nullopt;
      std::string found = name;
      found.append(" ").append(what).append(": ").append(*m);
      return found;
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
