// The conformance kit's Harness for EtcdStash: every fresh store is a prefix
// of its own (BASE PREFIX + a random name + "/") on one cluster, opened with
// stash::open("etcd:ENDPOINTS/PREFIX?OPTIONS"); reopen() and open_another()
// open the same prefix, so the kit's durability, several-handles and
// fencing checks apply. Each store's keys are deleted
// (EtcdStash::destroy) when its harness is done with it. Used by the
// backend's conformance test and by `stash check etcd:...`.
//
// Not declared: crash. A cluster member's power loss is the fault tests'
// business (the etcd fault tests kill, pause and restart members); the
// kit's crash area needs a store
// that loses unsynced writes on demand, which a replicated store does not.
#ifndef STASH_ETCD_HARNESS_H_
#define STASH_ETCD_HARNESS_H_

#include <memory>
#include <string>

#include "stash/conformance.h"

namespace stash {

class EtcdHarness : public conformance::Harness {
 public:
  // `location` is an etcd: URL's location, "h1:p1,h2:p2[/base][?options]";
  // each store is a new prefix under /base/ (default /stash-kit/).
  explicit EtcdHarness(std::string location);
  ~EtcdHarness() override;

  // A factory of harnesses on `location`. Errors: kInvalidArgument if the
  // location does not parse (as stash::open would say).
  static Result<conformance::HarnessFactory> factory(const std::string& location);

  // Durable, several handles, fencing.
  conformance::Capabilities capabilities() const override;
  Result<std::unique_ptr<Stash>> open_fresh() override;
  Result<std::unique_ptr<Stash>> reopen() override;
  Result<std::unique_ptr<Stash>> open_another() override;

 private:
  void drop();

  const std::string location_;
  std::string url_;  // of the current store; empty before open_fresh
};

}  // namespace stash

#endif  // STASH_ETCD_HARNESS_H_
