// Every PostgreSQL or libpq failure becomes a stash::Error here, in one
// place, together with what the transaction runner does next.
//
//   SQLSTATE / libpq condition             code              next
//   connection lost, class 08, 57P01..03,
//         the call's deadline passed       kUnavailable      reconnect, retry
//                                                            (within the
//                                                            deadline)
//   40001 serialization, 40P01 deadlock    kUnavailable      retry
//   23505 unique violation (a concurrent   kUnavailable      retry
//         open or collection creation)
//   SX001 S.write's frontier guard failed  kUnavailable      retry (cache
//         (the cache was stale)                                dropped)
//   SX002 S.write found the fence moved    kFenced (transaction.cc)
//   54000 program limit (a value over 1 GiB),
//         22P05/22021 bad characters       kInvalidArgument  return
//   42P07/42710 duplicate object (concurrent schema creation)  retry
//   57014 statement timeout, 55P03 lock    kUnavailable      return
//   53300 too many connections             kUnavailable      return
//   bad conninfo, auth refused (class 28),
//         missing database or role         kInvalidArgument  return
//   other class 53 (disk full, memory),
//         class 58 (system error), 25006
//         (server is read-only)            kIoError          return
//   anything else                          kInternal         return
//
// The message always carries the SQLSTATE and the server's text.
#ifndef STASH_IMPL_POSTGRES_SRC_ERRORS_H_
#define STASH_IMPL_POSTGRES_SRC_ERRORS_H_

#include <string_view>

#include "stash/error.h"
#include "stash/postgres_connection.h"

namespace stash::postgres {

enum class Next {
  kReturn,     // report the error
  kRetry,      // run the transaction again on the same connection
  kReconnect,  // drop the connection, then run the transaction again
};

struct Failure {
  Error error;
  Next next;
};

// `what` names the call or step ("update_many", "open").
Failure classify(const DbError& e, std::string_view what);

}  // namespace stash::postgres

#endif  // STASH_IMPL_POSTGRES_SRC_ERRORS_H_
