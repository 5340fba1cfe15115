// What the store keeps: plain structs, no SQL types.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/run_result.h"

namespace runlet::store {

struct Project {
  std::string id;
  int64_t owner_id = 0;
  std::string name;
  std::string runtime;
  std::string visibility = "private";  // or "public"
  std::map<std::string, std::string> env;
  std::string forked_from;
  std::string created_at, updated_at;
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
  std::string created_at, started_at, finished_at;
};

struct LogEntry {
  int64_t seq = 0;  // from 1, no gaps, per run
  Stream stream = Stream::kStdout;
  std::string text;  // one line, without its newline
  std::string time;  // RFC 3339 UTC with milliseconds
};

}  // namespace runlet::store
