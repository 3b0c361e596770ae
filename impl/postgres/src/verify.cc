// PostgresStash::verify: the schema's invariants on the stored rows, as
// queries that return one row per problem (Sql::verify_checks), all in one
// read transaction.
#include "postgres_stash_impl.h"

namespace stash {

Result<VerifyReport> PostgresStash::verify_report() {
  const auto& checks = impl_->sql().verify_checks;
  return impl_->read("verify", [&](postgres::Txn& txn) -> Result<VerifyReport> {
    std::vector<postgres::Query> queries;
    queries.reserve(checks.size());
    for (const auto& check : checks) queries.push_back({&check.second, {}});
    auto rows = txn.read(std::move(queries));
    if (!rows) return std::unexpected(rows.error());
    VerifyReport report;
    for (std::size_t i = 0; i < checks.size(); ++i) {
      report.checks.push_back(checks[i].first);
      for (const auto& row : rows->at(i).rows) {
        report.problems.push_back({checks[i].first, row.at(0).value_or("NULL")});
      }
    }
    return report;
  });
}

}  // namespace stash
