// A World runs operations (ops.h) against one store, through one or more
// Stash objects, and renders every result as comparable text.
//
// Two kinds of world run side by side in the model-based checks:
//   - a backend world, made from a Backend's harness (reopen and open_another
//     go to the harness);
//   - a model world, over one MemoryStash (or any other reference Stash),
//     which emulates the harness events: reopen keeps the state, and with
//     fencing, opening another object fences the older ones.
// Results are compared by the rendered text, which carries error CODES only
// (messages may differ between backends; the facts stash.h documents in them
// are compared separately, see facts.h) and collections by NAME (handle ids
// may differ).
//
// A world keeps every handle its objects were issued (collection() called
// again gives one more) and routes each call through one of them (Op::pick).
#ifndef STASH_PROPERTIES_SRC_WORLD_H_
#define STASH_PROPERTIES_SRC_WORLD_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ops.h"
#include "stash/conformance.h"
#include "stash/stash.h"

namespace stash::conformance::internal {

// How often each operation / error / event ran; keys starting "max " hold the
// largest value seen instead (largest key, largest batch, ...).
using Coverage = std::map<std::string, std::uint64_t>;
void note_max(Coverage& coverage, const std::string& what, std::uint64_t value);
void merge(Coverage& into, const Coverage& from);
using ModelFactory = std::function<std::unique_ptr<Stash>()>;

// The default model: a fresh MemoryStash.
std::unique_ptr<Stash> make_memory_model();

// One result as text: "ok", "ok {3}", "ok [((k0, v1), 2, -1)]",
// "error frontier_violation". Equal text = equal result.
struct Answer {
  std::string text;
  std::optional<ErrorCode> code;  // set iff the call failed
  std::string message;            // the error message, for reports only
  bool ok() const { return !code.has_value(); }
  // "error frontier_violation (seal request {2} is less than ...)".
  std::string detailed() const;
};

std::string render(const std::vector<Update>& v);
std::string render(const std::vector<ValueUpdate>& v);
std::string render(const std::vector<PeekEntry>& v);
std::string render(const std::map<Bytes, Bytes>& m);
std::string render(const std::optional<Bytes>& v);
std::string render(const Frontier& f);
std::string render(Timestamp t);
std::string render(CollectionHandle);  // "handle": ids are not compared
std::string render(const std::vector<NamedCollection>& v);  // names only: [a, b]

Answer outcome(const Status& s);
Answer failed(const Error& e);
template <typename T>
Answer outcome(const Result<T>& r) {
  if (!r) return outcome(Status(std::unexpected(r.error())));
  return {"ok " + render(*r), std::nullopt, ""};
}

// Everything the interface lets one read about one collection.
struct CollectionView {
  Result<Frontier> since;
  Result<Frontier> upper;
  Result<std::vector<Update>> iter;
  std::map<Bytes, Result<std::vector<ValueUpdate>>> iter_key;
  Result<Timestamp> peek_ts;
  Result<std::vector<PeekEntry>> peek;
  Result<std::map<Bytes, Bytes>> peek_one;
  std::map<Bytes, Result<std::optional<Bytes>>> peek_key_one;
  // One line per read: "c0 since: ok {0}\nc0 upper: ...".
  std::string render(const std::string& name) const;
};

// Every collection of the alphabet, read through one Stash object.
struct Observation {
  std::vector<CollectionView> collections;  // index = CollRef
  std::string render() const;
};

// The plain keys: "k0", "k1", ...
std::vector<Bytes> key_alphabet(int keys);

class World {
 public:
  // A fresh store of `backend` (one new Harness per World).
  static Result<std::unique_ptr<World>> open(const Backend& backend);
  // A model store; `caps` says which harness events it emulates.
  static std::unique_ptr<World> model(const ModelFactory& make_model, Capabilities caps);

  ~World();

  // The collection names CollRefs stand for (plain_names(kDefaultNames)
  // unless set); set before the first op.
  void set_names(std::vector<std::string> names) { names_ = std::move(names); }
  const std::vector<std::string>& names() const { return names_; }

  // Runs `op`; counts it in *coverage if set.
  Answer execute(const Op& op);
  // Reads every collection c0..c{collections-1} through object `stash`.
  Observation observe(int stash, int collections, const std::vector<Bytes>& keys);
  Capabilities capabilities() const { return caps_; }
  int objects() const { return static_cast<int>(objects_.size()); }

  Coverage* coverage = nullptr;
  // Prefixes the dimension counts ("stateful: max key bytes"); empty: do
  // not count them (the exhaustive checker's alphabet is fixed).
  std::string area = "random";

  static constexpr int kDefaultNames = 4;

 private:
  // One Stash object of a world, with every handle it was issued, by name.
  struct Object {
    std::shared_ptr<Stash> stash;
    std::map<CollRef, std::vector<CollectionHandle>> handles;
    bool fenced = false;  // model worlds only: every call fails with kFenced
  };
  World() = default;
  Answer execute_call(Object& o, const Call& call);
  Answer reopen();
  Answer open_another();
  // The handle for `c` the call uses: one of those issued so far (chosen by
  // `pick`), or a new one from collection() if there is none yet.
  Result<CollectionHandle> handle(Object& o, CollRef c, unsigned pick = 0);
  void count_dimensions(const Op& op);
  CollectionHandle bogus_handle() const;
  Result<std::unique_ptr<Object>> adopt(Result<std::unique_ptr<Stash>> stash);
  void count(const Op& op, const Answer& out);

  std::unique_ptr<Harness> harness_;  // null for a model world
  std::shared_ptr<Stash> model_;      // the one store of a model world
  Capabilities caps_;
  std::vector<std::unique_ptr<Object>> objects_;
  std::set<std::int64_t> issued_;  // every handle id any object returned
  std::vector<std::string> names_ = plain_names(kDefaultNames);
  unsigned pick_ = 0;  // of the op being executed
};

}  // namespace stash::conformance::internal

#endif  // STASH_PROPERTIES_SRC_WORLD_H_
