// Command payloads:
//
//   command := 0x01 id:int64 name:bytes                          CreateCollection
//            | 0x02 id:int64 count:uint64 update*                UpdateMany
//            | 0x03 id:int64 upper:frontier                      Seal
//            | 0x04 id:int64 since:frontier                      Compact
//            | 0x05 count:uint64 batch*                          Append
//   batch   := id:int64 lower:frontier upper:frontier
//              since:optional<frontier> count:uint64 update*
//
// (docs/durable-format.md has the whole grammar.)
#include "command.h"

#include "payload.h"
#include "stash/rules.h"

namespace stash::durable {
namespace {

enum Tag : std::uint8_t {
  kCreateCollection = 0x01,
  kUpdateMany = 0x02,
  kSeal = 0x03,
  kCompact = 0x04,
  kAppend = 0x05,
};

void put_tag(Tag tag, std::string& out) { Codec<std::uint8_t>::encode(tag, out); }
void put_id(CollectionHandle c, std::string& out) { Codec<std::int64_t>::encode(c.id, out); }

struct Encoder {
  std::string& out;
  void operator()(const CreateCollection& c) {
    put_tag(kCreateCollection, out);
    Codec<std::int64_t>::encode(c.id, out);
    Codec<std::string>::encode(c.name, out);
  }
  void operator()(const UpdateMany& c) {
    put_tag(kUpdateMany, out);
    put_id(c.collection, out);
    put_updates(c.entries, out);
  }
  void operator()(const Seal& c) {
    put_tag(kSeal, out);
    put_id(c.collection, out);
    put_frontier(c.upper, out);
  }
  void operator()(const Compact& c) {
    put_tag(kCompact, out);
    put_id(c.collection, out);
    put_frontier(c.since, out);
  }
  void operator()(const Append& c) {
    put_tag(kAppend, out);
    Codec<std::uint64_t>::encode(c.batches.size(), out);
    for (const AppendBatch& b : c.batches) {
      put_id(b.collection, out);
      put_frontier(b.lower, out);
      put_frontier(b.upper, out);
      Codec<bool>::encode(b.since.has_value(), out);
      if (b.since) put_frontier(*b.since, out);
      put_updates(b.entries, out);
    }
  }
};

CollectionHandle read_handle(PayloadReader& in) { return {in.read<std::int64_t>()}; }

Command decode_append(PayloadReader& in) {
  Append append;
  const auto count = in.read<std::uint64_t>();
  for (std::uint64_t i = 0; i < count && in.ok(); ++i) {
    AppendBatch b;
    b.collection = read_handle(in);
    b.lower = in.frontier();
    b.upper = in.frontier();
    if (in.read<bool>()) b.since = in.frontier();
    b.entries = in.updates();
    append.batches.push_back(std::move(b));
  }
  return append;
}

Command decode_body(std::uint8_t tag, PayloadReader& in) {
  switch (tag) {
    case kCreateCollection: {
      CreateCollection c;
      c.id = in.read<std::int64_t>();
      c.name = in.read<std::string>();
      return c;
    }
    case kUpdateMany: {
      UpdateMany c;
      c.collection = read_handle(in);
      c.entries = in.updates();
      return c;
    }
    case kSeal: {
      Seal c;
      c.collection = read_handle(in);
      c.upper = in.frontier();
      return c;
    }
    case kCompact: {
      Compact c;
      c.collection = read_handle(in);
      c.since = in.frontier();
      return c;
    }
    case kAppend:
      return decode_append(in);
  }
  in.fail("unknown command tag " + std::to_string(tag));
  return Seal{};
}

struct Applier {
  Stash& model;
  Status operator()(const CreateCollection& c) {
    auto handle = model.collection(c.name);
    if (!handle) return std::unexpected(handle.error());
    if (handle->id != c.id) {
      return fail(ErrorCode::kCorruption,
                  "collection created as id " + std::to_string(c.id) + " replays as id " +
                      std::to_string(handle->id));
    }
    return {};
  }
  Status operator()(const UpdateMany& c) { return model.update_many(c.collection, c.entries); }
  Status operator()(const Seal& c) { return model.seal(c.collection, c.upper); }
  Status operator()(const Compact& c) { return model.compact(c.collection, c.since); }
  Status operator()(const Append& c) { return model.append(c.batches); }
};

struct Printer {
  std::ostream& os;
  void operator()(const CreateCollection& c) { os << "CreateCollection(c" << c.id << ", \"" << printable(c.name) << "\")"; }
  void operator()(const UpdateMany& c) {
    os << "UpdateMany(c" << c.collection.id << ", " << c.entries.size() << " entries)";
  }
  void operator()(const Seal& c) { os << "Seal(c" << c.collection.id << ", " << c.upper << ")"; }
  void operator()(const Compact& c) { os << "Compact(c" << c.collection.id << ", " << c.since << ")"; }
  void operator()(const Append& c) { os << "Append(" << c.batches.size() << " batches)"; }
};

}  // namespace

bool operator==(const Append& a, const Append& b) {
  auto fields = [](const AppendBatch& x) {
    return std::tie(x.collection, x.lower, x.upper, x.since, x.entries);
  };
  if (a.batches.size() != b.batches.size()) return false;
  for (std::size_t i = 0; i < a.batches.size(); ++i) {
    if (fields(a.batches[i]) != fields(b.batches[i])) return false;
  }
  return true;
}

std::string encode_command(const Command& command) {
  std::string out;
  std::visit(Encoder{out}, command);
  return out;
}

Result<Command> decode_command(std::string_view payload) {
  PayloadReader in(payload);
  const auto tag = in.read<std::uint8_t>();
  Command command = in.ok() ? decode_body(tag, in) : Command(Seal{});
  in.expect_end();
  if (!in.ok()) return std::unexpected(in.error());
  return command;
}

Status apply(const Command& command, Stash& model) { return std::visit(Applier{model}, command); }

std::ostream& operator<<(std::ostream& os, const Command& command) {
  std::visit(Printer{os}, command);
  return os;
}

}  // namespace stash::durable
