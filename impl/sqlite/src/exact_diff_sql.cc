#include "exact_diff_sql.h"

#include <cstdint>
#include <limits>
#include <optional>

namespace stash::sqlite {
namespace {

using UInt128 = ExactDiffBits;

constexpr int kWideBytes = 16;

void encode(sqlite3_context* ctx, Int128 sum) {
  if (sum >= std::numeric_limits<std::int64_t>::min() &&
      sum <= std::numeric_limits<std::int64_t>::max()) {
    sqlite3_result_int64(ctx, static_cast<std::int64_t>(sum));
    return;
  }
  unsigned char bytes[kWideBytes];
  auto u = static_cast<UInt128>(sum);
  for (int i = kWideBytes - 1; i >= 0; --i, u >>= 8) bytes[i] = static_cast<unsigned char>(u);
  sqlite3_result_blob(ctx, bytes, kWideBytes, SQLITE_TRANSIENT);
}

void not_a_diff(sqlite3_context* ctx) {
  sqlite3_result_error(ctx, "stored diff is neither an integer nor a 16-byte sum", -1);
  sqlite3_result_error_code(ctx, SQLITE_CORRUPT);
}

void stash_add(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto a = decode_diff(argv[0]);
  auto b = decode_diff(argv[1]);
  if (!a || !b) return not_a_diff(ctx);
  encode(ctx, *a + *b);
}

struct SumState {
  Int128 sum;
  bool bad;
};

void stash_sum_step(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto* state = static_cast<SumState*>(sqlite3_aggregate_context(ctx, sizeof(SumState)));
  if (state == nullptr) return sqlite3_result_error_nomem(ctx);
  auto d = decode_diff(argv[0]);
  if (!d) {
    state->bad = true;
    return;
  }
  state->sum += *d;
}

void stash_sum_final(sqlite3_context* ctx) {
  // Zero-filled on first allocation; nullptr if no row was ever stepped.
  auto* state = static_cast<SumState*>(sqlite3_aggregate_context(ctx, 0));
  if (state == nullptr) return sqlite3_result_int64(ctx, 0);
  if (state->bad) return not_a_diff(ctx);
  encode(ctx, state->sum);
}

}  // namespace

std::optional<Int128> decode_diff(sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      return sqlite3_value_int64(v);
    case SQLITE_BLOB: {
      if (sqlite3_value_bytes(v) != kWideBytes) return std::nullopt;
      const auto* bytes = static_cast<const unsigned char*>(sqlite3_value_blob(v));
      UInt128 u = 0;
      for (int i = 0; i < kWideBytes; ++i) u = (u << 8) | bytes[i];
      return static_cast<Int128>(u);
    }
    default:
      return std::nullopt;
  }
}

int register_exact_diff_functions(sqlite3* db) {
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  int rc = sqlite3_create_function_v2(db, "stash_add", 2, kFlags, nullptr, stash_add,
                                      nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return rc;
  return sqlite3_create_function_v2(db, "stash_sum", 1, kFlags, nullptr, nullptr,
                                    stash_sum_step, stash_sum_final, nullptr);
}

}  // namespace stash::sqlite
