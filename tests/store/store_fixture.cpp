#include "store_fixture.h"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

#include "store/copy_store.h"
#include "temp_postgres.h"

namespace runlet::store {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/runlet-store-test-XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void StoreTest::SetUp() {
  if (postgres()) {
    try {
      database_ = runlet::testing::SharedPostgres().NewDatabase();
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
  } else {
    database_ = dir_.path() + "/runlet.db";
  }
  store_ = Open();
  ASSERT_TRUE(store_);
}

std::unique_ptr<Store> StoreTest::Open(StoreOptions options) {
  auto store = OpenStore(database_, options);
  if (!store) {
    ADD_FAILURE() << "open " << database_ << ": " << store.error().message;
    return nullptr;
  }
  return std::move(*store);
}

size_t StoreTest::Count(const std::string& table) {
  auto dump = DumpStore(database_);
  if (!dump) {
    ADD_FAILURE() << dump.error().message;
    return 0;
  }
  auto it = dump->find(table);
  if (it == dump->end()) {
    ADD_FAILURE() << "no table " << table;
    return 0;
  }
  return it->second.rows.size();
}

RunRecord NewRun(int64_t user, const std::string& project, RunStatus status, const std::string& created) {
  RunRecord r;
  r.id = NewId();
  r.project_id = project;
  r.user_id = user;
  r.runtime = "python-3.11";
  r.platform = "native";
  r.result.status = status;
  r.created_at = created;
  return r;
}

std::vector<LogEntry> Lines(int64_t first, int count, const std::string& text, Stream stream) {
  std::vector<LogEntry> out;
  const std::string now = NowRfc3339();
  for (int i = 0; i < count; ++i) out.push_back({first + i, stream, text, now});
  return out;
}

Project NewProject(const std::string& id, int64_t owner) {
  Project p;
  p.id = id;
  p.owner_id = owner;
  p.name = id;
  p.runtime = "python-3.11";
  p.created_at = p.updated_at = NowRfc3339();
  return p;
}

}  // namespace runlet::store
