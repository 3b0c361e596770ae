// SqliteStash::verify: every structural check a stash file allows, in one
// read transaction (see sqlite_stash.h).
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

// A check whose SQL returns one row per problem, described by the row.
struct RowCheck {
  const char* name;
  const char* sql;
};

// The format's invariants (schema.cc) as queries returning the offending rows.
constexpr RowCheck kRowChecks[] = {
    {"INV-2 since <= upper",
     "SELECT 'collection id ' || id || ' has since ' || quote(since) || ' beyond upper ' || "
     "quote(upper) FROM collections WHERE upper IS NOT NULL AND (since IS NULL OR since > upper)"},
    {"since not before {0}",
     "SELECT 'collection id ' || id || ' has since ' || since || ', before {0}' "
     "FROM collections WHERE since < 0"},
    {"no stored zero sum",
     "SELECT 'collection id ' || collection_id || ' stores a zero diff at time ' || time "
     "FROM data WHERE typeof(diff) = 'integer' AND diff = 0"},
    {"diffs are integers or 16-byte exact sums",
     "SELECT 'collection id ' || collection_id || ' stores a diff of type ' || typeof(diff) "
     "|| ' at time ' || time FROM data WHERE NOT (typeof(diff) = 'integer' OR "
     "(typeof(diff) = 'blob' AND length(diff) = 16))"},
    {"every data row belongs to a collection",
     "SELECT 'data rows of unknown collection id ' || collection_id FROM data "
     "WHERE collection_id NOT IN (SELECT id FROM collections) GROUP BY collection_id"},
    {"one fence row",
     "SELECT 'the fence table has ' || count(*) || ' rows, expected 1' FROM fence "
     "HAVING count(*) != 1"},
};

}  // namespace

Result<VerifyReport> SqliteStash::verify() {
  return impl_->read([&]() -> Result<VerifyReport> {
    sqlite3* db = impl_->db();
    VerifyReport report;
    auto problem = [&](const std::string& check, std::string detail) {
      report.problems.push_back({check, std::move(detail)});
    };
    // PRAGMA results: a single "ok" row when healthy, else one row per problem.
    auto pragma = [&](const char* check, const char* sql) -> Status {
      report.checks.push_back(check);
      return each_row(db, sql, [&](sqlite3_stmt* s) {
        if (const std::string t = text(s, 0); t != "ok") problem(check, t);
      });
    };
    if (auto ok = pragma("sqlite quick_check", "PRAGMA quick_check"); !ok) return std::unexpected(ok.error());
    if (auto ok = pragma("sqlite integrity_check", "PRAGMA integrity_check"); !ok) return std::unexpected(ok.error());
    report.checks.push_back("sqlite foreign_key_check");
    if (auto ok = each_row(db, "PRAGMA foreign_key_check", [&](sqlite3_stmt* s) {
          problem("sqlite foreign_key_check", "table " + text(s, 0) + " row " + text(s, 1) +
                                                  " refers to a missing row of " + text(s, 2));
        });
        !ok) {
      return std::unexpected(ok.error());
    }
    report.checks.push_back("header application_id and user_version");
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
    for (const RowCheck& check : kRowChecks) {
      report.checks.push_back(check.name);
      auto ok = each_row(db, check.sql, [&](sqlite3_stmt* s) { problem(check.name, text(s, 0)); });
      if (!ok) {
        // A table missing or malformed enough that the query cannot run.
        problem(check.name, "could not run: " + ok.error().message());
      }
    }
    return report;
  });
}

}  // namespace stash
