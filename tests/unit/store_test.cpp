// What only the SQLite store has: log chunks' size in the file, the migration of the old
// one-row-per-line table, pages given back. What both backends share is in tests/store.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <string>

#include "store/log_chunk.h"
#include "store/store.h"

namespace runlet::store {
namespace {

class TempDb {
 public:
  TempDb() {
    char tmpl[] = "/tmp/runlet-store-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/runlet.db";
  }
  ~TempDb() { (void)std::system(("rm -rf '" + dir_ + "'").c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
};

std::unique_ptr<Store> Open(const std::string& path, ChunkEncoding encoding = ChunkEncoding::kDeflate) {
  auto store = OpenSqliteStore(path, StoreOptions{encoding});
  if (!store) ADD_FAILURE() << store.error().message;
  return store ? std::move(*store) : nullptr;
}

RunRecord NewRun(int64_t user, const std::string& project = "", RunStatus status = RunStatus::kOk,
                 const std::string& created = NowRfc3339()) {
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

// Entries as the run manager makes them: consecutive seqs from `first`.
std::vector<LogEntry> Lines(int64_t first, int count, const std::string& text, Stream stream = Stream::kStdout) {
  std::vector<LogEntry> out;
  const std::string now = NowRfc3339();
  for (int i = 0; i < count; ++i) out.push_back({first + i, stream, text, now});
  return out;
}

TEST(LogChunk, RoundTripsEntriesInBothEncodings) {
  std::mt19937 rng(7);
  std::vector<LogEntry> entries;
  int64_t ms = 1764000000123;
  for (int i = 0; i < 3000; ++i) {
    std::string text(rng() % 300, 'a');
    for (auto& c : text) c = static_cast<char>(rng() % 256);  // any bytes, NUL and newlines too
    if (i % 10 == 0) text.clear();
    ms += rng() % 3 == 0 ? static_cast<int64_t>(rng() % 5000) : 0;
    if (i == 1500) ms -= 2000;  // a clock that stepped back
    entries.push_back({100 + i, rng() % 2 ? Stream::kStderr : Stream::kStdout, text, FormatRfc3339Ms(ms)});
  }
  for (auto encoding : {ChunkEncoding::kRaw, ChunkEncoding::kDeflate}) {
    const std::string data = EncodeLogChunk(entries, 0, entries.size(), encoding);
    auto back = DecodeLogChunk(data, encoding, 100);
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_EQ(back->size(), entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      EXPECT_EQ((*back)[i].seq, entries[i].seq);
      EXPECT_EQ((*back)[i].stream, entries[i].stream);
      ASSERT_EQ((*back)[i].text, entries[i].text);
      EXPECT_EQ((*back)[i].time, entries[i].time);
    }
  }
  EXPECT_FALSE(DecodeLogChunk("\x05garbage", ChunkEncoding::kDeflate, 1));
  EXPECT_FALSE(DecodeLogChunk(std::string("\x00\x7F", 2), ChunkEncoding::kRaw, 1));
}

TEST(SqliteStore, KeepsAMebibyteOfEmptyLinesPerStreamInAFewMegabytes) {
  // The old table took ~64 bytes per empty line: 2 Mi lines grew the database by 135 MB.
  for (auto encoding : {ChunkEncoding::kRaw, ChunkEncoding::kDeflate}) {
    TempDb db;
    auto store = Open(db.path(), encoding);
    ASSERT_TRUE(store);
    const auto before = store->Size();
    auto run = NewRun(1, "", RunStatus::kRunning);
    ASSERT_TRUE(store->CreateRun(run));
    int64_t seq = 1;
    for (int flush = 0; flush < 512; ++flush) {  // 2 * 2^20 lines, 4096 per flush
      auto out = Lines(seq, 2048, "");
      auto err = Lines(seq + 2048, 2048, "", Stream::kStderr);
      out.insert(out.end(), err.begin(), err.end());
      ASSERT_TRUE(store->AppendLogs(run.id, out));
      seq += 4096;
    }
    const auto after = store->Size();
    const uint64_t grown = after->bytes - before->bytes;
    RecordProperty(encoding == ChunkEncoding::kRaw ? "raw_bytes" : "deflate_bytes", std::to_string(grown));
    EXPECT_LT(grown, encoding == ChunkEncoding::kRaw ? 6u << 20 : 1u << 20) << "grew by " << grown;
    auto tail = store->ReadLogs(run.id, seq - 3, 10);
    ASSERT_TRUE(tail);
    ASSERT_EQ(tail->size(), 2u);
    EXPECT_EQ(tail->back().seq, seq - 1);
    EXPECT_EQ(tail->back().stream, Stream::kStderr);
  }
}

// A database as version 0 of the schema left it: one row per log line, no
// version_files, a blob nothing refers to, auto_vacuum off.
void MakeOldDatabase(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* sql = R"sql(
PRAGMA journal_mode = WAL;
CREATE TABLE projects (id TEXT PRIMARY KEY, owner_id INTEGER NOT NULL, name TEXT NOT NULL, runtime TEXT NOT NULL,
  visibility TEXT NOT NULL DEFAULT 'private', env TEXT NOT NULL DEFAULT '{}', forked_from TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, content BLOB NOT NULL);
CREATE TABLE project_files (project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE, path TEXT NOT NULL,
  sha256 TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY (project_id, path));
CREATE TABLE versions (id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL, files TEXT NOT NULL);
CREATE TABLE runs (id TEXT PRIMARY KEY, project_id TEXT NOT NULL DEFAULT '', user_id INTEGER NOT NULL,
  version_id TEXT NOT NULL DEFAULT '', runtime TEXT NOT NULL, platform TEXT NOT NULL, status TEXT NOT NULL,
  result TEXT NOT NULL, build TEXT, created_at TEXT NOT NULL, started_at TEXT NOT NULL DEFAULT '',
  finished_at TEXT NOT NULL DEFAULT '');
CREATE TABLE run_logs (run_id TEXT NOT NULL, seq INTEGER NOT NULL, stream INTEGER NOT NULL, text TEXT NOT NULL,
  time TEXT NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
INSERT INTO projects VALUES ('p1', 1, 'old', 'python-3.11', 'private', '{}', '', '2026-01-01T00:00:00.000Z',
  '2026-01-01T00:00:00.000Z');
INSERT INTO blobs VALUES ('aaaa', X'01'), ('bbbb', X'02'), ('orphan', X'03');
INSERT INTO project_files VALUES ('p1', 'main.py', 'aaaa', 1);
INSERT INTO versions VALUES ('v1', 'p1', '2026-01-01T00:00:00.000Z',
  '[{"path":"main.py","size":1,"sha256":"bbbb"}]');
INSERT INTO runs VALUES ('r1', '', 1, '', 'python-3.11', 'native', 'ok', '{}', NULL, '2026-01-01T00:00:00.000Z', '', '');
INSERT INTO run_logs VALUES ('r1', 1, 1, 'first', '2026-01-01T00:00:01.000Z'),
  ('r1', 2, 2, '', '2026-01-01T00:00:01.500Z'), ('r1', 3, 1, 'third', '2026-01-01T00:00:02.250Z');
)sql";
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_close(db);
}

int64_t PragmaOf(const std::string& path, const std::string& pragma) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, pragma.c_str(), -1, &s, nullptr);
  const int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
  sqlite3_finalize(s);
  sqlite3_close(db);
  return v;
}

TEST(SqliteStore, MigratesTheOldOneRowPerLineLog) {
  TempDb db;
  MakeOldDatabase(db.path());
  {
    auto store = Open(db.path());
    ASSERT_TRUE(store);
    auto entries = store->ReadLogs("r1", 0, 100);
    ASSERT_TRUE(entries) << entries.error().message;
    ASSERT_EQ(entries->size(), 3u);
    EXPECT_EQ((*entries)[0].text, "first");
    EXPECT_EQ((*entries)[0].time, "2026-01-01T00:00:01.000Z");
    EXPECT_EQ((*entries)[1].text, "");
    EXPECT_EQ((*entries)[1].stream, Stream::kStderr);
    EXPECT_EQ((*entries)[1].time, "2026-01-01T00:00:01.500Z");
    EXPECT_EQ((*entries)[2].seq, 3);
    EXPECT_EQ((*entries)[2].time, "2026-01-01T00:00:02.250Z");
    // New entries continue the converted log.
    ASSERT_TRUE(store->AppendLogs("r1", Lines(4, 2, "more")));
    EXPECT_EQ(store->ReadLogs("r1", 2, 100)->size(), 3u);
    // The version's blob is known as the version's: the working copy's rewrite keeps it.
    ASSERT_TRUE(store->WriteFile("p1", "main.py", "new"));
    auto files = store->ReadVersionFiles("v1");
    ASSERT_TRUE(files) << files.error().message;
    EXPECT_EQ(files->at(0).content, "\x02");
  }
  EXPECT_EQ(PragmaOf(db.path(), "PRAGMA user_version"), 4);
  EXPECT_EQ(PragmaOf(db.path(), "PRAGMA auto_vacuum"), 2);
  EXPECT_EQ(PragmaOf(db.path(), "SELECT count(*) FROM sqlite_master WHERE name = 'run_logs'"), 0);
  EXPECT_EQ(PragmaOf(db.path(), "SELECT count(*) FROM blobs WHERE sha256 IN ('orphan', 'aaaa')"), 0)
      << "blobs nothing refers to are collected";
  // Opening again changes nothing.
  auto again = Open(db.path());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->ReadLogs("r1", 0, 100)->size(), 5u);
}

class ProjectStore : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Open(db_.path());
    ASSERT_TRUE(store_);
    Project p;
    p.id = "p";
    p.owner_id = 1;
    p.name = "p";
    p.runtime = "python-3.11";
    p.created_at = p.updated_at = NowRfc3339();
    ASSERT_TRUE(store_->CreateProject(p));
  }
  std::vector<std::string> Paths() {
    std::vector<std::string> out;
    auto files = store_->ListFiles("p");
    for (const auto& f : *files) out.push_back(f.path);
    return out;
  }
  TempDb db_;
  std::unique_ptr<Store> store_;
};

