// SqliteStash::verify_report: the Verifiable hook of `stash verify`, every
// check a stash file allows, each named (see sqlite_stash.h).
#include <sqlite3.h>

#include <string>

#include "schema.h"
#include "sqlite_stash_impl.h"

namespace stash {
namespace {

// Runs `sql` and calls `row` with each row's first column as text.
template <typename Row>
Status each_row(sqlite3* db, const char* sql, Row row) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(sqlite::sqlite_error(db, rc, sql));
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) row(stmt);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return std::unexpected(sqlite::sqlite_error(db, rc, sql));
  return {};
}

std::string text(sqlite3_stmt* stmt, int i) {
  const unsigned char* t = sqlite3_column_text(stmt, i);
  return t == nullptr ? "NULL" : std::string(reinterpret_cast<const char*>(t));
}

}  // namespace

Result<VerifyReport> SqliteStash::verify_report() {
  auto result = impl_->read([&]() -> Result<VerifyReport> {
    sqlite3* db = impl_->db();
    VerifyReport report;
    auto problem = [&](const std::string& check, std::string detail) {
      report.problems.push_back({check, std::move(detail)});
    };
    // PRAGMA results: a single "ok" row when healthy, else one row per problem.
    auto pragma = [&](const char* check, const char* sql) -> Status {
      report.checks.emplace_back(check);
      return each_row(db, sql, [&](sqlite3_stmt* s) {
        if (const std::string t = text(s, 0); t != "ok") problem(check, t);
      });
    };
    if (auto ok = pragma("sqlite quick_check", "PRAGMA quick_check"); !ok) return std::unexpected(ok.error());
    if (auto ok = pragma("sqlite integrity_check", "PRAGMA integrity_check"); !ok) return std::unexpected(ok.error());
    report.checks.emplace_back("sqlite foreign_key_check");
    if (auto ok = each_row(db, "PRAGMA foreign_key_check", [&](sqlite3_stmt* s) {
          problem("sqlite foreign_key_check", "table " + text(s, 0) + " row " + text(s, 1) +
                                                  " refers to a missing row of " + text(s, 2));
        });
        !ok) {
      return std::unexpected(ok.error());
    }
    report.checks.emplace_back("header application_id and user_version");
    auto app = sqlite::query_int(db, "PRAGMA application_id");
    auto version = sqlite::query_int(db, "PRAGMA user_version");
    if (!app) return std::unexpected(app.error());
    if (!version) return std::unexpected(version.error());
    if (*app != sqlite::kApplicationId) {
      problem("header application_id and user_version",
              "application_id is " + std::to_string(*app) + ", expected " +
                  std::to_string(sqlite::kApplicationId));
    }
    if (*version != sqlite::kFormatVersion) {
      problem("header application_id and user_version",
              "user_version is " + std::to_string(*version) + ", expected " +
                  std::to_string(sqlite::kFormatVersion));
    }
    return report;
  });
  if (!result) return result;
  // Row checksums and counts (verify(), its own read transaction).
  result->checks.emplace_back("row checksums and counts");
  if (auto ok = verify(); !ok) {
    if (ok.error().code() != ErrorCode::kCorruption) return std::unexpected(ok.error());
    result->problems.push_back({"row checksums and counts", ok.error().message()});
  }
  return result;
}

}  // namespace stash
