// raw_file: the durable-memory baseline. DurableMemoryStash makes a write
// durable by appending one record to its log and syncing it; the least any
// such design can pay is one append of a record of the same size plus one
// fdatasync on the same disk, which is what this does.
#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "bench_util.h"
#include "workloads.h"

namespace stash::bench {
namespace {

// Appends `record_bytes` per call to a fresh file and fdatasyncs it.
Op append_and_sync(const std::string& name, std::size_t record_bytes, std::int64_t items) {
  const std::string path = config().dir + "/" + name + ".raw_file";
  struct File {
    int fd;
    std::string path;
    ~File() {
      ::close(fd);
      ::unlink(path.c_str());
    }
  };
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
  if (fd < 0) die(name, "cannot create " + path);
  auto file = std::make_shared<File>(File{fd, path});
  auto record = std::make_shared<std::string>(record_bytes, 'r');
  return {[file, record, name] {
            if (::write(file->fd, record->data(), record->size()) !=
                static_cast<ssize_t>(record->size())) {
              die(name, "write failed");
            }
            if (::fdatasync(file->fd) != 0) die(name, "fdatasync failed");
          },
          {},
          items};
}

}  // namespace

void add_file_baselines() {
  // The sizes of the log records DurableMemoryStash writes for these calls:
  // a 12-byte frame plus the encoded update(s) (key 11 bytes and value 13
  // bytes, escaped and terminated, time, diff, collection id; 56 bytes an
  // entry, a random key 16-64 bytes adding ~29 on average).
  add_subject("update", "raw_file", [](const Shape&) { return append_and_sync("update", 12 + 64, 1); });
  add_subject("update_many", "raw_file",
              [](const Shape&) { return append_and_sync("update_many", 12 + 10 * 56, 10); });
  add_subject("batch", "raw_file", [](const Shape& s) {
    const std::size_t entry = s.keys == Keys::kSequential ? 56 : 56 + 29;
    return append_and_sync("batch", 12 + static_cast<std::size_t>(s.n) * entry, s.n);
  });
}

}  // namespace stash::bench
