#include "ordered_scan.h"

#include <cstring>

#include "sqlite_stash_impl.h"

namespace stash::sqlite {
namespace {

using UInt128 = ExactDiffBits;

// Wraps instead of overflowing (undefined for signed __int128), as the sums
// of stash_sum may; only a collection holding more than 2^63 entries of
// 2^64-wide diffs could get there.
Int128 add(Int128 a, Int128 b) {
  return static_cast<Int128>(static_cast<UInt128>(a) + static_cast<UInt128>(b));
}

// memcmp order, then length: SQLite's BLOB order.
int compare(std::string_view a, std::string_view b) {
  const int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  if (c != 0 || a.size() == b.size()) return c;
  return a.size() < b.size() ? -1 : 1;
}

}  // namespace

void advance_pair(const std::vector<Entry>& entries, Timestamp since, PairRows& p) {
  p.any_at_since = false;
  p.at_since = 0;
  p.later.clear();
  for (const Entry& e : entries) {
    if (e.time <= since) {
      p.any_at_since = true;
      p.at_since = add(p.at_since, e.diff);
    } else {
      p.later.emplace_back(e.time, e.diff);
    }
  }
}

std::int64_t collection_id(const CollectionRow& collection) { return collection.id; }

Status ScanChecks::next(std::string_view key, std::string_view value, const PairRows& previous,
                        std::int64_t crc) {
  if (rows_ > 0) {
    const int c = compare(key, previous.key);
    if (c < 0 || (c == 0 && compare(value, previous.value) <= 0)) {
      return fail(ErrorCode::kCorruption,
                  "sqlite: data rows of collection #" + std::to_string(collection_.id) +
                      " are out of order: the table's B-tree is damaged");
    }
  }
  ++rows_;
  digest_ += digest_term(crc);
  return {};
}

Status ScanChecks::finish() const {
  if (rows_ == collection_.rows && digest_ == collection_.digest) return {};
  return fail(ErrorCode::kCorruption,
              "sqlite: collection #" + std::to_string(collection_.id) + " should hold " +
                  std::to_string(collection_.rows) + " data rows (digest " +
                  std::to_string(collection_.digest) + ") but " + std::to_string(rows_) +
                  " were found (digest " + std::to_string(digest_) +
                  "): rows were lost or damaged");
}

}  // namespace stash::sqlite
