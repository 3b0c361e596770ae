// rocksdb: RocksDB doing the workloads a user might hand it instead of a
// stash, with its durable setting (WriteOptions::sync = true: each write
// syncs its WAL), default options otherwise, records as baselines_kv.h says:
//
//   update          one synced Put
//   batch           one synced WriteBatch of 1000 Puts
//   iter/N          an iterator over every record, decoded into a
//                   std::vector<Update> (the store is flushed to SST files
//                   first, as a store that has been running would be)
//   open_and_load   DB::Open, the same scan into a std::map<key, value> (as
//                   peek_one returns), close
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "baselines_kv.h"
#include "bench_util.h"
#include "workloads.h"

namespace stash::bench {
namespace {

void check(const rocksdb::Status& s, const char* what) {
  if (!s.ok()) die(std::string("rocksdb ") + what, s.ToString());
}

struct Db {
  std::unique_ptr<rocksdb::DB> db;
  Timestamp t = 0;
  std::int64_t next_key = 0;
  std::vector<Update> next;
};

std::string dir_of(const std::string& name) { return config().dir + "/rocksdb_" + name; }

std::shared_ptr<Db> open_db(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  check(rocksdb::DB::Open(options, dir, &raw), "open");
  auto d = std::make_shared<Db>();
  d->db.reset(raw);
  return d;
}

std::shared_ptr<Db> fresh(const std::string& name) {
  std::filesystem::remove_all(dir_of(name));
  return open_db(dir_of(name));
}

void write_all(Db& d, const std::vector<Update>& rows, bool sync) {
  rocksdb::WriteBatch batch;
  for (const Update& u : rows) check(batch.Put(kv::record_key(u), kv::record_value(u)), "put");
  rocksdb::WriteOptions options;
  options.sync = sync;
  check(d.db->Write(options, &batch), "write");
}

template <typename Row>
void scan(Db& d, Row row) {
  std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    row(kv::decode_record(it->key().ToStringView(), it->value().ToStringView()));
  }
  check(it->status(), "iterate");
}

std::string populated_dir(const Shape& shape) {
  static std::set<std::string> built;
  const std::string name = std::string(name_of(shape.keys)) + "_n" + std::to_string(shape.n);
  if (built.insert(name).second) {
    auto d = fresh(name);
    for (std::int64_t first = 0; first < shape.n; first += 100'000) {
      write_all(*d, entries(first, std::min<std::int64_t>(100'000, shape.n - first), 0, 1,
                            shape.keys),
                false);
    }
    check(d->db->Flush(rocksdb::FlushOptions()), "flush");
  }
  return dir_of(name);
}

Op update(const Shape&) {
  auto d = fresh("update");
  return {[d] { write_all(*d, {{"key", "value", d->t++, 1}}, true); }, {}, 1};
}

Op batch(const Shape& shape) {
  auto d = fresh("batch");
  d->next = entries(0, shape.n, 0, 1, shape.keys);
  return {[d] { write_all(*d, d->next, true); },
          [d, shape] {
            d->next_key += shape.n;
            d->next = entries(d->next_key, shape.n, ++d->t, 1, shape.keys);
          },
          shape.n};
}

Op iter(const Shape& shape) {
  auto d = open_db(populated_dir(shape));
  return {[d, shape] {
            std::vector<Update> out;
            scan(*d, [&](Update u) { out.push_back(std::move(u)); });
            if (static_cast<std::int64_t>(out.size()) != shape.n) die("rocksdb iter", "wrong size");
          },
          {},
          shape.n};
}

Op open_and_load(const Shape& shape) {
  const std::string dir = populated_dir(shape);
  return {[dir, shape] {
            auto d = open_db(dir);
            std::map<Bytes, Bytes> out;
            scan(*d, [&](Update u) { out.emplace_hint(out.end(), std::move(u.key), std::move(u.value)); });
            if (static_cast<std::int64_t>(out.size()) != shape.n) die("rocksdb load", "wrong size");
          },
          {},
          shape.n};
}

}  // namespace

void add_rocksdb_baselines() {
  add_subject("update", "rocksdb", update);
  add_subject("batch", "rocksdb", batch);
  add_subject("iter", "rocksdb", iter);
  add_subject("open_and_load", "rocksdb", open_and_load);
}

}  // namespace stash::bench
