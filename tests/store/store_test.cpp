// One store suite, run against both backends: every test is instantiated for SQLite
// and for PostgreSQL and expects the same answers from each (order, case rules, kinds
// of errors, what is collected), plus the races that only several connections can have.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <random>
#include <thread>

#include "store/copy_store.h"
#include "store_fixture.h"
#include "temp_postgres.h"

namespace runlet::store {
namespace {

TEST_P(StoreTest, ReadsLogPagesAcrossChunksWithoutGaps) {
  auto run = NewRun(1);
  ASSERT_TRUE(store_->CreateRun(run));
  // Flushes of different sizes, one larger than a chunk.
  int64_t seq = 1;
  for (int n : {1, 7, 5000, 3, 300}) {
    std::vector<LogEntry> batch;
    for (int i = 0; i < n; ++i, ++seq)
      batch.push_back({seq, seq % 3 ? Stream::kStdout : Stream::kStderr, "line " + std::to_string(seq), NowRfc3339()});
    ASSERT_TRUE(store_->AppendLogs(run.id, batch));
  }
  const int64_t last = seq - 1;
  for (int limit : {7, 1000, 10000}) {
    int64_t after = 0;
    while (after < last) {
      auto page = store_->ReadLogs(run.id, after, limit);
      ASSERT_TRUE(page);
      ASSERT_FALSE(page->empty()) << "after " << after;
      EXPECT_LE(page->size(), static_cast<size_t>(limit));
      for (const auto& e : *page) {
        ASSERT_EQ(e.seq, ++after);
        EXPECT_EQ(e.text, "line " + std::to_string(e.seq));
        EXPECT_EQ(e.stream, e.seq % 3 ? Stream::kStdout : Stream::kStderr);
      }
    }
    EXPECT_TRUE(store_->ReadLogs(run.id, last, limit)->empty());
  }
  // max_bytes ends a page after the entry that reaches it.
  auto page = store_->ReadLogs(run.id, 0, 1000, 20);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->size(), 4u);  // "line 1" .. "line 3" make 18 < 20; "line 4" crosses it
}

TEST_P(StoreTest, PagesLongLinesByBytesAndKeepsEveryByte) {
  auto run = NewRun(1);
  ASSERT_TRUE(store_->CreateRun(run));
  std::mt19937 rng(3);
  std::vector<LogEntry> entries;
  for (int i = 1; i <= 40; ++i) {
    std::string text(200000, '\0');
    for (auto& ch : text) ch = static_cast<char>(rng());  // NUL, 0xFF, newlines: any byte
    entries.push_back({i, i % 2 ? Stream::kStdout : Stream::kStderr, text, NowRfc3339()});
  }
  ASSERT_TRUE(store_->AppendLogs(run.id, entries));
  auto page = store_->ReadLogs(run.id, 0, 10000, 1 << 20);
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->size(), 6u) << "5 lines make 1,000,000 bytes; the 6th crosses 1 MiB";
  auto rest = store_->ReadLogs(run.id, 30, 10000);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 10u);
  for (const auto& e : *rest) ASSERT_EQ(e.text, entries[static_cast<size_t>(e.seq - 1)].text) << e.seq;
}

TEST_P(StoreTest, FindsUserNamesCaseInsensitivelyForAsciiLettersOnly) {
  User alice;
  alice.username = "Alice";
  alice.password_hash = "hash";
  alice.created_at = NowRfc3339();
  alice.quota.cpus = 1.5;
  alice.quota.memory_bytes = 1ull << 33;
  auto id = store_->CreateUser(alice);
  ASSERT_TRUE(id) << id.error().message;
  auto found = store_->FindUser("aLiCe");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, *id);
  EXPECT_EQ((*found)->username, "Alice");
  EXPECT_EQ((*found)->quota.memory_bytes, 1ull << 33);
  EXPECT_EQ((*found)->quota.cpus, 1.5);
  alice.username = "ALICE";
  auto taken = store_->CreateUser(alice);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().kind, ErrorKind::kConflict);
  // Letters beyond ASCII are compared as they are (SQLite's NOCASE).
  alice.username = "\xc3\x89mile";  // Émile
  ASSERT_TRUE(store_->CreateUser(alice));
  EXPECT_FALSE(*store_->FindUser("\xc3\xa9mile"));  // émile
  alice.username = "\xc3\xa9mile";
  EXPECT_TRUE(store_->CreateUser(alice)) << "émile is not Émile";
  auto upper = store_->FindUser("\xc3\x89mile");
  ASSERT_TRUE(upper && *upper);
  EXPECT_EQ((*upper)->username, "\xc3\x89mile") << "Émile finds Émile, not émile";
  // A name that is SQL is a name.
  alice.username = "x'); DROP TABLE users; --";
  ASSERT_TRUE(store_->CreateUser(alice));
  EXPECT_TRUE(*store_->FindUser("X'); drop table USERS; --"));
  auto users = store_->ListUsers();
  ASSERT_TRUE(users);
  ASSERT_EQ(users->size(), 4u);
  for (size_t i = 1; i < users->size(); ++i) EXPECT_LT((*users)[i - 1].id, (*users)[i].id);
}

