// stash::open: the URL rules every scheme shares. The schemes themselves
// live with their backends (impl/<backend>/scheme/open_scheme.cc), each
// registered by one stash_backend(...) line in impl/open/CMakeLists.txt.
#include "stash/open.h"

#include <vector>

#include "scheme.h"

namespace stash {

namespace open_scheme {
Error bad(std::string_view url, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, "\"" + std::string(url) + "\": " + why);
}
}  // namespace open_scheme

namespace {

using open_scheme::bad;
using open_scheme::OpenScheme;

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }
bool is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

}  // namespace

std::span<const SchemeInfo> schemes() {
  static const std::vector<SchemeInfo> infos = [] {
    std::vector<SchemeInfo> all;
    for (const OpenScheme* scheme : open_scheme::all()) all.push_back(scheme->info);
    return all;
  }();
  return infos;
}

std::string known_schemes() {
  std::string out;
  for (const OpenScheme* scheme : open_scheme::all()) {
    out += (out.empty() ? "" : ", ") + std::string(scheme->info.name) + ":";
  }
  return out;
}

Result<StashUrl> parse_url(std::string_view url) {
  if (url.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "empty URL: expected scheme:location, e.g. sqlite:/path/to/file.stash; "
                "known schemes: " + known_schemes());
  }
  if (is_space(url.front()) || is_space(url.back())) {
    return std::unexpected(bad(url, "leading or trailing whitespace (URLs are not trimmed)"));
  }
  for (std::size_t i = 0; i < url.size(); ++i) {
    if (is_control(static_cast<unsigned char>(url[i]))) {
      return std::unexpected(
          bad(url, "control character (byte " +
                       std::to_string(static_cast<unsigned char>(url[i])) + ") at offset " +
                       std::to_string(i)));
    }
  }
  const auto colon = url.find(':');
  if (colon == std::string_view::npos) {
    return std::unexpected(bad(url, "not a URL: expected scheme:location (e.g. memory:); "
                                    "known schemes: " + known_schemes()));
  }
  const std::string_view scheme = url.substr(0, colon);
  if (scheme.empty()) {
    return std::unexpected(bad(url, "empty scheme before ':'; known schemes: " + known_schemes()));
  }
  for (char c : scheme) {
    if (c < 'a' || c > 'z') {
      return std::unexpected(bad(url, "a scheme is lowercase letters, got \"" +
                                          std::string(scheme) +
                                          "\"; known schemes: " + known_schemes()));
    }
  }
  const std::string_view location = url.substr(colon + 1);
  if (!location.empty() && (is_space(location.front()) || is_space(location.back()))) {
    return std::unexpected(
        bad(url, "the location after ':' has leading or trailing whitespace"));
  }
  return StashUrl{std::string(scheme), std::string(location)};
}

Result<std::unique_ptr<Stash>> open(std::string_view url, const OpenOptions& options) {
  auto parsed = parse_url(url);
  if (!parsed) return std::unexpected(parsed.error());
  for (const OpenScheme* scheme : open_scheme::all()) {
    if (scheme->info.name != parsed->scheme) continue;
    if (scheme->open == nullptr) {
      return fail(ErrorCode::kUnavailable,
                  "\"" + std::string(url) + "\": this build has no " + parsed->scheme +
                      " backend (built with " + std::string(scheme->build_flag) + ")");
    }
    return scheme->open(url, parsed->location, options);
  }
  return std::unexpected(bad(url, "unknown scheme \"" + parsed->scheme +
                                      ":\"; known schemes: " + known_schemes()));
}

}  // namespace stash
