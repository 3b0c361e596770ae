// World::execute_call: one Stash call per operation struct of ops.h.
#include <variant>

#include "world.h"

namespace stash::conformance::internal {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

}  // namespace

// Resolves a collection's handle for `o`, or returns its failure as the
// outcome of the call (e.g. kFenced from a fenced backend's collection()).
// `var` is the name declared: a declarator cannot be parenthesized.
#define STASH_KIT_HANDLE(var, ref)                                                 \
  auto var = handle(o, (ref), pick_); /* NOLINT(bugprone-macro-parentheses) */ \
  if (!(var)) return failed((var).error())

Answer World::execute_call(Object& o, const Call& call) {
  Stash& s = *o.stash;
  return std::visit(
      Overloaded{
          [&](const CollectionOp& op) {
            auto h = s.collection(op.name);
            if (h) {
              issued_.insert(h->id);
              // Keep it: later calls may go through any issued handle.
              for (CollRef c = 0; c < static_cast<CollRef>(names_.size()); ++c) {
                if (names_[c] == op.name) o.handles[c].push_back(*h);
              }
            }
            return outcome(h);
          },
          [&](const UpdateOp& op) {
            STASH_KIT_HANDLE(h, op.c);
            const Update& u = op.entry;
            return outcome(s.update(*h, u.key, u.value, u.time, u.diff));
          },
          [&](const UpdateManyOp& op) {
            STASH_KIT_HANDLE(h, op.c);
            return outcome(s.update_many(*h, op.entries));
          },
          [&](const SealOp& op) {
            STASH_KIT_HANDLE(h, op.c);
            return outcome(s.seal(*h, op.frontier));
          },
          [&](const CompactOp& op) {
            STASH_KIT_HANDLE(h, op.c);
            return outcome(s.compact(*h, op.frontier));
          },
          [&](const ConsolidateOp& op) {
            STASH_KIT_HANDLE(h, op.c);
            return outcome(s.consolidate(*h));
          },
          [&](const SealBatchOp& op) {
            std::vector<FrontierRequest> requests;
            for (const auto& r : op.requests) {
              STASH_KIT_HANDLE(h, r.c);
              requests.push_back({*h, r.frontier});
            }
            return outcome(s.seal_batch(requests));
          },
          [&](const CompactBatchOp& op) {
            std::vector<FrontierRequest> requests;
            for (const auto& r : op.requests) {
              STASH_KIT_HANDLE(h, r.c);
              requests.push_back({*h, r.frontier});
            }
            return outcome(s.compact_batch(requests));
          },
          [&](const ConsolidateBatchOp& op) {
            std::vector<CollectionHandle> handles;
            for (CollRef c : op.collections) {
              STASH_KIT_HANDLE(h, c);
              handles.push_back(*h);
            }
            return outcome(s.consolidate_batch(handles));
          },
          [&](const AppendOp& op) {
            std::vector<AppendBatch> batches;
            for (const auto& b : op.batches) {
              STASH_KIT_HANDLE(h, b.c);
              batches.push_back({*h, b.lower, b.upper, b.since, b.entries});
            }
            return outcome(s.append(batches));
          },
          [&](const IterOp& op) {
            STASH_KIT_HANDLE(h, op.c);
            return outcome(s.iter(*h));
          },
          [&](const IterKeyOp& op) {
            STASH_KIT_HANDLE(h, op.c);
            return outcome(s.iter_key(*h, op.key));
          },
          [&](const SinceOp& op) {
            STASH_KIT_HANDLE(h, op.c);
            return outcome(s.since(*h));
          },
          [&](const UpperOp& op) {
            STASH_KIT_HANDLE(h, op.c);
            return outcome(s.upper(*h));
          },
          [&](const PeekTimestampOp& op) {
            STASH_KIT_HANDLE(h, op.c);
            return outcome(s.peek_timestamp(*h));
          },
          [&](const PeekOp& op) {
            STASH_KIT_HANDLE(h, op.c);
            return outcome(s.peek(*h));
          },
          [&](const PeekOneOp& op) {
            STASH_KIT_HANDLE(h, op.c);
            return outcome(s.peek_one(*h));
          },
          [&](const PeekKeyOneOp& op) {
            STASH_KIT_HANDLE(h, op.c);
            return outcome(s.peek_key_one(*h, op.key));
          },
          [&](const CollectionsOp&) {
            auto list = s.collections();
            if (!list) return failed(list.error());
            Answer out = outcome(list);
            // Each listed handle must be the one collection(name) returns.
            for (const NamedCollection& c : *list) {
              issued_.insert(c.handle.id);
              auto h = s.collection(c.name);
              if (!h || *h != c.handle) out.text += " (wrong handle for " + printable(c.name) + ")";
            }
            return out;
          },
          // Harness events are handled by World::execute.
          [&](const ReopenOp&) { return failed(Error(ErrorCode::kInternal, "kit")); },
          [&](const OpenAnotherOp&) { return failed(Error(ErrorCode::kInternal, "kit")); },
      },
      call);
}

#undef STASH_KIT_HANDLE

}  // namespace stash::conformance::internal
