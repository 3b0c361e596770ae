// stash::open's `etcd:` scheme (registered in impl/open/CMakeLists.txt):
// etcd:HOST:PORT[,HOST:PORT...][/PREFIX][?OPTIONS] (stash/etcd_stash.h).
#include "scheme.h"
#include "stash/etcd_stash.h"

namespace {

stash::Result<std::unique_ptr<stash::Stash>> open_etcd(std::string_view, std::string_view location,
                                                       const stash::OpenOptions& options) {
  auto etcd = stash::parse_etcd_location(location);
  if (!etcd) return std::unexpected(etcd.error());
  etcd->read_only = options.read_only;
  etcd->create_if_missing = options.create_if_missing;
  return stash::open_scheme::as_stash(stash::EtcdStash::open(*etcd));
}

}  // namespace

STASH_OPEN_SCHEME(etcd){
    {"etcd", "etcd:H:P,H:P/PFX an EtcdStash under key prefix /PFX/ of the etcd cluster at H:P,...",
     true},
    open_etcd,
    ""};
