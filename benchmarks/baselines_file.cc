// raw_file: the durable-memory baseline. DurableMemoryStash makes a write
// durable by appending one record to its log and syncing it; the least any
// such design can pay is one append of a record of the same size plus one
// fdatasync on the same disk, which is what this does.
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "bench_util.h"
#include "workloads.h"

namespace stash::bench {
namespace {

using benchmark::State;

// Appends `record_bytes` per iteration to a fresh file and fdatasyncs it.
void append_and_sync(State& state, const std::string& name, std::size_t record_bytes,
                     std::int64_t items) {
  const std::string path = config().dir + "/" + name + ".raw_file";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
  if (fd < 0) die(name, "cannot create " + path);
  const std::string record(record_bytes, 'r');
  for (auto _ : state) {
    if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size())) {
      die(name, "write failed");
    }
    if (::fdatasync(fd) != 0) die(name, "fdatasync failed");
  }
  ::close(fd);
  ::unlink(path.c_str());
  state.SetItemsProcessed(state.iterations() * items);
}

}  // namespace

void register_file_baselines() {
  // The sizes of the log records DurableMemoryStash writes for these calls:
  // a 12-byte frame plus the encoded update(s) (key 11 bytes and value 13
  // bytes, escaped and terminated, time, diff, collection id).
  config().apply(benchmark::RegisterBenchmark("update/raw_file", [](State& s) {
    append_and_sync(s, "update", 12 + 64, 1);
  }));
  config().apply(benchmark::RegisterBenchmark("update_many/raw_file", [](State& s) {
    append_and_sync(s, "update_many", 12 + 10 * 56, 10);
  }));
}

}  // namespace stash::bench
