// `stash backup URL DEST`: an online, consistent copy of a store while its
// writers keep writing.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.h"
#include "durable_copy.h"
#include "export_format.h"
#include "open_adapter.h"
#include "store_reader.h"
#ifdef STASH_HAVE_SQLITE
#include <sqlite3.h>
#endif

namespace stash::tools {
namespace {

namespace fs = std::filesystem;

struct BackupArgs {
  std::string url;
  std::string dest;
};

#ifdef STASH_HAVE_SQLITE
// SQLite's online backup API, all pages in one step: the copy is the
// snapshot of one read transaction, and WAL writers are not blocked.
Status sqlite_backup(const std::string& from, const std::string& to) {
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  auto close_both = [&] {
    sqlite3_close_v2(dst);
    sqlite3_close_v2(src);
  };
  if (sqlite3_open_v2(from.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    const std::string why = sqlite3_errmsg(src);
    close_both();
    return fail(ErrorCode::kIoError, "cannot open " + from + ": " + why);
  }
  sqlite3_busy_timeout(src, 5000);
  if (sqlite3_open_v2(to.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    const std::string why = sqlite3_errmsg(dst);
    close_both();
    return fail(ErrorCode::kIoError, "cannot create " + to + ": " + why);
  }
  sqlite3_backup* backup = sqlite3_backup_init(dst, "main", src, "main");
  if (backup == nullptr) {
    const std::string why = sqlite3_errmsg(dst);
    close_both();
    return fail(ErrorCode::kIoError, "cannot start the backup: " + why);
  }
  // All pages in one step; a lock held by a writer's checkpoint is waited
  // out by the busy timeout, and the step retried a bounded number of times.
  int rc = SQLITE_OK;
  for (int attempt = 0; attempt < 20; ++attempt) {
    rc = sqlite3_backup_step(backup, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
  }
  sqlite3_backup_finish(backup);
  const int finish_rc = sqlite3_errcode(dst);
  const std::string why = sqlite3_errmsg(dst);
  close_both();
  if (rc != SQLITE_DONE || finish_rc != SQLITE_OK) {
    return fail(ErrorCode::kIoError, "backup of " + from + " failed: " + why);
  }
  return {};
}
#endif

void remove_all(const std::string& path) {
  std::error_code ignored;
  fs::remove_all(path, ignored);
  for (const char* suffix : {"-wal", "-shm", "-journal"}) fs::remove(path + suffix, ignored);
}

int run_backup(const BackupArgs& args) {
  std::error_code ec;
  if (fs::exists(args.dest, ec)) {
    return complain("backup", args.dest + " exists; a backup never overwrites");
  }
  // Opening first gives every bad URL, missing or foreign store its usual
  // one-line error, and proves the store checks out before it is copied.
  auto source = open_store("backup", args.url, /*write=*/false);
  if (!source) return kExitUsage;
  const std::string temp = args.dest + ".tmp-" + std::to_string(::getpid());
  Status copied;
  std::string how;
  if (args.url.starts_with("sqlite:")) {
#ifdef STASH_HAVE_SQLITE
    source.reset();
    copied = sqlite_backup(args.url.substr(7), temp);
    if (copied) {
      // The copy must open as a stash (quick_check on open).
      auto check = open_url("sqlite:" + temp, {.read_only = true});
      if (!check) copied = std::unexpected(check.error());
    }
    how = "SQLite online backup; open it as sqlite:" + args.dest;
#endif
  } else if (args.url.starts_with("memory:") && args.url.size() > 7) {
    source.reset();
    auto copy = copy_durable_store(args.url.substr(7), temp);
    if (!copy) copied = std::unexpected(copy.error());
    how = "durable snapshot and log; open it as memory:" + args.dest;
  } else if (args.url.starts_with("memory:")) {
    return complain("backup", "memory: is an empty in-process store; there is nothing to back up");
  } else {
    // PostgreSQL (and any other backend): through the export format, one
    // cut across collections when the backend is a ConsistentReader.
    auto store = read_store(*source, std::nullopt);
    if (!store) {
      copied = std::unexpected(store.error());
    } else {
      const std::string text = encode_export(*store, version_line());
      std::ofstream out(temp, std::ios::binary);
      out << text;
      out.flush();
      if (!out) copied = fail(ErrorCode::kIoError, "cannot write " + temp);
    }
    how = "export file; restore it with `stash import URL " + args.dest + "`";
  }
  if (copied) {
    fs::rename(temp, args.dest, ec);
    if (ec) copied = fail(ErrorCode::kIoError, "cannot rename " + temp + " to " + args.dest);
  }
  if (!copied) {
    remove_all(temp);
    return complain("backup", args.url + ": " + copied.error().to_string());
  }
  std::cerr << "stash backup: " << args.url << " -> " << args.dest << " (" << how << ")\n";
  return kExitOk;
}

}  // namespace

void add_backup_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<BackupArgs>();
  CLI::App* cmd = app.add_subcommand("backup", "Copy a store online and consistently while writers write");
  cmd->footer(
      "Copy the store to DEST while its writers keep writing; the copy is consistent\n"
      "(the state after some prefix of the acknowledged writes, across collections):\n"
      "  sqlite:PATH   SQLite's online backup API; DEST is a stash file (sqlite:DEST)\n"
      "  memory:DIR    the durable snapshot and log, copied and recovered; DEST is a\n"
      "                store directory (memory:DEST)\n"
      "  postgres:DSN  an export file (`stash import` restores it), read in one\n"
      "                transaction: a cut across collections (stash/consistent_read.h)\n"
      "DEST must not exist; a failed backup leaves nothing at DEST.");
  cmd->add_option("URL", args->url, "the store: memory:DIR, sqlite:PATH or postgres:DSN")->required();
  cmd->add_option("DEST", args->dest, "where the copy goes (must not exist)")->required();
  cmd->callback([args, &exit_code] { exit_code = run_backup(*args); });
}

}  // namespace stash::tools
