// Power loss and I/O errors, through FaultVfs (fault_vfs.h).
//
// PowerLoss: a generated workload (with a checkpoint every few calls, so the
// main file is written too) runs once to count its sync points, then once per
// sync point and loss mode, cutting the power there. After each cut the file
// must pass PRAGMA integrity_check and hold exactly the calls acknowledged
// before the cut, plus at most the one in flight, wholly.
//
// IoErrorCountdown: the same workload once per write-or-sync, that one
// failing with EIO (SQLITE_IOERR_WRITE / SQLITE_IOERR_FSYNC) or ENOSPC
// (SQLITE_FULL). The failed call must return kIoError and leave the state as
// before or after it, never between; the handle then either keeps working
// (every later call matches the model) or fails with a typed error; after
// reopening, the file holds what the handle acknowledged.
//
// Environment:
//   STASH_POWER_SEED  workload seed (default: random, always printed)
//   STASH_POWER_OPS   calls per workload (default 24)
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <random>
#include <set>

#include "fault_vfs.h"
#include "stash/memory_stash.h"
#include "stash/sqlite_stash.h"
#include "test_util.h"
#include "workload.h"

namespace stash {
namespace {

using testing::FaultVfs;
using testing::TempDir;

constexpr int kCheckpointEvery = 7;

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

std::uint64_t workload_seed() {
  static const std::uint64_t seed = [] {
    const std::uint64_t s = env_or("STASH_POWER_SEED", std::random_device{}());
    std::printf("power loss tests: STASH_POWER_SEED=%llu STASH_POWER_OPS=%d\n",
                static_cast<unsigned long long>(s),
                static_cast<int>(env_or("STASH_POWER_OPS", 24)));
    return s;
  }();
  return seed;
}

std::vector<testing::Op> workload() {
  return testing::generate_workload(workload_seed(),
                                    static_cast<int>(env_or("STASH_POWER_OPS", 24)));
}

SqliteOptions through(const FaultVfs& vfs) {
  SqliteOptions o;
  o.vfs_name = vfs.name();
  return o;
}

// Checkpoints the WAL into the main file through the shim, as SQLite's
// automatic checkpoints would after many more calls.
void checkpoint(const std::string& path, const FaultVfs& vfs) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, vfs.name()) == SQLITE_OK) {
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  }
  sqlite3_close(db);
}

std::string integrity_check(const std::string& path) {
  sqlite3* db = nullptr;
  std::string result = "cannot open";
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK) {
    result = sqlite3_step(stmt) == SQLITE_ROW
                 ? reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))
                 : sqlite3_errmsg(db);
  } else if (db != nullptr) {
    result = sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

// What the file holds, opened normally (recovering the WAL if need be).
std::string recovered_state(const std::string& path) {
  auto s = SqliteStash::open(path);
  if (!s) return "open failed: " + s.error().to_string();
  return testing::dump(**s, testing::collection_names());
}

// What a read-only connection (which fences nobody) sees: the collections
// that exist, as dump() shows them; "" for a file with no stash in it yet.
std::string visible_state(const std::string& path) {
  SqliteOptions o;
  o.read_only = true;
  auto s = SqliteStash::open(path, o);
  if (!s) {
    const ErrorCode code = s.error().code();
    if (code == ErrorCode::kInvalidArgument || code == ErrorCode::kNotFound) return "";
    return "open failed: " + s.error().to_string();
  }
  std::vector<std::string> existing;
  for (const std::string& name : testing::collection_names()) {
    if ((*s)->collection(name)) existing.push_back(name);
  }
  return testing::dump(**s, existing);
}

// The calls (indices into the workload) a store holds, in order.
using Applied = std::vector<std::size_t>;

std::unique_ptr<MemoryStash> replay(const std::vector<testing::Op>& ops, const Applied& applied) {
  auto model = std::make_unique<MemoryStash>();
  for (std::size_t i : applied) (void)testing::apply(*model, ops[i]);
  return model;
}

// dump() of a store holding the `applied` calls.
std::string model_state(const std::vector<testing::Op>& ops, const Applied& applied) {
  return testing::dump(*replay(ops, applied), testing::collection_names());
}

// visible_state() of a store holding the `applied` calls: the collections
// they named exist.
std::string visible_model_state(const std::vector<testing::Op>& ops, const Applied& applied) {
  std::set<int> named;
  for (std::size_t i : applied) {
    named.insert(ops[i].collection);
    for (const AppendBatch& b : ops[i].batches) named.insert(static_cast<int>(b.collection.id));
    for (const FrontierRequest& r : ops[i].requests) {
      named.insert(static_cast<int>(r.collection.id));
    }
  }
  std::vector<std::string> names;
  names.reserve(named.size());
  for (int index : named) names.push_back(testing::collection_names()[index]);
  return testing::dump(*replay(ops, applied), names);
}

// Runs `ops` through the shim until a call fails; returns how many returned
// as the model says (the acknowledged calls).
std::size_t run_until_failure(const std::string& path, const FaultVfs& vfs,
                              const std::vector<testing::Op>& ops) {
  auto stash = SqliteStash::open(path, through(vfs));
  if (!stash) return 0;
  MemoryStash model;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (i % kCheckpointEvery == kCheckpointEvery - 1) checkpoint(path, vfs);
    if (testing::apply(**stash, ops[i]) != testing::apply(model, ops[i])) return i;
  }
  return ops.size();
}

