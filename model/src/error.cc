#include "stash/error.h"

namespace stash {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kFrontierViolation: return "frontier_violation";
    case ErrorCode::kMultiplicity: return "multiplicity";
    case ErrorCode::kOutOfRange: return "out_of_range";
    case ErrorCode::kFenced: return "fenced";
    case ErrorCode::kCorruption: return "corruption";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kOutcomeUnknown: return "outcome_unknown";
    case ErrorCode::kIoError: return "io_error";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown_code";
}

std::string Error::to_string() const {
  return std::string(stash::to_string(code_)) + ": " + message_;
}

std::ostream& operator<<(std::ostream& os, ErrorCode code) {
  return os << to_string(code);
}

std::ostream& operator<<(std::ostream& os, const Error& error) {
  return os << error.to_string();
}

}  // namespace stash