TEST_P(StoreTest, UpdatesUsersAndAcceptsEachTotpCounterAndRecoveryCodeOnceUnderRaces) {
  User u;
  u.username = "bob";
  u.password_hash = "h1";
  u.created_at = NowRfc3339();
  auto id = store_->CreateUser(u);
  ASSERT_TRUE(id);
  u.id = *id;
  u.role = "admin";
  u.disabled = true;
  u.totp_secret = "ABCDEF";
  u.totp_enabled = true;
  ASSERT_TRUE(store_->UpdateUser(u));
  ASSERT_TRUE(store_->SetRecoveryCodes(u.id, {"c1", "c2", "c3"}));
  auto got = *store_->GetUser(u.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->role, "admin");
  EXPECT_TRUE(got->disabled);
  EXPECT_TRUE(got->totp_enabled);
  EXPECT_EQ(got->totp_secret, "ABCDEF");
  EXPECT_EQ(got->totp_last_counter, -1);
  EXPECT_EQ(got->recovery_hashes, (std::vector<std::string>{"c1", "c2", "c3"}));

  // Eight threads at once (eight connections on PostgreSQL): one wins each.
  auto race = [&](auto attempt) {
    std::atomic<int> wins = 0, errors = 0;
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) threads.emplace_back([&] {
      auto r = attempt();
      if (!r) ++errors;
      else if (*r) ++wins;
    });
    for (auto& t : threads) t.join();
    EXPECT_EQ(errors, 0);
    return wins.load();
  };
  auto store = Open(StoreOptions{.connections = 8});
  ASSERT_TRUE(store);
  EXPECT_EQ(race([&] { return store->UseRecoveryCode(u.id, "c2"); }), 1);
  EXPECT_EQ(race([&] { return store->AcceptTotpCounter(u.id, 1000); }), 1);
  EXPECT_FALSE(*store->AcceptTotpCounter(u.id, 999)) << "older steps stay refused";
  EXPECT_TRUE(*store->AcceptTotpCounter(u.id, 1001));
  EXPECT_FALSE(*store->UseRecoveryCode(u.id, "nope"));
  EXPECT_FALSE(*store->UseRecoveryCode(12345, "c1"));
  EXPECT_EQ((*store->GetUser(u.id))->recovery_hashes, (std::vector<std::string>{"c1", "c3"}));
}

TEST_P(StoreTest, KeepsCredentialsPerUserAndKind) {
  for (const char* name : {"one", "two"}) {
    User u;
    u.username = name;
    u.password_hash = "h";
    u.created_at = NowRfc3339();
    ASSERT_TRUE(store_->CreateUser(u));
  }
  for (int64_t user : {1, 2}) {
    for (const char* kind : {"session", "token"}) {
      Credential c{NewId(), user, kind, "n", "hash-" + std::to_string(user) + kind, "csrf", NowRfc3339(), "", ""};
      ASSERT_TRUE(store_->CreateCredential(c));
    }
  }
  Credential dup{NewId(), 1, "token", "", "hash-1token", "", NowRfc3339(), "", ""};
  EXPECT_FALSE(store_->CreateCredential(dup)) << "a secret hash is unique";
  auto found = *store_->FindCredential("hash-2session");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user_id, 2);
  EXPECT_EQ(found->csrf_token, "csrf");
  ASSERT_TRUE(store_->TouchCredential(found->id, "2030-01-01T00:00:00.000Z"));
  EXPECT_EQ((*store_->FindCredential("hash-2session"))->last_used_at, "2030-01-01T00:00:00.000Z");
  auto tokens = *store_->ListCredentials(1, "token");
  ASSERT_EQ(tokens.size(), 1u);
  auto other = store_->DeleteCredential(2, tokens[0].id);
  ASSERT_FALSE(other) << "user 2 cannot delete user 1's token";
  EXPECT_EQ(other.error().kind, ErrorKind::kNotFound);
  ASSERT_TRUE(store_->DeleteCredential(1, tokens[0].id));
  ASSERT_TRUE(store_->DeleteUserCredentials(2, "session"));
  EXPECT_FALSE(*store_->FindCredential("hash-2session"));
  EXPECT_TRUE(*store_->FindCredential("hash-2token"));
  ASSERT_TRUE(store_->DeleteUserCredentials(2, ""));
  EXPECT_FALSE(*store_->FindCredential("hash-2token"));
  EXPECT_TRUE(*store_->FindCredential("hash-1session"));
}

TEST_P(StoreTest, ListsSettingsByPrefixInByteOrderWithoutPatterns) {
  for (const char* key : {"runtime:b", "runtime:B", "runtime:a_", "runtimeXa", "runtime:%", "faq", "runtime:\xc3\xa9"})
    ASSERT_TRUE(store_->PutSetting(key, std::string("v-") + key));
  ASSERT_TRUE(store_->PutSetting("faq", "[1]"));
  EXPECT_EQ(**store_->GetSetting("faq"), "[1]");
  EXPECT_FALSE(*store_->GetSetting("nope"));
  auto list = store_->ListSettings("runtime:");
  ASSERT_TRUE(list);
  std::vector<std::string> keys;
  for (const auto& [k, v] : *list) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"runtime:%", "runtime:B", "runtime:a_", "runtime:b", "runtime:\xc3\xa9"}));
  EXPECT_EQ(store_->ListSettings("runtime:a_")->size(), 1u);
  EXPECT_EQ(store_->ListSettings("runtime_")->size(), 0u) << "'_' is no wildcard";
  ASSERT_TRUE(store_->DeleteSetting("faq"));
  EXPECT_FALSE(*store_->GetSetting("faq"));
}

