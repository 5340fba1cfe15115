// The store suite's fixture: each test gets a fresh store of the backend it is
// instantiated with, "sqlite" (a file in a temporary directory) or "postgres" (a new
// database on the test process's own PostgreSQL server, temp_postgres.h). A test that
// needs PostgreSQL and cannot start it fails.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/log_chunk.h"
#include "store/store.h"

namespace runlet::store {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  // Opens the test's database (again).
  std::unique_ptr<Store> Open(StoreOptions options = {});
  // Rows of `table`, read past the store (copy_store.h's dump).
  size_t Count(const std::string& table);
  bool postgres() const { return GetParam() == "postgres"; }

  TempDir dir_;
  std::string database_;
  std::unique_ptr<Store> store_;
};

// "sqlite" and "postgres", named as such in test names.
#define RUNLET_STORE_BACKENDS(suite)                                                     \
  INSTANTIATE_TEST_SUITE_P(Backends, suite, ::testing::Values("sqlite", "postgres"), \
                           [](const auto& info) { return info.param; })

RunRecord NewRun(int64_t user, const std::string& project = "", RunStatus status = RunStatus::kOk,
                 const std::string& created = NowRfc3339());
// Entries as the run manager makes them: consecutive seqs from `first`.
std::vector<LogEntry> Lines(int64_t first, int count, const std::string& text, Stream stream = Stream::kStdout);
Project NewProject(const std::string& id, int64_t owner = 1);

}  // namespace runlet::store
