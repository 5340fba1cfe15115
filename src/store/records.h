// What the store keeps: plain structs, no SQL types.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/run_result.h"

namespace runlet::store {

// What one user may spend. 0 means "the server's default" (settings.default_quota).
struct Quota {
  int concurrent_runs = 0;     // runs queued or executing at once
  double cpus = 0;             // CPU cores reserved by the user's executing runs together
  uint64_t memory_bytes = 0;   // memory reserved by the user's executing runs together
  uint64_t disk_bytes = 0;     // writable disk of one run
  int64_t time_ms = 0;         // CPU time (and wall time) of one run
  int projects = 0;            // projects the user owns
  uint64_t stored_bytes = 0;   // bytes of the files of all the user's projects together
};

struct User {
  int64_t id = 0;
  std::string username;
  std::string password_hash;  // argon2id, libsodium's string form
  std::string role = "user";  // or "admin"
  bool disabled = false;
  std::string totp_secret;          // base32; pending until totp_enabled
  bool totp_enabled = false;
  int64_t totp_last_counter = -1;   // the newest TOTP time step accepted (replays refused)
  std::vector<std::string> recovery_hashes;  // SHA-256 of the unused recovery codes
  Quota quota;
  std::string created_at;
};

// A credential that authenticates requests: a browser session (cookie, with a CSRF
// token) or an API token (Bearer). Only the secret's SHA-256 is stored.
struct Credential {
  std::string id;           // public id (for listing and revoking)
  int64_t user_id = 0;
  std::string kind;         // "session" or "token"
  std::string name;         // a token's name
  std::string secret_hash;  // SHA-256 hex of the secret
  std::string csrf_token;   // sessions only
  std::string created_at;
  std::string expires_at;   // "" = never
  std::string last_used_at;
};

struct Project {
  std::string id;
  int64_t owner_id = 0;
  std::string name;
  std::string runtime;
  // "private", "public" (listed in the gallery) or "unlisted" (readable and runnable by
  // whoever has its link, as a public one, but listed nowhere).
  std::string visibility = "private";
  std::map<std::string, std::string> env;
  std::string forked_from;
  std::string description;  // the owner's words for the gallery; "" = none
  // Runs ever started of it, by anyone (kept when old runs are pruned); CreateRun counts.
  int64_t run_count = 0;
  std::string created_at, updated_at;
};

// A page of the gallery (Store::ListPublicProjects).
struct GalleryQuery {
  // Only projects whose name or description holds this text, ASCII letters in either
  // case ("" = all).
  std::string search;
  // Only projects of these runtime ids (empty = any runtime).
  std::vector<std::string> runtimes;
  // "updated" (recently changed first), "newest" (created), "runs" (most run first) or
  // "name" (A-Z, ASCII letters in either case); ties by id.
  std::string sort = "updated";
  int64_t offset = 0;
  int limit = 20;
};

struct FileEntry {
  std::string path;
  uint64_t size = 0;
  std::string sha256;  // of the content, hex
};

struct Version {
  std::string id;
  std::string project_id;
  std::string created_at;
  std::vector<FileEntry> files;
};

struct RunRecord {
  std::string id;
  std::string project_id;  // "" for stateless executions
  int64_t user_id = 0;
  std::string version_id;
  std::string runtime;
  std::string platform;
  RunResult result;                 // result.status is the run's status at every stage
  std::optional<RunResult> build;   // the build step's result, once known
  // The log reached the server's bound per run (a marker entry says where); kept in
  // the result's JSON as "log_truncated".
  bool log_truncated = false;
  std::string created_at, started_at, finished_at;
};

struct UserStorage {
  int64_t projects = 0;
  uint64_t file_bytes = 0;  // the working copies' files (versions share their blobs)
};

struct DatabaseSize {
  uint64_t bytes = 0;       // pages in the file
  uint64_t free_bytes = 0;  // of which free pages
};

struct LogEntry {
  int64_t seq = 0;  // from 1, no gaps, per run
  Stream stream = Stream::kStdout;
  std::string text;  // one line, without its newline
  std::string time;  // RFC 3339 UTC with milliseconds
};

// A run in the shared queue of several servers (Store::EnqueueRun).
struct QueuedRun {
  std::string run_id;
  int64_t user_id = 0;
  std::string project_id;
  std::string request;               // the run manager's encoded RunRequest
  uint64_t memory_bytes = 0;         // what the run reserves while it executes
  double cpus = 0;
  uint64_t quota_memory_bytes = 0;   // its user's quota of executing runs together (0: none)
  double quota_cpus = 0;
  std::string pinned;                // only this server may claim it ("": any)
  std::string owner;                 // the server executing it ("": waiting)
  int64_t lease_until_ms = 0;        // the owner's lease, ms since the epoch (database clock)
  std::string stop_reason;           // a stop asked for ("": none)
};

struct EnqueueLimits {
  int user_runs = 16;
  int queue_limit = 64;
  std::string superseding;  // the run the new one replaces ("": none)
};

struct ClaimLimits {
  int user_executing_runs = 1;
  int64_t lease_ms = 15000;
};

}  // namespace runlet::store