TEST_P(StoreTest, KeepsProjectsFilesAndVersionsInTheSameOrder) {
  auto p = NewProject("p");
  p.env = {{"KEY", "value with 'quotes'"}};
  ASSERT_TRUE(store_->CreateProject(p));
  EXPECT_FALSE(store_->CreateProject(p)) << "ids are unique";
  const std::string binary("\0\xff\x01\n'\"\\", 7);
  for (const char* path : {"b.py", "B.py", "a/x.py", "a.py", "\xc3\xa9.py", "it's.py"})
    ASSERT_TRUE(store_->WriteFile("p", path, path == std::string("a.py") ? binary : path));
  auto files = store_->ListFiles("p");
  ASSERT_TRUE(files);
  std::vector<std::string> paths;
  for (const auto& f : *files) paths.push_back(f.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"B.py", "a.py", "a/x.py", "b.py", "it's.py", "\xc3\xa9.py"}));
  EXPECT_EQ(**store_->ReadFile("p", "a.py"), binary);
  EXPECT_FALSE(*store_->ReadFile("p", "missing"));
  auto all = store_->ReadAllFiles("p");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 6u);
  EXPECT_EQ((*all)[1].content, binary);
  EXPECT_EQ(store_->StorageOf(1)->projects, 1);
  EXPECT_EQ(store_->StorageOf(1)->file_bytes, 4 + 4 + 6 + 7 + 5 + 7u);

  auto v1 = store_->SnapshotProject("p");
  ASSERT_TRUE(v1);
  auto same = store_->SnapshotProject("p");
  EXPECT_EQ(same->id, v1->id) << "an unchanged working copy reuses the newest version";
  // Versions made within one millisecond still list newest first.
  std::vector<std::string> made{v1->id};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_->WriteFile("p", "b.py", "v" + std::to_string(i)));
    made.push_back(store_->SnapshotProject("p")->id);
  }
  auto versions = store_->ListVersions("p");
  ASSERT_EQ(versions->size(), 6u);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ((*versions)[i].id, made[5 - i]);
  auto old = store_->ReadVersionFiles(v1->id);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->at(1).content, binary);
  EXPECT_EQ(old->at(3).content, "b.py");

  p.name = "renamed";
  p.visibility = "public";
  p.updated_at = "2030-01-01T00:00:00.000Z";
  ASSERT_TRUE(store_->UpdateProject(p));
  auto got = *store_->GetProject("p");
  EXPECT_EQ(got->name, "renamed");
  EXPECT_EQ(got->env.at("KEY"), "value with 'quotes'");
  for (const char* id : {"q2", "q1", "q3"}) {
    auto q = NewProject(id, 2);
    q.visibility = "public";
    q.updated_at = "2029-01-01T00:00:00.000Z";
    ASSERT_TRUE(store_->CreateProject(q));
  }
  GalleryQuery page;
  page.offset = 1;
  page.limit = 2;
  auto gallery = store_->ListPublicProjects(page);
  ASSERT_TRUE(gallery);
  ASSERT_EQ(gallery->size(), 2u);
  EXPECT_EQ((*gallery)[0].id, "q1") << "newest first, then by id";
  EXPECT_EQ((*gallery)[1].id, "q2");
  EXPECT_EQ(store_->ListProjects(2)->size(), 3u);
}

TEST_P(StoreTest, DeletesAndRenamesOnlyWhatTheNameSays) {
  ASSERT_TRUE(store_->CreateProject(NewProject("p")));
  auto Paths = [&] {
    std::vector<std::string> out;
    auto files = store_->ListFiles("p");
    for (const auto& f : *files) out.push_back(f.path);
    return out;
  };
  // LIKE patterns: '_' matched any one character, '%' anything.
  for (const char* name : {"a/b.py", "dir/sub/deep.py", "_", "%", "a_", "x%y/z.py", "xay/z.py"})
    ASSERT_TRUE(store_->WriteFile("p", name, name));
  ASSERT_TRUE(store_->DeleteFile("p", "_"));
  ASSERT_TRUE(store_->DeleteFile("p", "%"));
  EXPECT_EQ(Paths(), (std::vector<std::string>{"a/b.py", "a_", "dir/sub/deep.py", "x%y/z.py", "xay/z.py"}));
  ASSERT_TRUE(store_->DeleteFile("p", "x%y"));  // the folder x%y, not xay
  EXPECT_EQ(Paths(), (std::vector<std::string>{"a/b.py", "a_", "dir/sub/deep.py", "xay/z.py"}));
  ASSERT_TRUE(store_->WriteFile("p", "d_r/f.py", "f"));
  ASSERT_TRUE(store_->RenamePath("p", "d_r", "moved"));
  EXPECT_EQ(Paths(), (std::vector<std::string>{"a/b.py", "a_", "dir/sub/deep.py", "moved/f.py", "xay/z.py"}));
  ASSERT_TRUE(store_->RenamePath("p", "a_", "x_y"));  // "xay" is a folder, but not "x_y"
  EXPECT_EQ(Paths(), (std::vector<std::string>{"a/b.py", "dir/sub/deep.py", "moved/f.py", "x_y", "xay/z.py"}));
  auto taken = store_->RenamePath("p", "x_y", "a");  // a real folder
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().kind, ErrorKind::kConflict);
  auto missing = store_->RenamePath("p", "%", "q");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST_P(StoreTest, CollectsBlobsThatNothingRefersTo) {
  ASSERT_TRUE(store_->CreateProject(NewProject("p")));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store_->WriteFile("p", "big.bin", "content " + std::to_string(i)));
  EXPECT_EQ(Count("blobs"), 1u) << "rewrites keep one blob";
  // Versions hold their blobs until the versions go.
  auto v = store_->SnapshotProject("p");
  ASSERT_TRUE(v);
  ASSERT_TRUE(store_->WriteFile("p", "big.bin", "newer"));
  ASSERT_TRUE(store_->DeleteFile("p", "big.bin"));
  EXPECT_EQ(Count("blobs"), 1u);
  auto files = store_->ReadVersionFiles(v->id);
  ASSERT_TRUE(files) << files.error().message;
  EXPECT_EQ(files->at(0).content, "content 4");
  ASSERT_TRUE(store_->DeleteProject("p"));
  EXPECT_EQ(Count("blobs"), 0u);
  EXPECT_EQ(Count("versions"), 0u);
  EXPECT_EQ(Count("version_files"), 0u);
}

