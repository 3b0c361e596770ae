#include "world.h"

#include <algorithm>
#include <limits>
#include <sstream>

#include "stash/memory_stash.h"

namespace stash::conformance::internal {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

template <typename T>
std::string join(const std::vector<T>& v) {
  std::ostringstream os;
  os << "[";
  for (std::size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << "]";
  return os.str();
}

}  // namespace

Answer failed(const Error& e) {
  return {"error " + std::string(to_string(e.code())), e.code(), e.message()};
}

void note_max(Coverage& coverage, const std::string& what, std::uint64_t value) {
  std::uint64_t& slot = coverage["max " + what];
  slot = std::max(slot, value);
}

void merge(Coverage& into, const Coverage& from) {
  for (const auto& [what, n] : from) {
    if (what.starts_with("max ")) {
      into[what] = std::max(into[what], n);
    } else {
      into[what] += n;
    }
  }
}

std::unique_ptr<Stash> make_memory_model() { return std::make_unique<MemoryStash>(); }

std::string Answer::detailed() const {
  if (ok()) return text;
  return text + " (" + message + ")";
}

std::string render(const std::vector<Update>& v) { return join(v); }
std::string render(const std::vector<ValueUpdate>& v) { return join(v); }
std::string render(const std::vector<PeekEntry>& v) { return join(v); }
std::string render(const std::map<Bytes, Bytes>& m) {
  std::string out = "{";
  for (const auto& [k, v] : m) {
    out += (out.size() > 1 ? ", " : "") + printable(k) + ": " + printable(v);
  }
  return out + "}";
}
std::string render(const std::optional<Bytes>& v) { return v ? printable(*v) : "none"; }
std::string render(const Frontier& f) { return f.to_string(); }
std::string render(Timestamp t) { return std::to_string(t); }
std::string render(CollectionHandle) { return "handle"; }
std::string render(const std::vector<NamedCollection>& v) { return join(v); }

Answer outcome(const Status& s) {
  if (!s) return failed(s.error());
  return {"ok", std::nullopt, ""};
}

std::vector<Bytes> key_alphabet(int keys) {
  std::vector<Bytes> out;
  out.reserve(keys);
  for (int i = 0; i < keys; ++i) out.push_back("k" + std::to_string(i));
  return out;
}

std::string CollectionView::render(const std::string& name) const {
  std::string out;
  auto line = [&](const std::string& what, const Answer& o) {
    out += name + " " + what + ": " + o.text + "\n";
  };
  line("since", outcome(since));
  line("upper", outcome(upper));
  line("iter", outcome(iter));
  for (const auto& [k, r] : iter_key) line("iter_key " + printable(k), outcome(r));
  line("peek_timestamp", outcome(peek_ts));
  line("peek", outcome(peek));
  line("peek_one", outcome(peek_one));
  for (const auto& [k, r] : peek_key_one) line("peek_key_one " + printable(k), outcome(r));
  return out;
}

std::string Observation::render() const {
  std::string out;
  for (std::size_t i = 0; i < collections.size(); ++i) {
    out += collections[i].render(collection_name(static_cast<CollRef>(i)));
  }
  return out;
}


World::~World() {
  // Close every Stash before the harness that made them.
  objects_.clear();
}

Result<std::unique_ptr<World>> World::open(const Backend& backend) {
  std::unique_ptr<World> world(new World());
  world->harness_ = backend.make_harness();
  world->caps_ = world->harness_->capabilities();
  auto object = world->adopt(world->harness_->open_fresh());
  if (!object) return std::unexpected(object.error());
  world->objects_.push_back(std::move(*object));
  return world;
}

std::unique_ptr<World> World::model(const ModelFactory& make_model, Capabilities caps) {
  std::unique_ptr<World> world(new World());
  world->model_ = make_model();
  world->caps_ = caps;
  world->objects_.push_back(*world->adopt(nullptr));
  return world;
}

Result<std::unique_ptr<World::Object>> World::adopt(Result<std::unique_ptr<Stash>> stash) {
  auto object = std::make_unique<Object>();
  if (model_) {
    object->stash = model_;
  } else {
    if (!stash) return std::unexpected(stash.error());
    object->stash = std::shared_ptr<Stash>(std::move(*stash));
  }
  return object;
}

CollectionHandle World::bogus_handle() const {
  for (std::int64_t id : {std::numeric_limits<std::int64_t>::max(), std::int64_t{-1},
                          std::numeric_limits<std::int64_t>::min(), std::int64_t{999983}}) {
    if (!issued_.contains(id)) return CollectionHandle{id};
  }
  return CollectionHandle{424242};
}

Result<CollectionHandle> World::handle(Object& o, CollRef c, unsigned pick) {
  if (c == kBogus) return bogus_handle();
  if (c < 0 || c >= static_cast<CollRef>(names_.size())) {
    return fail(ErrorCode::kInternal, "kit: no collection c" + std::to_string(c));
  }
  std::vector<CollectionHandle>& mine = o.handles[c];
  // Every handle this object was issued for c, then (several_handles) every
  // handle the other open objects of the store were issued for it.
  std::vector<CollectionHandle> pool = mine;
  if (caps_.several_handles && pick != 0) {
    for (const auto& other : objects_) {
      if (other.get() == &o) continue;
      if (auto it = other->handles.find(c); it != other->handles.end()) {
        pool.insert(pool.end(), it->second.begin(), it->second.end());
      }
    }
  }
  // An object with no handle of its own yet asks for one, unless the pick
  // says to use another object's (so some calls run on a handle this object
  // never issued).
  if (mine.empty() && (pool.empty() || pick % 2 == 0)) {
    auto h = o.stash->collection(names_[c]);
    if (!h) return h;
    issued_.insert(h->id);
    mine.push_back(*h);
    pool.insert(pool.begin(), *h);
  }
  if (pick == 0) return mine.front();
  return pool[pick % pool.size()];
}

Answer World::execute(const Op& op) {
  Answer out;
  if (std::holds_alternative<ReopenOp>(op.call)) {
    out = reopen();
  } else if (std::holds_alternative<OpenAnotherOp>(op.call)) {
    out = open_another();
  } else if (op.stash < 0 || op.stash >= objects()) {
    out = failed(Error(ErrorCode::kInternal, "kit: no Stash object s" + std::to_string(op.stash)));
  } else if (objects_[op.stash]->fenced) {
    out = failed(Error(ErrorCode::kFenced, "model: a newer Stash object fenced this one"));
  } else {
    pick_ = op.pick;
    out = execute_call(*objects_[op.stash], op.call);
    pick_ = 0;
  }
  count(op, out);
  return out;
}

void World::count(const Op& op, const Answer& out) {
  if (!coverage) return;
  ++(*coverage)["op " + op_name(op.call)];
  if (!out.ok()) ++(*coverage)["error " + std::string(to_string(*out.code))];
  if (op.stash > 0) ++(*coverage)["event call through a second Stash object"];
  auto empty_target = [](const auto& call) {
    using T = std::decay_t<decltype(call)>;
    if constexpr (std::is_same_v<T, SealOp> || std::is_same_v<T, CompactOp>) {
      return call.frontier.is_empty();
    }
    return false;
  };
  if (out.ok() && std::visit(empty_target, op.call)) {
    ++(*coverage)["event frontier moved to {}"];
  }
  if (out.ok() && std::holds_alternative<CollectionOp>(op.call)) {
    const std::string& name = std::get<CollectionOp>(op.call).name;
    for (const auto& o : objects_) {
      for (const auto& [c, hs] : o->handles) {
        if (names_[c] == name) note_max(*coverage, area + ": handles per collection", hs.size());
      }
    }
  }
  count_dimensions(op);
}

namespace {

bool extreme(Timestamp t) {
  constexpr Timestamp kMax = std::numeric_limits<Timestamp>::max();
  constexpr Timestamp kMin = std::numeric_limits<Timestamp>::min();
  return t >= kMax - 2 || t <= kMin + 2;
}

bool extreme(const Frontier& f) { return f.element() && extreme(*f.element()); }

}  // namespace

void World::count_dimensions(const Op& op) {
  if (area.empty()) return;
  Coverage& cov = *coverage;
  const std::string a = area + ": ";
  note_max(cov, a + "collections", names_.size());
  std::uint64_t name_bytes = 0;
  for (const std::string& n : names_) name_bytes = std::max<std::uint64_t>(name_bytes, n.size());
  note_max(cov, a + "name bytes", name_bytes);
  auto bytes = [&](const Bytes& b, const char* what) {
    note_max(cov, a + what + " bytes", b.size());
    if (b.find('\0') != Bytes::npos) ++cov[a + what + "s with NUL"];
    if (std::any_of(b.begin(), b.end(), [](char ch) { return static_cast<unsigned char>(ch) >= 0x80; })) {
      ++cov[a + what + "s with bytes >= 0x80"];
    }
    if (b.empty()) ++cov[a + "empty " + what + "s"];
  };
  auto entries = [&](const std::vector<Update>& es) {
    note_max(cov, a + "batch entries", es.size());
    for (const Update& u : es) {
      bytes(u.key, "key");
      bytes(u.value, "value");
      if (extreme(u.time)) ++cov[a + "entries at extreme times"];
    }
  };
  auto frontier = [&](const Frontier& f) {
    if (extreme(f)) ++cov[a + "frontiers at extreme times"];
  };
  std::visit(Overloaded{
                 [&](const UpdateOp& o) { entries({o.entry}); },
                 [&](const UpdateManyOp& o) { entries(o.entries); },
                 [&](const SealOp& o) { frontier(o.frontier); },
                 [&](const CompactOp& o) { frontier(o.frontier); },
                 [&](const SealBatchOp& o) { for (const auto& r : o.requests) frontier(r.frontier); },
                 [&](const CompactBatchOp& o) { for (const auto& r : o.requests) frontier(r.frontier); },
                 [&](const AppendOp& o) {
                   std::vector<Update> all;
                   for (const auto& b : o.batches) {
                     all.insert(all.end(), b.entries.begin(), b.entries.end());
                     frontier(b.lower);
                     frontier(b.upper);
                   }
                   for (std::size_t i = 1; i < o.batches.size(); ++i) {
                     if (o.batches[i].c == o.batches[i - 1].c &&
                         o.batches[i].lower == o.batches[i - 1].upper) {
                       ++cov[a + "append chains through one collection"];
                     }
                   }
                   entries(all);
                 },
                 [&](const IterKeyOp& o) { bytes(o.key, "key"); },
                 [&](const PeekKeyOneOp& o) { bytes(o.key, "key"); },
                 [](const auto&) {},
             },
             op.call);
  if (op.pick != 0) ++cov[a + "calls through a handle picked among several"];
}

Answer World::reopen() {
  objects_.clear();  // the harness contract: close everything first
  auto object = adopt(model_ ? nullptr : harness_->reopen());
  if (!object) return failed(object.error());
  objects_.push_back(std::move(*object));
  return outcome(Status{});
}

Answer World::open_another() {
  auto object = adopt(model_ ? nullptr : harness_->open_another());
  if (!object) return failed(object.error());
  if (model_ && caps_.fencing) {
    for (auto& o : objects_) o->fenced = true;
  }
  objects_.push_back(std::move(*object));
  return outcome(Status{});
}

Observation World::observe(int stash, int collections, const std::vector<Bytes>& keys) {
  Observation obs;
  Object& o = *objects_.at(stash);
  for (CollRef c = 0; c < collections && c < static_cast<CollRef>(names_.size()); ++c) {
    CollectionView v;
    auto fenced = std::unexpected(Error(ErrorCode::kFenced, "model: fenced"));
    auto h = o.fenced ? Result<CollectionHandle>(fenced) : handle(o, c);
    auto lift = [&](auto read) -> decltype(read(CollectionHandle{})) {
      if (!h) return std::unexpected(h.error());
      return read(*h);
    };
    Stash& s = *o.stash;
    v.since = lift([&](CollectionHandle x) { return s.since(x); });
    v.upper = lift([&](CollectionHandle x) { return s.upper(x); });
    v.iter = lift([&](CollectionHandle x) { return s.iter(x); });
    v.peek_ts = lift([&](CollectionHandle x) { return s.peek_timestamp(x); });
    v.peek = lift([&](CollectionHandle x) { return s.peek(x); });
    v.peek_one = lift([&](CollectionHandle x) { return s.peek_one(x); });
    for (const Bytes& k : keys) {
      v.iter_key[k] = lift([&](CollectionHandle x) { return s.iter_key(x, k); });
      v.peek_key_one[k] = lift([&](CollectionHandle x) { return s.peek_key_one(x, k); });
    }
    obs.collections.push_back(std::move(v));
  }
  return obs;
}

}  // namespace stash::conformance::internal
