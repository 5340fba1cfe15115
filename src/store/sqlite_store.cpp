// The SQLite store: one connection in WAL mode, serialised by a mutex.
#include <sodium.h>
#include <sqlite3.h>
#include <sys/random.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>

#include "store/log_chunk.h"
#include "store/row_codec.h"
#include "store/store.h"

namespace runlet::store {
namespace {

#define RUN_COLUMNS \
  "id, project_id, user_id, version_id, runtime, platform, status, result, build, created_at, started_at, finished_at"

// Pragmas of every connection; auto_vacuum must come before the first table exists.
constexpr const char* kPragmas = R"sql(
PRAGMA auto_vacuum = INCREMENTAL;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA foreign_keys = ON;
PRAGMA journal_size_limit = 8388608;
)sql";

// The schema's version (PRAGMA user_version): 0 before log chunks (one row per line in
// run_logs, blobs never collected), 1 since (run_log_chunks, version_files), 2 since
// projects have a description and a run count, 3 since run_queue (the shared queue of
// several servers; empty on SQLite, kept so that both backends have the same tables and
// copy-store compares them), 4 since the index of a user's execute runs (made by kSchema
// here, as PostgreSQL's migration 4 makes it there).
constexpr int kSchemaVersion = 4;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS projects (
  id TEXT PRIMARY KEY, owner_id INTEGER NOT NULL, name TEXT NOT NULL, runtime TEXT NOT NULL,
  visibility TEXT NOT NULL DEFAULT 'private', env TEXT NOT NULL DEFAULT '{}',
  forked_from TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '', run_count INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS projects_owner ON projects(owner_id);
CREATE TABLE IF NOT EXISTS blobs (sha256 TEXT PRIMARY KEY, content BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS project_files (
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE, path TEXT NOT NULL,
  sha256 TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY (project_id, path));
CREATE INDEX IF NOT EXISTS project_files_sha256 ON project_files(sha256);
CREATE TABLE IF NOT EXISTS versions (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL, files TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS versions_project ON versions(project_id, created_at);
-- The blobs each version holds (its manifest's sha256s), for collecting unused blobs.
CREATE TABLE IF NOT EXISTS version_files (
  version_id TEXT NOT NULL REFERENCES versions(id) ON DELETE CASCADE, sha256 TEXT NOT NULL,
  PRIMARY KEY (version_id, sha256)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS version_files_sha256 ON version_files(sha256);
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL DEFAULT '', user_id INTEGER NOT NULL,
  version_id TEXT NOT NULL DEFAULT '', runtime TEXT NOT NULL, platform TEXT NOT NULL,
  status TEXT NOT NULL, result TEXT NOT NULL, build TEXT, created_at TEXT NOT NULL,
  started_at TEXT NOT NULL DEFAULT '', finished_at TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS runs_project ON runs(project_id, created_at);
CREATE INDEX IF NOT EXISTS runs_status ON runs(status);
CREATE INDEX IF NOT EXISTS runs_user_execute ON runs(user_id, created_at) WHERE project_id = '';
CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL, role TEXT NOT NULL DEFAULT 'user', disabled INTEGER NOT NULL DEFAULT 0,
  totp_secret TEXT NOT NULL DEFAULT '', totp_enabled INTEGER NOT NULL DEFAULT 0,
  totp_last_counter INTEGER NOT NULL DEFAULT -1, recovery TEXT NOT NULL DEFAULT '[]',
  quota TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS credentials (
  id TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind TEXT NOT NULL, name TEXT NOT NULL DEFAULT '', secret_hash TEXT NOT NULL UNIQUE,
  csrf_token TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, expires_at TEXT NOT NULL DEFAULT '',
  last_used_at TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS credentials_user ON credentials(user_id, kind);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS projects_public ON projects(visibility, updated_at);
-- A run's log: consecutive entries first_seq..last_seq packed in one row (log_chunk.h).
CREATE TABLE IF NOT EXISTS run_log_chunks (
  run_id TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
  encoding INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (run_id, first_seq));
CREATE TABLE IF NOT EXISTS run_queue (
  run_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, user_id INTEGER NOT NULL, project_id TEXT NOT NULL DEFAULT '',
  request BLOB NOT NULL, memory_bytes INTEGER NOT NULL DEFAULT 0, cpu_millis INTEGER NOT NULL DEFAULT 0,
  quota_memory_bytes INTEGER NOT NULL DEFAULT 0, quota_cpu_millis INTEGER NOT NULL DEFAULT 0,
  pinned TEXT NOT NULL DEFAULT '', owner TEXT NOT NULL DEFAULT '', lease_until INTEGER NOT NULL DEFAULT 0,
  stop_reason TEXT NOT NULL DEFAULT '');
)sql";

// A prepared statement, reset and cleared on destruction.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) stmt_ = nullptr;
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  bool ok() const { return stmt_ != nullptr; }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& BindBlob(int i, const std::string& v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Stmt& BindNull(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  std::string Text(int col) const {
    auto* p = sqlite3_column_blob(stmt_, col);
    return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

#define USER_COLUMNS \
  "id, username, password_hash, role, disabled, totp_secret, totp_enabled, totp_last_counter, recovery, quota, created_at"
#define CREDENTIAL_COLUMNS \
  "id, user_id, kind, name, secret_hash, csrf_token, created_at, expires_at, last_used_at"
#define PROJECT_COLUMNS \
  "id, owner_id, name, runtime, visibility, env, forked_from, created_at, updated_at, description, run_count"

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* db, StoreOptions options) : db_(db), options_(options) {}
  ~SqliteStore() override { sqlite3_close_v2(db_); }

  Status Init() {
    sqlite3_busy_timeout(db_, 5000);
    if (auto st = Exec(kPragmas); !st) return st;
    const int64_t version = PragmaInt("user_version");
    if (version > kSchemaVersion)
      return Fail("the database's schema is version " + std::to_string(version) + ", newer than this runlet's (" +
                  std::to_string(kSchemaVersion) + "): run a newer runlet");
    if (!options_.migrate) return {};
    if (auto st = Exec(kSchema); !st) return st;
    if (auto st = Migrate(); !st) return tl::unexpected(st.error().Wrap("migrate the schema"));
    // A database made before auto_vacuum = INCREMENTAL keeps its mode until rebuilt:
    // once, so that freed pages can go back to the file system.
    if (PragmaInt("auto_vacuum") != 2) {
      if (auto st = Exec("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;"); !st) return tl::unexpected(st.error().Wrap("vacuum"));
    }
    return {};
  }

  Result<int64_t> CreateUser(const User& u) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "INSERT INTO users(username, password_hash, role, disabled, totp_secret, totp_enabled, quota, created_at) "
                "VALUES (?,?,?,?,?,?,?,?)");
    s.Bind(1, u.username).Bind(2, u.password_hash).Bind(3, u.role).Bind(4, int64_t{u.disabled}).Bind(5, u.totp_secret)
        .Bind(6, int64_t{u.totp_enabled}).Bind(7, QuotaToJson(u.quota)).Bind(8, u.created_at);
    int rc = s.Step();
    if (rc == SQLITE_CONSTRAINT || sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_UNIQUE)
      return Fail(ErrorKind::kConflict, "the user name " + u.username + " is taken");
    if (rc != SQLITE_DONE) return Err("create user");
    return sqlite3_last_insert_rowid(db_);
  }

  Result<std::optional<User>> GetUser(int64_t id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT " USER_COLUMNS " FROM users WHERE id = ?");
    s.Bind(1, id);
    return OneUser(s);
  }

  Result<std::optional<User>> FindUser(const std::string& username) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT " USER_COLUMNS " FROM users WHERE username = ?");
    s.Bind(1, username);
    return OneUser(s);
  }

  Result<std::vector<User>> ListUsers() override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT " USER_COLUMNS " FROM users ORDER BY id");
    return Rows<User>(s, "list users", ReadUser);
  }

  Status UpdateUser(const User& u) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "UPDATE users SET username = ?, password_hash = ?, role = ?, disabled = ?, totp_secret = ?, "
                "totp_enabled = ?, quota = ? WHERE id = ?");
    s.Bind(1, u.username).Bind(2, u.password_hash).Bind(3, u.role).Bind(4, int64_t{u.disabled}).Bind(5, u.totp_secret)
        .Bind(6, int64_t{u.totp_enabled}).Bind(7, QuotaToJson(u.quota)).Bind(8, u.id);
    return Done(s, "update user");
  }

  Status DeleteUser(int64_t id) override {
    std::lock_guard lock(mu_);
    if (auto st = Exec("BEGIN IMMEDIATE"); !st) return st;
    Stmt exists(db_, "SELECT count(*) FROM users WHERE id = ?");
    exists.Bind(1, id);
    if (exists.Step() != SQLITE_ROW) return Rollback(Err("delete user"));
    if (exists.Int(0) == 0) return Rollback(Fail(ErrorKind::kNotFound, "no user " + std::to_string(id)));
    // Their runs, and everyone's runs on their projects.
    const char* const kRuns = "SELECT id FROM runs WHERE user_id = ?1 OR project_id IN "
                              "(SELECT id FROM projects WHERE owner_id = ?1)";
    Stmt active(db_, (std::string("SELECT count(*) FROM (") + kRuns +
                      ") AS r JOIN runs USING (id) WHERE runs.status IN ('queued', 'building', 'running')").c_str());
    active.Bind(1, id);
    if (active.Step() != SQLITE_ROW) return Rollback(Err("delete user"));
    if (active.Int(0) > 0)
      return Rollback(Fail(ErrorKind::kConflict, "user " + std::to_string(id) + " has runs that have not ended; stop them first"));
    std::set<std::string> shas;
    if (auto st = CollectShas("SELECT sha256 FROM project_files WHERE project_id IN (SELECT id FROM projects WHERE owner_id = ?1) "
                              "UNION SELECT sha256 FROM version_files WHERE version_id IN (SELECT v.id FROM versions v "
                              "JOIN projects p ON p.id = v.project_id WHERE p.owner_id = ?1)",
                              shas, {std::to_string(id)});
        !st)
      return Rollback(tl::unexpected(st.error()));
    for (const std::string& sql : {std::string("DELETE FROM run_log_chunks WHERE run_id IN (") + kRuns + ")",
                                  std::string("DELETE FROM runs WHERE id IN (") + kRuns + ")",
                                  std::string("DELETE FROM projects WHERE owner_id = ?1"),  // files, versions cascade
                                  std::string("DELETE FROM settings WHERE key = 'max_limits:user:' || ?1"),
                                  std::string("DELETE FROM users WHERE id = ?1")}) {  // credentials cascade
      Stmt s(db_, sql.c_str());
      s.Bind(1, id);
      if (s.Step() != SQLITE_DONE) return Rollback(Err("delete user"));
    }
    if (auto st = DropUnusedBlobs(shas); !st) return Rollback(tl::unexpected(st.error()));
    if (auto st = Exec("COMMIT"); !st) return st;
    TrimFreePages();
    return {};
  }

  Status SetRecoveryCodes(int64_t user_id, const std::vector<std::string>& hashes) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "UPDATE users SET recovery = ? WHERE id = ?");
    s.Bind(1, ListToJson(hashes)).Bind(2, user_id);
    return Done(s, "set recovery codes");
  }

  Result<bool> AcceptTotpCounter(int64_t user_id, int64_t counter) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "UPDATE users SET totp_last_counter = ? WHERE id = ? AND totp_last_counter < ?");
    s.Bind(1, counter).Bind(2, user_id).Bind(3, counter);
    if (auto st = Done(s, "accept TOTP code"); !st) return tl::unexpected(st.error());
    return sqlite3_changes(db_) == 1;
  }

  Result<bool> UseRecoveryCode(int64_t user_id, const std::string& hash) override {
    std::lock_guard lock(mu_);
    if (auto st = Exec("BEGIN IMMEDIATE"); !st) return tl::unexpected(st.error());
    Stmt get(db_, "SELECT recovery FROM users WHERE id = ?");
    get.Bind(1, user_id);
    if (get.Step() != SQLITE_ROW) {
      (void)Exec("ROLLBACK");
      return false;
    }
    auto codes = ListFromJson(get.Text(0));
    auto it = std::find(codes.begin(), codes.end(), hash);
    if (it == codes.end()) {
      (void)Exec("ROLLBACK");
      return false;
    }
    codes.erase(it);
    Stmt put(db_, "UPDATE users SET recovery = ? WHERE id = ?");
    put.Bind(1, ListToJson(codes)).Bind(2, user_id);
    if (put.Step() != SQLITE_DONE) {
      auto e = Err("use recovery code");
      (void)Exec("ROLLBACK");
      return e;
    }
    if (auto st = Exec("COMMIT"); !st) return tl::unexpected(st.error());
    return true;
  }

  Status CreateCredential(const Credential& c) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "INSERT INTO credentials(" CREDENTIAL_COLUMNS ") VALUES (?,?,?,?,?,?,?,?,?)");
    s.Bind(1, c.id).Bind(2, c.user_id).Bind(3, c.kind).Bind(4, c.name).Bind(5, c.secret_hash).Bind(6, c.csrf_token)
        .Bind(7, c.created_at).Bind(8, c.expires_at).Bind(9, c.last_used_at);
    return Done(s, "create credential");
  }

  Result<std::optional<Credential>> FindCredential(const std::string& secret_hash) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT " CREDENTIAL_COLUMNS " FROM credentials WHERE secret_hash = ?");
    s.Bind(1, secret_hash);
    return One<Credential>(s, "find credential", ReadCredential);
  }

  Result<std::vector<Credential>> ListCredentials(int64_t user_id, const std::string& kind) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT " CREDENTIAL_COLUMNS " FROM credentials WHERE user_id = ? AND kind = ? ORDER BY created_at");
    s.Bind(1, user_id).Bind(2, kind);
    return Rows<Credential>(s, "list credentials", ReadCredential);
  }

  Status DeleteCredential(int64_t user_id, const std::string& id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "DELETE FROM credentials WHERE id = ? AND user_id = ?");
    s.Bind(1, id).Bind(2, user_id);
    if (auto st = Done(s, "delete credential"); !st) return st;
    if (sqlite3_changes(db_) == 0) return Fail(ErrorKind::kNotFound, "no token " + id);
    return {};
  }

  Status DeleteUserCredentials(int64_t user_id, const std::string& kind) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "DELETE FROM credentials WHERE user_id = ? AND (? = '' OR kind = ?)");
    s.Bind(1, user_id).Bind(2, kind).Bind(3, kind);
    return Done(s, "delete credentials");
  }

  Status TouchCredential(const std::string& id, const std::string& when) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "UPDATE credentials SET last_used_at = ? WHERE id = ?");
    s.Bind(1, when).Bind(2, id);
    return Done(s, "touch credential");
  }

  Result<std::optional<std::string>> GetSetting(const std::string& key) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT value FROM settings WHERE key = ?");
    s.Bind(1, key);
    return One<std::string>(s, "get setting", [](Stmt& st) { return st.Text(0); });
  }

  Status PutSetting(const std::string& key, const std::string& value) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    s.Bind(1, key).Bind(2, value);
    return Done(s, "put setting");
  }

  Status DeleteSetting(const std::string& key) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "DELETE FROM settings WHERE key = ?");
    s.Bind(1, key);
    return Done(s, "delete setting");
  }

  Result<std::vector<std::pair<std::string, std::string>>> ListSettings(const std::string& prefix) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT key, value FROM settings WHERE substr(key, 1, length(?)) = ? ORDER BY key");
    s.Bind(1, prefix).Bind(2, prefix);
    std::vector<std::pair<std::string, std::string>> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.emplace_back(s.Text(0), s.Text(1));
    if (rc != SQLITE_DONE) return Err("list settings");
    return out;
  }

  Result<std::vector<Project>> ListPublicProjects(const GalleryQuery& q) override {
    std::lock_guard lock(mu_);
    // ?1 search, ?2 runtimes as a JSON array ('[]' = any), ?3 limit, ?4 offset.
    std::string sql = "SELECT " PROJECT_COLUMNS " FROM projects WHERE visibility = 'public' "
                      "AND (?1 = '' OR instr(lower(name), lower(?1)) > 0 OR instr(lower(description), lower(?1)) > 0) "
                      "AND (?2 = '[]' OR runtime IN (SELECT value FROM json_each(?2))) ORDER BY ";
    sql += GalleryOrder(q.sort);
    sql += " LIMIT ?3 OFFSET ?4";
    Stmt s(db_, sql.c_str());
    s.Bind(1, q.search).Bind(2, ListToJson(q.runtimes)).Bind(3, int64_t{q.limit}).Bind(4, q.offset);
    return Rows<Project>(s, "list public projects", ReadProject);
  }

  Status CreateProject(const Project& p) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "INSERT INTO projects(" PROJECT_COLUMNS ") VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    s.Bind(1, p.id).Bind(2, p.owner_id).Bind(3, p.name).Bind(4, p.runtime).Bind(5, p.visibility)
        .Bind(6, EnvToJson(p.env)).Bind(7, p.forked_from).Bind(8, p.created_at).Bind(9, p.updated_at)
        .Bind(10, p.description).Bind(11, p.run_count);
    return Done(s, "create project");
  }

  Result<std::optional<Project>> GetProject(const std::string& id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT " PROJECT_COLUMNS " FROM projects WHERE id = ?");
    s.Bind(1, id);
    return One<Project>(s, "get project", ReadProject);
  }

  Result<std::vector<Project>> ListProjects(int64_t owner_id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT " PROJECT_COLUMNS " FROM projects WHERE owner_id = ? ORDER BY updated_at DESC");
    s.Bind(1, owner_id);
    return Rows<Project>(s, "list projects", ReadProject);
  }

  Status UpdateProject(const Project& p) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "UPDATE projects SET name = ?, runtime = ?, visibility = ?, env = ?, updated_at = ?, description = ? "
                "WHERE id = ?");
    s.Bind(1, p.name).Bind(2, p.runtime).Bind(3, p.visibility).Bind(4, EnvToJson(p.env)).Bind(5, p.updated_at)
        .Bind(6, p.description).Bind(7, p.id);
    return Done(s, "update project");
  }

  Status DeleteProject(const std::string& id) override {
    std::lock_guard lock(mu_);
    if (auto st = Exec("BEGIN IMMEDIATE"); !st) return st;
    std::set<std::string> shas;
    if (auto st = CollectShas("SELECT sha256 FROM project_files WHERE project_id = ?1 UNION "
                              "SELECT sha256 FROM version_files WHERE version_id IN "
                              "(SELECT id FROM versions WHERE project_id = ?1)",
                              shas, {id});
        !st)
      return Rollback(tl::unexpected(st.error()));
    Stmt logs(db_, "DELETE FROM run_log_chunks WHERE run_id IN (SELECT id FROM runs WHERE project_id = ?)");
    logs.Bind(1, id);
    Stmt runs(db_, "DELETE FROM runs WHERE project_id = ?");
    runs.Bind(1, id);
    Stmt project(db_, "DELETE FROM projects WHERE id = ?");  // files and versions cascade
    project.Bind(1, id);
    if (logs.Step() != SQLITE_DONE || runs.Step() != SQLITE_DONE || project.Step() != SQLITE_DONE)
      return Rollback(Err("delete project"));
    if (auto st = DropUnusedBlobs(shas); !st) return Rollback(tl::unexpected(st.error()));
    if (auto st = Exec("COMMIT"); !st) return st;
    TrimFreePages();
    return {};
  }

  Result<std::vector<FileEntry>> ListFiles(const std::string& project_id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT path, size, sha256 FROM project_files WHERE project_id = ? ORDER BY path");
    s.Bind(1, project_id);
    return Rows<FileEntry>(s, "list files", [](const Stmt& row) {
      return FileEntry{row.Text(0), static_cast<uint64_t>(row.Int(1)), row.Text(2)};
    });
  }

  Result<std::optional<std::string>> ReadFile(const std::string& project_id, const std::string& path) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT b.content FROM project_files f JOIN blobs b ON b.sha256 = f.sha256 "
                "WHERE f.project_id = ? AND f.path = ?");
    s.Bind(1, project_id).Bind(2, path);
    return One<std::string>(s, "read file", [](Stmt& st) { return st.Text(0); });
  }

  Status WriteFile(const std::string& project_id, const std::string& path, const std::string& content) override {
    const std::string sha = Sha256Hex(content);
    std::lock_guard lock(mu_);
    if (auto st = Exec("BEGIN IMMEDIATE"); !st) return st;
    std::set<std::string> replaced;
    if (auto st = CollectShas("SELECT sha256 FROM project_files WHERE project_id = ?1 AND path = ?2", replaced,
                              {project_id, path});
        !st)
      return Rollback(tl::unexpected(st.error()));
    Stmt blob(db_, "INSERT OR IGNORE INTO blobs(sha256, content) VALUES (?, ?)");
    blob.Bind(1, sha).BindBlob(2, content);
    Stmt file(db_, "INSERT INTO project_files(project_id, path, sha256, size) VALUES (?,?,?,?) "
                   "ON CONFLICT(project_id, path) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size");
    file.Bind(1, project_id).Bind(2, path).Bind(3, sha).Bind(4, static_cast<int64_t>(content.size()));
    Stmt touch(db_, "UPDATE projects SET updated_at = ? WHERE id = ?");
    touch.Bind(1, NowRfc3339()).Bind(2, project_id);
    if (blob.Step() != SQLITE_DONE || file.Step() != SQLITE_DONE || touch.Step() != SQLITE_DONE)
      return Rollback(Err("write file"));
    replaced.erase(sha);
    if (auto st = DropUnusedBlobs(replaced); !st) return Rollback(tl::unexpected(st.error()));
    return Exec("COMMIT");
  }

  // Paths are compared as text, never with LIKE: a name may hold '%' or '_'.
  // "path = ?2 OR path is under the folder ?2".
