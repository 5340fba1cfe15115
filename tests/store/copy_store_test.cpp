// `runlet admin copy-store`: a SQLite data set touching every table, copied into
// PostgreSQL, compared table by table and through the store; a target that holds data
// or a source with a column PostgreSQL does not know is refused with nothing copied.
// And `runlet admin migrate` on both.
#include <sqlite3.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>

#include "store/copy_store.h"
#include "store_fixture.h"
#include "temp_postgres.h"

namespace runlet::store {
namespace {

// A data set with rows in every table: users (TOTP, recovery codes, quota, disabled),
// sessions and tokens, settings, public and private projects with env and binary files,
// versions, runs with results and builds, logs in several chunks of both encodings.
void Populate(const std::string& path) {
  for (auto encoding : {ChunkEncoding::kDeflate, ChunkEncoding::kRaw}) {
    auto opened = OpenSqliteStore(path, StoreOptions{.log_encoding = encoding});
    ASSERT_TRUE(opened) << opened.error().message;
    Store& s = **opened;
    const std::string tag = encoding == ChunkEncoding::kRaw ? "raw" : "deflate";
    User u;
    u.username = "user-" + tag;
    u.password_hash = "$argon2id$...";
    u.created_at = NowRfc3339();
    u.totp_secret = "SECRET";
    u.totp_enabled = true;
    u.disabled = encoding == ChunkEncoding::kRaw;
    u.quota.cpus = 0.5;
    u.quota.stored_bytes = 123456789;
    auto id = s.CreateUser(u);
    ASSERT_TRUE(id);
    ASSERT_TRUE(s.SetRecoveryCodes(*id, {"r1", "r2"}));
    ASSERT_TRUE(*s.AcceptTotpCounter(*id, 555));
    ASSERT_TRUE(s.CreateCredential({NewId(), *id, "session", "", "h-s-" + tag, "csrf", NowRfc3339(), "2030-01-01T00:00:00.000Z", ""}));
    ASSERT_TRUE(s.CreateCredential({NewId(), *id, "token", "ci", "h-t-" + tag, "", NowRfc3339(), "", NowRfc3339()}));
    ASSERT_TRUE(s.PutSetting("runtime:" + tag, R"({"image":"host"})"));
    auto p = NewProject("proj-" + tag, *id);
    p.env = {{"A", "1"}, {"QUOTE", "it's"}};
    p.visibility = encoding == ChunkEncoding::kRaw ? "public" : "private";
    ASSERT_TRUE(s.CreateProject(p));
    ASSERT_TRUE(s.WriteFile(p.id, "main.py", "print('" + tag + "')\n"));
    ASSERT_TRUE(s.WriteFile(p.id, "data/bin", std::string("\0\x01\xfe\xff", 4) + tag));
    auto v1 = s.SnapshotProject(p.id);
    ASSERT_TRUE(v1);
    ASSERT_TRUE(s.WriteFile(p.id, "main.py", "print(2)\n"));
    auto v2 = s.SnapshotProject(p.id);
    ASSERT_TRUE(v2);
    for (const auto& v : {*v1, *v2}) {
      auto run = NewRun(*id, p.id, RunStatus::kOk, "2026-06-01T00:00:00.000Z");  // equal times: rowid decides
      run.version_id = v.id;
      run.result.exit_code = 0;
      run.result.stdout_data = "out";
      run.build = RunResult{};
      run.finished_at = NowRfc3339();
      ASSERT_TRUE(s.CreateRun(run));
      std::vector<LogEntry> lines;
      for (int i = 1; i <= 3000; ++i)
        lines.push_back({i, i % 7 ? Stream::kStdout : Stream::kStderr, i % 5 ? "line " + std::to_string(i) : "", NowRfc3339()});
      ASSERT_TRUE(s.AppendLogs(run.id, lines));
    }
    auto execute = NewRun(*id, "", RunStatus::kTimeLimit);
    execute.result.signal = 9;
    ASSERT_TRUE(s.CreateRun(execute));
  }
  // The shared run queue: the SQLite store never fills it (one process keeps its queue
  // in memory); a row written past it still proves the table copies.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db,
                         "INSERT INTO run_queue(run_id, seq, user_id, project_id, request, memory_bytes, cpu_millis, "
                         "quota_memory_bytes, quota_cpu_millis, pinned, owner, lease_until, stop_reason) VALUES "
                         "('queued-run', 7, 1, '', x'00ff01', 268435456, 500, 0, 1500, '', 'host:1:2', 1796697022348, 'user')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

void ExpectSameEverywhere(const std::string& sqlite_path, const std::string& url) {
  auto a = DumpStore(sqlite_path);
  ASSERT_TRUE(a) << a.error().message;
  auto b = DumpStore(url);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(a->size(), 11u) << "every table of schema 2";
  for (const auto& [table, t] : *a) EXPECT_FALSE(t.rows.empty()) << table << " is empty: the check would prove little";
  EXPECT_EQ(DescribeDifference(*a, *b), "");
  EXPECT_TRUE(*a == *b);
}

TEST(CopyStore, CopiesEveryTableOfASqliteDataSetIntoPostgresWithoutLoss) {
  TempDir dir;
  const std::string path = dir.path() + "/runlet.db";
  Populate(path);
  std::string url;
  try {
    url = runlet::testing::SharedPostgres().NewDatabase();
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  auto counts = CopyStore(path, url);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->at("runs"), 6);
  ExpectSameEverywhere(path, url);

  // Through the store: the same answers from both.
  auto sqlite = OpenStore(path);
  auto pg = OpenStore(url);
  ASSERT_TRUE(sqlite && pg);
  for (const char* project : {"proj-raw", "proj-deflate"}) {
    auto ra = (*sqlite)->ListRuns(project, 10), rb = (*pg)->ListRuns(project, 10);
    ASSERT_EQ(ra->size(), 2u);
    ASSERT_EQ(rb->size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_EQ((*ra)[i].id, (*rb)[i].id) << "newest first, ties by the order they were made";
      auto la = (*sqlite)->ReadLogs((*ra)[i].id, 100, 5000), lb = (*pg)->ReadLogs((*rb)[i].id, 100, 5000);
      ASSERT_EQ(la->size(), 2900u);
      ASSERT_EQ(lb->size(), 2900u);
      for (size_t j = 0; j < la->size(); ++j) {
        ASSERT_EQ((*la)[j].text, (*lb)[j].text);
        ASSERT_EQ((*la)[j].time, (*lb)[j].time);
        ASSERT_EQ((*la)[j].stream, (*lb)[j].stream);
      }
      EXPECT_EQ((*pg)->ReadVersionFiles((*rb)[i].version_id)->size(), 2u);
    }
  }
  auto user = *(*pg)->FindUser("USER-RAW");
  ASSERT_TRUE(user);
  EXPECT_TRUE(user->disabled);
  EXPECT_EQ(user->totp_last_counter, 555);
  EXPECT_EQ(user->recovery_hashes, (std::vector<std::string>{"r1", "r2"}));
  EXPECT_FALSE(*(*pg)->AcceptTotpCounter(user->id, 555)) << "a used TOTP step stays used after the move";
  // New ids continue after the copied ones.
  User next;
  next.username = "after-copy";
  next.password_hash = "h";
  next.created_at = NowRfc3339();
  auto id = (*pg)->CreateUser(next);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(*id, 3);
  auto run = NewRun(*id, "proj-raw", RunStatus::kOk, "2026-06-01T00:00:00.000Z");
  ASSERT_TRUE((*pg)->CreateRun(run));
  EXPECT_EQ((*(*pg)->ListRuns("proj-raw", 1))[0].id, run.id) << "a new run sorts after the copied ones";

  // A second copy into the same database is refused, and changes nothing.
  auto again = CopyStore(path, url);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kConflict) << again.error().message;
}

TEST(CopyStore, RefusesAColumnPostgresDoesNotKnowAndCopiesNothing) {
  TempDir dir;
  const std::string path = dir.path() + "/runlet.db";
  Populate(path);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE settings ADD COLUMN extra TEXT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  std::string url;
  try {
    url = runlet::testing::SharedPostgres().NewDatabase();
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  auto counts = CopyStore(path, url);
  ASSERT_FALSE(counts);
  EXPECT_NE(counts.error().message.find("settings.extra"), std::string::npos) << counts.error().message;
  auto dump = DumpStore(url);
  ASSERT_TRUE(dump);
  for (const auto& [table, t] : *dump) EXPECT_TRUE(t.rows.empty()) << table;
}

// Runs the runlet binary; its exit status and stdout.
std::pair<int, std::string> Runlet(const std::string& args) {
  std::string out;
  FILE* p = ::popen((std::string(RUNLET_BIN) + " " + args + " 2>&1").c_str(), "r");
  if (!p) return {-1, ""};
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(CopyStore, TheAdminCommandsMigrateAndCopyAndSaySo) {
  TempDir dir;
  Populate(dir.path() + "/runlet.db");
  std::string url;
  try {
    url = runlet::testing::SharedPostgres().NewDatabase();
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  auto [pg_status, pg_out] = Runlet("admin migrate --database '" + url + "'");
  EXPECT_EQ(pg_status, 0) << pg_out;
  EXPECT_NE(pg_out.find("schema version 0 -> 4"), std::string::npos) << pg_out;
  auto [again_status, again_out] = Runlet("admin migrate --database '" + url + "'");
  EXPECT_NE(again_out.find("schema version 4 (up to date)"), std::string::npos) << again_out;
  auto [sq_status, sq_out] = Runlet("admin migrate --data '" + dir.path() + "'");
  EXPECT_EQ(sq_status, 0) << sq_out;
  EXPECT_NE(sq_out.find("schema version 4 (up to date)"), std::string::npos) << sq_out;

  auto [bad_status, bad_out] = Runlet("admin copy-store --data '" + dir.path() + "' --to /tmp/not-a-url");
  EXPECT_EQ(bad_status, 1) << bad_out;
  auto [status, out] = Runlet("admin copy-store --data '" + dir.path() + "' --to '" + url + "'");
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("checked table by table"), std::string::npos) << out;
  ExpectSameEverywhere(dir.path() + "/runlet.db", url);
  auto [users_status, users] = Runlet("admin list-users --database '" + url + "'");
  EXPECT_EQ(users_status, 0);
  EXPECT_NE(users.find("user-raw\tuser\tdisabled\ttotp"), std::string::npos) << users;
}

}  // namespace
}  // namespace runlet::store
