// The SQL of the PostgreSQL backend: the schema and every statement, with
// the schema name quoted once (PQescapeIdentifier) when a stash opens.
#ifndef STASH_IMPL_POSTGRES_SRC_SCHEMA_H_
#define STASH_IMPL_POSTGRES_SRC_SCHEMA_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace stash::postgres {

// The format version stamped into meta.format_version.
inline constexpr std::int64_t kFormatVersion = 3;
// The older version a writer's open migrates (migrate_v2) and a read-only
// open reads as it is.
inline constexpr std::int64_t kMigratableVersion = 2;

// Every statement, schema-qualified. Parameters are $1.. (see schema.cc).
struct Sql {
  explicit Sql(const std::string& quoted_schema);

  std::string create_schema;  // a script: CREATE ... IF NOT EXISTS
  std::string migrate_v2;     // a script: version 2 to 3 (schema.cc)
  std::string format_version;
  std::string lock_fence, archive_commit_row, bump_fence, trim_commit_rows;
  std::string begin_write, begin_read, begin_recover, commit, rollback;
  std::string fence_check;           // the stamp while the fence holds
  std::string recover_lock, recover;  // a lost reply's stamp, after its end
  std::string find_collection;  // id, since, upper of a name
  std::string frontiers;
  std::string list_collections;  // name, id of every collection, by name
  // PostgresStash::verify: (check name, query returning one text row per
  // problem found).
  std::vector<std::pair<std::string, std::string>> verify_checks;
  std::string iter, iter_key;
  std::string iter_key_v2;  // iter_key on a version 2 schema (read-only opens)
  std::string write;       // S.write(...): consolidations, creations (schema.cc)
  std::string write_rows;  // the other writes, as one plain statement
  std::string update_one;  // a write of one entry, scalar parameters
  // The upper-moved notification trigger (schema.cc): a script installing
  // it, a query counting it ($1 the unquoted schema name), and the LISTEN
  // for its channel.
  std::string install_notify, notify_installed, listen;
  // PostgresStash::read_all: name, id, since, upper of every collection, by
  // name; and (collection id, key, value, time, sum) of every collection's
  // iter.
  std::string list_collections_frontiers, iter_all;
};

}  // namespace stash::postgres

#endif  // STASH_IMPL_POSTGRES_SRC_SCHEMA_H_
