#include "etcd_client.h"

#include <grpcpp/support/channel_arguments.h>

namespace stash::etcd {
namespace {

std::shared_ptr<grpc::Channel> channel_to(const std::string& endpoint) {
  grpc::ChannelArguments args;
  // Calls carry keys, values and whole collections; the cluster's own
  // request limit is checked before sending (EtcdOptions::max_request_bytes).
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  // A restarted member must be found again within the retries of one call,
  // not after gRPC's default reconnect backoff (up to 120 s). gRPC also
  // takes the minimum backoff as the time one connection attempt may take:
  // at 100 ms, a handshake on a loaded machine timed out before the
  // server's SETTINGS frame, over and over, so it is 2 s (the retry delay
  // itself still starts at 100 ms).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 2000);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  // One connection per member and stash object, not shared with others of
  // the same process: a connection another object's test broke stays theirs.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), args);
}

void set_deadline(grpc::ClientContext& context, Clock::time_point deadline) {
  // gRPC takes system_clock deadlines; the stash keeps steady ones.
  const auto left = std::max(Clock::duration::zero(), deadline - Clock::now());
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::duration_cast<std::chrono::system_clock::duration>(left));
  context.set_wait_for_ready(false);
}

std::atomic<TxnHook*> txn_hook{nullptr};

}  // namespace

void set_txn_hook(TxnHook* hook) { txn_hook.store(hook, std::memory_order_release); }

Failure classify(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:     // too large, too many ops, empty key
    case grpc::StatusCode::FAILED_PRECONDITION:  // e.g. duplicate key in a txn
    case grpc::StatusCode::OUT_OF_RANGE:         // compacted / future revision
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::UNIMPLEMENTED:
      return Failure::kRefused;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      // "etcdserver: mvcc: database space exceeded" is the server's; a reply
      // too large for the client is reported the same way but is the
      // client's. Neither applies a write.
      return Failure::kRefused;
    default:
      return Failure::kTransient;
  }
}

std::string describe(const grpc::Status& status, const std::string& endpoint) {
  static const char* const kNames[] = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
      "UNAUTHENTICATED"};
  const int code = static_cast<int>(status.error_code());
  const std::string name = code >= 0 && code <= 16 ? kNames[code] : std::to_string(code);
  return name + ": " + status.error_message() + " (" + endpoint + ")";
}

std::shared_ptr<const Client::Stubs> Client::connect(const std::string& endpoint) {
  auto stubs = std::make_shared<Stubs>();
  stubs->channel = channel_to(endpoint);
  stubs->kv = etcdserverpb::KV::NewStub(stubs->channel);
  stubs->watch = etcdserverpb::Watch::NewStub(stubs->channel);
  stubs->maintenance = etcdserverpb::Maintenance::NewStub(stubs->channel);
  return stubs;
}

Client::Client(std::vector<std::string> endpoints) : endpoints_(std::move(endpoints)) {
  for (const std::string& endpoint : endpoints_) {
    auto m = std::make_unique<Member>();
    m->endpoint = endpoint;
    MutexLock lock(m->mutex);
    m->stubs = connect(endpoint);
    members_.push_back(std::move(m));
  }
}

std::shared_ptr<const Client::Stubs> Client::stubs(std::size_t member) const {
  Member& m = *members_.at(member);
  MutexLock lock(m.mutex);
  return m.stubs;
}

void Client::failed(std::size_t member, const grpc::Status& status) {
  if (classify(status) != Failure::kTransient) return;
  {
    // A channel that keeps failing to connect is replaced by a new one:
    // after every member restarted, an old channel was seen to stay in
    // gRPC's reconnect cycle for a minute while new ones connected at once.
    Member& m = *members_.at(member);
    MutexLock lock(m.mutex);
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE && ++m.unconnected >= 2) {
      m.stubs = connect(m.endpoint);
      m.unconnected = 0;
    }
  }
  // Only the thread that saw this member fail moves on from it.
  std::size_t expected = current_.load();
  if (expected % members_.size() == member) current_.compare_exchange_strong(expected, expected + 1);
}

void Client::succeeded(std::size_t member) {
  Member& m = *members_.at(member);
  MutexLock lock(m.mutex);
  m.unconnected = 0;
}

grpc::Status Client::txn(const etcdserverpb::TxnRequest& request,
                         etcdserverpb::TxnResponse* response, Clock::time_point deadline) {
  const std::size_t member = current();
  auto action = TxnHook::Action::kSend;
  grpc::Status lost(grpc::StatusCode::UNAVAILABLE, "stash test hook: request or reply lost");
  // Relaxed is enough on the hot path; the acquire is paid only when a test
  // installed a hook.
  if (TxnHook* hook = txn_hook.load(std::memory_order_relaxed)) [[unlikely]] {
    std::atomic_thread_fence(std::memory_order_acquire);
    action = hook->on_txn(request, &lost);
  }
  grpc::Status s;
  if (action == TxnHook::Action::kDrop) {
    s = lost;
  } else {
    grpc::ClientContext context;
    set_deadline(context, deadline);
    s = stubs(member)->kv->Txn(&context, request, response);
    if (action == TxnHook::Action::kLoseReply && s.ok()) {
      response->Clear();
      s = lost;
    }
  }
  if (s.ok()) {
    succeeded(member);
  } else {
    failed(member, s);
  }
  return s;
}

grpc::Status Client::compact(const etcdserverpb::CompactionRequest& request,
                             etcdserverpb::CompactionResponse* response,
                             Clock::time_point deadline) {
  const std::size_t member = current();
  grpc::ClientContext context;
  set_deadline(context, deadline);
  grpc::Status s = stubs(member)->kv->Compact(&context, request, response);
  if (s.ok()) {
    succeeded(member);
  } else {
    failed(member, s);
  }
  return s;
}

grpc::Status Client::status(std::size_t index, etcdserverpb::StatusResponse* response,
                            Clock::time_point deadline) {
  grpc::ClientContext context;
  set_deadline(context, deadline);
  return stubs(index)->maintenance->Status(&context, etcdserverpb::StatusRequest(), response);
}

std::unique_ptr<grpc::ClientReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>>
Client::watch(grpc::ClientContext* context) {
  return stubs(current())->watch->Watch(context);
}

void Client::fail_over() { current_.fetch_add(1); }

const std::string& Client::current_endpoint() const { return endpoints_[current()]; }

}  // namespace stash::etcd
