#include "linearizability.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_set>

#include "stash/memory_stash.h"

namespace stash::conformance::internal {
namespace {

// Calls whose success can change the model's state. Every other call (reads,
// collection(), and any call that fails: INV-6) leaves it as it was, which
// is what lets the search skip restoring and the minimiser drop such calls.
bool may_change_state(const Call& call) {
  return std::holds_alternative<UpdateOp>(call) || std::holds_alternative<UpdateManyOp>(call) ||
         std::holds_alternative<SealOp>(call) || std::holds_alternative<CompactOp>(call) ||
         std::holds_alternative<ConsolidateOp>(call) ||
         std::holds_alternative<SealBatchOp>(call) ||
         std::holds_alternative<CompactBatchOp>(call) ||
         std::holds_alternative<ConsolidateBatchOp>(call) ||
         std::holds_alternative<AppendOp>(call) || std::holds_alternative<OpenAnotherOp>(call) ||
         std::holds_alternative<ReopenOp>(call);
}

bool leaves_state_alone(const CallRecord& r) {
  return !r.answer.ok() || !may_change_state(r.op.call);
}

// The model's state, cheap to copy: the MemoryStash's image and how many
// Stash objects are open (with fencing, all but the newest are fenced).
struct Snapshot {
  MemoryStashImage image;
  int objects = 1;
};

// A model world (MemoryStash, emulating open_another and fencing) that can
// be saved and restored.
class Model {
 public:
  explicit Model(const CheckerOptions& options) : options_(options) {
    restore(Snapshot{{}, std::max(1, options.objects)});
  }

  Answer execute(const Op& op) {
    ++steps;
    Answer a = world_->execute(op);
    if (a.ok() && std::holds_alternative<OpenAnotherOp>(op.call)) ++objects_;
    return a;
  }

  Snapshot save() { return {live_->image(), objects_}; }

  void restore(const Snapshot& s) {
    MemoryStash* raw = nullptr;
    world_ = World::model(
        [&] {
          auto m = std::make_unique<MemoryStash>(s.image);
          raw = m.get();
          return m;
        },
        {.durable = false, .several_handles = true, .fencing = options_.fencing});
    live_ = raw;
    // Restoring is bookkeeping, not a step of the search: not counted.
    for (objects_ = 1; objects_ < s.objects; ++objects_) world_->execute(Op{0, OpenAnotherOp{}});
  }

  // Equal fingerprints mean equal states (collections by name: the image
  // lists them in creation order, which depends on the order tried).
  std::string fingerprint() {
    const MemoryStashImage image = live_->image();
    std::vector<const MemoryStashImage::Collection*> cs;
    cs.reserve(image.collections.size());
    for (const auto& c : image.collections) cs.push_back(&c);
    std::sort(cs.begin(), cs.end(), [](auto* a, auto* b) { return a->name < b->name; });
    std::string out = std::to_string(objects_);
    for (const auto* c : cs) {
      std::vector<Update> updates = c->updates;
      std::sort(updates.begin(), updates.end(), [](const Update& a, const Update& b) {
        return std::tie(a.key, a.value, a.time, a.diff) <
               std::tie(b.key, b.value, b.time, b.diff);
      });
      out += "|" + c->name + " " + c->since.to_string() + " " + c->upper.to_string() + " " +
             render(updates);
    }
    return out;
  }

  std::uint64_t steps = 0;

