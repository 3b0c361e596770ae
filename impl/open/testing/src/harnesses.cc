#include "stash/harnesses.h"

#include <array>

#include "stash/durable_memory_harness.h"
#include "stash/memory_harness.h"
#include "stash/open.h"
#if STASH_HAVE_SQLITE
#include "stash/sqlite_harness.h"
#endif
#if STASH_HAVE_POSTGRES
#include "stash/postgres_harness.h"
#endif
#if STASH_HAVE_ETCD
#include "stash/etcd_harness.h"
#endif

namespace stash::conformance {
namespace {

using MakeFactory = Result<HarnessFactory> (*)(const std::string& url,
                                               const std::string& location);

struct HarnessScheme {
  std::string_view name;
  std::string_view usage;
  MakeFactory make;  // nullptr when the backend is not built in
};

Error bad(const std::string& url, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, "\"" + url + "\": " + why);
}

Result<HarnessFactory> memory(const std::string& url, const std::string& location) {
  if (location.find('?') != std::string::npos) {
    return std::unexpected(bad(url, "memory:DIR takes no options"));
  }
  if (location.empty()) {
    return HarnessFactory([] { return std::make_unique<MemoryHarness>(); });
  }
  return DurableMemoryHarness::factory(location);
}

#if STASH_HAVE_SQLITE
Result<HarnessFactory> sqlite(const std::string& url, const std::string& location) {
  if (location.find('?') != std::string::npos) {
    return std::unexpected(bad(url, "stash check sqlite:DIR takes no options"));
  }
  return HarnessFactory([location] { return std::make_unique<SqliteHarness>(location); });
}
#endif

#if STASH_HAVE_POSTGRES
Result<HarnessFactory> postgres(const std::string& url, const std::string& location) {
  if (location.empty()) {
    return std::unexpected(bad(url, "postgres: needs a libpq connection string, e.g. "
                                    "\"postgres:host=/tmp dbname=postgres\""));
  }
  // "postgres://user@host/db" arrives as location "//user@host/db".
  std::string conninfo = location.starts_with("//") ? "postgres:" + location : location;
  return PostgresHarness::factory(std::move(conninfo));
}
#endif

#if STASH_HAVE_ETCD
Result<HarnessFactory> etcd(const std::string&, const std::string& location) {
  return EtcdHarness::factory(location);
}
#endif

constexpr std::array kHarnesses = {
    HarnessScheme{"memory",
                  "memory:          a new MemoryStash per store\n"
                  "  memory:DIR       a DurableMemoryStash per store, in a new directory under DIR",
                  memory},
#if STASH_HAVE_SQLITE
    HarnessScheme{"sqlite",
                  "sqlite:[DIR]     a new SQLite stash file per store under DIR "
                  "(default: a temporary directory)",
                  sqlite},
#endif
#if STASH_HAVE_POSTGRES
    HarnessScheme{"postgres",
                  "postgres:DSN     a new schema per store on the PostgreSQL database of "
                  "libpq conninfo DSN",
                  postgres},
#endif
#if STASH_HAVE_ETCD
    HarnessScheme{"etcd",
                  "etcd:H:P,...[/BASE]  a new key prefix per store under /BASE/ (default "
                  "/stash-kit/) on the etcd cluster at H:P,...",
                  etcd},
#endif
};

}  // namespace

Result<Backend> backend_for_url(std::string_view url) {
  auto parsed = parse_url(url);
  if (!parsed) return std::unexpected(parsed.error());
  for (const HarnessScheme& scheme : kHarnesses) {
    if (scheme.name != parsed->scheme) continue;
    auto factory = scheme.make(std::string(url), parsed->location);
    if (!factory) return std::unexpected(factory.error());
    return Backend{std::string(url), std::move(*factory)};
  }
  // A scheme stash::open knows but this build left out, or an unknown one:
  // stash::open says which, in the same words.
  for (const SchemeInfo& info : schemes()) {
    if (info.name == parsed->scheme) {
      return fail(ErrorCode::kUnavailable, "\"" + std::string(url) + "\": " +
                                               std::string(info.usage));
    }
  }
  return fail(ErrorCode::kInvalidArgument, "\"" + std::string(url) + "\": unknown scheme \"" +
                                               parsed->scheme +
                                               ":\"; known schemes: " + known_schemes());
}

std::string harness_usage() {
  std::string out;
  for (const HarnessScheme& scheme : kHarnesses) out += "  " + std::string(scheme.usage) + "\n";
  for (const SchemeInfo& info : schemes()) {
    if (!info.built_in) out += "  " + std::string(info.usage) + "\n";
  }
  return out;
}

}  // namespace stash::conformance
