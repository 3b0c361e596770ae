// `stash export URL FILE` and `stash import URL FILE`: move a store between
// backends through the export format (export_format.h).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bytes_text.h"
#include "commands.h"
#include "export_format.h"
#include "store_reader.h"

namespace stash::tools {
namespace {

namespace fs = std::filesystem;

struct TransferArgs {
  std::string url;
  std::string file;
  bool into_non_empty = false;
};

// Writes `text` to `path` atomically: a temporary file beside it, synced,
// then renamed over it, so a failure leaves no file (and no half file).
Status write_file_atomically(const std::string& path, const std::string& text) {
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return fail(ErrorCode::kIoError, "cannot create " + temp + ": " + std::strerror(errno));
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) {
      std::error_code ignored;
      fs::remove(temp, ignored);
      return fail(ErrorCode::kIoError, "cannot write " + temp + ": " + std::strerror(errno));
    }
  }
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) {
    fs::remove(temp, ec);
    return fail(ErrorCode::kIoError, "cannot rename " + temp + " to " + path);
  }
  return {};
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kNotFound, "cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(ErrorCode::kIoError, "cannot read " + path);
  return text.str();
}

int run_export(const TransferArgs& args) {
  auto stash = open_store("export", args.url, /*write=*/false);
  if (!stash) return kExitUsage;
  auto store = read_store(*stash, std::nullopt);
  if (!store) {
    std::string why = store.error().to_string();
    if (store.error().code() == ErrorCode::kOutOfRange) {
      why += " (a consolidated diff beyond int64 cannot be read through the interface, so "
             "it cannot be exported)";
    }
    return complain("export", args.url + ": " + why);
  }
  if (auto ok = write_file_atomically(args.file, encode_export(*store, version_line())); !ok) {
    return complain("export", ok.error().message());
  }
  std::size_t updates = 0;
  for (const CollectionState& c : *store) updates += c.updates.size();
  std::cerr << "stash export: " << store->size() << " collections, " << updates
            << " updates from " << args.url << " to " << args.file << "\n";
  return kExitOk;
}

// Where a new store's files would be, to remove them if the import that
// created them fails. Empty for a store that existed or is not a file.
std::vector<std::string> created_paths(const std::string& url) {
  std::error_code ec;
  if (url.starts_with("sqlite:")) {
    const std::string path = url.substr(7);
    if (fs::exists(path, ec)) return {};
    return {path, path + "-wal", path + "-shm", path + "-journal"};
  }
  if (url.starts_with("memory:") && url.size() > 7) {
    const std::string dir = url.substr(7);
    if (fs::exists(dir, ec)) return {};
    return {dir};
  }
  return {};
}

// ok if every collection of `stash` is as new: no updates, since = upper = {0}.
Status check_empty(Stash& stash) {
  auto store = read_store(stash, std::nullopt);
  if (!store) return std::unexpected(store.error());
  for (const CollectionState& c : *store) {
    if (!c.updates.empty() || c.since != Frontier(0) || c.upper != Frontier(0)) {
      return fail(ErrorCode::kInvalidArgument,
                  "the store is not empty: collection " + quote_bytes(c.collection.name) + " has since " +
                      c.since.to_string() + ", upper " + c.upper.to_string() + " and " +
                      std::to_string(c.updates.size()) +
                      " updates; import into it anyway with --into-non-empty");
    }
  }
  return {};
}

Status import_into(Stash& stash, const std::vector<CollectionState>& image) {
  std::vector<AppendBatch> batches;
  for (const CollectionState& c : image) {
    auto handle = stash.collection(c.collection.name);
    if (!handle) return std::unexpected(handle.error());
    auto upper = stash.upper(*handle);
    if (!upper) return std::unexpected(upper.error());
    // One batch per collection: its current upper as lower, the exported
    // frontiers as upper and since, the exported updates as entries.
    batches.push_back({*handle, *upper, c.upper, c.since, c.updates});
  }
  // One append: every collection's data and frontiers, or nothing.
  return stash.append(batches);
}

int run_import(const TransferArgs& args) {
  auto text = read_file(args.file);
  if (!text) return complain("import", text.error().message());
  auto image = decode_export(*text, args.file);
  if (!image) return complain("import", image.error().message());
  const std::vector<std::string> created = created_paths(args.url);
  auto stash = open_store("import", args.url, /*write=*/true);
  if (!stash) return kExitUsage;
  Status done = args.into_non_empty ? Status{} : check_empty(*stash);
  if (done) done = import_into(*stash, *image);
  stash.reset();
  if (!done) {
    std::error_code ignored;
    for (const std::string& path : created) fs::remove_all(path, ignored);
    return complain("import", args.url + ": " + done.error().to_string() +
                                  (created.empty() ? "" : " (the new store was removed)"));
  }
  std::size_t updates = 0;
  for (const CollectionState& c : *image) updates += c.updates.size();
  std::cerr << "stash import: " << image->size() << " collections, " << updates
            << " updates from " << args.file << " into " << args.url << "\n";
  return kExitOk;
}

}  // namespace

void add_export_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TransferArgs>();
  CLI::App* cmd = app.add_subcommand("export", "Write a store to a portable, checksummed export file");
  cmd->footer(
      "Write every collection of the store, with its since and upper frontiers and the\n"
      "updates iter returns (the whole history the contract exposes: times before since\n"
      "are read advanced to since), to FILE in the export format (docs/export-format.md:\n"
      "versioned, checksummed JSON Lines). FILE is replaced atomically. Opens the store\n"
      "read-only.");
  cmd->add_option("URL", args->url, "the store: memory:DIR, sqlite:PATH or postgres:DSN")->required();
  cmd->add_option("FILE", args->file, "the export file to write")->required();
  cmd->callback([args, &exit_code] { exit_code = run_export(*args); });
}

void add_import_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TransferArgs>();
  CLI::App* cmd = app.add_subcommand("import", "Load an export file into a store, atomically");
  cmd->footer(
      "Load an export FILE into the store (created if missing): every collection gets\n"
      "the file's updates, upper and since in one atomic append, so an import applies\n"
      "entirely or not at all. The whole file is checked first (checksum, grammar,\n"
      "counts); a truncated, tampered or foreign file writes nothing. Refuses a store\n"
      "holding data unless --into-non-empty (then each collection's data must lie at or\n"
      "beyond its current upper, or nothing is imported).");
  cmd->add_option("URL", args->url, "the store: memory:DIR, sqlite:PATH or postgres:DSN")->required();
  cmd->add_option("FILE", args->file, "the export file to read")->required();
  cmd->add_flag("--into-non-empty,--force", args->into_non_empty,
                "import even if the store already holds data");
  cmd->callback([args, &exit_code] { exit_code = run_import(*args); });
}

}  // namespace stash::tools
