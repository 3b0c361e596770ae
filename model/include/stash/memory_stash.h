// MemoryStash: the in-memory stash, and the model every other backend is
// checked against.
//
// Each operation mirrors docs/spec.md step by step; the storage is chosen so
// that it is also a fast test double: reads stream the stored rows in order
// (within 2x of scanning a std::map), writes cost one tree insert per entry,
// and consolidate touches only the rows at or before since. The brute-force
// OracleStash of the conformance kit (properties/src/oracle.cc) stays the
// literal statement of the semantics and checks this class.
//
// Data lives only in memory and is lost when the object is destroyed. For a
// MemoryStash that survives restarts (a snapshot and a log in a directory),
// see stash/durable_memory_stash.h (library stash_durable_memory): it keeps
// this class as its model and adds the files beside it, through image() and
// the Loader (the load seam below), not inside these operations.
//
// Limits: a key or a value is at most 4 GiB - 1 bytes; a longer one fails
// update_many and append with kInvalidArgument and nothing is written.
//
// Thread-safe: calls from several threads are serialized by one mutex.
#ifndef STASH_MEMORY_STASH_H_
#define STASH_MEMORY_STASH_H_

#include <condition_variable>
#include <memory>
#include <string>
#include <vector>

#include "stash/consistent_read.h"
#include "stash/mutex.h"
#include "stash/stash.h"

namespace stash {

// Everything a MemoryStash holds, as plain values: what a snapshot stores
// (durable_memory_stash.h). Collection i (0-based) has handle id i + 1.
struct MemoryStashImage {
  struct Collection {
    std::string name;
    Frontier since;
    Frontier upper;
    // The stored updates, times as written or as consolidate left them.
    // Stored sums are exact (128 bits); a sum outside int64 is spread over
    // several entries with the same (key, value, time).
    std::vector<Update> updates;
    friend bool operator==(const Collection&, const Collection&) = default;
  };
  std::vector<Collection> collections;
  friend bool operator==(const MemoryStashImage&, const MemoryStashImage&) = default;
};

class MemoryStash final : public Stash, public ConsistentReader {
  class State;  // Everything the stash holds (memory_stash.cc).

 public:
  MemoryStash();
  // A stash holding exactly `image`. Precondition: the image is one that
  // image() could have returned (unique valid names, since <= upper); the
  // snapshot decoder checks this before calling.
  explicit MemoryStash(const MemoryStashImage& image);
  ~MemoryStash() override;

  // The load seam: builds a stash piece by piece, as a snapshot decoder reads
  // it, so that no whole MemoryStashImage (or copy of the file) exists beside
  // the stash being built. DurableMemoryStash hands it each update of a
  // snapshot chunk once the chunk's checksum checked out. The caller checks
  // what the image constructor requires: unique valid names, since <= upper,
  // and keys and values of at most 4 GiB - 1 bytes. Used by one thread; the
  // stash finish() returns is thread-safe as usual.
  class Loader {
   public:
    Loader();
    ~Loader();
    Loader(const Loader&) = delete;
    Loader& operator=(const Loader&) = delete;
    // Starts the next collection: the first gets handle id 1, and so on.
    void add_collection(std::string name, Frontier since, Frontier upper);
    // Adds `diff` at (key, value, time) to the collection started last (one
    // must have been). Updates in (key, value, time) order, as image() lists
    // them, each cost constant time; any order gives the same stash.
    void add(std::string_view key, std::string_view value, Timestamp time, Diff diff);
    // The stash holding everything added. The loader is spent afterwards.
    std::unique_ptr<MemoryStash> finish();

   private:
    friend class MemoryStash;  // The image constructor loads through a Loader.
    std::unique_ptr<State> state_;
  };
  MemoryStash(const MemoryStash&) = delete;
  MemoryStash& operator=(const MemoryStash&) = delete;

  // Required operations; see stash.h for each contract.
  Result<CollectionHandle> collection(std::string_view name) override;
  Result<std::vector<NamedCollection>> collections() override;
  Result<std::vector<Update>> iter(CollectionHandle c) override;
  Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c,
                                            const Bytes& key) override;
  Status update_many(CollectionHandle c, std::span<const Update> entries) override;
  Status seal(CollectionHandle c, Frontier new_upper) override;
  Status compact(CollectionHandle c, Frontier new_since) override;
  Status consolidate(CollectionHandle c) override;
  Result<Frontier> since(CollectionHandle c) override;
  Result<Frontier> upper(CollectionHandle c) override;
  Status append(std::span<const AppendBatch> batches) override;

  // Provided operations done in one call under the lock, streaming the rows
  // instead of materialising iter; each returns exactly what stash.cc's
  // version returns, errors included.
  Result<Timestamp> peek_timestamp(CollectionHandle c) override;
  Result<std::vector<PeekEntry>> peek(CollectionHandle c) override;
  Result<std::map<Bytes, Bytes>> peek_one(CollectionHandle c) override;
  Result<std::optional<Bytes>> peek_key_one(CollectionHandle c, const Bytes& key) override;

  // A consistent copy of the whole state (taken under the lock).
  MemoryStashImage image();

  // ConsistentReader: every collection as iter reads it, in one hold of the
  // lock (so `stash export` of a MemoryStash is one cut).
  Result<std::vector<CollectionContents>> read_all() override;

  // Subscriptions wake as soon as a seal or append moves upper (a condition
  // variable, in-process only); see stash.h.
  Status wait_for_change(CollectionHandle c, const Frontier& known_upper,
                         std::chrono::steady_clock::time_point deadline) override;

 private:
  explicit MemoryStash(std::unique_ptr<State> state);  // For Loader::finish.
  Result<std::vector<Update>> iter_locked(CollectionHandle c) STASH_REQUIRES(mutex_);
  Mutex mutex_;
  std::unique_ptr<State> state_ STASH_PT_GUARDED_BY(mutex_);
  std::condition_variable upper_moved_;  // Notified under mutex_ when an upper moves.
};

}  // namespace stash

#endif  // STASH_MEMORY_STASH_H_
