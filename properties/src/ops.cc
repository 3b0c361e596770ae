#include "ops.h"

#include <sstream>

namespace stash::conformance::internal {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

std::string coll(CollRef c) { return c == kBogus ? "bogus" : collection_name(c); }

std::string entry(const Update& u) {
  std::ostringstream os;
  os << "(" << printable(u.key) << ", " << printable(u.value) << "), " << u.time
     << ", " << u.diff;
  return os.str();
}

std::string entries(const std::vector<Update>& us) {
  std::string out = "[";
  for (std::size_t i = 0; i < us.size(); ++i) {
    out += (i ? ", (" : "(") + entry(us[i]) + ")";
  }
  return out + "]";
}

std::string requests(const std::vector<FrontierRequestRef>& rs) {
  std::string out = "[";
  for (std::size_t i = 0; i < rs.size(); ++i) {
    out += (i ? ", (" : "(") + coll(rs[i].c) + ", " + rs[i].frontier.to_string() + ")";
  }
  return out + "]";
}

std::string batch(const AppendBatchRef& b) {
  std::string out = "(" + coll(b.c) + ", lower " + b.lower.to_string() + ", upper " +
                    b.upper.to_string();
  if (b.since) out += ", since " + b.since->to_string();
  return out + ", " + entries(b.entries) + ")";
}

std::string show_call(const Call& call) {
  return std::visit(
      Overloaded{
          [](const CollectionOp& o) { return "Collection(\"" + printable(o.name) + "\")"; },
          [](const UpdateOp& o) { return "Update(" + coll(o.c) + ", " + entry(o.entry) + ")"; },
          [](const UpdateManyOp& o) {
            return "UpdateMany(" + coll(o.c) + ", " + entries(o.entries) + ")";
          },
          [](const SealOp& o) { return "Seal(" + coll(o.c) + ", " + o.frontier.to_string() + ")"; },
          [](const CompactOp& o) {
            return "Compact(" + coll(o.c) + ", " + o.frontier.to_string() + ")";
          },
          [](const ConsolidateOp& o) { return "Consolidate(" + coll(o.c) + ")"; },
          [](const SealBatchOp& o) { return "SealBatch(" + requests(o.requests) + ")"; },
          [](const CompactBatchOp& o) { return "CompactBatch(" + requests(o.requests) + ")"; },
          [](const ConsolidateBatchOp& o) {
            std::string out = "ConsolidateBatch([";
            for (std::size_t i = 0; i < o.collections.size(); ++i) {
              out += (i ? ", " : "") + coll(o.collections[i]);
            }
            return out + "])";
          },
          [](const AppendOp& o) {
            std::string out = "Append([";
            for (std::size_t i = 0; i < o.batches.size(); ++i) {
              out += (i ? ", " : "") + batch(o.batches[i]);
            }
            return out + "])";
          },
          [](const IterOp& o) { return "Iter(" + coll(o.c) + ")"; },
          [](const IterKeyOp& o) { return "IterKey(" + coll(o.c) + ", " + printable(o.key) + ")"; },
          [](const SinceOp& o) { return "Since(" + coll(o.c) + ")"; },
          [](const UpperOp& o) { return "Upper(" + coll(o.c) + ")"; },
          [](const PeekTimestampOp& o) { return "PeekTimestamp(" + coll(o.c) + ")"; },
          [](const PeekOp& o) { return "Peek(" + coll(o.c) + ")"; },
          [](const PeekOneOp& o) { return "PeekOne(" + coll(o.c) + ")"; },
          [](const PeekKeyOneOp& o) {
            return "PeekKeyOne(" + coll(o.c) + ", " + printable(o.key) + ")";
          },
          [](const ReopenOp&) { return std::string("Reopen()"); },
          [](const OpenAnotherOp&) { return std::string("OpenAnother()"); },
          [](const CollectionsOp&) { return std::string("Collections()"); },
      },
      call);
}

}  // namespace

const char* const kInvalidName = "c\xFF";

std::string collection_name(CollRef c) { return "c" + std::to_string(c); }

std::vector<std::string> plain_names(int n) {
  std::vector<std::string> out;
  out.reserve(n);
  for (int c = 0; c < n; ++c) out.push_back(collection_name(c));
  return out;
}

const std::vector<std::string>& invalid_names() {
  static const std::vector<std::string> names = {
      "c\xFF",                  // a byte never valid in UTF-8
      "c\xC0\x80",              // overlong NUL
      "c\xE0\x80\xAF",          // overlong '/'
      "c\xF0\x80\x80\xAF",      // overlong, four bytes
      "c\xED\xA0\x80",          // surrogate U+D800
      "c\xED\xBF\xBF",          // surrogate U+DFFF
      "c\xF4\x90\x80\x80",      // U+110000, past U+10FFFF
      "c\xF8\x88\x80\x80\x80",  // a five-byte form
      "c\xC3",                  // truncated at the end
      "c\xE2\x9C",              // truncated three-byte form
      "c\xC3x",                 // truncated before ASCII
      "c\x80",                  // stray continuation byte
      // Two literals in parentheses, on purpose: "\xBFc" would read as the
      // one (out of range) escape \xBFC.
      ("\xBF" "c"),             // stray continuation first
  };
  return names;
}

const std::vector<std::string>& all_op_names() {
  static const std::vector<std::string> names = {
      "collection", "update", "update_many", "seal", "compact", "consolidate",
      "seal_batch", "compact_batch", "consolidate_batch", "append", "iter",
      "iter_key", "since", "upper", "peek_timestamp", "peek", "peek_one",
      "peek_key_one", "reopen", "open_another", "collections"};
  return names;
}

std::string op_name(const Call& call) { return all_op_names().at(call.index()); }

std::string to_string(const Op& op) {
  const std::string prefix = op.stash == 0 ? "" : "s" + std::to_string(op.stash) + ".";
  const std::string via = op.pick == 0 ? "" : " via handle #" + std::to_string(op.pick);
  return prefix + show_call(op.call) + via;
}

std::ostream& operator<<(std::ostream& os, const Op& op) { return os << to_string(op); }

std::vector<CollRef> touched(const Call& call) {
  return std::visit(
      Overloaded{
          [](const CollectionOp&) { return std::vector<CollRef>{}; },
          [](const SealBatchOp& o) {
            std::vector<CollRef> out;
            out.reserve(o.requests.size());
            for (const auto& r : o.requests) out.push_back(r.c);
            return out;
          },
          [](const CompactBatchOp& o) {
            std::vector<CollRef> out;
            out.reserve(o.requests.size());
            for (const auto& r : o.requests) out.push_back(r.c);
            return out;
          },
          [](const ConsolidateBatchOp& o) { return o.collections; },
          [](const AppendOp& o) {
            std::vector<CollRef> out;
            out.reserve(o.batches.size());
            for (const auto& b : o.batches) out.push_back(b.c);
            return out;
          },
          [](const ReopenOp&) { return std::vector<CollRef>{}; },
          [](const OpenAnotherOp&) { return std::vector<CollRef>{}; },
          [](const CollectionsOp&) { return std::vector<CollRef>{}; },
          [](const auto& o) { return std::vector<CollRef>{o.c}; },
      },
      call);
}

}  // namespace stash::conformance::internal
