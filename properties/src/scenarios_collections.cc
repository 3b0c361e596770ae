// Scenarios for Stash::collections(): every collection listed once, by name in
// unsigned byte order, whatever the name, with handles that work; nothing
// else listed; the list survives a reopen and is seen by a second object.
#include <string>
#include <vector>

#include "scenario_support.h"

namespace stash::conformance::internal {
namespace {

using namespace std::string_literals;

// Names a backend could mishandle: empty, an embedded NUL, bytes >= 0x80
// (signed char comparison), a prefix of another name, and a name created
// second that sorts first.
const std::vector<std::string> kNames = {"b", "a", ""s, "a\0b"s, "\xC3\xA9", "\x7F", "zz", "a\0"s};
// kNames in unsigned byte order.
const std::string kSorted = "ok [, a, a\\x00, a\\x00b, b, zz, \\x7F, \\xC3\\xA9]";

void lists_every_collection(ScenarioEnv& e) {
  Stash& s = *e.stash;
  Checker& t = e.t;
  t.expect("a fresh stash lists nothing", s.collections(), "ok []");
  std::vector<CollectionHandle> handles;
  handles.reserve(kNames.size());
  for (const std::string& name : kNames) handles.push_back(e.coll(name));
  t.expect_error("a name that is not UTF-8", s.collection("c\xFF"), ErrorCode::kInvalidArgument);
  e.coll("a");  // Loading an existing collection adds nothing.
  t.expect("every collection, sorted by unsigned bytes", s.collections(), kSorted);

  auto listed = s.collections();
  if (!listed) return t.fail("collections: " + listed.error().to_string());
  for (const NamedCollection& c : *listed) {
    auto h = s.collection(c.name);
    if (!h || *h != c.handle) {
      t.fail("the listed handle of \"" + printable(c.name) + "\" is not what collection() returns");
    }
  }
  // The handles work: a write through one listed handle is read through the
  // handle collection() gave.
  for (const NamedCollection& c : *listed) {
    if (c.name != "a\0b"s) continue;
    t.expect("update through the listed handle", s.update(c.handle, "k", "v", 0, 1), "ok");
    t.expect("seal through the listed handle", s.seal(c.handle, Frontier(5)), "ok");
  }
  t.expect("read through collection()'s handle", s.iter(handles[3]), "ok [((k, v), 0, 1)]");
  t.expect("frontiers of a listed collection", s.upper(handles[3]), "ok {5}");
  t.expect("a collection that only has a name is listed", s.since(handles[2]), "ok {0}");
  t.expect("seal {} and compact {} keep it listed", s.seal(handles[0], Frontier::empty()), "ok");
  t.expect("compact {}", s.compact(handles[0], Frontier::empty()), "ok");
  t.expect("still every collection", s.collections(), kSorted);
}

void survives_reopen(ScenarioEnv& e) {
  for (const std::string& name : kNames) e.coll(name);
  e.stash.reset();
  auto reopened = e.harness->reopen();
  if (!reopened) return e.t.fail("reopen: " + reopened.error().to_string());
  e.stash = std::move(*reopened);
  e.t.expect("after reopen", e.stash->collections(), kSorted);
}

void seen_by_another_object(ScenarioEnv& e) {
  for (const std::string& name : kNames) e.coll(name);
  auto b = e.harness->open_another();
  if (!b) return e.t.fail("open_another: " + b.error().to_string());
  e.t.expect("a second object lists them", (*b)->collections(), kSorted);
  e.coll(**b, "new");
  const std::string with_new = "ok [, a, a\\x00, a\\x00b, b, new, zz, \\x7F, \\xC3\\xA9]";
  e.t.expect("and one it created", (*b)->collections(), with_new);
}

}  // namespace

std::vector<CheckDef> collections_scenario_checks() {
  return {
      scenario("collections: every collection by name, in byte order", "ScenarioCollections",
               std::nullopt, lists_every_collection),
      scenario("collections: the list survives a reopen", "ScenarioCollectionsReopen",
               Capability::kDurable, survives_reopen),
      scenario("collections: a second Stash object lists the same", "ScenarioCollectionsShared",
               Capability::kSeveralHandles, seen_by_another_object),
  };
}

}  // namespace stash::conformance::internal