TEST_P(StoreTest, WritersOnSeveralConnectionsNeverLoseABlobTheyStillUse) {
  // Two projects share content; one keeps rewriting and deleting it while the other
  // writes it and snapshots. Every version must stay readable.
  ASSERT_TRUE(store_->CreateProject(NewProject("a")));
  ASSERT_TRUE(store_->CreateProject(NewProject("b")));
  auto store = Open(StoreOptions{.connections = 4});
  ASSERT_TRUE(store);
  std::atomic<bool> stop = false;
  std::thread churn([&] {
    for (int i = 0; !stop; ++i) {
      (void)store->WriteFile("a", "f", "shared");
      (void)store->DeleteFile("a", "f");
    }
  });
  std::vector<std::string> versions;
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(store->WriteFile("b", "f", i % 2 ? "shared" : "own " + std::to_string(i)));
    auto v = store->SnapshotProject("b");
    ASSERT_TRUE(v) << v.error().message;
    versions.push_back(v->id);
  }
  stop = true;
  churn.join();
  for (const auto& id : versions) {
    auto files = store->ReadVersionFiles(id);
    ASSERT_TRUE(files) << files.error().message;
  }
}

TEST_P(StoreTest, PrunesVersionsThatNoRunRefersTo) {
  ASSERT_TRUE(store_->CreateProject(NewProject("p")));
  std::vector<std::string> versions;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(store_->WriteFile("p", "main.py", "v" + std::to_string(i)));
    auto v = store_->SnapshotProject("p");
    ASSERT_TRUE(v);
    versions.push_back(v->id);
    auto run = NewRun(1, "p");
    run.version_id = v->id;
    ASSERT_TRUE(store_->CreateRun(run));
  }
  ASSERT_TRUE(store_->PruneRuns("p", 2));
  auto left = store_->ListVersions("p");
  ASSERT_EQ(left->size(), 2u);
  EXPECT_EQ(left->at(0).id, versions[3]);
  EXPECT_EQ(left->at(1).id, versions[2]);
  EXPECT_TRUE(store_->ReadVersionFiles(versions[2]));
  EXPECT_EQ(Count("blobs"), 2u) << "v0 and v1 are gone, and so are their blobs";
  EXPECT_EQ(store_->ListRuns("p", 10)->size(), 2u);
}

TEST_P(StoreTest, KeepsRunsWithTheirResultsNewestFirst) {
  const std::string same_time = "2026-01-01T00:00:00.000Z";
  std::vector<RunRecord> runs;
  for (int i = 0; i < 4; ++i) {
    runs.push_back(NewRun(7, "p", RunStatus::kQueued, same_time));
    ASSERT_TRUE(store_->CreateRun(runs.back()));
  }
  auto listed = store_->ListRuns("p", 3);
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].id, runs[3].id) << "equal times: the later made first";
  EXPECT_EQ((*listed)[2].id, runs[1].id);
  auto& r = runs[1];
  r.result.status = RunStatus::kRuntimeError;
  r.result.exit_code = 3;
  r.result.stdout_data = "out \xc3\xa9";
  r.result.wall_time_ms = 1234;
  r.result.memory_peak_bytes = 1ull << 40;
  r.build = RunResult{};
  r.build->status = RunStatus::kOk;
  r.log_truncated = true;
  r.finished_at = NowRfc3339();
  ASSERT_TRUE(store_->UpdateRun(r));
  auto got = *store_->GetRun(r.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->result.status, RunStatus::kRuntimeError);
  EXPECT_EQ(got->result.exit_code, 3);
  EXPECT_EQ(got->result.stdout_data, "out \xc3\xa9");
  EXPECT_EQ(got->result.wall_time_ms, 1234);
  EXPECT_EQ(got->result.memory_peak_bytes, 1ull << 40);
  ASSERT_TRUE(got->build);
  EXPECT_EQ(got->build->status, RunStatus::kOk);
  EXPECT_TRUE(got->log_truncated);
  auto header = *store_->GetRunHeader(r.id);
  EXPECT_EQ(header->result.status, RunStatus::kRuntimeError);
  EXPECT_TRUE(header->result.stdout_data.empty());
  auto unfinished = store_->ListUnfinishedRuns();
  ASSERT_EQ(unfinished->size(), 3u);
  EXPECT_EQ((*unfinished)[0].id, runs[0].id);
  EXPECT_FALSE(*store_->GetRun("nope"));
}