#define UNDER(column, folder) \
  "(" column " = " folder " OR substr(" column ", 1, length(" folder ") + 1) = " folder " || '/')"

  Status DeleteFile(const std::string& project_id, const std::string& path) override {
    std::lock_guard lock(mu_);
    if (auto st = Exec("BEGIN IMMEDIATE"); !st) return st;
    std::set<std::string> shas;
    if (auto st = CollectShas("SELECT sha256 FROM project_files WHERE project_id = ?1 AND " UNDER("path", "?2"), shas,
                              {project_id, path});
        !st)
      return Rollback(tl::unexpected(st.error()));
    Stmt s(db_, "DELETE FROM project_files WHERE project_id = ?1 AND " UNDER("path", "?2"));
    s.Bind(1, project_id).Bind(2, path);
    if (s.Step() != SQLITE_DONE) return Rollback(Err("delete file"));
    if (auto st = DropUnusedBlobs(shas); !st) return Rollback(tl::unexpected(st.error()));
    return Exec("COMMIT");
  }

  Status RenamePath(const std::string& project_id, const std::string& from, const std::string& to) override {
    std::lock_guard lock(mu_);
    if (auto st = Exec("BEGIN IMMEDIATE"); !st) return st;
    // `to` is taken by a file, by a folder (a file under it), or by a file that would
    // have to become its folder.
    Stmt taken(db_, "SELECT count(*) FROM project_files WHERE project_id = ?1 AND (" UNDER("path", "?2") " OR "
                    "substr(?2, 1, length(path) + 1) = path || '/')");
    taken.Bind(1, project_id).Bind(2, to);
    if (taken.Step() != SQLITE_ROW) return Rollback(Err("rename"));
    if (taken.Int(0) > 0) return Rollback(Fail(ErrorKind::kConflict, to + " exists"));
    Stmt move(db_, "UPDATE project_files SET path = ?3 || substr(path, length(?2) + 1) "
                   "WHERE project_id = ?1 AND " UNDER("path", "?2"));
    move.Bind(1, project_id).Bind(2, from).Bind(3, to);
    if (move.Step() != SQLITE_DONE) return Rollback(Err("rename"));
    if (sqlite3_changes(db_) == 0) return Rollback(Fail(ErrorKind::kNotFound, "no file or folder " + from));
    return Exec("COMMIT");
  }
