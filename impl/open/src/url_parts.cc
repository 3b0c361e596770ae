#include "url_parts.h"

#include <charconv>
#include <vector>

namespace stash::url {
namespace {

Error bad(std::string_view url, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, "\"" + std::string(url) + "\": " + why);
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::string_view kStashPostgresKeys[] = {"schema", "statement_timeout_ms"};

bool is_stash_key(std::string_view key) {
  for (std::string_view k : kStashPostgresKeys) {
    if (k == key) return true;
  }
  return false;
}

Status add_stash_option(std::string_view url, PostgresDsn& out, std::string key,
                        std::string value) {
  if (out.stash_options.contains(key)) {
    return std::unexpected(bad(url, "option " + key + " given twice"));
  }
  out.stash_options.emplace(std::move(key), std::move(value));
  return {};
}

// postgres://host/db?a=1&schema=x -> postgres://host/db?a=1, {schema: x}.
Result<PostgresDsn> split_uri(std::string_view url, std::string_view dsn) {
  PostgresDsn out;
  const auto question = dsn.find('?');
  out.conninfo = std::string(dsn.substr(0, question));
  if (question == std::string_view::npos) return out;
  std::string kept;
  std::string_view rest = dsn.substr(question + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view param = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const auto eq = param.find('=');
    const std::string_view key = param.substr(0, eq);
    if (eq != std::string_view::npos && is_stash_key(key)) {
      auto value = percent_decode(url, param.substr(eq + 1));
      if (!value) return std::unexpected(value.error());
      if (auto ok = add_stash_option(url, out, std::string(key), std::move(*value)); !ok) {
        return std::unexpected(ok.error());
      }
      continue;
    }
    kept += (kept.empty() ? "" : "&") + std::string(param);
  }
  if (!kept.empty()) out.conninfo += "?" + kept;
  return out;
}

// "host=/tmp  schema = 'a b' dbname=x" -> "host=/tmp dbname=x", {schema: a b}.
Result<PostgresDsn> split_keywords(std::string_view url, std::string_view dsn) {
  PostgresDsn out;
  std::size_t i = 0;
  auto skip_spaces = [&] {
    while (i < dsn.size() && is_space(dsn[i])) ++i;
  };
  while (true) {
    skip_spaces();
    if (i == dsn.size()) break;
    const std::size_t word_start = i;
    while (i < dsn.size() && dsn[i] != '=' && !is_space(dsn[i])) ++i;
    const std::string_view key = dsn.substr(word_start, i - word_start);
    skip_spaces();
    if (i == dsn.size() || dsn[i] != '=' || key.empty()) {
      return std::unexpected(bad(url, "expected key=value in the connection string, got \"" +
                                          std::string(dsn.substr(word_start)) + "\""));
    }
    ++i;  // '='
    skip_spaces();
    std::string value;
    if (i < dsn.size() && dsn[i] == '\'') {
      ++i;
      bool closed = false;
      while (i < dsn.size()) {
        const char c = dsn[i++];
        if (c == '\\' && i < dsn.size()) {
          value += dsn[i++];
        } else if (c == '\'') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed) {
        return std::unexpected(bad(url, "unterminated quoted value of " + std::string(key)));
      }
    } else {
      while (i < dsn.size() && !is_space(dsn[i])) {
        const char c = dsn[i++];
        if (c == '\\' && i < dsn.size()) {
          value += dsn[i++];
        } else {
          value += c;
        }
      }
    }
    if (is_stash_key(key)) {
      if (auto ok = add_stash_option(url, out, std::string(key), std::move(value)); !ok) {
        return std::unexpected(ok.error());
      }
    } else {
      out.conninfo += (out.conninfo.empty() ? "" : " ") +
                      std::string(dsn.substr(word_start, i - word_start));
    }
  }
  return out;
}

}  // namespace

Result<std::string> percent_decode(std::string_view url, std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) {
      return std::unexpected(bad(url, "truncated %-escape in \"" + std::string(text) + "\""));
    }
    const int hi = hex_digit(text[i + 1]);
    const int lo = hex_digit(text[i + 2]);
    if (hi < 0 || lo < 0) {
      return std::unexpected(bad(url, "bad %-escape in \"" + std::string(text) + "\""));
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

Result<PathAndOptions> split_options(std::string_view url, std::string_view location) {
  PathAndOptions out;
  const auto question = location.find('?');
  out.path = std::string(location.substr(0, question));
  if (question == std::string_view::npos) return out;
  std::string_view rest = location.substr(question + 1);
  if (rest.empty()) return std::unexpected(bad(url, "empty option list after '?'"));
  while (true) {
    const auto amp = rest.find('&');
    const std::string_view param = rest.substr(0, amp);
    const auto eq = param.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return std::unexpected(
          bad(url, "expected key=value options after '?', got \"" + std::string(param) + "\""));
    }
    auto value = percent_decode(url, param.substr(eq + 1));
    if (!value) return std::unexpected(value.error());
    const std::string key(param.substr(0, eq));
    if (!out.options.emplace(key, std::move(*value)).second) {
      return std::unexpected(bad(url, "option " + key + " given twice"));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return out;
}

Result<int> int_option(std::string_view url, std::string_view key, std::string_view value,
                       int min, int max) {
  int n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < min || n > max) {
    return std::unexpected(bad(url, std::string(key) + " must be a whole number from " +
                                        std::to_string(min) + " to " + std::to_string(max) +
                                        ", got \"" + std::string(value) + "\""));
  }
  return n;
}

Result<PostgresDsn> split_postgres_dsn(std::string_view url, std::string_view dsn) {
  if (dsn.starts_with("postgres://") || dsn.starts_with("postgresql://")) {
    return split_uri(url, dsn);
  }
  return split_keywords(url, dsn);
}

}  // namespace stash::url
