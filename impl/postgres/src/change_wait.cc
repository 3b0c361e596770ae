// PostgresStash::wait_for_change: subscriptions wake on the schema's
// upper-moved notifications (the trigger in schema.cc, heard by the
// stash's Listener), sent by writers in any process.
//
// The mark is taken before upper is read, and only while LISTEN is in
// effect, so a write that moves upper after that read is always heard. While
// the listener is not listening (starting, or reconnecting after a loss),
// nothing can be trusted: the wait returns as soon as LISTEN is in effect
// again (or at the deadline), and the subscription re-reads upper.
#include "postgres_stash_impl.h"

namespace stash {

Status PostgresStash::wait_for_change(CollectionHandle c, const Frontier& known_upper,
                                      std::chrono::steady_clock::time_point deadline) {
  postgres::Listener& listener = impl_->listener();
  const postgres::Listener::Mark mark = listener.mark(c.id);
  if (mark.listening) {
    auto upper = this->upper(c);
    if (!upper) return std::unexpected(upper.error());
    if (*upper != known_upper) return {};
  }
  listener.wait(c.id, mark, deadline);
  return {};
}

std::uint64_t PostgresStash::listen_sessions() {
  return impl_->listener().sessions_started();
}

}  // namespace stash
