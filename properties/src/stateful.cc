// The stateful model test: random valid and invalid commands, one per
// operation, issued to the backend and to the model (MemoryStash) through
// one or several Stash objects; every result and error code must agree.
// Durable backends also get Reopen (everything acknowledged survives);
// several_handles backends get OpenAnother (and, with fencing, the older
// objects must answer kFenced from then on).
#include "checks.h"
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
              want.detailed());
    }
    if (std::holds_alternative<ReopenOp>(op.call)) compare_state("after " + to_string(op));
  }

  // The whole observable state through the newest Stash object must match.
  void compare_state(const std::string& when) {
    const auto keys = key_alphabet(config.keys);
    const int newest = backend->objects() - 1;
    if (newest < 0 || newest != model->objects() - 1) RC_FAIL(when + ": no Stash object open");
    const std::string got = backend->observe(newest, config.collections, keys).render();
    const std::string want = model->observe(newest, config.collections, keys).render();
    if (got != want) RC_FAIL(when + ", reads differ.\nbackend:\n" + got + "model:\n" + want);
  }
};

// The error codes the model can produce with `config` (the list).
std::vector<std::string> wanted_coverage(const GenConfig& config) {
  std::vector<std::string> wanted;
  if (config.events.durable) return {"op reopen"};
  if (config.events.several_handles) {
    wanted = {"op open_another", "event call through a second Stash object"};
    if (config.events.fencing) wanted.push_back("error fenced");
    return wanted;
  }
  for (const std::string& op : all_op_names()) {
    if (op != "reopen" && op != "open_another") wanted.push_back("op " + op);
  }
  for (const char* code : {"frontier_violation", "multiplicity", "not_found",
                           "invalid_argument", "out_of_range"}) {
    wanted.push_back("error " + std::string(code));
  }
  wanted.push_back("event frontier moved to {}");
  return wanted;
}

CheckOutput run_stateful(Context& ctx, const std::string& id, GenConfig config) {
  Coverage mine;
  CheckOutput out = check_property(ctx, id, [&ctx, &config, &mine] {
    auto backend = World::open(ctx.backend);
    if (!backend) RC_FAIL("open_fresh failed: " + backend.error().to_string());
    (*backend)->coverage = &mine;
    ModelSut sut{std::move(*backend), World::model(ctx.make_model, config.events), config};
    rc::state::check(GenState(config), sut, gen_command<ModelSut>);
    sut.compare_state("at the end");
  });
  for (const auto& [what, n] : mine) (*ctx.coverage)[what] += n;
  if (!out.passed) return out;
  return require_coverage(mine, wanted_coverage(config));
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
    return run_stateful(ctx, test_name, config);
  };
  return {Area::kStateful, std::move(title), std::move(test_name), needs, body};
}

}  // namespace

std::vector<CheckDef> stateful_checks() {
  return {
      stateful("stateful: random commands agree with the model", "StatefulModel", std::nullopt),
      stateful("stateful: reopen keeps every acknowledged write", "StatefulReopen",
               Capability::kDurable),
      stateful("stateful: several Stash objects on one store (fencing if declared)",
               "StatefulSeveralHandles", Capability::kSeveralHandles),
  };
}

}  // namespace stash::conformance::internal
