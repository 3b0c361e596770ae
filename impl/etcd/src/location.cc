// parse_etcd_location: "h1:p1,h2:p2[/prefix][?key=value&...]".
#include <charconv>

#include "stash/etcd_stash.h"

namespace stash {
namespace {

Error bad(std::string_view location, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, "etcd:" + std::string(location) + ": " + why);
}

Result<std::int64_t> number(std::string_view location, std::string_view key, std::string_view value,
                            std::int64_t lo, std::int64_t hi) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || v < lo || v > hi) {
    return std::unexpected(bad(location, std::string(key) + " must be an integer in [" +
                                             std::to_string(lo) + ", " + std::to_string(hi) +
                                             "], got \"" + std::string(value) + "\""));
  }
  return v;
}

Status set_option(std::string_view location, std::string_view key, std::string_view value,
                  EtcdOptions& o) {
  constexpr std::int64_t kHour = 3'600'000;
  Result<std::int64_t> v = 0;
  if (key == "max_request_bytes") {
    v = number(location, key, value, 4096, std::int64_t{1} << 31);
    if (v) o.max_request_bytes = static_cast<std::size_t>(*v);
  } else if (key == "max_txn_ops") {
    v = number(location, key, value, 8, 1 << 20);
    if (v) o.max_txn_ops = static_cast<int>(*v);
  } else if (key == "call_timeout_ms") {
    v = number(location, key, value, 1, kHour);
    if (v) o.call_timeout_ms = static_cast<int>(*v);
  } else if (key == "attempt_timeout_ms") {
    v = number(location, key, value, 1, kHour);
    if (v) o.attempt_timeout_ms = static_cast<int>(*v);
  } else if (key == "compact_history_every") {
    v = number(location, key, value, 0, std::int64_t{1} << 40);
    if (v) o.compact_history_every = *v;
  } else {
    return std::unexpected(bad(location, "unknown etcd option \"" + std::string(key) +
                                             "\" (known: max_request_bytes, max_txn_ops, "
                                             "call_timeout_ms, attempt_timeout_ms, "
                                             "compact_history_every)"));
  }
  if (!v) return std::unexpected(v.error());
  return {};
}

}  // namespace

Result<EtcdOptions> parse_etcd_location(std::string_view location) {
  EtcdOptions o;
  std::string_view rest = location;
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view hosts = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    hosts = rest.substr(0, slash);
    std::string prefix(rest.substr(slash));
    if (!prefix.ends_with('/')) prefix += '/';
    o.prefix = prefix;
  }
  if (hosts.empty()) {
    return std::unexpected(bad(location, "needs at least one endpoint, e.g. "
                                         "etcd:127.0.0.1:2379,127.0.0.1:22379/app"));
  }
  while (!hosts.empty()) {
    const auto comma = hosts.find(',');
    std::string_view one = hosts.substr(0, comma);
    if (one.empty()) return std::unexpected(bad(location, "an empty endpoint between commas"));
    o.endpoints.emplace_back(one);
    if (comma == std::string_view::npos) break;
    hosts = hosts.substr(comma + 1);
    if (hosts.empty()) return std::unexpected(bad(location, "a trailing comma"));
  }
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) {
      return std::unexpected(bad(location, "option \"" + std::string(pair) + "\" is not key=value"));
    }
    if (auto ok = set_option(location, pair.substr(0, eq), pair.substr(eq + 1), o); !ok) {
      return std::unexpected(ok.error());
    }
    if (amp == std::string_view::npos) break;
    query = query.substr(amp + 1);
  }
  return o;
}

}  // namespace stash
