// The backends the workloads run on, behind one small interface, so that each
// workload is written once against stash::Stash and registered per backend.
#ifndef STASH_BENCHMARKS_BACKENDS_H_
#define STASH_BENCHMARKS_BACKENDS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness.h"
#include "stash/stash.h"

namespace stash::bench {

class Backend {
 public:
  virtual ~Backend() = default;
  // The name in benchmark names: memory, durable_memory, sqlite, postgres.
  virtual std::string name() const = 0;
  // A new, empty store called `store`; any earlier store of that name (and
  // every handle to it) is gone.
  virtual std::unique_ptr<Stash> create(const std::string& store) = 0;
  // Closes the open handle to `store`, as a process exits (MemoryStash has no
  // files: it keeps current's image for open to restart from).
  virtual void close(const std::string& store, std::unique_ptr<Stash> current) = 0;
  // Opens the existing, closed store `store` as a process does at start-up.
  virtual std::unique_ptr<Stash> open(const std::string& store) = 0;
};

// Every backend built into this binary, PostgreSQL only with a server URL
// (config().postgres_url); says on stderr which ones are left out.
std::vector<std::unique_ptr<Backend>> all_backends();

// Creates collection `name` in `stash` holding n entries (key_of(i, keys) ->
// value_of(i) at time 0, diff 1), written in batches of 100k, and seals it
// to {1}.
CollectionHandle fill(Stash& stash, const std::string& name, std::int64_t n,
                      Keys keys = Keys::kSequential);

// A store holding collection "data" filled for `shape`: what the read
// workloads read. Stores are cached per backend for the current shape, so
// that every read workload of one shape reads the same store; asking for
// another shape drops them. `stash` is open (reopened if a workload closed
// it).
struct Populated {
  std::string store;
  Stash* stash = nullptr;
  CollectionHandle data;
};
Populated populated(Backend& backend, const Shape& shape);
// Closes the cached store (as a process exits), for a workload that opens it
// itself; the next populated() reopens it.
void close_populated(Backend& backend, const Shape& shape);
void drop_populated();

}  // namespace stash::bench

#endif  // STASH_BENCHMARKS_BACKENDS_H_