#undef UNDER

  Result<std::vector<InputFile>> ReadAllFiles(const std::string& project_id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT f.path, b.content FROM project_files f JOIN blobs b ON b.sha256 = f.sha256 "
                "WHERE f.project_id = ? ORDER BY f.path");
    s.Bind(1, project_id);
    return Rows<InputFile>(s, "read files", [](const Stmt& row) { return InputFile{row.Text(0), row.Text(1), false}; });
  }

  Result<Version> SnapshotProject(const std::string& project_id) override {
    std::lock_guard lock(mu_);
    // The files and the version that names them in one transaction: a file rewritten
    // in between would otherwise leave the version naming a collected blob.
    if (auto st = Exec("BEGIN IMMEDIATE"); !st) return tl::unexpected(st.error());
    Stmt list(db_, "SELECT path, size, sha256 FROM project_files WHERE project_id = ? ORDER BY path");
    list.Bind(1, project_id);
    auto files = Rows<FileEntry>(list, "list files", [](const Stmt& row) {
      return FileEntry{row.Text(0), static_cast<uint64_t>(row.Int(1)), row.Text(2)};
    });
    if (!files) return Rollback(tl::unexpected(files.error()));
    // An unchanged working copy reuses the newest version.
    const std::string manifest = ManifestToJson(*files);
    {
      Stmt last(db_, "SELECT id, created_at, files FROM versions WHERE project_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1");
      last.Bind(1, project_id);
      if (last.Step() == SQLITE_ROW && last.Text(2) == manifest) {
        Version same{last.Text(0), project_id, last.Text(1), *files};
        if (auto st = Exec("COMMIT"); !st) return tl::unexpected(st.error());
        return same;
      }
    }
    Version v{NewId(), project_id, NowRfc3339(), *files};
    Stmt s(db_, "INSERT INTO versions(id, project_id, created_at, files) VALUES (?,?,?,?)");
    s.Bind(1, v.id).Bind(2, project_id).Bind(3, v.created_at).Bind(4, manifest);
    if (s.Step() != SQLITE_DONE) return Rollback(Err("create version"));
    Stmt add(db_, "INSERT OR IGNORE INTO version_files(version_id, sha256) VALUES (?, ?)");
    for (const auto& f : *files) {
      add.Reset();
      add.Bind(1, v.id).Bind(2, f.sha256);
      if (add.Step() != SQLITE_DONE) return Rollback(Err("create version"));
    }
    if (auto st = Exec("COMMIT"); !st) return tl::unexpected(st.error());
    return v;
  }

  Result<std::vector<Version>> ListVersions(const std::string& project_id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT id, created_at, files FROM versions WHERE project_id = ? ORDER BY created_at DESC, rowid DESC");
    s.Bind(1, project_id);
    std::vector<Version> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      out.push_back(Version{s.Text(0), project_id, s.Text(1), ParseManifest(s.Text(2))});
    }
    if (rc != SQLITE_DONE) return Err("list versions");
    return out;
  }

  Result<std::vector<InputFile>> ReadVersionFiles(const std::string& version_id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT files FROM versions WHERE id = ?");
    s.Bind(1, version_id);
    if (s.Step() != SQLITE_ROW) return Fail("no version " + version_id);
    std::vector<InputFile> out;
    for (const auto& f : ParseManifest(s.Text(0))) {
      Stmt b(db_, "SELECT content FROM blobs WHERE sha256 = ?");
      b.Bind(1, f.sha256);
      if (b.Step() != SQLITE_ROW) return Fail("version " + version_id + ": missing content of " + f.path);
      out.push_back({f.path, b.Text(0), false});
    }
    return out;
  }

  Status CreateRun(const RunRecord& r) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "INSERT INTO runs(id, project_id, user_id, version_id, runtime, platform, status, result, build, "
                "created_at, started_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    BindRun(s, r);
    if (r.project_id.empty()) return Done(s, "create run");
    if (auto st = Exec("BEGIN IMMEDIATE"); !st) return st;
    if (s.Step() != SQLITE_DONE) return Rollback(Err("create run"));
    Stmt count(db_, "UPDATE projects SET run_count = run_count + 1 WHERE id = ?");
    count.Bind(1, r.project_id);
    if (count.Step() != SQLITE_DONE) return Rollback(Err("count the project's runs"));
    return Exec("COMMIT");
  }

  Status CountRun(const std::string& project_id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "UPDATE projects SET run_count = run_count + 1 WHERE id = ?");
    s.Bind(1, project_id);
    return Done(s, "count the project's runs");
  }

  Status UpdateRun(const RunRecord& r) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "UPDATE runs SET project_id = ?2, user_id = ?3, version_id = ?4, runtime = ?5, platform = ?6, "
                "status = ?7, result = ?8, build = ?9, created_at = ?10, started_at = ?11, finished_at = ?12 WHERE id = ?1");
    BindRun(s, r);
    return Done(s, "update run");
  }

  Result<std::optional<RunRecord>> GetRun(const std::string& id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?");
    s.Bind(1, id);
    return One<RunRecord>(s, "get run", ReadRun);
  }

  Result<std::optional<RunRecord>> GetRunHeader(const std::string& id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT id, project_id, user_id, version_id, runtime, platform, status, '{}', NULL, created_at, "
                "started_at, finished_at FROM runs WHERE id = ?");
    s.Bind(1, id);
    return One<RunRecord>(s, "get run", ReadRun);
  }

  Result<std::vector<RunRecord>> ListRuns(const std::string& project_id, int limit) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT " RUN_COLUMNS " FROM runs WHERE project_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?");
    s.Bind(1, project_id).Bind(2, static_cast<int64_t>(limit));
    return Rows<RunRecord>(s, "list runs", ReadRun);
  }

  Result<std::vector<RunRecord>> ListUnfinishedRuns() override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT " RUN_COLUMNS " FROM runs WHERE status IN ('queued', 'building', 'running')");
    return Rows<RunRecord>(s, "list unfinished runs", ReadRun);
  }

  Status AppendLogs(const std::string& run_id, const std::vector<LogEntry>& entries) override {
    if (entries.empty()) return {};
    std::lock_guard lock(mu_);
    if (auto st = Exec("BEGIN IMMEDIATE"); !st) return st;
    if (auto st = InsertChunks(run_id, entries); !st) return Rollback(tl::unexpected(st.error()));
    return Exec("COMMIT");
  }

  Result<std::vector<LogEntry>> ReadLogs(const std::string& run_id, int64_t after, int limit,
                                         size_t max_bytes) override {
    std::lock_guard lock(mu_);
    // From the chunk that holds seq after + 1 on.
    Stmt s(db_, "SELECT first_seq, encoding, data FROM run_log_chunks WHERE run_id = ?1 AND first_seq >= "
                "coalesce((SELECT max(first_seq) FROM run_log_chunks WHERE run_id = ?1 AND first_seq <= ?2 + 1), 0) "
                "ORDER BY first_seq");
    s.Bind(1, run_id).Bind(2, after);
    std::vector<LogEntry> out;
    size_t bytes = 0;
    int rc = SQLITE_DONE;
    while (static_cast<int>(out.size()) < limit && bytes < max_bytes && (rc = s.Step()) == SQLITE_ROW) {
      if (auto st = AddChunkToPage(s.Text(2), static_cast<ChunkEncoding>(s.Int(1)), s.Int(0), after, limit, max_bytes,
                                   out, bytes);
          !st)
        return tl::unexpected(st.error().Wrap("read logs of run " + run_id));
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Err("read logs");
    return out;
  }

  Status PruneRuns(const std::string& project_id, int keep) override {
    std::lock_guard lock(mu_);
    if (auto st = Exec("BEGIN IMMEDIATE"); !st) return st;
    Stmt old(db_, "SELECT id FROM runs WHERE project_id = ?1 AND status NOT IN ('queued', 'building', 'running') "
                  "ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?2");
    old.Bind(1, project_id).Bind(2, static_cast<int64_t>(keep));
    auto ids = Rows<std::string>(old, "prune runs", [](const Stmt& row) { return row.Text(0); });
    if (!ids) return Rollback(tl::unexpected(ids.error()));
    if (auto st = DeleteRunsLocked(*ids); !st) return Rollback(tl::unexpected(st.error()));
    // Versions no run refers to any more go too (the newest stays: it is the next
    // run's when nothing changes), and then the blobs only they held.
    const char* unused_versions =
        "SELECT id FROM versions WHERE project_id = ?1 AND id NOT IN (SELECT version_id FROM runs WHERE project_id = ?1) "
        "AND id <> (SELECT id FROM versions WHERE project_id = ?1 ORDER BY created_at DESC, rowid DESC LIMIT 1)";
    std::set<std::string> shas;
    if (auto st = CollectShas((std::string("SELECT sha256 FROM version_files WHERE version_id IN (") + unused_versions + ")").c_str(),
                              shas, {project_id});
        !st)
      return Rollback(tl::unexpected(st.error()));
    Stmt versions(db_, (std::string("DELETE FROM versions WHERE id IN (") + unused_versions + ")").c_str());
    versions.Bind(1, project_id);
    if (versions.Step() != SQLITE_DONE) return Rollback(Err("prune versions"));
    if (auto st = DropUnusedBlobs(shas); !st) return Rollback(tl::unexpected(st.error()));
    if (auto st = Exec("COMMIT"); !st) return st;
    if (!ids->empty()) TrimFreePages();
    return {};
  }

  Result<int> PruneExecuteRuns(const std::string& created_before, int keep_per_user, int64_t user_id,
                               int max_runs) override {
    std::lock_guard lock(mu_);
    if (auto st = Exec("BEGIN IMMEDIATE"); !st) return tl::unexpected(st.error());
    // Per user, through the index of execute runs by (user, time), so that the prune after
    // each run costs the same whatever everyone else has stored (a window over all
    // execute runs took 28 ms with 20 users' 1,000 runs each; this takes ~0.1 ms).
    std::vector<int64_t> users;
    if (user_id != 0) {
      users.push_back(user_id);
    } else if (keep_per_user > 0) {
      Stmt all(db_, "SELECT DISTINCT user_id FROM runs INDEXED BY runs_user_execute WHERE project_id = ''");
      auto ids = Rows<int64_t>(all, "users with execute runs", [](const Stmt& row) { return row.Int(0); });
      if (!ids) return Rollback(tl::unexpected(ids.error()));
      users = std::move(*ids);
    }
    std::vector<std::string> doomed;
    auto collect = [&](Stmt& s) -> Status {
      auto ids = Rows<std::string>(s, "prune execute runs", [](const Stmt& row) { return row.Text(0); });
      if (!ids) return tl::unexpected(ids.error());
      for (auto& id : *ids) doomed.push_back(std::move(id));
      return {};
    };
    const char* finished = "status NOT IN ('queued', 'building', 'running')";
    if (keep_per_user > 0) {
      // The newest `keep_per_user` runs are counted with any still going (they are the
      // newest anyway), which keeps the count an index-only walk.
      for (int64_t user : users) {
        if (static_cast<int>(doomed.size()) >= max_runs) break;
        Stmt cut(db_, "SELECT created_at, rowid FROM runs INDEXED BY runs_user_execute WHERE project_id = '' "
                      "AND user_id = ?1 ORDER BY created_at DESC, rowid DESC LIMIT 1 OFFSET ?2");
        cut.Bind(1, user).Bind(2, static_cast<int64_t>(keep_per_user));
        const int rc = cut.Step();
        if (rc == SQLITE_DONE) continue;
        if (rc != SQLITE_ROW) return Rollback(Err("prune execute runs"));
        const std::string at = cut.Text(0);
        const int64_t rowid = cut.Int(1);
        Stmt old(db_, (std::string("SELECT id FROM runs INDEXED BY runs_user_execute WHERE project_id = '' AND user_id = ?1 "
                                   "AND (created_at < ?2 OR (created_at = ?2 AND rowid <= ?3)) AND ") +
                       finished + " LIMIT ?4").c_str());
        old.Bind(1, user).Bind(2, at).Bind(3, rowid).Bind(4, static_cast<int64_t>(max_runs - doomed.size()));
        if (auto st = collect(old); !st) return Rollback(tl::unexpected(st.error()));
      }
    }
    if (!created_before.empty() && static_cast<int>(doomed.size()) < max_runs) {
      Stmt old(db_, (std::string("SELECT id FROM runs WHERE project_id = '' AND created_at < ?1 AND (?2 = 0 OR user_id = ?2) AND ") +
                     finished + " LIMIT ?3").c_str());
      old.Bind(1, created_before).Bind(2, user_id).Bind(3, static_cast<int64_t>(max_runs - doomed.size()));
      if (auto st = collect(old); !st) return Rollback(tl::unexpected(st.error()));
      std::sort(doomed.begin(), doomed.end());
      doomed.erase(std::unique(doomed.begin(), doomed.end()), doomed.end());
    }
    if (auto st = DeleteRunsLocked(doomed); !st) return Rollback(tl::unexpected(st.error()));
    if (auto st = Exec("COMMIT"); !st) return tl::unexpected(st.error());
    if (!doomed.empty()) TrimFreePages();
    return static_cast<int>(doomed.size());
  }

  Status DeleteRun(const std::string& id) override {
    std::lock_guard lock(mu_);
    if (auto st = Exec("BEGIN IMMEDIATE"); !st) return st;
    Stmt get(db_, "SELECT status FROM runs WHERE id = ?");
    get.Bind(1, id);
    const int rc = get.Step();
    if (rc == SQLITE_DONE) return Rollback(Fail(ErrorKind::kNotFound, "no run " + id));
    if (rc != SQLITE_ROW) return Rollback(Err("delete run"));
    const auto status = ParseStatus(get.Text(0));
    if (status && !IsFinal(*status))
      return Rollback(Fail(ErrorKind::kConflict, "run " + id + " is still " + get.Text(0) + "; stop it first"));
    if (auto st = DeleteRunsLocked({id}); !st) return Rollback(tl::unexpected(st.error()));
    if (auto st = Exec("COMMIT"); !st) return st;
    TrimFreePages();
    return {};
  }

  Result<UserStorage> StorageOf(int64_t user_id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT (SELECT count(*) FROM projects WHERE owner_id = ?1), "
                "(SELECT coalesce(sum(f.size), 0) FROM project_files f JOIN projects p ON p.id = f.project_id "
                "WHERE p.owner_id = ?1)");
    s.Bind(1, user_id);
    if (s.Step() != SQLITE_ROW) return Err("storage of user");
    return UserStorage{s.Int(0), static_cast<uint64_t>(s.Int(1))};
  }

  Result<int> SchemaVersion() override {
    std::lock_guard lock(mu_);
    return static_cast<int>(PragmaInt("user_version"));
  }

  Result<DatabaseSize> Size() override {
    std::lock_guard lock(mu_);
    const int64_t page = PragmaInt("page_size");
    return DatabaseSize{static_cast<uint64_t>(PragmaInt("page_count") * page),
                        static_cast<uint64_t>(PragmaInt("freelist_count") * page)};
  }

 private:
  // Schema changes of older databases, in one transaction: version 0's one row per log
  // line becomes chunks, versions get their blob lists, and blobs nothing refers to go.
  Status Migrate() {
    const int64_t version = PragmaInt("user_version");
    if (version >= kSchemaVersion) return {};
    if (auto st = Exec("BEGIN IMMEDIATE"); !st) return st;
    auto fail = [&](const char* what) {
      auto e = Err(what);
      (void)Exec("ROLLBACK");
      return e;
    };
    if (version < 2) {  // a database made before kSchema had them lacks the new columns
      Stmt has(db_, "SELECT count(*) FROM pragma_table_info('projects') WHERE name = 'run_count'");
      if (has.Step() != SQLITE_ROW) return fail("look for projects.run_count");
      if (has.Int(0) == 0) {
        if (!Exec("ALTER TABLE projects ADD COLUMN description TEXT NOT NULL DEFAULT ''; "
                  "ALTER TABLE projects ADD COLUMN run_count INTEGER NOT NULL DEFAULT 0; "
                  "UPDATE projects SET run_count = (SELECT count(*) FROM runs WHERE runs.project_id = projects.id)"))
          return fail("add projects.description and run_count");
      }
    }
    if (version >= 1 && version <= 3) {
      // 2 -> 3: run_queue; 3 -> 4: runs_user_execute; both made by kSchema.
      if (!Exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str())) return fail("set user_version");
      return Exec("COMMIT");
    }
    Stmt has_old(db_, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'run_logs'");
    if (has_old.Step() != SQLITE_ROW) return fail("look for run_logs");
    const bool has_run_logs = has_old.Int(0) > 0;
    has_old.Reset();
    if (has_run_logs) {
      {
        Stmt old(db_, "SELECT run_id, seq, stream, text, time FROM run_logs ORDER BY run_id, seq");
        std::string run_id;
        std::vector<LogEntry> entries;
        int rc;
        while ((rc = old.Step()) == SQLITE_ROW) {
          if (old.Text(0) != run_id) {
            if (auto st = InsertChunks(run_id, entries); !st) return fail("convert run_logs");
            entries.clear();
            run_id = old.Text(0);
          }
          entries.push_back({old.Int(1), old.Int(2) == 1 ? Stream::kStdout : Stream::kStderr, old.Text(3), old.Text(4)});
        }
        if (rc != SQLITE_DONE) return fail("read run_logs");
        if (auto st = InsertChunks(run_id, entries); !st) return fail("convert run_logs");
      }  // the statement ends before its table goes
      if (!Exec("DROP TABLE run_logs")) return fail("drop run_logs");
    }
    {
      Stmt versions(db_, "SELECT id, files FROM versions");
      Stmt add(db_, "INSERT OR IGNORE INTO version_files(version_id, sha256) VALUES (?, ?)");
      int rc;
      while ((rc = versions.Step()) == SQLITE_ROW) {
        for (const auto& f : ParseManifest(versions.Text(1))) {
          add.Reset();
          add.Bind(1, versions.Text(0)).Bind(2, f.sha256);
          if (add.Step() != SQLITE_DONE) return fail("list the blobs of versions");
        }
      }
      if (rc != SQLITE_DONE) return fail("read versions");
    }
    if (!Exec("DELETE FROM blobs WHERE sha256 NOT IN (SELECT sha256 FROM project_files) "
              "AND sha256 NOT IN (SELECT sha256 FROM version_files)"))
      return fail("collect unused blobs");
    if (!Exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str())) return fail("set user_version");
    return Exec("COMMIT");
  }

  int64_t PragmaInt(const char* name) {
    Stmt s(db_, (std::string("PRAGMA ") + name).c_str());
    return s.Step() == SQLITE_ROW ? s.Int(0) : -1;
  }

  // Inserts `entries` as chunks (PackLogChunks). Inside a transaction.
  Status InsertChunks(const std::string& run_id, const std::vector<LogEntry>& entries) {
    Stmt s(db_, "INSERT OR REPLACE INTO run_log_chunks(run_id, first_seq, last_seq, encoding, data) VALUES (?,?,?,?,?)");
    for (const auto& chunk : PackLogChunks(entries, options_.log_encoding)) {
      s.Reset();
      s.Bind(1, run_id).Bind(2, chunk.first_seq).Bind(3, chunk.last_seq)
          .Bind(4, static_cast<int64_t>(options_.log_encoding)).BindBlob(5, chunk.data);
      if (s.Step() != SQLITE_DONE) return Err("insert log chunk");
    }
    return {};
  }

  // Deletes the blobs among `candidates` that no project file and no version refers to.
  // Inside the transaction that dropped the references.
  Status DropUnusedBlobs(const std::set<std::string>& candidates) {
    Stmt s(db_, "DELETE FROM blobs WHERE sha256 = ?1 AND NOT EXISTS (SELECT 1 FROM project_files WHERE sha256 = ?1) "
                "AND NOT EXISTS (SELECT 1 FROM version_files WHERE sha256 = ?1)");
    for (const auto& sha : candidates) {
      s.Reset();
      s.Bind(1, sha);
      if (s.Step() != SQLITE_DONE) return Err("drop unused blobs");
    }
    return {};
  }

  // The sha256s a query (with `arg` bound to ?1) returns, added to `out`.
  Status CollectShas(const char* sql, std::set<std::string>& out, std::initializer_list<std::string> args) {
    Stmt s(db_, sql);
    int i = 0;
    for (const auto& a : args) s.Bind(++i, a);
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.insert(s.Text(0));
    return rc == SQLITE_DONE ? Status{} : Err("collect blob references");
  }

  // Gives free pages back to the file system once they are a good part of the file
  // (after deletions; below that, later writes reuse them). Outside transactions.
  void TrimFreePages() {
    const int64_t free_pages = PragmaInt("freelist_count");
    if (free_pages >= 16 && free_pages * 8 >= PragmaInt("page_count")) (void)Exec("PRAGMA incremental_vacuum");
  }

  // Deletes the runs `ids` (finished ones only: the caller checked) and their logs.
  // Inside a transaction.
  Status DeleteRunsLocked(const std::vector<std::string>& ids) {
    Stmt logs(db_, "DELETE FROM run_log_chunks WHERE run_id = ?");
    Stmt runs(db_, "DELETE FROM runs WHERE id = ?");
    for (const auto& id : ids) {
      logs.Reset();
      runs.Reset();
      logs.Bind(1, id);
      runs.Bind(1, id);
      if (logs.Step() != SQLITE_DONE || runs.Step() != SQLITE_DONE) return Err("delete runs");
    }
    return {};
  }

  tl::unexpected<Error> Rollback(tl::unexpected<Error> e) {
    (void)Exec("ROLLBACK");
    return e;
  }

  void BindRun(Stmt& s, const RunRecord& r) {
    const RunColumns c = RunToColumns(r);
    s.Bind(1, r.id).Bind(2, r.project_id).Bind(3, r.user_id).Bind(4, r.version_id).Bind(5, r.runtime)
        .Bind(6, r.platform).Bind(7, c.status).Bind(8, c.result);
    if (c.build) {
      s.Bind(9, *c.build);
    } else {
      s.BindNull(9);
    }
    s.Bind(10, r.created_at).Bind(11, r.started_at).Bind(12, r.finished_at);
  }

  static RunRecord ReadRun(const Stmt& s) {
    RunRecord r;
    r.id = s.Text(0);
    r.project_id = s.Text(1);
    r.user_id = s.Int(2);
    r.version_id = s.Text(3);
    r.runtime = s.Text(4);
    r.platform = s.Text(5);
    RunFromColumns(r, s.Text(6), s.Text(7), s.IsNull(8) ? std::nullopt : std::optional<std::string>(s.Text(8)));
    r.created_at = s.Text(9);
    r.started_at = s.Text(10);
    r.finished_at = s.Text(11);
    return r;
  }

  Result<std::optional<User>> OneUser(Stmt& s) {
    return One<User>(s, "get user", ReadUser);
  }

  static User ReadUser(const Stmt& s) {
    User u;
    u.id = s.Int(0);
    u.username = s.Text(1);
    u.password_hash = s.Text(2);
    u.role = s.Text(3);
    u.disabled = s.Int(4) != 0;
    u.totp_secret = s.Text(5);
    u.totp_enabled = s.Int(6) != 0;
    u.totp_last_counter = s.Int(7);
    u.recovery_hashes = ListFromJson(s.Text(8));
    u.quota = QuotaFromJson(s.Text(9));
    u.created_at = s.Text(10);
    return u;
  }

  static Credential ReadCredential(const Stmt& s) {
    Credential c;
    c.id = s.Text(0);
    c.user_id = s.Int(1);
    c.kind = s.Text(2);
    c.name = s.Text(3);
    c.secret_hash = s.Text(4);
    c.csrf_token = s.Text(5);
    c.created_at = s.Text(6);
    c.expires_at = s.Text(7);
    c.last_used_at = s.Text(8);
    return c;
  }

  static Project ReadProject(const Stmt& s) {
    Project p;
    p.id = s.Text(0);
    p.owner_id = s.Int(1);
    p.name = s.Text(2);
    p.runtime = s.Text(3);
    p.visibility = s.Text(4);
    p.env = EnvFromJson(s.Text(5));
    p.forked_from = s.Text(6);
    p.created_at = s.Text(7);
    p.updated_at = s.Text(8);
    p.description = s.Text(9);
    p.run_count = s.Int(10);
    return p;
  }

  Status Exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      std::string text = message ? message : "unknown error";
      sqlite3_free(message);
      return Fail(std::string("sqlite: ") + text);
    }
    return {};
  }
  Status Done(Stmt& s, const char* what) {
    if (!s.ok()) return Err(what);
    if (s.Step() != SQLITE_DONE) return Err(what);
    return {};
  }
  tl::unexpected<Error> Err(const char* what) { return Fail(std::string(what) + ": " + sqlite3_errmsg(db_)); }
  // Every row of `s`, each made by `read`; Err(what) if stepping fails.
  // The row a query finds, or nullopt when it finds none.
  template <class T, class Fn>
  Result<std::optional<T>> One(Stmt& s, const char* what, Fn read) {
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return std::optional<T>();
    if (rc != SQLITE_ROW) return Err(what);
    return std::optional<T>(read(s));
  }

  template <class T, class Fn>
  Result<std::vector<T>> Rows(Stmt& s, const char* what, Fn read) {
    std::vector<T> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(read(s));
    if (rc != SQLITE_DONE) return Err(what);
    return out;
  }

  sqlite3* db_;
  StoreOptions options_;
  std::mutex mu_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, StoreOptions options) {
  if (sodium_init() < 0) return Fail("libsodium failed to initialise");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return Fail("open database " + path + ": " + message);
  }
  auto store = std::make_unique<SqliteStore>(db, options);
  if (auto st = store->Init(); !st) return tl::unexpected(st.error().Wrap("initialise database " + path));
  return store;
}

