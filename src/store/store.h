// Persistence behind one interface: SQLite (WAL) for one machine; PostgreSQL when several
// servers share the work. Every call is thread-safe and blocks until durable.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/files.h"
#include "store/records.h"

namespace runlet::store {

class Store {
 public:
  virtual ~Store() = default;

  // Projects and their files (the working copy).
  virtual Status CreateProject(const Project& project) = 0;
  virtual Result<std::optional<Project>> GetProject(const std::string& id) = 0;
  virtual Result<std::vector<Project>> ListProjects(int64_t owner_id) = 0;
  virtual Status UpdateProject(const Project& project) = 0;
  virtual Status DeleteProject(const std::string& id) = 0;
  virtual Result<std::vector<FileEntry>> ListFiles(const std::string& project_id) = 0;
  virtual Result<std::optional<std::string>> ReadFile(const std::string& project_id, const std::string& path) = 0;
  virtual Status WriteFile(const std::string& project_id, const std::string& path, const std::string& content) = 0;
  virtual Status DeleteFile(const std::string& project_id, const std::string& path) = 0;
  // The working copy's files with their contents.
  virtual Result<std::vector<InputFile>> ReadAllFiles(const std::string& project_id) = 0;

  // Versions: content-addressed snapshots; identical files are stored once.
  virtual Result<Version> SnapshotProject(const std::string& project_id) = 0;
  virtual Result<std::vector<Version>> ListVersions(const std::string& project_id) = 0;
  virtual Result<std::vector<InputFile>> ReadVersionFiles(const std::string& version_id) = 0;

  // Runs and their logs.
  virtual Status CreateRun(const RunRecord& run) = 0;
  virtual Status UpdateRun(const RunRecord& run) = 0;
  virtual Result<std::optional<RunRecord>> GetRun(const std::string& id) = 0;
  virtual Result<std::vector<RunRecord>> ListRuns(const std::string& project_id, int limit) = 0;
  // Runs not in a final status (after a crash: those to end as cancelled/server_restart).
  virtual Result<std::vector<RunRecord>> ListUnfinishedRuns() = 0;
  virtual Status AppendLogs(const std::string& run_id, const std::vector<LogEntry>& entries) = 0;
  virtual Result<std::vector<LogEntry>> ReadLogs(const std::string& run_id, int64_t after, int limit) = 0;
  // Deletes all but the newest `keep` finished runs of a project, with their logs.
  virtual Status PruneRuns(const std::string& project_id, int keep) = 0;
};

// Opens (creating if needed) the SQLite database at `path`, with WAL and the schema.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

// A random id: 20 characters of [a-z0-9], unguessable.
std::string NewId();
// Now as RFC 3339 UTC with milliseconds: 2026-11-25T02:28:22.123Z.
std::string NowRfc3339();

}  // namespace runlet::store