 private:
  CheckerOptions options_;
  std::unique_ptr<World> world_;
  MemoryStash* live_ = nullptr;
  int objects_ = 1;
};

// What the search learned at the deepest point it reached: for explaining a
// failure.
struct Deepest {
  std::vector<int> order;  // calls linearized, in order (indices into calls)
  std::vector<std::pair<int, std::string>> mismatches;  // call, model's answer
  int deadline = -1;  // a call that returned before any candidate could go
};

enum class SearchOutcome { kFound, kNone, kBound };

// Wing-Gong over one partition (`calls`), Porcupine style: the invocations
// and responses as one time-ordered list; linearizing a call lifts both its
// entries out of the list; meeting a response means the call it closes was
// not linearized in time, so the search backtracks.
SearchOutcome search(const std::vector<const CallRecord*>& calls,
                     const CheckerOptions& options, std::uint64_t max_steps,
                     std::uint64_t& steps, Deepest* deepest) {
  const int n = static_cast<int>(calls.size());
  struct Event {
    std::int64_t time;
    bool is_return;
    int id;
  };
  std::vector<Event> events;
  for (int i = 0; i < n; ++i) {
    events.push_back({calls[i]->invoked, false, i});
    events.push_back({calls[i]->returned, true, i});
  }
  // At equal times an invocation sorts first: the two calls may overlap.
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return std::tie(a.time, a.is_return) < std::tie(b.time, b.is_return);
  });
  // A doubly linked list over the events; node 0 is the head sentinel and
  // node size+1 the tail.
  const int tail = static_cast<int>(events.size()) + 1;
  std::vector<int> next(tail + 1), prev(tail + 1), match(tail + 1, -1);
  std::vector<int> call_node(n), return_node(n);
  for (int i = 0; i <= tail; ++i) {
    next[i] = i + 1;
    prev[i] = i - 1;
  }
  for (int e = 0; e < static_cast<int>(events.size()); ++e) {
    (events[e].is_return ? return_node : call_node)[events[e].id] = e + 1;
  }
  auto node_event = [&](int node) -> const Event& { return events[node - 1]; };
  auto lift = [&](int id) {
    for (int node : {call_node[id], return_node[id]}) {
      next[prev[node]] = next[node];
      prev[next[node]] = prev[node];
    }
  };
  auto unlift = [&](int id) {
    for (int node : {return_node[id], call_node[id]}) {
      next[prev[node]] = node;
      prev[next[node]] = node;
    }
  };

  Model model(options);
  std::vector<bool> linearized(n, false);
  auto key = [&](const std::string& fingerprint) {
    std::string k(static_cast<std::size_t>(n), '0');
    for (int i = 0; i < n; ++i) k[i] = linearized[i] ? '1' : '0';
    return k + fingerprint;
  };
  std::unordered_set<std::string> seen;
  struct Frame {
    int id;
    std::optional<Snapshot> before;  // set iff the call changed the state
    std::string fingerprint;         // of the state before the call
  };
  std::vector<Frame> stack;
  std::string fingerprint = model.fingerprint();
  std::size_t best = 0;
  bool on_deepest = true;  // the stack is deepest->order
  if (deepest) *deepest = {};

  int node = next[0];
  while (next[0] != tail) {
    if (steps + model.steps >= max_steps) {
      steps += model.steps;
      return SearchOutcome::kBound;
    }
    const Event& ev = node_event(node);
    if (!ev.is_return) {
      const CallRecord& call = *calls[ev.id];
      const bool may_change = may_change_state(call.op.call);
      std::optional<Snapshot> before;
      if (may_change) before = model.save();
      const Answer got = model.execute(call.op);
      const bool changed = may_change && got.ok();
      if (got.text == call.answer.text) {
        linearized[ev.id] = true;
        std::string after = changed ? model.fingerprint() : fingerprint;
        if (seen.insert(key(after)).second) {
          stack.push_back({ev.id, changed ? std::move(before) : std::nullopt, fingerprint});
          fingerprint = std::move(after);
          lift(ev.id);
          if (deepest && stack.size() > best) {
            best = stack.size();
            deepest->order.clear();
            for (const Frame& f : stack) deepest->order.push_back(f.id);
            deepest->mismatches.clear();
            deepest->deadline = -1;
            on_deepest = true;
          }
          node = next[0];
          continue;
        }
        linearized[ev.id] = false;
      } else if (deepest && on_deepest && stack.size() == best) {
        deepest->mismatches.emplace_back(ev.id, got.text);
      }
      if (changed) model.restore(*before);
      node = next[node];
    } else {
      if (deepest && on_deepest && stack.size() == best && deepest->deadline < 0) {
        deepest->deadline = ev.id;
      }
      if (stack.size() == best) on_deepest = false;
      if (stack.empty()) {
        steps += model.steps;
        return SearchOutcome::kNone;
      }
      Frame top = std::move(stack.back());
      stack.pop_back();
      linearized[top.id] = false;
      if (top.before) model.restore(*top.before);
      fingerprint = std::move(top.fingerprint);
      unlift(top.id);
      node = next[call_node[top.id]];
    }
  }
  steps += model.steps;
  return SearchOutcome::kFound;
}

