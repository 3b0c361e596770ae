// Backend URLs: how the `stash` tool names the backend to work on.
//
//   memory:        a fresh MemoryStash per store (not durable)
//   memory:PATH    a DurableMemoryStash per store, in a new directory under PATH
//
// A URL is `scheme:location`; the location's meaning belongs to the scheme.
// Every scheme is registered in one table (backend_url.cc): adding
// `sqlite:PATH` or `postgres:DSN` is one entry there, with a function that
// turns the location into a Harness.
#ifndef STASH_TOOLS_BACKEND_URL_H_
#define STASH_TOOLS_BACKEND_URL_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "stash/conformance.h"
#include "stash/error.h"

namespace stash::tools {

struct BackendUrl {
  std::string scheme;    // "memory", "sqlite", ...
  std::string location;  // everything after the first ':', possibly empty
};

// Splits "scheme:location". Errors: kInvalidArgument if there is no ':' or
// the scheme is empty.
Result<BackendUrl> parse_backend_url(std::string_view url);

// One kind of backend the tool can open.
struct Scheme {
  std::string name;   // the URL scheme, without ':'
  std::string usage;  // one line for --help: "memory:  a fresh MemoryStash per store"
  // The harness factory for `location`, or kInvalidArgument if the location
  // is malformed, or kUnavailable if the backend was not built in.
  std::function<Result<conformance::HarnessFactory>(const std::string& location)>
      harness;
};

// Every scheme this build knows, in --help order.
const std::vector<Scheme>& schemes();

// The backend named by `url`, ready for conformance::run. Errors:
// kInvalidArgument for a malformed URL or an unknown scheme (the message
// lists the known ones), or whatever the scheme reports for its location.
Result<conformance::Backend> open_backend(std::string_view url);

}  // namespace stash::tools

#endif  // STASH_TOOLS_BACKEND_URL_H_
