// Verifiable: the structural self-checks a backend offers to tools.
//
// `stash verify` runs the checks every Stash allows through the interface
// (frontier invariants, what reads return); a backend that can look deeper at
// what it stores (SQLite's integrity_check, checksums, its own tables'
// invariants) also implements Verifiable, which the tool finds with
// dynamic_cast. Implementing it is optional and changes no Stash contract.
#ifndef STASH_VERIFY_H_
#define STASH_VERIFY_H_

#include <string>
#include <vector>

#include "stash/error.h"

namespace stash {

struct VerifyReport {
  struct Problem {
    std::string check;   // which check found it, e.g. "sqlite integrity_check"
    std::string detail;  // what is wrong, naming tables, rows, files, offsets
  };
  std::vector<std::string> checks;  // every check that ran, in order
  std::vector<Problem> problems;    // empty: healthy
};

class Verifiable {
 public:
  virtual ~Verifiable() = default;

  // Runs every check the backend can make on its stored data, changing
  // nothing (it works on a read-only open), and reports what each found.
  // Errors: the checks could not run (I/O, kUnavailable, kFenced); problems
  // found are not errors, they are in the report.
  virtual Result<VerifyReport> verify_report() = 0;
};

}  // namespace stash

#endif  // STASH_VERIFY_H_