TEST_P(StoreTest, DeletesFinishedRunsOnlyAndPrunesExecuteRuns) {
  auto active = NewRun(1, "", RunStatus::kRunning);
  ASSERT_TRUE(store_->CreateRun(active));
  auto st = store_->DeleteRun(active.id);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(store_->DeleteRun("nope").error().kind, ErrorKind::kNotFound);
  auto done = NewRun(1);
  ASSERT_TRUE(store_->CreateRun(done));
  ASSERT_TRUE(store_->AppendLogs(done.id, Lines(1, 10, "x")));
  ASSERT_TRUE(store_->DeleteRun(done.id));
  EXPECT_FALSE(*store_->GetRun(done.id));
  EXPECT_TRUE(store_->ReadLogs(done.id, 0, 100)->empty());

  // Five of user 1 (two old), three of user 2, a project run: keep 2 per user, or by age.
  std::vector<RunRecord> runs;
  for (int i = 0; i < 5; ++i)
    runs.push_back(NewRun(1, "", RunStatus::kOk, i < 2 ? "2020-01-01T00:00:0" + std::to_string(i) + ".000Z" : NowRfc3339()));
  for (int i = 0; i < 3; ++i) runs.push_back(NewRun(2));
  runs.push_back(NewRun(1, "someproject", RunStatus::kOk, "2020-01-01T00:00:00.000Z"));
  for (auto& r : runs) ASSERT_TRUE(store_->CreateRun(r));
  EXPECT_EQ(*store_->PruneExecuteRuns("2021-01-01T00:00:00.000Z", 0, 0, 100), 2);
  EXPECT_FALSE(*store_->GetRun(runs[0].id));
  EXPECT_FALSE(*store_->GetRun(runs[1].id));
  EXPECT_TRUE(*store_->GetRun(runs[8].id)) << "project runs are pruned per project, not here";
  EXPECT_EQ(*store_->PruneExecuteRuns("", 2, 2, 100), 1) << "only user 2's";
  EXPECT_EQ(*store_->PruneExecuteRuns("", 2, 0, 100), 1);
  EXPECT_TRUE(*store_->GetRun(active.id)) << "active runs stay";
}

TEST_P(StoreTest, ListsTheGalleryBySearchRuntimeAndSortButNeverUnlistedProjects) {
  struct Row {
    const char* id;
    const char* name;
    const char* description;
    const char* runtime;
    const char* visibility;
    const char* created;
    const char* updated;
  };
  const Row rows[] = {
      {"a", "Hello World", "prints a greeting", "python-3.11", "public", "2026-01-01", "2026-01-05"},
      {"b", "quiz", "asks a QUESTION and reads it", "go-1.19", "public", "2026-01-02", "2026-01-02"},
      {"c", "Zeta", "", "python-3.11", "public", "2026-01-03", "2026-01-03"},
      {"d", "hello, secret", "unlisted: by link only", "python-3.11", "unlisted", "2026-01-04", "2026-01-09"},
      {"e", "hello private", "", "python-3.11", "private", "2026-01-05", "2026-01-09"},
      {"f", "50%_off", "a_b", "node", "public", "2026-01-06", "2026-01-01"},
  };
  for (const auto& r : rows) {
    auto p = NewProject(r.id);
    p.name = r.name;
    p.description = r.description;
    p.runtime = r.runtime;
    p.visibility = r.visibility;
    p.created_at = std::string(r.created) + "T00:00:00.000Z";
    p.updated_at = std::string(r.updated) + "T00:00:00.000Z";
    ASSERT_TRUE(store_->CreateProject(p));
  }
  // Runs count per project, whoever runs them, and stay counted when pruned.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store_->CreateRun(NewRun(2, "c")));
  ASSERT_TRUE(store_->CreateRun(NewRun(1, "b")));
  ASSERT_TRUE(store_->CreateRun(NewRun(1)));  // a stateless run counts for no project
  ASSERT_TRUE(store_->CountRun("b"));          // a viewer's run of b, stored as no project's
  ASSERT_TRUE(store_->CountRun("gone"));
  ASSERT_TRUE(store_->PruneRuns("c", 1));
  EXPECT_EQ((*store_->GetProject("c"))->run_count, 3);
  EXPECT_EQ((*store_->GetProject("b"))->run_count, 2);
  EXPECT_EQ((*store_->GetProject("a"))->run_count, 0);
  EXPECT_EQ((*store_->GetProject("a"))->description, "prints a greeting");

  auto ids = [&](GalleryQuery q) {
    std::vector<std::string> out;
    auto list = store_->ListPublicProjects(q);
    EXPECT_TRUE(list) << list.error().message;
    if (list) {
      for (const auto& p : *list) out.push_back(p.id);
    }
    return out;
  };
  using V = std::vector<std::string>;
  GalleryQuery q;
  EXPECT_EQ(ids(q), (V{"a", "c", "b", "f"})) << "recently updated first; unlisted and private never";
  q.sort = "newest";
  EXPECT_EQ(ids(q), (V{"f", "c", "b", "a"}));
  q.sort = "runs";
  EXPECT_EQ(ids(q), (V{"c", "b", "a", "f"}));  // 3, 2, then by update
  q.sort = "name";
  EXPECT_EQ(ids(q), (V{"f", "a", "b", "c"})) << "A-Z whatever the case";
  q.search = "HELLO";
  EXPECT_EQ(ids(q), (V{"a"})) << "the name, either case; never the unlisted 'hello, secret'";
  q.search = "question";
  EXPECT_EQ(ids(q), (V{"b"})) << "the description";
  q.search = "%";
  EXPECT_EQ(ids(q), (V{"f"})) << "no LIKE patterns";
  q.search = "_";
  EXPECT_EQ(ids(q), (V{"f"}));
  q.search = "";
  q.runtimes = {"python-3.11", "node"};
  EXPECT_EQ(ids(q), (V{"f", "a", "c"}));
  q.runtimes = {"rust"};
  EXPECT_EQ(ids(q), V{});
  q.runtimes = {"python-3.11"};
  q.limit = 1;
  q.offset = 1;
  EXPECT_EQ(ids(q), (V{"c"}));

  // The description changes with UpdateProject; the run count does not.
  auto a = **store_->GetProject("a");
  a.description = "new words";
  a.run_count = 99;
  ASSERT_TRUE(store_->UpdateProject(a));
  EXPECT_EQ((*store_->GetProject("a"))->description, "new words");
  EXPECT_EQ((*store_->GetProject("a"))->run_count, 0);
}

