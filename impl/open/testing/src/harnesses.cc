#include "stash/harnesses.h"

#include "harness_scheme.h"
#include "stash/open.h"

namespace stash::conformance {

Result<Backend> backend_for_url(std::string_view url) {
  auto parsed = parse_url(url);
  if (!parsed) return std::unexpected(parsed.error());
  for (const harness_scheme::HarnessScheme* scheme : harness_scheme::all()) {
    if (scheme->name != parsed->scheme) continue;
    auto factory = scheme->make(std::string(url), parsed->location);
    if (!factory) return std::unexpected(factory.error());
    return Backend{std::string(url), std::move(*factory)};
  }
  // A scheme stash::open knows but this build left out, or an unknown one:
  // stash::open says which, in the same words.
  for (const SchemeInfo& info : schemes()) {
    if (info.name == parsed->scheme) {
      return fail(ErrorCode::kUnavailable, "\"" + std::string(url) + "\": " +
                                               std::string(info.usage));
    }
  }
  return fail(ErrorCode::kInvalidArgument, "\"" + std::string(url) + "\": unknown scheme \"" +
                                               parsed->scheme +
                                               ":\"; known schemes: " + known_schemes());
}

std::string harness_usage() {
  std::string out;
  for (const harness_scheme::HarnessScheme* scheme : harness_scheme::all()) {
    out += "  " + std::string(scheme->usage) + "\n";
  }
  for (const SchemeInfo& info : schemes()) {
    if (!info.built_in) out += "  " + std::string(info.usage) + "\n";
  }
  return out;
}

}  // namespace stash::conformance
