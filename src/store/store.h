// Persistence behind one interface: SQLite (WAL) for one machine; PostgreSQL when several
// servers share the work. Every call is thread-safe and blocks until durable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/files.h"
#include "store/log_chunk.h"
#include "store/records.h"

namespace runlet::store {

class Store {
 public:
  virtual ~Store() = default;

  // Users. CreateUser fills in the id; kConflict if the name is taken.
  virtual Result<int64_t> CreateUser(const User& user) = 0;
  virtual Result<std::optional<User>> GetUser(int64_t id) = 0;
  virtual Result<std::optional<User>> FindUser(const std::string& username) = 0;
  virtual Result<std::vector<User>> ListUsers() = 0;
  // Everything but the id, created_at, totp_last_counter and recovery codes.
  virtual Status UpdateUser(const User& user) = 0;
  // Deletes a user with everything that is theirs: credentials, projects (files,
  // versions, runs of anyone on them, with logs), the user's own runs and logs
  // everywhere, their settings ("max_limits:user:<id>"), then blobs nothing refers to.
  // kNotFound if there is no such user, kConflict while one of their runs (or a run on
  // one of their projects) is not final: stop those first.
  virtual Status DeleteUser(int64_t id) = 0;
  virtual Status SetRecoveryCodes(int64_t user_id, const std::vector<std::string>& hashes) = 0;
  // Atomically: true and recorded if `counter` is newer than the last accepted one.
  virtual Result<bool> AcceptTotpCounter(int64_t user_id, int64_t counter) = 0;
  // Atomically: true and removed if `hash` is one of the user's unused recovery codes.
  virtual Result<bool> UseRecoveryCode(int64_t user_id, const std::string& hash) = 0;

  // Sessions and API tokens.
  virtual Status CreateCredential(const Credential& credential) = 0;
  virtual Result<std::optional<Credential>> FindCredential(const std::string& secret_hash) = 0;
  virtual Result<std::vector<Credential>> ListCredentials(int64_t user_id, const std::string& kind) = 0;
  // kNotFound unless the credential exists and belongs to `user_id`.
  virtual Status DeleteCredential(int64_t user_id, const std::string& id) = 0;
  // All of a user's credentials of `kind` ("" = every kind).
  virtual Status DeleteUserCredentials(int64_t user_id, const std::string& kind) = 0;
  virtual Status TouchCredential(const std::string& id, const std::string& when) = 0;

  // Settings: JSON documents by key ("settings", "faq", "runtime:<id>", ...).
  virtual Result<std::optional<std::string>> GetSetting(const std::string& key) = 0;
  virtual Status PutSetting(const std::string& key, const std::string& value) = 0;
  virtual Status DeleteSetting(const std::string& key) = 0;
  // Keys starting with `prefix`, with their values, in key order.
  virtual Result<std::vector<std::pair<std::string, std::string>>> ListSettings(const std::string& prefix) = 0;

  // Projects and their files (the working copy).
  virtual Status CreateProject(const Project& project) = 0;
  virtual Result<std::optional<Project>> GetProject(const std::string& id) = 0;
  virtual Result<std::vector<Project>> ListProjects(int64_t owner_id) = 0;
  // Public projects of everyone (never unlisted or private ones) that match `query`,
  // in its order: `limit` of them after skipping `offset`.
  virtual Result<std::vector<Project>> ListPublicProjects(const GalleryQuery& query) = 0;
  // Everything but the id, owner, forked_from, run_count and created_at.
  virtual Status UpdateProject(const Project& project) = 0;
  virtual Status DeleteProject(const std::string& id) = 0;
  virtual Result<std::vector<FileEntry>> ListFiles(const std::string& project_id) = 0;
  virtual Result<std::optional<std::string>> ReadFile(const std::string& project_id, const std::string& path) = 0;
  virtual Status WriteFile(const std::string& project_id, const std::string& path, const std::string& content) = 0;
  virtual Status DeleteFile(const std::string& project_id, const std::string& path) = 0;
  // Renames a file, or a folder with everything in it. kNotFound if `from` names
  // nothing, kConflict if `to` (or a file under it) exists.
  virtual Status RenamePath(const std::string& project_id, const std::string& from, const std::string& to) = 0;
  // The working copy's files with their contents.
  virtual Result<std::vector<InputFile>> ReadAllFiles(const std::string& project_id) = 0;

