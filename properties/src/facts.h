// The facts stash.h fixes in error messages, so that every model comparison
// checks them and not only the code: the failing entry's time and the upper
// frontier in "entry time {t} is less than the current upper frontier {U}",
// the request and the frontier in the seal and compact rows, since and upper
// in peek_timestamp's row, and the fixed phrases ("unexpected lower", "empty
// since", "multiplicity", "duplicate peek keys", "multiple values"). Wording
// around them is the backend's own.
#ifndef STASH_PROPERTIES_SRC_FACTS_H_
#define STASH_PROPERTIES_SRC_FACTS_H_

#include <optional>
#include <string>
#include <vector>

#include "ops.h"
#include "world.h"

namespace stash::conformance::internal {

// One fact: the message must mention one of `any_of` (several when the
// contract leaves open which element of a batch is reported).
struct Fact {
  std::string what;  // "entry time", "upper frontier", ...
  std::vector<std::string> any_of;
};

// The facts a backend's message must carry when the model (MemoryStash,
// whose messages are the reference wording of rules.cc) failed `call` with
// `model_message`.
std::vector<Fact> documented_facts(const Call& call, const std::string& model_message);

// Whether `message` mentions `fact`; a number only as a whole number ("2"
// is not mentioned by "12" or "-2").
bool mentions(const std::string& message, const std::string& fact);

// nullopt if `got` (an error with the model's code) carries every fact of
// `want`'s message; else what is missing.
std::optional<std::string> missing_facts(const Call& call, const Answer& got,
                                         const Answer& want);

// The same for every read of two observations (the model's is `want`).
std::optional<std::string> missing_facts(const Observation& got, const Observation& want);

}  // namespace stash::conformance::internal

#endif  // STASH_PROPERTIES_SRC_FACTS_H_