TEST(SqlitePowerLoss, EverySyncPointInEveryLossModeRecoversAnAcknowledgedPrefix) {
  const auto ops = workload();
  FaultVfs vfs("stash_fault_power");
  int sync_points = 0;
  {
    TempDir dir;
    vfs.reset(0);
    ASSERT_EQ(run_until_failure(dir.file("s.stash"), vfs, ops), ops.size());
    sync_points = vfs.syncs();
  }
  int runs = 0, in_flight_applied = 0;
  for (auto mode : {FaultVfs::LossMode::kDrop, FaultVfs::LossMode::kTear,
                    FaultVfs::LossMode::kGarble}) {
    for (int point = 1; point <= sync_points; ++point) {
      SCOPED_TRACE("loss mode " + std::to_string(static_cast<int>(mode)) + ", sync point " +
                   std::to_string(point) + " of " + std::to_string(sync_points));
      TempDir dir;
      const std::string path = dir.file("s.stash");
      vfs.reset(workload_seed() + point);
      vfs.crash_at_sync(point, mode);
      const std::size_t acked = run_until_failure(path, vfs, ops);
      ASSERT_TRUE(vfs.crashed());
      ++runs;
      ASSERT_EQ(integrity_check(path), "ok");
      const std::string state = recovered_state(path);
      if (state == testing::model_state(ops, acked)) continue;
      ASSERT_LT(acked, ops.size());
      ASSERT_EQ(state, testing::model_state(ops, acked + 1))
          << "after " << acked << " acknowledged calls, in flight: " << testing::show(ops[acked]);
      ++in_flight_applied;
    }
  }
  std::printf("power loss: %d calls, %d sync points x 3 loss modes = %d power cuts, all "
              "recovered an acknowledged prefix (in-flight call applied in %d)\n",
              static_cast<int>(ops.size()), sync_points, runs, in_flight_applied);
}

// Runs the workload with the countdown armed; see the file comment.
struct IoErrorCounts {
  int failed_open = 0;     // the open returned kIoError
  int failed_call = 0;     // a call returned kIoError, state before or after it
  int kept_working = 0;    // ... and every later call matched the model
  int absorbed = 0;        // no call failed (e.g. a checkpoint's write failed)
};

void check_io_error_at(const std::vector<testing::Op>& ops, FaultVfs& vfs, int n, int rc,
                       IoErrorCounts& counts) {
  TempDir dir;
  const std::string path = dir.file("s.stash");
  vfs.reset(n);
  vfs.fail_at(n, rc);
  auto stash = SqliteStash::open(path, through(vfs));
  if (!stash) {  // the failure hit the open
    EXPECT_EQ(stash.error().code(), ErrorCode::kIoError) << stash.error();
    EXPECT_EQ(recovered_state(path), model_state(ops, {}));
    ++counts.failed_open;
    return;
  }
  Applied applied;  // the calls the store holds
  bool failed_once = false;
  bool gave_up = false;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (i % kCheckpointEvery == kCheckpointEvery - 1) checkpoint(path, vfs);
    const Status want = testing::apply(*replay(ops, applied), ops[i]);
    const Status got = testing::apply(**stash, ops[i]);
    if (got == want) {
      applied.push_back(i);
      continue;
    }
    ASSERT_FALSE(got) << "call " << i << " " << testing::show(ops[i]);
    ASSERT_EQ(got.error().code(), ErrorCode::kIoError) << got.error();
    if (failed_once) {  // the handle says it cannot go on
      gave_up = true;
      break;
    }
    failed_once = true;
    // Before or after the call, never between (read through a second,
    // fault-free, read-only connection).
    const std::string state = visible_state(path);
    if (state != visible_model_state(ops, applied)) {
      applied.push_back(i);
      ASSERT_EQ(state, visible_model_state(ops, applied)) << testing::show(ops[i]);
    }
  }
  counts.failed_call += failed_once;
  counts.kept_working += failed_once && !gave_up;
  counts.absorbed += !failed_once;
  stash->reset();
  EXPECT_EQ(recovered_state(path), model_state(ops, applied));
  EXPECT_EQ(integrity_check(path), "ok");
}

TEST(SqliteIoErrors, EveryWriteOrSyncFailingIsTypedAndAtomic) {
  const auto ops = workload();
  FaultVfs vfs("stash_fault_io");
  int points = 0;
  {
    TempDir dir;
    vfs.reset(0);
    ASSERT_EQ(run_until_failure(dir.file("s.stash"), vfs, ops), ops.size());
    points = vfs.writes_and_syncs();
  }
  int runs = 0;
  IoErrorCounts counts;
  for (int n = 1; n <= points; ++n) {
    for (int rc : {SQLITE_IOERR_WRITE, SQLITE_FULL}) {
      SCOPED_TRACE("failing write-or-sync " + std::to_string(n) + " of " +
                   std::to_string(points) + " with " + sqlite3_errstr(rc));
      check_io_error_at(ops, vfs, n, rc, counts);
      ++runs;
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  std::printf("io errors: %d write/sync points x {EIO, ENOSPC} = %d runs: open failed %d, "
              "a call failed typed and atomic %d (handle kept working after %d), fault "
              "absorbed without a failed call %d\n",
              points, runs, counts.failed_open, counts.failed_call, counts.kept_working,
              counts.absorbed);
}

}  // namespace
}  // namespace stash