TEST_F(ProjectStore, GivesTheFileSpaceOfCollectedBlobsBack) {
  const uint64_t start = store_->Size()->bytes;
  std::mt19937 rng(1);
  auto mebibyte = [&] {
    std::string s(1 << 20, '\0');
    for (auto& c : s) c = static_cast<char>(rng());  // incompressible, distinct each time
    return s;
  };
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(store_->WriteFile("p", "big.bin", mebibyte()));
  EXPECT_LT(store_->Size()->bytes - store_->Size()->free_bytes, start + (3u << 20)) << "rewrites keep one blob";
  // Versions hold their blobs until the versions go.
  ASSERT_TRUE(store_->SnapshotProject("p"));
  ASSERT_TRUE(store_->WriteFile("p", "big.bin", mebibyte()));
  auto versions = store_->ListVersions("p");
  ASSERT_EQ(versions->size(), 1u);
  auto files = store_->ReadVersionFiles(versions->front().id);
  ASSERT_TRUE(files) << files.error().message;
  ASSERT_TRUE(store_->DeleteFile("p", "big.bin"));
  ASSERT_TRUE(store_->ReadVersionFiles(versions->front().id)) << "the version's content is kept";
  ASSERT_TRUE(store_->DeleteProject("p"));
  const auto end = store_->Size();
  EXPECT_LT(end->bytes, start + (256u << 10)) << "from " << start << " to " << end->bytes << " (free "
                                              << end->free_bytes << ")";
}

}  // namespace
}  // namespace runlet::store