TEST_P(StoreTest, DeletesAUserWithEverythingTheirsAndNothingElse) {
  // User 1 owns p (files, a version, runs by 1 and by 2, a log); user 2 owns q, on which
  // user 1 ran; user 1 has a stateless run, sessions, a setting.
  User one, two;
  one.username = "one";
  two.username = "two";
  one.password_hash = two.password_hash = "x";
  const int64_t id1 = *store_->CreateUser(one);
  const int64_t id2 = *store_->CreateUser(two);
  ASSERT_TRUE(store_->CreateProject(NewProject("p", id1)));
  ASSERT_TRUE(store_->CreateProject(NewProject("q", id2)));
  ASSERT_TRUE(store_->WriteFile("p", "only_p.py", "only in p"));
  ASSERT_TRUE(store_->WriteFile("p", "shared.py", "in both"));
  ASSERT_TRUE(store_->WriteFile("q", "shared.py", "in both"));
  ASSERT_TRUE(store_->SnapshotProject("p"));
  auto on_p_by_1 = NewRun(id1, "p"), on_p_by_2 = NewRun(id2, "p"), on_q_by_1 = NewRun(id1, "q"),
       on_q_by_2 = NewRun(id2, "q"), stateless_1 = NewRun(id1), stateless_2 = NewRun(id2);
  for (auto* r : {&on_p_by_1, &on_p_by_2, &on_q_by_1, &on_q_by_2, &stateless_1, &stateless_2}) {
    ASSERT_TRUE(store_->CreateRun(*r));
    ASSERT_TRUE(store_->AppendLogs(r->id, Lines(1, 3, "x")));
  }
  for (int64_t user : {id1, id2}) {
    Credential c;
    c.id = "cred" + std::to_string(user);
    c.user_id = user;
    c.kind = "session";
    c.secret_hash = "hash" + std::to_string(user);
    c.created_at = NowRfc3339();
    ASSERT_TRUE(store_->CreateCredential(c));
    ASSERT_TRUE(store_->PutSetting("max_limits:user:" + std::to_string(user), "{}"));
  }

  // Not while a run of theirs, or on their projects, is active.
  auto active = NewRun(id2, "p", RunStatus::kRunning);
  ASSERT_TRUE(store_->CreateRun(active));
  auto refused = store_->DeleteUser(id1);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kConflict);
  EXPECT_TRUE(*store_->GetUser(id1)) << "nothing went";
  EXPECT_TRUE(*store_->GetProject("p"));
  active.result.status = RunStatus::kCancelled;
  ASSERT_TRUE(store_->UpdateRun(active));

  ASSERT_TRUE(store_->DeleteUser(id1));
  EXPECT_FALSE(*store_->GetUser(id1));
  EXPECT_FALSE(*store_->GetProject("p"));
  for (const auto* r : {&on_p_by_1, &on_p_by_2, &on_q_by_1, &stateless_1, &active}) {
    EXPECT_FALSE(*store_->GetRun(r->id)) << r->project_id;
    EXPECT_TRUE(store_->ReadLogs(r->id, 0, 10)->empty());
  }
  EXPECT_TRUE(store_->ListCredentials(id1, "session")->empty());
  EXPECT_FALSE(*store_->GetSetting("max_limits:user:" + std::to_string(id1)));
  EXPECT_EQ(Count("blobs"), 1u) << "only the blob q still uses";
  EXPECT_EQ(Count("versions"), 0u);
  // User 2's things stay.
  EXPECT_TRUE(*store_->GetUser(id2));
  EXPECT_EQ(**store_->ReadFile("q", "shared.py"), "in both");
  EXPECT_TRUE(*store_->GetRun(on_q_by_2.id));
  EXPECT_TRUE(*store_->GetRun(stateless_2.id));
  EXPECT_EQ(store_->ReadLogs(stateless_2.id, 0, 10)->size(), 3u);
  EXPECT_EQ(store_->ListCredentials(id2, "session")->size(), 1u);
  EXPECT_TRUE(*store_->GetSetting("max_limits:user:" + std::to_string(id2)));
  EXPECT_EQ(store_->DeleteUser(id1).error().kind, ErrorKind::kNotFound);
}

