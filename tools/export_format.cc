#include "export_format.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "bytes_text.h"
#include "stash/crc32c.h"
#include "stash/rules.h"

namespace stash::tools {
namespace {

using nlohmann::json;
using Line = nlohmann::ordered_json;  // keeps the documented field order

constexpr std::string_view kMagic = "stash-export";

Line frontier_json(const Frontier& f) {
  if (f.is_empty()) return nullptr;
  return *f.element();
}

std::string line(const Line& j) { return j.dump() + "\n"; }

std::string crc_text(std::uint32_t crc) {
  char out[9];
  std::snprintf(out, sizeof out, "%08x", crc);
  return out;
}

// A decoding failure at 1-based line `n`.
Error bad(const std::string& file, std::size_t n, const std::string& what) {
  return Error(ErrorCode::kCorruption,
               file + ": line " + std::to_string(n) + ": " + what);
}

Result<Frontier> frontier_of(const json& j, const char* field, const std::string& file,
                             std::size_t n) {
  if (!j.contains(field)) return std::unexpected(bad(file, n, std::string("no \"") + field + "\""));
  const json& v = j.at(field);
  if (v.is_null()) return Frontier::empty();
  if (!v.is_number_integer()) {
    return std::unexpected(bad(file, n, std::string("\"") + field + "\" is not an integer or null"));
  }
  return Frontier(v.get<std::int64_t>());
}

Result<std::int64_t> integer_of(const json& j, const char* field, const std::string& file,
                                std::size_t n) {
  if (!j.contains(field) || !j.at(field).is_number_integer()) {
    return std::unexpected(bad(file, n, std::string("\"") + field + "\" is not an integer"));
  }
  // nlohmann keeps integers above INT64_MAX as unsigned: out of range here.
  if (j.at(field).is_number_unsigned() &&
      j.at(field).get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
    return std::unexpected(bad(file, n, std::string("\"") + field + "\" does not fit in int64"));
  }
  return j.at(field).get<std::int64_t>();
}

Result<std::string> bytes_of(const json& j, const char* field, const std::string& file,
                             std::size_t n) {
  if (!j.contains(field) || !j.at(field).is_string()) {
    return std::unexpected(bad(file, n, std::string("\"") + field + "\" is not a string"));
  }
  auto bytes = unhex(j.at(field).get<std::string>());
  if (!bytes) return std::unexpected(bad(file, n, std::string("\"") + field + "\" is not hex"));
  return *bytes;
}

// Checks that `c` could have been read from a stash.
Status check_collection(const CollectionState& c, const std::string& file, std::size_t n) {
  if (auto ok = rules::check_collection_name(c.collection.name); !ok) {
    return std::unexpected(bad(file, n, ok.error().message()));
  }
  if (c.since < Frontier(0)) {
    return std::unexpected(bad(file, n, "since " + c.since.to_string() +
                                            " is before {0}, where every collection starts"));
  }
  if (c.upper < c.since) {
    return std::unexpected(bad(file, n, "since " + c.since.to_string() + " is beyond upper " +
                                            c.upper.to_string()));
  }
  if (c.since.is_empty() && !c.updates.empty()) {
    return std::unexpected(bad(file, n, "updates in a collection whose since is {}"));
  }
  for (std::size_t i = 0; i < c.updates.size(); ++i) {
    const Update& u = c.updates[i];
    const std::size_t at = n + 1 + i;
    if (u.diff == 0) return std::unexpected(bad(file, at, "an update with diff 0"));
    if (!c.since.less_equal(u.time)) {
      return std::unexpected(bad(file, at, "time " + std::to_string(u.time) + " is before since " +
                                               c.since.to_string()));
    }
    if (i > 0) {
      const Update& p = c.updates[i - 1];
      if (std::tie(p.key, p.value, p.time) >= std::tie(u.key, u.value, u.time)) {
        return std::unexpected(bad(file, at, "updates not sorted by (key, value, time), or repeated"));
      }
    }
  }
  return {};
}

}  // namespace

std::string encode_export(const std::vector<CollectionState>& collections,
                          const std::string& producer) {
  std::string out = line({{"format", kMagic},
                          {"version", kExportVersion},
                          {"producer", producer},
                          {"collections", collections.size()}});
  std::size_t total = 0;
  for (const CollectionState& c : collections) {
    out += line({{"collection", c.collection.name},
                 {"since", frontier_json(c.since)},
                 {"upper", frontier_json(c.upper)},
                 {"updates", c.updates.size()}});
    for (const Update& u : c.updates) {
      out += line({{"key", hex(u.key)}, {"value", hex(u.value)}, {"time", u.time}, {"diff", u.diff}});
    }
    total += c.updates.size();
  }
  out += line({{"end", kMagic},
               {"collections", collections.size()},
               {"updates", total},
               {"crc32c", crc_text(crc32c(out))}});
  return out;
}

Result<std::vector<CollectionState>> decode_export(std::string_view text,
                                                   const std::string& file) {
  // A foreign file is told apart before anything else: its first line is
  // not our header.
  {
    const std::string_view first = text.substr(0, text.find('\n'));
    const json j = json::parse(first, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("format") || j["format"] != kMagic) {
      return fail(ErrorCode::kInvalidArgument,
                  file + ": not a stash export (no stash-export header on the first line)");
    }
  }
  // Split into lines; every line, the last included, ends with '\n'.
  std::vector<std::string_view> lines;
  std::vector<std::size_t> offsets;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) {
      return fail(ErrorCode::kCorruption, file + ": truncated (the last line has no end)");
    }
    offsets.push_back(at);
    lines.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  auto parse = [&](std::size_t i) -> Result<json> {
    json j = json::parse(lines[i], nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return std::unexpected(bad(file, i + 1, "not a JSON object"));
    }
    return j;
  };
  auto header = parse(0);
  if (!header) return std::unexpected(header.error());
  auto version = integer_of(*header, "version", file, 1);
  if (!version) return std::unexpected(version.error());
  if (*version != kExportVersion) {
    return fail(ErrorCode::kInvalidArgument,
                file + ": export format version " + std::to_string(*version) +
                    ", this stash reads version " + std::to_string(kExportVersion));
  }
  auto trailer = parse(lines.size() - 1);
  if (lines.size() < 2 || !trailer || !trailer->contains("end")) {
    return fail(ErrorCode::kCorruption, file + ": truncated (no end line)");
  }
  const std::string_view covered = text.substr(0, offsets.back());
  const std::string want = crc_text(crc32c(covered));
  if (!trailer->contains("crc32c") || (*trailer)["crc32c"] != want) {
    return fail(ErrorCode::kCorruption,
                file + ": checksum mismatch (the file was changed or damaged): crc32c " + want +
                    ", the end line says " +
                    (trailer->contains("crc32c") ? (*trailer)["crc32c"].dump() : "nothing"));
  }
  auto declared = integer_of(*header, "collections", file, 1);
  if (!declared) return std::unexpected(declared.error());