namespace {
tl::unexpected<Error> NoSharedQueue() {
  return Fail(ErrorKind::kUnavailable, "the shared run queue needs PostgreSQL (--database postgres://...)");
}
}  // namespace

// One process on SQLite keeps its queue in memory (RunManager): no shared queue here.
Status Store::EnqueueRun(const RunRecord&, const QueuedRun&, const EnqueueLimits&) { return NoSharedQueue(); }
Result<std::optional<QueuedRun>> Store::ClaimRun(const std::string&, const ClaimLimits&) { return NoSharedQueue(); }
Result<std::vector<std::string>> Store::HeartbeatRuns(const std::string&, int64_t) { return NoSharedQueue(); }
Result<std::vector<std::pair<std::string, std::string>>> Store::StopRequests(const std::string&) {
  return NoSharedQueue();
}
Result<Store::StopOutcome> Store::RequestStop(const std::string&, const std::string&) { return NoSharedQueue(); }
Status Store::DequeueRun(const std::string&) { return NoSharedQueue(); }
Status Store::RequeueRun(const std::string&, const std::string&) { return NoSharedQueue(); }
Result<std::vector<QueuedRun>> Store::TakeExpiredRuns() { return NoSharedQueue(); }
Result<int64_t> Store::QueueDepth() { return NoSharedQueue(); }

std::string NewId() {
  static const char* alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char bytes[20];
  randombytes_buf(bytes, sizeof bytes);
  std::string id;
  for (unsigned char b : bytes) id += alphabet[b % 36];
  return id;
}

std::string NowRfc3339() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace runlet::store
