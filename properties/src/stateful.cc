// The stateful model test: random valid and invalid commands, one per
// operation, issued to the backend and to the model (MemoryStash) through
// one or several Stash objects; every result and error code must agree.
// Durable backends also get Reopen (everything acknowledged survives);
// several_handles backends get OpenAnother (and, with fencing, the older
// objects must answer kFenced from then on). Every error must also carry the
// facts stash.h documents (facts.h). Each case draws its own adversarial
// alphabet of names, keys and values, and every handle the kit is issued
// stays in use. The scale check adds tens of collections and batches of
// thousands of entries.
#include <algorithm>

#include "checks.h"
#include "facts.h"
#include "generators.h"

namespace stash::conformance::internal {
namespace {

struct ModelSut {
  std::unique_ptr<World> backend;
  std::unique_ptr<World> model;
  GenConfig config;

  void run(const Op& op) {
    const Answer want = model->execute(op);
    const Answer got = backend->execute(op);
    if (got.text != want.text) {
      RC_FAIL(to_string(op) + ": backend returned " + got.detailed() + ", model returned " +
              want.detailed() + alphabet_note());
    }
    if (auto missing = missing_facts(op.call, got, want)) {
      RC_FAIL(to_string(op) + ": " + *missing + "; the model said \"" + want.message + "\"" + alphabet_note());
    }
    if (std::holds_alternative<ReopenOp>(op.call)) compare_state("after " + to_string(op));
  }

  // The whole observable state through the newest Stash object must match,
  // read with every key of the alphabet.
  void compare_state(const std::string& when) {
    const auto& keys = config.alphabet.keys;
    const int newest = backend->objects() - 1;
    if (newest < 0 || newest != model->objects() - 1) RC_FAIL(when + ": no Stash object open");
    const Observation got = backend->observe(newest, config.collections, keys);
    const Observation want = model->observe(newest, config.collections, keys);
    if (got.render() != want.render()) {
      RC_FAIL(when + ", reads differ." + alphabet_note() + "\nbackend:\n" + got.render() + "model:\n" + want.render());
    }
    if (auto missing = missing_facts(got, want)) RC_FAIL(when + ": " + *missing + alphabet_note());
  }

  // c0.. and the keys in a counterexample stand for these.
  std::string alphabet_note() const {
    std::string out = "\n(names:";
    for (std::size_t i = 0; i < config.alphabet.names.size(); ++i) {
      out += " c" + std::to_string(i) + "=\"" + printable(abbreviated(config.alphabet.names[i])) + "\"";
    }
    out += "; keys:";
    for (const Bytes& k : config.alphabet.keys) out += " \"" + printable(abbreviated(k)) + "\"";
    return out + ")";
  }
  static std::string abbreviated(const std::string& s) {
    if (s.size() <= 40) return s;
    return s.substr(0, 16) + "...(" + std::to_string(s.size()) + " bytes)..." + s.substr(s.size() - 8);
  }
};

// The error codes the model can produce with `config` (the list).
std::vector<std::string> wanted_coverage(const GenConfig& config) {
  std::vector<std::string> wanted;
  if (config.events.durable) return {"op reopen"};
  if (config.events.several_handles) {
    wanted = {"op open_another", "event call through a second Stash object"};
    if (config.events.fencing) wanted.emplace_back("error fenced");
    return wanted;
  }
  for (const std::string& op : all_op_names()) {
    if (op != "reopen" && op != "open_another") wanted.push_back("op " + op);
  }
  for (const char* code : {"frontier_violation", "multiplicity", "not_found",
                           "invalid_argument", "out_of_range"}) {
    wanted.push_back("error " + std::string(code));
  }
  wanted.emplace_back("event frontier moved to {}");
  return wanted;
}

CheckOutput run_stateful(Context& ctx, const std::string& id, GenConfig base,
                         const std::string& area, int cases,
                         const std::vector<std::string>& wanted) {
  Coverage mine;
  Context mine_ctx = ctx;
  mine_ctx.options.max_success = cases;
  CheckOutput out = check_property(mine_ctx, id, [&ctx, &base, &mine, &area] {
    GenConfig config = base;
    config.alphabet = *gen_alphabet(config.collections, 3, 3);
    auto backend = World::open(ctx.backend);
    if (!backend) RC_FAIL("open_fresh failed: " + backend.error().to_string());
    (*backend)->coverage = &mine;
    (*backend)->area = area;
    (*backend)->set_names(config.alphabet.names);
    auto model = World::model(ctx.make_model, config.events);
    model->set_names(config.alphabet.names);
    ModelSut sut{std::move(*backend), std::move(model), config};
    rc::state::check(GenState(config), sut, gen_command<ModelSut>);
    sut.compare_state("at the end");
  });
  merge(*ctx.coverage, mine);
  if (!out.passed) return out;
  return require_coverage(mine, wanted, ctx.options.max_success);
}

CheckDef stateful(std::string title, std::string test_name, std::optional<Capability> needs) {
  auto body = [test_name, needs](Context& ctx) {
    GenConfig config;
    config.extreme_diffs = true;
    const Capabilities caps = ctx.backend.make_harness()->capabilities();
    if (needs == Capability::kDurable) config.events.durable = true;
    if (needs == Capability::kSeveralHandles) {
      config.events.several_handles = true;
      config.events.fencing = caps.fencing;
    }
    return run_stateful(ctx, test_name, config, "stateful", ctx.options.max_success,
                        wanted_coverage(config));
  };
  return {Area::kStateful, std::move(title), std::move(test_name), needs, body};
}

// Tens of collections (40), update_many batches of up to 2500 entries (so
// collections of thousands of rows), reopens on durable backends. A tenth of
// the cases of the other checks keeps its cost near theirs.
CheckDef stateful_scale() {
  auto body = [](Context& ctx) {
    GenConfig config;
    config.collections = 40;
    config.bulk_entries = 2500;
    config.events.durable = ctx.backend.make_harness()->capabilities().durable;
    const int cases = std::max(2, ctx.options.max_success / 10);
    return run_stateful(ctx, "StatefulScale", config, "scale", cases, {"op update_many"});
  };
  return {Area::kStateful, "stateful: scale: 40 collections, batches of thousands, reopen if durable",
          "StatefulScale", std::nullopt, body};
}

}  // namespace

std::vector<CheckDef> stateful_checks() {
  return {
      stateful("stateful: random commands agree with the model", "StatefulModel", std::nullopt),
      stateful("stateful: reopen keeps every acknowledged write", "StatefulReopen",
               Capability::kDurable),
      stateful("stateful: several Stash objects on one store (fencing if declared)",
               "StatefulSeveralHandles", Capability::kSeveralHandles),
      stateful_scale(),
  };
}

}  // namespace stash::conformance::internal