// Runs `sql` on the test's database, past the store.
void ExecPast(const std::string& database, const std::string& sql, bool postgres) {
  if (postgres) {
    PGconn* c = PQconnectdb(database.c_str());
    PGresult* r = PQexec(c, sql.c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(c);
    PQclear(r);
    PQfinish(c);
  } else {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(database.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
}

TEST_P(StoreTest, MigratesAVersionOneDatabaseToDescriptionsAndRunCounts) {
  ASSERT_TRUE(store_->CreateProject(NewProject("p")));
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(store_->CreateRun(NewRun(1, "p")));
  store_.reset();
  // Version 1's projects table: without the two columns.
  ExecPast(database_, "ALTER TABLE projects DROP COLUMN description", postgres());
  ExecPast(database_, "ALTER TABLE projects DROP COLUMN run_count", postgres());
  ExecPast(database_, postgres() ? "UPDATE runlet_schema SET version = 1" : "PRAGMA user_version = 1", postgres());
  auto again = Open();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again->SchemaVersion(), 4);
  auto p = *again->GetProject("p");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->run_count, 2) << "counted from the runs kept";
  EXPECT_EQ(p->description, "");
  ASSERT_TRUE(again->CreateRun(NewRun(1, "p")));
  EXPECT_EQ((*again->GetProject("p"))->run_count, 3);
}

// Sets the schema version the database claims, past the store.
void ClaimSchemaVersion(const std::string& database, int version, bool postgres) {
  if (postgres) {
    PGconn* c = PQconnectdb(database.c_str());
    PGresult* r = PQexec(c, ("UPDATE runlet_schema SET version = " + std::to_string(version)).c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(c);
    PQclear(r);
    PQfinish(c);
  } else {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(database.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, ("PRAGMA user_version = " + std::to_string(version)).c_str(), nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
}

TEST_P(StoreTest, IsAtTheSameSchemaVersionAndRefusesANewerOne) {
  EXPECT_EQ(*store_->SchemaVersion(), 4);
  ASSERT_TRUE(store_->PutSetting("kept", "yes"));
  store_.reset();
  auto again = Open();
  ASSERT_TRUE(again);
  EXPECT_EQ(**again->GetSetting("kept"), "yes") << "opening again migrates nothing away";
  again.reset();
  ClaimSchemaVersion(database_, 99, postgres());
  auto newer = OpenStore(database_);
  ASSERT_FALSE(newer);
  EXPECT_NE(newer.error().message.find("newer than this runlet"), std::string::npos) << newer.error().message;
}

RUNLET_STORE_BACKENDS(StoreTest);

class PostgresStore : public StoreTest {};

TEST_P(PostgresStore, ServersStartingAtOnceCreateTheSchemaOnce) {
  auto url = runlet::testing::SharedPostgres().NewDatabase();
  std::vector<std::thread> threads;
  std::atomic<int> opened = 0;
  std::vector<std::string> errors(6);
  for (int i = 0; i < 6; ++i) threads.emplace_back([&, i] {
    auto s = OpenStore(url, StoreOptions{.connections = 1});
    if (s) ++opened;
    else errors[static_cast<size_t>(i)] = s.error().message;
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(opened, 6) << errors[0] << errors[1];
  PGconn* c = PQconnectdb(url.c_str());
  PGresult* r = PQexec(c, "SELECT count(*), max(version) FROM runlet_schema");
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK);
  EXPECT_EQ(std::string(PQgetvalue(r, 0, 0)), "1");
  EXPECT_EQ(std::string(PQgetvalue(r, 0, 1)), "4");
  PQclear(r);
  PQfinish(c);
}

TEST_P(PostgresStore, SaysWhyItCannotConnectWithoutShowingThePassword) {
  auto s = OpenStore("postgresql://runlet:secret-word@/nosuchdb?host=" + runlet::testing::SharedPostgres().dir());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("nosuchdb"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().message.find("secret-word"), std::string::npos) << s.error().message;
  EXPECT_EQ(DescribeDatabase("postgres://u:secret-word@db.example:5433/runlet"), "postgresql db.example/runlet");
}

QueuedRun Entry(const RunRecord& run, const std::string& pinned = "") {
  QueuedRun q;
  q.run_id = run.id;
  q.user_id = run.user_id;
  q.project_id = run.project_id;
  q.request = std::string("req\0\xff", 5) + run.id;
  q.memory_bytes = 100;
  q.cpus = 0.5;
  q.pinned = pinned;
  return q;
}

TEST_P(PostgresStore, SharedQueueAdmitsClaimsFairlyAndStops) {
  EnqueueLimits limits{.user_runs = 3, .queue_limit = 4};
  std::vector<RunRecord> a, b;
  for (int i = 0; i < 3; ++i) {
    a.push_back(NewRun(1, "", RunStatus::kQueued));
    ASSERT_TRUE(store_->EnqueueRun(a.back(), Entry(a.back()), limits));
  }
  auto fourth = NewRun(1, "", RunStatus::kQueued);
  auto refused = store_->EnqueueRun(fourth, Entry(fourth), limits);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kTooMany) << refused.error().message;
  EXPECT_FALSE(*store_->GetRun(fourth.id)) << "a refused run is not stored";
  // Replacing one of its runs, the user may add one.
  auto replacing = NewRun(1, "", RunStatus::kQueued);
  limits.superseding = a[0].id;
  b.push_back(NewRun(2, "", RunStatus::kQueued));
  ASSERT_TRUE(store_->EnqueueRun(b.back(), Entry(b.back()), limits));
  auto full = store_->EnqueueRun(replacing, Entry(replacing), limits);
  ASSERT_FALSE(full) << "4 runs wait: the queue is full";
  EXPECT_EQ(full.error().kind, ErrorKind::kUnavailable) << full.error().message;
  EXPECT_EQ(*store_->QueueDepth(), 4);

  // User 1's oldest, then user 2's (user 1 executes one), then user 1's next.
  ClaimLimits claim{.user_executing_runs = 2, .lease_ms = 60000};
  auto c1 = store_->ClaimRun("s1", claim);
  ASSERT_TRUE(c1 && *c1) << (c1 ? "none" : c1.error().message);
  EXPECT_EQ((*c1)->run_id, a[0].id);
  EXPECT_EQ((*c1)->request, std::string("req\0\xff", 5) + a[0].id) << "the request's bytes come back as they were";
  EXPECT_EQ((*c1)->owner, "s1");
  EXPECT_DOUBLE_EQ((*c1)->cpus, 0.5);
  auto c2 = store_->ClaimRun("s2", claim);
  ASSERT_TRUE(c2 && *c2);
  EXPECT_EQ((*c2)->run_id, b[0].id);
  auto c3 = store_->ClaimRun("s2", claim);
  ASSERT_TRUE(c3 && *c3);
  EXPECT_EQ((*c3)->run_id, a[1].id);
  auto c4 = store_->ClaimRun("s1", claim);
  ASSERT_TRUE(c4);
  EXPECT_FALSE(*c4) << "user 1 executes 2, its limit";

  // Stops: an unclaimed run leaves the queue, a claimed one gets a request.
  EXPECT_EQ(*store_->RequestStop(a[2].id, "user"), Store::StopOutcome::kWasQueued);
  EXPECT_EQ(*store_->RequestStop(b[0].id, "superseded"), Store::StopOutcome::kRequested);
  EXPECT_EQ(*store_->RequestStop("nosuchrun", "user"), Store::StopOutcome::kNotQueued);
  auto stops = store_->StopRequests("s2");
  ASSERT_TRUE(stops);
  ASSERT_EQ(stops->size(), 1u);
  EXPECT_EQ((*stops)[0], std::make_pair(b[0].id, std::string("superseded")));
  EXPECT_TRUE(store_->StopRequests("s1")->empty());

  // Leases: s1 renews, s2 does not; s2's expire.
  auto held = store_->HeartbeatRuns("s1", 60000);
  ASSERT_TRUE(held);
  EXPECT_EQ(*held, std::vector<std::string>{a[0].id});
  ASSERT_TRUE(store_->HeartbeatRuns("s2", -1));
  auto expired = store_->TakeExpiredRuns();
  ASSERT_TRUE(expired);
  std::set<std::string> ids;
  for (const auto& q : *expired) {
    ids.insert(q.run_id);
    EXPECT_EQ(q.owner, "s2");
  }
  EXPECT_EQ(ids, (std::set<std::string>{a[1].id, b[0].id}));
  EXPECT_TRUE(store_->TakeExpiredRuns()->empty());
  ASSERT_TRUE(store_->DequeueRun(a[0].id));
  EXPECT_EQ(*store_->QueueDepth(), 0);
  EXPECT_TRUE(store_->HeartbeatRuns("s1", 60000)->empty());
}

TEST_P(PostgresStore, PinnedRunsGoOnlyToTheirServerAndRequeue) {
  auto run = NewRun(1, "", RunStatus::kQueued);
  ASSERT_TRUE(store_->EnqueueRun(run, Entry(run, "s1"), {}));
  ClaimLimits claim{.user_executing_runs = 2, .lease_ms = 60000};
  EXPECT_FALSE(*store_->ClaimRun("s2", claim));
  auto mine = store_->ClaimRun("s1", claim);
  ASSERT_TRUE(mine && *mine);
  ASSERT_TRUE(store_->RequeueRun("s1", run.id));
  EXPECT_EQ(*store_->QueueDepth(), 1);
  // Waiting for a server that no longer renews its lease: taken, like a claimed run.
  EXPECT_TRUE(store_->TakeExpiredRuns()->empty()) << "a fresh pinned run has a lease";
  auto held = store_->HeartbeatRuns("s1", -1);
  ASSERT_TRUE(held);
  EXPECT_EQ(*held, std::vector<std::string>{run.id});
  auto expired = store_->TakeExpiredRuns();
  ASSERT_TRUE(expired);
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ((*expired)[0].pinned, "s1");
  EXPECT_EQ((*expired)[0].owner, "");
  // Unpinned waiting runs have no lease to lose.
  auto other = NewRun(1, "", RunStatus::kQueued);
  ASSERT_TRUE(store_->EnqueueRun(other, Entry(other), {}));
  EXPECT_TRUE(store_->TakeExpiredRuns()->empty());
}

TEST_P(PostgresStore, ServersClaimingAtOnceNeverShareARun) {
  constexpr int kRuns = 40;
  for (int i = 0; i < kRuns; ++i) {
    auto run = NewRun(1 + i % 4, "", RunStatus::kQueued);
    ASSERT_TRUE(store_->EnqueueRun(run, Entry(run), {.user_runs = 100, .queue_limit = 100}));
  }
  std::mutex mu;
  std::map<std::string, std::string> claimed;
  std::vector<std::string> errors;
  std::vector<std::thread> servers;
  for (int s = 0; s < 4; ++s) {
    servers.emplace_back([&, s] {
      auto store = Open(StoreOptions{.connections = 1});
      for (;;) {
        auto c = store->ClaimRun("s" + std::to_string(s), {.user_executing_runs = 100, .lease_ms = 60000});
        std::lock_guard lock(mu);
        if (!c) {
          errors.push_back(c.error().message);
          return;
        }
        if (!*c) return;
        EXPECT_TRUE(claimed.emplace((*c)->run_id, "s" + std::to_string(s)).second) << "claimed twice: " << (*c)->run_id;
      }
    });
  }
  for (auto& t : servers) t.join();
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kRuns));
}

TEST_P(StoreTest, OnlyPostgresHasTheSharedQueue) {
  auto run = NewRun(1, "", RunStatus::kQueued);
  auto st = store_->EnqueueRun(run, Entry(run), {});
  if (postgres()) {
    EXPECT_TRUE(st) << st.error().message;
    return;
  }
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(st.error().message.find("PostgreSQL"), std::string::npos) << st.error().message;
}

INSTANTIATE_TEST_SUITE_P(Backends, PostgresStore, ::testing::Values("postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace runlet::store
