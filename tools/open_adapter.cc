// TEMPORARY (see open_adapter.h): delete with it.
#include "open_adapter.h"

#include <string>

#include "durable_copy.h"
#include "stash/durable_memory_stash.h"
#include "stash/memory_stash.h"
#ifdef STASH_HAVE_SQLITE
#include "stash/sqlite_stash.h"
#endif
#ifdef STASH_HAVE_POSTGRES
#include "stash/postgres_stash.h"
#endif

namespace stash {
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

Result<std::unique_ptr<Stash>> open_durable(const std::string& dir, const OpenOptions& options) {
  if (dir.empty()) return std::unique_ptr<Stash>(std::make_unique<MemoryStash>());
  if (!options.read_only) {
    auto stash = DurableMemoryStash::open(dir);
    if (!stash) return std::unexpected(stash.error());
    return std::unique_ptr<Stash>(std::move(*stash));
  }
  auto temp = tools::make_temp_dir("stash-read-");
  if (!temp) return std::unexpected(temp.error());
  auto copy = tools::copy_durable_store(dir, *temp + "/copy");
  if (!copy) {
    tools::remove_tree(*temp);
    return std::unexpected(copy.error());
  }
  return std::unique_ptr<Stash>(std::make_unique<DurableCopy>(std::move(*copy), *temp));
}

}  // namespace

Result<std::unique_ptr<Stash>> open(std::string_view url, const OpenOptions& options) {
  const auto colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return fail(ErrorCode::kInvalidArgument,
                "\"" + std::string(url) +
                    "\" is not a store URL (memory:[DIR], sqlite:PATH or postgres:DSN)");
  }
  const std::string scheme(url.substr(0, colon));
  const std::string location(url.substr(colon + 1));
  if (scheme == "memory") return open_durable(location, options);
  if (scheme == "sqlite") {
    if (location.empty()) return fail(ErrorCode::kInvalidArgument, "sqlite: needs a file path");
#ifdef STASH_HAVE_SQLITE
    SqliteOptions o;
    o.read_only = options.read_only;
    o.create_if_missing = !options.read_only;
    auto stash = SqliteStash::open(location, o);
    if (!stash) return std::unexpected(stash.error());
    return std::unique_ptr<Stash>(std::move(*stash));
#else
    return fail(ErrorCode::kUnavailable, "sqlite: not built in (STASH_WITH_SQLITE=OFF)");
#endif
  }
  if (scheme == "postgres") {
    if (location.empty()) {
      return fail(ErrorCode::kInvalidArgument, "postgres: needs a libpq connection string");
    }
#ifdef STASH_HAVE_POSTGRES
    PostgresOptions o;
    o.read_only = options.read_only;
    const std::string conninfo = location.starts_with("//") ? "postgres:" + location : location;
    auto stash = PostgresStash::open(conninfo, o);
    if (!stash) return std::unexpected(stash.error());
    return std::unique_ptr<Stash>(std::move(*stash));
#else
    return fail(ErrorCode::kUnavailable, "postgres: not built in (STASH_WITH_POSTGRES=OFF)");
#endif
  }
  return fail(ErrorCode::kInvalidArgument, "unknown store scheme \"" + scheme +
                                               ":\" (memory:, sqlite:, postgres:)");
}

}  // namespace stash
