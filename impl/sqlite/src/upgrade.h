// Upgrading a format-2 stash file to format 3 (see upgrade.cc).
#ifndef STASH_IMPL_SQLITE_SRC_UPGRADE_H_
#define STASH_IMPL_SQLITE_SRC_UPGRADE_H_

#include <sqlite3.h>

#include "stash/error.h"

namespace stash::sqlite {

// Rewrites every data row of a file inspect() found kFormat2 in format 3 and
// stamps user_version 3. Must run inside the caller's write transaction, which
// commits the whole upgrade or none of it. kCorruption (naming the collection
// and what is wrong) if a format-2 row or collection does not check out; then
// the caller rolls back and the file stays format 2.
Status upgrade_format2(sqlite3* db);

}  // namespace stash::sqlite

#endif  // STASH_IMPL_SQLITE_SRC_UPGRADE_H_
