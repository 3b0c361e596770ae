// Opening an EtcdStash: check the options, read the prefix's layout key and
// fence, create the stash in an empty prefix, and (for a writer) take the
// fence, recording the counter of the writer it fences (Call::landed reads
// it). Every step is a transaction that compares what it read, retried
// within the open's deadline.
#include <random>
#include <thread>

#include "etcd_stash_impl.h"

namespace stash {
namespace {

using etcd::Fence;

Error invalid(const std::string& why) { return Error(ErrorCode::kInvalidArgument, "etcd: open: " + why); }

std::string random_nonce() {
  std::random_device device;
  std::string nonce;
  for (int i = 0; i < 16; ++i) nonce.push_back(static_cast<char>(device() & 0xff));
  return nonce;
}

Status check_options(const EtcdOptions& o) {
  if (o.endpoints.empty()) return std::unexpected(invalid("no endpoints"));
  for (const std::string& e : o.endpoints) {
    const auto colon = e.rfind(':');
    if (e.empty() || colon == std::string::npos || colon == 0 || colon + 1 == e.size()) {
      return std::unexpected(invalid("endpoint \"" + printable(e) + "\" is not host:port"));
    }
    const std::string port = e.substr(colon + 1);
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) < 1 || std::stoi(port) > 65535) {
      return std::unexpected(invalid("endpoint \"" + printable(e) + "\": port must be 1-65535"));
    }
  }
  if (o.prefix.size() < 2 || o.prefix.front() != '/' || o.prefix.back() != '/' ||
      o.prefix.find('\0') != std::string::npos) {
    return std::unexpected(invalid("prefix \"" + printable(o.prefix) +
                                   "\" must start and end with '/', hold something between, "
                                   "and no NUL"));
  }
  if (o.call_timeout_ms <= 0 || o.attempt_timeout_ms <= 0 || o.max_retries < 0 ||
      o.backoff_initial_ms < 0 || o.backoff_max_ms < 0 || o.max_txn_ops < 8 ||
      o.max_request_bytes < 4096 || o.compact_history_every < 0) {
    return std::unexpected(invalid(
        "an option is out of range (call_timeout_ms and attempt_timeout_ms > 0, max_txn_ops >= 8, "
        "max_request_bytes >= 4096, the others >= 0)"));
  }
  return {};
}

// What the prefix holds, read in one snapshot.
struct Found {
  std::int64_t revision = 0;
  std::optional<std::string> layout;
  std::optional<Fence> fence;
  std::int64_t fence_mod = 0;
  bool fence_garbled = false;
  bool anything = false;  // any key at all under the prefix
  std::string first_key;
};

class Opener {
 public:
  Opener(const EtcdOptions& o, etcd::Client& client)
      : o_(o), client_(client), keys_(o.prefix),
        deadline_(etcd::Clock::now() + std::chrono::milliseconds(o.call_timeout_ms)) {}

  Result<std::unique_ptr<EtcdStash::Impl>> run(std::unique_ptr<etcd::Client> owned);

 private:
  // One transaction attempt; the status is the RPC's.
  grpc::Status txn(const etcdserverpb::TxnRequest& r, etcdserverpb::TxnResponse* out) {
    return client_.txn(r, out, std::min(deadline_, etcd::Clock::now() +
                                                       std::chrono::milliseconds(o_.attempt_timeout_ms)));
  }
  grpc::Status look(Found* found);
  Result<std::optional<Fence>> step(const Found& found);
  bool backoff();

  const EtcdOptions& o_;
  etcd::Client& client_;
  const etcd::Keys keys_;
  const etcd::Clock::time_point deadline_;
  const std::string nonce_ = random_nonce();
  int attempts_ = 0;
  std::string last_;
};

grpc::Status Opener::look(Found* found) {
  etcdserverpb::TxnRequest r;
  *r.add_success() = etcd::range_op(keys_.layout());
  *r.add_success() = etcd::range_op(keys_.fence());
  etcd::RequestOp any = etcd::prefix_op(keys_.prefix());
  any.mutable_request_range()->set_limit(1);
  any.mutable_request_range()->set_keys_only(true);
  *r.add_success() = any;
  etcdserverpb::TxnResponse response;
  grpc::Status s = txn(r, &response);
  if (!s.ok()) return s;
  found->revision = response.header().revision();
  const auto& layout = response.responses(0).response_range().kvs();
  if (!layout.empty()) found->layout = layout[0].value();
  const auto& fence = response.responses(1).response_range().kvs();
  if (!fence.empty()) {
    found->fence = etcd::decode_fence(fence[0].value());
    found->fence_garbled = !found->fence;
    found->fence_mod = fence[0].mod_revision();
  }
  const auto& first = response.responses(2).response_range().kvs();
  found->anything = !first.empty();
  if (found->anything) found->first_key = first[0].key();
  return s;
}