std::string micros(std::int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f us", static_cast<double>(ns) / 1000.0);
  return buf;
}

std::string show_calls(const std::vector<const CallRecord*>& calls) {
  if (calls.empty()) return "";
  std::vector<const CallRecord*> sorted = calls;
  std::stable_sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) {
    return std::tie(a->thread, a->invoked) < std::tie(b->thread, b->invoked);
  });
  std::int64_t origin = sorted.front()->invoked;
  for (auto* c : sorted) origin = std::min(origin, c->invoked);
  std::string out;
  for (auto* c : sorted) {
    out += "  t" + std::to_string(c->thread) + " s" + std::to_string(c->op.stash) + " [" +
           micros(c->invoked - origin) + ", " + micros(c->returned - origin) + "]  " +
           to_string(Op{0, c->op.call}) + " -> " + c->answer.text + "\n";
  }
  return out;
}

std::string label(const CallRecord& c) {
  return to_string(Op{0, c.op.call}) + " [t" + std::to_string(c.thread) + "]";
}

std::string show_call_set(const std::vector<const CallRecord*>& calls) {
  std::set<CollRef> colls;
  for (auto* c : calls) {
    for (CollRef r : touched(c->op.call)) {
      if (r >= 0) colls.insert(r);
    }
  }
  std::string out;
  for (CollRef r : colls) out += (out.empty() ? "" : ", ") + collection_name(r);
  return out.empty() ? "no collection" : out;
}

