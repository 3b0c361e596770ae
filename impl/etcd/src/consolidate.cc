// consolidate (first version: checks the fence and the handle only; the
// proportional folding into base keys comes next).
#include "etcd_stash_impl.h"
#include "stash/rules.h"

namespace stash {

Status EtcdStash::consolidate(CollectionHandle c) {
  return impl_->run("consolidate", true, [&](etcd::Call& call) -> Status {
    auto known = call.frontiers({c.id});
    if (!known) return std::unexpected(known.error());
    if (!known->at(c.id)) return std::unexpected(rules::unknown_collection(c));
    return {};
  });
}

}  // namespace stash