  std::vector<CollectionState> out;
  std::size_t i = 1;
  std::size_t total = 0;
  const std::size_t body_end = lines.size() - 1;
  while (i < body_end) {
    auto head = parse(i);
    if (!head) return std::unexpected(head.error());
    if (!head->contains("collection") || !(*head)["collection"].is_string()) {
      return std::unexpected(bad(file, i + 1, "expected a collection line"));
    }
    CollectionState c;
    c.collection.name = (*head)["collection"].get<std::string>();
    auto since = frontier_of(*head, "since", file, i + 1);
    if (!since) return std::unexpected(since.error());
    auto upper = frontier_of(*head, "upper", file, i + 1);
    if (!upper) return std::unexpected(upper.error());
    auto count = integer_of(*head, "updates", file, i + 1);
    if (!count) return std::unexpected(count.error());
    c.since = *since;
    c.upper = *upper;
    const std::size_t first = i;
    if (*count < 0 || static_cast<std::size_t>(*count) > body_end - i - 1) {
      return std::unexpected(bad(file, i + 1, "declares " + std::to_string(*count) +
                                                  " updates, the file holds fewer"));
    }
    for (std::int64_t k = 0; k < *count; ++k) {
      ++i;
      auto row = parse(i);
      if (!row) return std::unexpected(row.error());
      Update u;
      auto key = bytes_of(*row, "key", file, i + 1);
      if (!key) return std::unexpected(key.error());
      auto value = bytes_of(*row, "value", file, i + 1);
      if (!value) return std::unexpected(value.error());
      auto time = integer_of(*row, "time", file, i + 1);
      if (!time) return std::unexpected(time.error());
      auto diff = integer_of(*row, "diff", file, i + 1);
      if (!diff) return std::unexpected(diff.error());
      c.updates.push_back({std::move(*key), std::move(*value), *time, *diff});
    }
    ++i;
    if (auto ok = check_collection(c, file, first + 1); !ok) return std::unexpected(ok.error());
    if (!out.empty() && !(out.back().collection.name < c.collection.name)) {
      return std::unexpected(bad(file, first + 1, "collections not sorted by name, or repeated"));
    }
    total += c.updates.size();
    out.push_back(std::move(c));
  }
  auto end_collections = integer_of(*trailer, "collections", file, lines.size());
  auto end_updates = integer_of(*trailer, "updates", file, lines.size());
  if (!end_collections || !end_updates ||
      *end_collections != static_cast<std::int64_t>(out.size()) ||
      *declared != static_cast<std::int64_t>(out.size()) ||
      *end_updates != static_cast<std::int64_t>(total)) {
    return fail(ErrorCode::kCorruption, file + ": the counts in the header and end line (" +
                                            std::to_string(*declared) + " collections) do not match the " +
                                            std::to_string(out.size()) + " collections and " +
                                            std::to_string(total) + " updates it holds");
  }
  return out;
}

}  // namespace stash::tools