// The counterexample for a non-linearizable partition: its calls after
// dropping every call whose absence keeps it non-linearizable (only calls
// that cannot change the state: dropping one from a linearizable history
// leaves it linearizable, so the smaller history is a sound witness).
std::string explain(std::vector<const CallRecord*> calls, const CheckerOptions& options,
                    std::uint64_t max_steps, std::uint64_t& steps) {
  const std::size_t original = calls.size();
  for (std::size_t i = 0; i < calls.size();) {
    if (!leaves_state_alone(*calls[i]) || steps >= max_steps) {
      ++i;
      continue;
    }
    std::vector<const CallRecord*> fewer = calls;
    fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(i));
    const std::uint64_t budget = std::min(max_steps, steps + 20'000);
    if (search(fewer, options, budget, steps, nullptr) == SearchOutcome::kNone) {
      calls = std::move(fewer);
    } else {
      ++i;
    }
  }
  Deepest deepest;
  search(calls, options, steps + 200'000, steps, &deepest);

  std::string out = "not linearizable: " + std::to_string(calls.size()) + " calls on " +
                    show_call_set(calls);
  if (calls.size() < original) {
    out += " (of " + std::to_string(original) +
           " in the partition; the others are not needed to show it)";
  }
  out += ", per thread, with invocation and response times:\n" + show_calls(calls);
  if (deepest.order.empty()) {
    out += "no call can go first:\n";
  } else {
    out += "the longest order the model explains:";
    for (std::size_t i = 0; i < deepest.order.size(); ++i) {
      out += std::string(i ? "," : "") + "\n    " + label(*calls[deepest.order[i]]);
    }
    out += "\nafter it no call can go next:\n";
  }
  std::set<int> shown;
  for (const auto& [id, answer] : deepest.mismatches) {
    if (!shown.insert(id).second) continue;
    out += "  " + label(*calls[id]) + " returned " + calls[id]->answer.text +
           ", the model answers " + answer + " there\n";
  }
  if (deepest.deadline >= 0) {
    out += "  and " + label(*calls[deepest.deadline]) +
           " had returned before any other call could be placed\n";
  }
  if (shown.empty()) {
    out += "  (every call that could go next leads to an order already tried)\n";
  }
  return out;
}

std::vector<std::vector<const CallRecord*>> partitions(const History& history) {
  bool global = false;
  for (const CallRecord& c : history) {
    // collections() reads which collections exist, so it orders against
    // every call that may create one: it joins everything, as a new object
    // or a reopen does.
    if (std::holds_alternative<OpenAnotherOp>(c.op.call) ||
        std::holds_alternative<ReopenOp>(c.op.call) ||
        std::holds_alternative<CollectionsOp>(c.op.call)) {
      global = true;
    }
  }
  std::vector<std::vector<const CallRecord*>> out;
  if (global) {
    out.emplace_back();
    for (const CallRecord& c : history) out.back().push_back(&c);
    return out;
  }
  std::map<CollRef, CollRef> parent;
  std::function<CollRef(CollRef)> find = [&](CollRef x) {
    if (!parent.contains(x)) parent[x] = x;
    return parent[x] == x ? x : parent[x] = find(parent[x]);
  };
  auto real = [](const CallRecord& c) {
    std::vector<CollRef> refs;
    for (CollRef r : touched(c.op.call)) {
      if (r >= 0) refs.push_back(r);
    }
    return refs;
  };
  for (const CallRecord& c : history) {
    const auto refs = real(c);
    for (std::size_t i = 1; i < refs.size(); ++i) parent[find(refs[i])] = find(refs[0]);
    if (!refs.empty()) find(refs[0]);
  }
  std::map<CollRef, std::size_t> index;
  for (const CallRecord& c : history) {
    const auto refs = real(c);
    if (refs.empty()) {
      out.push_back({&c});  // depends on no collection: checked alone
      continue;
    }
    const CollRef root = find(refs[0]);
    if (!index.contains(root)) {
      index[root] = out.size();
      out.emplace_back();
    }
    out[index[root]].push_back(&c);
  }
  return out;
}

}  // namespace

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::kLinearizable: return "linearizable";
    case Verdict::kNotLinearizable: return "NOT linearizable";
    case Verdict::kUnknown: return "unknown";
  }
  return "?";
}

CheckerResult check_linearizable(const History& history, const CheckerOptions& options) {
  CheckerResult result;
  result.verdict = Verdict::kLinearizable;
  const auto parts = partitions(history);
  result.partitions = static_cast<int>(parts.size());
  for (const auto& part : parts) {
    const SearchOutcome o = search(part, options, options.max_steps, result.steps, nullptr);
    if (o == SearchOutcome::kNone) {
      result.verdict = Verdict::kNotLinearizable;
      result.explanation = explain(part, options, options.max_steps, result.steps);
      return result;
    }
    if (o == SearchOutcome::kBound) {
      result.verdict = Verdict::kUnknown;
      result.explanation = "the search hit its bound of " + std::to_string(options.max_steps) +
                           " model calls on a partition of " + std::to_string(part.size()) +
                           " calls on " + show_call_set(part);
      return result;
    }
  }
  return result;
}

int first_sequential_mismatch(const History& history, const CheckerOptions& options) {
  Model model(options);
  for (std::size_t i = 0; i < history.size(); ++i) {
    if (model.execute(history[i].op).text != history[i].answer.text) return static_cast<int>(i);
  }
  return -1;
}

std::string show(const History& history) {
  std::vector<const CallRecord*> calls;
  for (const CallRecord& c : history) calls.push_back(&c);
  return show_calls(calls);
}

}  // namespace stash::conformance::internal
