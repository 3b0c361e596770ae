// The conformance kit's Harness for SqliteStash: every fresh store is a new
// stash file in one directory, opened with stash::open("sqlite:FILE?OPTIONS").
// Used by the backend's conformance test and by `stash check sqlite:DIR`.
#ifndef STASH_SQLITE_HARNESS_H_
#define STASH_SQLITE_HARNESS_H_

#include <string>
#include <vector>

#include "stash/conformance.h"

namespace stash {

class SqliteHarness : public conformance::Harness {
 public:
  // Stores are created as `directory`/store-N.stash (the directory is
  // created if missing). An empty `directory` means a new temporary
  // directory, removed with the harness. Files the harness created are
  // removed when it is destroyed. `url_options` are the sqlite: URL's
  // options (stash/open.h), e.g. "synchronous=off"; empty for the defaults.
  explicit SqliteHarness(std::string directory = "", std::string url_options = "");
  ~SqliteHarness() override;

  // Durable, several handles (each a new writer), and fencing.
  conformance::Capabilities capabilities() const override;
  Result<std::unique_ptr<Stash>> open_fresh() override;
  Result<std::unique_ptr<Stash>> reopen() override;
  Result<std::unique_ptr<Stash>> open_another() override;

  // The file of the store last made by open_fresh().
  const std::string& current_path() const { return path_; }

 private:
  void remove_store(const std::string& path);

  std::string directory_;
  bool owns_directory_ = false;
  std::string url_options_;
  std::string path_;
  std::vector<std::string> created_;
};

}  // namespace stash

#endif  // STASH_SQLITE_HARNESS_H_
