#include "stash/etcd_harness.h"

#include <mutex>
#include <random>
#include <sstream>

#include "stash/etcd_stash.h"
#include "stash/open.h"

namespace stash {
namespace {

// The parts of a location: endpoints, base prefix (no trailing '/'), query.
struct Parts {
  std::string endpoints;
  std::string base = "/stash-kit";
  std::string query;
};

Parts split(const std::string& location) {
  Parts p;
  std::string rest = location;
  if (auto q = rest.find('?'); q != std::string::npos) {
    p.query = rest.substr(q);
    rest = rest.substr(0, q);
  }
  p.endpoints = rest;
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    p.endpoints = rest.substr(0, slash);
    p.base = rest.substr(slash);
    while (p.base.size() > 1 && p.base.back() == '/') p.base.pop_back();
  }
  return p;
}

std::string fresh_name() {
  static std::mt19937_64 random{std::random_device{}()};
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::ostringstream name;
  name << std::hex << random();
  return name.str();
}

}  // namespace

EtcdHarness::EtcdHarness(std::string location) : location_(std::move(location)) {}

EtcdHarness::~EtcdHarness() { drop(); }

Result<conformance::HarnessFactory> EtcdHarness::factory(const std::string& location) {
  if (auto parsed = parse_etcd_location(location); !parsed) return std::unexpected(parsed.error());
  return conformance::HarnessFactory([location] { return std::make_unique<EtcdHarness>(location); });
}

conformance::Capabilities EtcdHarness::capabilities() const {
  return {.durable = true, .several_handles = true, .fencing = true};
}

void EtcdHarness::drop() {
  if (url_.empty()) return;
  auto options = parse_etcd_location(url_.substr(5));
  if (options) (void)EtcdStash::destroy(*options);  // best effort: a leftover prefix is harmless
  url_.clear();
}

Result<std::unique_ptr<Stash>> EtcdHarness::open_fresh() {
  drop();
  const Parts p = split(location_);
  url_ = "etcd:" + p.endpoints + p.base + "/" + fresh_name() + p.query;
  return reopen();
}

Result<std::unique_ptr<Stash>> EtcdHarness::reopen() { return stash::open(url_); }

Result<std::unique_ptr<Stash>> EtcdHarness::open_another() { return reopen(); }

}  // namespace stash
