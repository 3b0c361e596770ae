// The conformance kit's Harness for PostgresStash: every fresh store is a
// schema of its own on one database, opened with
// stash::open("postgres:DSN schema=NAME"); reopen() and open_another() open
// the same schema, so the kit's durability, several-handles and fencing
// checks apply. Used by the backend's conformance test and by
// `stash check postgres:DSN`.
//
// Creating a schema's tables costs far more than emptying them, so the
// harnesses of one factory share a pool: a schema a harness is done with is
// emptied (TRUNCATE ... RESTART IDENTITY, so collection ids start at 1 again
// as in a new store) and handed to the next. Every schema of the pool is
// dropped when the factory and all its harnesses are gone.
#ifndef STASH_POSTGRES_HARNESS_H_
#define STASH_POSTGRES_HARNESS_H_

#include <memory>
#include <string>

#include "stash/conformance.h"

namespace stash {

class PostgresHarness : public conformance::Harness {
 public:
  class SchemaPool;
  explicit PostgresHarness(std::shared_ptr<SchemaPool> pool);
  ~PostgresHarness() override;

  // A factory of harnesses on the database of libpq connection string
  // `conninfo` (keyword or URI form, without stash options).
  static conformance::HarnessFactory factory(std::string conninfo);

  // Durable, several handles, fencing.
  conformance::Capabilities capabilities() const override;
  Result<std::unique_ptr<Stash>> open_fresh() override;
  Result<std::unique_ptr<Stash>> reopen() override;
  Result<std::unique_ptr<Stash>> open_another() override;

 private:
  std::shared_ptr<SchemaPool> pool_;
  std::string schema_;
};

}  // namespace stash

#endif  // STASH_POSTGRES_HARNESS_H_
