// The conformance kit's crash area against PostgresStash, where the crash is
// the server's: crash() stops the server with `pg_ctl -m immediate` (every
// backend process killed, no checkpoint, WAL replayed on the next start) and
// starts it again, possibly while the kit's writer thread is inside a call.
// Every acknowledged commit must be there after the restart, and nothing
// unacknowledged may be half-applied.
//
// This is a crash of the server process, not a power loss of its machine:
// the throwaway server runs with fsync=off (ci/with-postgres), so the OS
// keeps what PostgreSQL wrote. Power-loss durability of the server's disk is
// PostgreSQL's own business; what this checks is that the client
// acknowledges only what the server committed, and that a commit is atomic.
//
// Runs alone (RUN_SERIAL): the restart disturbs every other test on the
// server. Needs STASH_TEST_POSTGRES_RESTART from ci/with-postgres.
#include <cstdlib>

#include "pg_test_util.h"
#include "stash/conformance_gtest.h"

namespace stash::testing {
namespace {

namespace kit = stash::conformance;

// STASH_TEST_POSTGRES_RESTART with the shutdown mode made immediate.
std::string crash_command() {
  std::string cmd = env("STASH_TEST_POSTGRES_RESTART");
  const std::string fast = "-m fast";
  if (auto at = cmd.find(fast); at != std::string::npos) {
    cmd.replace(at, fast.size(), "-m immediate");
  }
  return cmd;
}

class PostgresCrashHarness final : public kit::Harness {
 public:
  kit::Capabilities capabilities() const override {
    return {.durable = true, .several_handles = false, .fencing = false, .crash = true};
  }
  Result<std::unique_ptr<Stash>> open_fresh() override {
    schema_ = fresh_schema("stash_kit_crash");
    return reopen();
  }
  Result<std::unique_ptr<Stash>> reopen() override {
    auto s = PostgresStash::open(server_url(), options_for(schema_));
    if (!s) return std::unexpected(s.error());
    return std::unique_ptr<Stash>(std::move(*s));
  }
  Status crash() override {
    const std::string cmd = crash_command();
    if (cmd.find("-m immediate") == std::string::npos) {
      return fail(ErrorCode::kInternal, "no '-m fast' to make immediate in: " + cmd);
    }
    if (int rc = std::system(cmd.c_str()); rc != 0) {
      return fail(ErrorCode::kInternal, "'" + cmd + "' exited with " + std::to_string(rc));
    }
    return {};
  }

 private:
  std::string schema_;
};

TEST(PostgresCrashConformance, AcknowledgedCommitsSurviveAServerCrash) {
  kit::RunOptions options;
  options.areas = {kit::Area::kCrash};
  // Each case restarts the server (about a second); STASH_CRASH_CASES wins.
  options.max_success = 16;
  kit::expect_areas_pass(
      {"PostgresServerCrash", [] { return std::make_unique<PostgresCrashHarness>(); }}, options);
}

}  // namespace
}  // namespace stash::testing

int main(int argc, char** argv) {
  return stash::testing::run_postgres_tests(
      argc, argv, {"STASH_TEST_POSTGRES_URL", "STASH_TEST_POSTGRES_RESTART"});
}
