#include "errors.h"

#include <string>

namespace stash::postgres {
namespace {

std::string describe(const DbError& e, std::string_view what) {
  std::string out = "postgres: " + std::string(what) + ": " + e.message;
  if (!e.sqlstate.empty()) out += " (SQLSTATE " + e.sqlstate + ")";
  return out;
}

Failure make(ErrorCode code, Next next, const DbError& e, std::string_view what) {
  return Failure{Error(code, describe(e, what)), next};
}

}  // namespace

Failure classify(const DbError& e, std::string_view what) {
  const std::string& s = e.sqlstate;
  if (e.invalid_argument) return make(ErrorCode::kInvalidArgument, Next::kReturn, e, what);
  if (e.connection_lost) return make(ErrorCode::kUnavailable, Next::kReconnect, e, what);
  // SX001: S.write's guard found other frontiers than the cached ones.
  if (s == "40001" || s == "40P01" || s == "23505" || s == "42P07" || s == "42710" ||
      s == "SX001") {
    return make(ErrorCode::kUnavailable, Next::kRetry, e, what);
  }
  if (s == "57014" || s == "55P03" || s == "53300") {
    return make(ErrorCode::kUnavailable, Next::kReturn, e, what);
  }
  // 54000: a value too large for the server (over 1 GiB); 22P05 / 22021: an
  // untranslatable or invalid character (a schema name the server refuses).
  if (s == "54000" || s == "22P05" || s == "22021") {
    return make(ErrorCode::kInvalidArgument, Next::kReturn, e, what);
  }
  if (s.starts_with("28")) return make(ErrorCode::kInvalidArgument, Next::kReturn, e, what);
  if (s.starts_with("53") || s.starts_with("58") || s == "25006") {
    return make(ErrorCode::kIoError, Next::kReturn, e, what);
  }
  return make(ErrorCode::kInternal, Next::kReturn, e, what);
}

}  // namespace stash::postgres
