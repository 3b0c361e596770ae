// A read-only open of memory:DIR reads a private copy (see open_adapter.h).
#include "open_adapter.h"

#include <string>

#include "durable_copy.h"
#include "stash/durable_memory_stash.h"

namespace stash::tools {
namespace {

// A read-only view of a private copy of a durable store: the copy is opened
// (DurableMemoryStash writes while opening), never the original; writes fail.
class DurableCopy final : public Stash {
 public:
  DurableCopy(std::unique_ptr<Stash> copy, std::string dir)
      : copy_(std::move(copy)), dir_(std::move(dir)) {}
  ~DurableCopy() override {
    copy_.reset();
    tools::remove_tree(dir_);
  }
  Result<std::vector<NamedCollection>> collections() override { return copy_->collections(); }
  Result<CollectionHandle> collection(std::string_view name) override {
    auto list = copy_->collections();
    if (!list) return std::unexpected(list.error());
    for (const NamedCollection& c : *list) {
      if (c.name == name) return c.handle;
    }
    return fail(ErrorCode::kNotFound,
                "no collection named \"" + std::string(name) + "\" in this read-only stash");
  }
  Result<std::vector<Update>> iter(CollectionHandle c) override { return copy_->iter(c); }
  Result<std::vector<ValueUpdate>> iter_key(CollectionHandle c, const Bytes& key) override {
    return copy_->iter_key(c, key);
  }
  Status update_many(CollectionHandle, std::span<const Update>) override { return refuse(); }
  Status seal(CollectionHandle, Frontier) override { return refuse(); }
  Status compact(CollectionHandle, Frontier) override { return refuse(); }
  Status consolidate(CollectionHandle) override { return refuse(); }
  Result<Frontier> since(CollectionHandle c) override { return copy_->since(c); }
  Result<Frontier> upper(CollectionHandle c) override { return copy_->upper(c); }
  Status append(std::span<const AppendBatch>) override { return refuse(); }

 private:
  static Status refuse() {
    return fail(ErrorCode::kInvalidArgument, "this stash was opened read-only");
  }
  std::unique_ptr<Stash> copy_;
  std::string dir_;
};

Result<std::unique_ptr<Stash>> open_durable_copy(const std::string& dir) {
  auto temp = make_temp_dir("stash-read-");
  if (!temp) return std::unexpected(temp.error());
  auto copy = copy_durable_store(dir, *temp + "/copy");
  if (!copy) {
    remove_tree(*temp);
    return std::unexpected(copy.error());
  }
  return std::unique_ptr<Stash>(std::make_unique<DurableCopy>(std::move(*copy), *temp));
}

}  // namespace

Result<std::unique_ptr<Stash>> open_url(std::string_view url, const OpenOptions& options) {
  auto parsed = parse_url(url);
  if (!parsed) return std::unexpected(parsed.error());
  if (options.read_only && parsed->scheme == "memory" && !parsed->location.empty()) {
    return open_durable_copy(parsed->location);
  }
  return open(url, options);
}

}  // namespace stash::tools