// From what the prefix holds: the writer's fence once taken (nullopt for a
// read-only open), or an error; kUnavailable with last_ set means "look
// again" (a compare failed, or an attempt did).
Result<std::optional<Fence>> Opener::step(const Found& found) {
  const std::string where = "prefix \"" + printable(o_.prefix) + "\"";
  if (!found.layout) {
    if (found.anything) {
      return std::unexpected(invalid(where + " holds keys (e.g. \"" + printable(found.first_key) +
                                     "\") but no layout key \"" + printable(keys_.layout()) +
                                     "\": a foreign layout, not a stash; nothing was written"));
    }
    if (o_.read_only || !o_.create_if_missing) {
      return fail(ErrorCode::kNotFound, "etcd: open: no stash under " + where);
    }
  } else if (*found.layout != etcd::kLayoutValue) {
    return std::unexpected(invalid(where + " holds a layout key of value \"" +
                                   printable(found.layout->substr(0, 64)) +
                                   "\"; this library reads \"" + std::string(etcd::kLayoutValue) +
                                   "\" only (a foreign or incompatible layout); nothing was written"));
  } else if (!found.fence || found.fence_garbled) {
    return fail(ErrorCode::kCorruption, "etcd: open: the fence key under " + where +
                                            (found.fence ? " does not decode" : " is missing"));
  }
  if (o_.read_only) return std::optional<Fence>();
  // A previous attempt of ours may have landed with its reply lost.
  if (found.fence && found.fence->nonce == nonce_) return std::optional<Fence>(*found.fence);
  Fence mine;
  mine.nonce = nonce_;
  etcdserverpb::TxnRequest r;
  if (!found.layout) {
    // A new stash: the layout key, the id counter and the first fence, if
    // the prefix is still empty.
    mine.epoch = 1;
    *r.add_compare() = etcd::mod_is(keys_.layout(), 0);
    *r.add_compare() = etcd::mod_is(keys_.fence(), 0);
    *r.add_success() = etcd::put_op(keys_.layout(), std::string(etcd::kLayoutValue));
    *r.add_success() = etcd::put_op(keys_.ids(), etcd::be64(1));
  } else {
    mine.epoch = found.fence->epoch + 1;
    mine.prev_epoch = found.fence->epoch;
    mine.prev_txn = found.fence->txn;
    *r.add_compare() = etcd::mod_is(keys_.fence(), found.fence_mod);
  }
  *r.add_success() = etcd::put_op(keys_.fence(), etcd::encode_fence(mine));
  etcdserverpb::TxnResponse response;
  grpc::Status s = txn(r, &response);
  if (s.ok() && response.succeeded()) return std::optional<Fence>(mine);
  last_ = s.ok() ? "another open changed the prefix meanwhile" : etcd::describe(s, client_.current_endpoint());
  return fail(ErrorCode::kUnavailable, last_);
}

bool Opener::backoff() {
  if (attempts_++ >= o_.max_retries) return false;
  const int wait_ms = std::min(o_.backoff_max_ms, o_.backoff_initial_ms << std::min(attempts_, 10));
  const auto wake = etcd::Clock::now() + std::chrono::milliseconds(wait_ms);
  if (wake >= deadline_) return false;
  std::this_thread::sleep_until(wake);
  return true;
}

Result<std::unique_ptr<EtcdStash::Impl>> Opener::run(std::unique_ptr<etcd::Client> owned) {
  for (;;) {
    Found found;
    grpc::Status s = look(&found);
    if (s.ok()) {
      auto token = step(found);
      if (token) {
        return std::make_unique<EtcdStash::Impl>(o_, std::move(owned), std::move(*token), found.revision);
      }
      if (token.error().code() != ErrorCode::kUnavailable) return std::unexpected(token.error());
    } else if (etcd::classify(s) == etcd::Failure::kRefused) {
      return std::unexpected(invalid(etcd::describe(s, client_.current_endpoint())));
    } else {
      last_ = etcd::describe(s, client_.current_endpoint());
    }
    if (!backoff()) {
      return fail(ErrorCode::kUnavailable,
                  "etcd: open: no member of the cluster (" + std::to_string(o_.endpoints.size()) +
                      " endpoints) answered within " + std::to_string(o_.call_timeout_ms) +
                      " ms (call_timeout_ms) or " + std::to_string(o_.max_retries + 1) +
                      " attempts; last error: " + last_);
    }
  }
}

}  // namespace

Result<std::unique_ptr<EtcdStash>> EtcdStash::open(const EtcdOptions& options) {
  if (auto ok = check_options(options); !ok) return std::unexpected(ok.error());
  auto client = std::make_unique<etcd::Client>(options.endpoints);
  Opener opener(options, *client);
  auto impl = opener.run(std::move(client));
  if (!impl) return std::unexpected(impl.error());
  return std::unique_ptr<EtcdStash>(new EtcdStash(std::move(*impl)));
}

}  // namespace stash

namespace stash {

Status EtcdStash::destroy(const EtcdOptions& options) {
  if (auto ok = check_options(options); !ok) return ok;
  etcd::Client client(options.endpoints);
  const auto deadline = etcd::Clock::now() + std::chrono::milliseconds(options.call_timeout_ms);
  etcdserverpb::TxnRequest r;
  *r.add_success() = etcd::delete_op(options.prefix, etcd::prefix_end(options.prefix));
  std::string last;
  for (int attempt = 0; attempt <= options.max_retries && etcd::Clock::now() < deadline; ++attempt) {
    etcdserverpb::TxnResponse response;
    grpc::Status s = client.txn(r, &response, std::min(deadline, etcd::Clock::now() + std::chrono::milliseconds(
                                                                     options.attempt_timeout_ms)));
    if (s.ok()) return {};
    last = etcd::describe(s, client.current_endpoint());
    if (etcd::classify(s) == etcd::Failure::kRefused) return fail(ErrorCode::kInvalidArgument, "etcd: destroy: " + last);
    std::this_thread::sleep_for(std::chrono::milliseconds(options.backoff_initial_ms));
  }
  return fail(ErrorCode::kUnavailable, "etcd: destroy: no member answered; last error: " + last);
}

}  // namespace stash