  // Versions: content-addressed snapshots; identical files are stored once.
  virtual Result<Version> SnapshotProject(const std::string& project_id) = 0;
  virtual Result<std::vector<Version>> ListVersions(const std::string& project_id) = 0;
  virtual Result<std::vector<InputFile>> ReadVersionFiles(const std::string& version_id) = 0;

  // Runs and their logs. CreateRun adds one to its project's run_count.
  virtual Status CreateRun(const RunRecord& run) = 0;
  // Adds one to a project's run_count for a run of it stored as no project's (a
  // viewer's run of someone else's project). No error if the project is gone.
  virtual Status CountRun(const std::string& project_id) = 0;
  virtual Status UpdateRun(const RunRecord& run) = 0;
  virtual Result<std::optional<RunRecord>> GetRun(const std::string& id) = 0;
  // The run without its results' fields (output, times; the status is kept): cheap
  // enough to poll while a large output is paged out.
  virtual Result<std::optional<RunRecord>> GetRunHeader(const std::string& id) = 0;
  virtual Result<std::vector<RunRecord>> ListRuns(const std::string& project_id, int limit) = 0;
  // Runs not in a final status (after a crash: those to end as cancelled/server_restart).
  virtual Result<std::vector<RunRecord>> ListUnfinishedRuns() = 0;
  virtual Status AppendLogs(const std::string& run_id, const std::vector<LogEntry>& entries) = 0;
  // Entries after seq `after`, in order: at most `limit`, and no more once their texts
  // reach `max_bytes` together (the entry that crosses it is the last; at least one).
  virtual Result<std::vector<LogEntry>> ReadLogs(const std::string& run_id, int64_t after, int limit,
                                                 size_t max_bytes = SIZE_MAX) = 0;
  // Deletes all but the newest `keep` finished runs of a project, with their logs, then
  // the project's versions that no run refers to (but the newest), then file blobs
  // that nothing refers to any more.
  virtual Status PruneRuns(const std::string& project_id, int keep) = 0;
  // Deletes finished stateless runs (project_id "") with their logs: those created
  // before `created_before` (RFC 3339; "" = no age limit) and those beyond each user's
  // newest `keep_per_user` (0 = no count limit); only `user_id`'s when not 0; at most
  // `max_runs` in one call. The number deleted.
  virtual Result<int> PruneExecuteRuns(const std::string& created_before, int keep_per_user, int64_t user_id,
                                       int max_runs) = 0;
  // Deletes one finished run and its log. kNotFound, or kConflict while it is active.
  virtual Status DeleteRun(const std::string& id) = 0;

