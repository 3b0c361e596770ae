// wait_for_change over etcd's watch API: read upper (and the revision it was
// read at); if it is still `known_upper`, watch the collection's frontier
// key from the next revision on, so that a change committed in between is
// reported too, and return at the first event or at the deadline. The
// object's mutex is held only for the read, never while waiting.
#include <thread>

#include "etcd_stash_impl.h"
#include "stash/rules.h"

namespace stash {
namespace {

// gRPC takes system_clock deadlines.
std::chrono::system_clock::time_point system_deadline(etcd::Clock::time_point deadline) {
  const auto left = std::max(etcd::Clock::duration::zero(), deadline - etcd::Clock::now());
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(left);
}

}  // namespace

Status EtcdStash::wait_for_change(CollectionHandle c, const Frontier& known_upper,
                                  std::chrono::steady_clock::time_point deadline) {
  const std::string key = impl_->keys().meta(c.id);
  struct Seen {
    Frontier upper;
    std::int64_t revision;
  };
  auto seen = impl_->run("wait_for_change", false, [&](etcd::Call& call) -> Result<Seen> {
    auto snap = call.read({etcd::range_op(key)});
    if (!snap) return std::unexpected(snap.error());
    const auto& kvs = snap->ranges[0].kvs();
    if (kvs.empty()) return std::unexpected(rules::unknown_collection(c));
    auto meta = etcd::decode_meta(kvs[0].value());
    if (!meta) return fail(ErrorCode::kCorruption, "etcd: the frontier key of collection " +
                                                       std::to_string(c.id) + " does not decode");
    return Seen{meta->upper, snap->revision};
  });
  if (!seen) return std::unexpected(seen.error());
  if (seen->upper != known_upper || etcd::Clock::now() >= deadline) return {};

  grpc::ClientContext context;
  context.set_deadline(system_deadline(deadline));
  auto stream = impl_->client().watch(&context);
  etcdserverpb::WatchRequest request;
  auto* create = request.mutable_create_request();
  create->set_key(key);
  create->set_start_revision(seen->revision + 1);
  bool event = false;
  bool created = false;
  if (stream->Write(request)) {
    etcdserverpb::WatchResponse response;
    while (!event && stream->Read(&response)) {
      created = created || response.created();
      // A compacted start revision cancels the watch: the key may have
      // changed meanwhile, so report a possible change (returning early is
      // allowed; the caller reads upper again).
      event = response.events_size() > 0 || response.canceled() || response.compact_revision() != 0;
    }
  }
  context.TryCancel();
  (void)stream->Finish();  // cancelled or past the deadline: nothing to report
  if (!event && !created) {
    // The member would not watch (down, restarting): wait a little, as the
    // polling default does, rather than have the caller spin.
    impl_->client().fail_over();
    std::this_thread::sleep_until(std::min(deadline, etcd::Clock::now() + std::chrono::milliseconds(5)));
  }
  return {};
}

}  // namespace stash
