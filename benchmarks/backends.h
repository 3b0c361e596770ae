// The backends the workloads run on, behind one small interface, so that each
// workload is written once against stash::Stash and registered per backend.
#ifndef STASH_BENCHMARKS_BACKENDS_H_
#define STASH_BENCHMARKS_BACKENDS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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

// Creates collection `name` in `stash` holding n entries (key_of(i) ->
// value_of(i) at time 0, diff 1) and seals it to {1}.
CollectionHandle fill(Stash& stash, const std::string& name, std::int64_t n);

// A stash holding collection "data" of n entries (key_of(i) -> value_of(i)
// at time 0, diff 1), sealed to {1}: what the read workloads read. One store
// is cached at a time: asking for another backend or size drops the last.
struct Populated {
  std::string store;
  Stash* stash = nullptr;
  CollectionHandle data;
};
Populated populated(Backend& backend, std::int64_t n);
// Takes the cached stash out (to close it) and puts a reopened one back.
std::unique_ptr<Stash> take_populated();
void put_populated(std::unique_ptr<Stash> stash);
void drop_populated();

}  // namespace stash::bench

#endif  // STASH_BENCHMARKS_BACKENDS_H_