  // The shared run queue of several servers on one database (`runlet serve --cluster`,
  // PostgreSQL; docs/SCALE-OUT.md). A row per run queued or executing, deleted when the
  // run is final. SQLite answers kUnavailable: one process keeps its queue in memory.
  //
  // Adds the run (CreateRun) and its queue row in one transaction, serialised per user:
  // kTooMany when the user already has `limits.user_runs` rows (the row of
  // `limits.superseding`, the run this one replaces, not counted), kUnavailable when
  // `limits.queue_limit` rows wait unclaimed.
  virtual Status EnqueueRun(const RunRecord& run, const QueuedRun& entry, const EnqueueLimits& limits);
  // Claims one waiting run for `server_id` (FOR UPDATE SKIP LOCKED: servers never wait
  // on each other) with a lease of `limits.lease_ms`: the oldest waiting run of the user
  // executing the fewest runs now, among users below `limits.user_executing_runs` and
  // within their memory and CPU quotas; pinned runs only by their server. nullopt: none.
  virtual Result<std::optional<QueuedRun>> ClaimRun(const std::string& server_id, const ClaimLimits& limits);
  // Extends the leases of `server_id`'s runs (claimed, or pinned to it and waiting) to
  // now + `lease_ms`; the run ids it holds.
  virtual Result<std::vector<std::string>> HeartbeatRuns(const std::string& server_id, int64_t lease_ms);
  // `server_id`'s runs that someone asked to stop: (run id, reason).
  virtual Result<std::vector<std::pair<std::string, std::string>>> StopRequests(const std::string& server_id);
  // Asks for a run in the queue to stop: kWasQueued (nobody had claimed it: its row is
  // gone, the caller ends the run), kRequested (a server executes it: it will see the
  // reason), kNotQueued (no row: final, unknown, or not in the shared queue).
  enum class StopOutcome { kNotQueued, kWasQueued, kRequested };
  virtual Result<StopOutcome> RequestStop(const std::string& run_id, const std::string& reason);
  // Removes a run's row (the run is final, or handed back by RequeueRun's caller).
  virtual Status DequeueRun(const std::string& run_id);
  // Gives `server_id`'s claimed run back to the queue (a draining server that has not
  // started it).
  virtual Status RequeueRun(const std::string& server_id, const std::string& run_id);
  // Removes and returns the rows whose lease ended before now (their server is gone):
  // claimed runs, and pinned ones waiting for their server.
  virtual Result<std::vector<QueuedRun>> TakeExpiredRuns();
  // Runs waiting unclaimed in the shared queue.
  virtual Result<int64_t> QueueDepth();
  // One round trip to the database (health checks).
  virtual Status Ping() { return {}; }

  // What a user keeps: their projects and the bytes of those projects' files.
  virtual Result<UserStorage> StorageOf(int64_t user_id) = 0;
  // The database's size and the part of it that is free pages.
  virtual Result<DatabaseSize> Size() = 0;
  // The schema version the database is at (both backends count the same steps).
  virtual Result<int> SchemaVersion() = 0;
};

struct StoreOptions {
  // How new log chunks are stored (log_chunk.h); chunks of either kind are read.
  ChunkEncoding log_encoding = ChunkEncoding::kDeflate;
  // Bring an older schema up to date while opening (false: open it as it is, to read
  // its version; only `runlet admin migrate` does).
  bool migrate = true;
  // PostgreSQL: connections held open, shared by the threads that call the store (a
  // call waits while all are in use). SQLite has one.
  int connections = 4;
};

// Opens (creating if needed) the SQLite database at `path`, with WAL and the schema;
// migrates a database of an older schema (PRAGMA user_version) in place.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, StoreOptions options = {});

// Opens (creating the schema if needed) the PostgreSQL database at `url`, a libpq
// connection URI (postgres://user@host:port/db?sslmode=...; the password best comes
// from PGPASSWORD or ~/.pgpass), and migrates an older schema in place; several servers
// starting at once migrate once. Thread-safe; each call uses one pooled connection.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url, StoreOptions options = {});

// The one factory: a postgres:// or postgresql:// URL opens PostgreSQL, anything else
// is the path of a SQLite database.
Result<std::unique_ptr<Store>> OpenStore(const std::string& database, StoreOptions options = {});

// Whether `database` names PostgreSQL: "postgres://..." or "postgresql://..." (a libpq
// connection URI); anything else is a SQLite file path.
bool IsPostgresUrl(const std::string& database);

// `database` for a log line: a SQLite path as it is, a PostgreSQL URL as
// "postgresql host/dbname" (never its password).
std::string DescribeDatabase(const std::string& database);

// A random id: 20 characters of [a-z0-9], unguessable.
std::string NewId();
// Now as RFC 3339 UTC with milliseconds: 2026-11-25T02:28:22.123Z.
std::string NowRfc3339();

}  // namespace runlet::store
