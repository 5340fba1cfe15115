// How records become column values and back, the same for every backend: JSON text for
// maps and lists, the run's result as JSON, content hashes. Backends bind and read the
// strings; only SQL differs between them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/records.h"

namespace runlet::store {

std::string Sha256Hex(const std::string& data);

std::string EnvToJson(const std::map<std::string, std::string>& env);
std::map<std::string, std::string> EnvFromJson(const std::string& text);
std::string QuotaToJson(const Quota& q);
Quota QuotaFromJson(const std::string& text);
std::string ListToJson(const std::vector<std::string>& list);
std::vector<std::string> ListFromJson(const std::string& text);

// A version's file list (path, size, sha256 of each) as stored with it.
std::string ManifestToJson(const std::vector<FileEntry>& files);
std::vector<FileEntry> ParseManifest(const std::string& text);

// A run's result columns: `result` (JSON, with "log_truncated" when set) and `build`
// (JSON, or nullopt when there is none).
struct RunColumns {
  std::string status;
  std::string result;
  std::optional<std::string> build;
};
RunColumns RunToColumns(const RunRecord& r);
// Fills r.result, r.log_truncated and r.build from the stored columns.
void RunFromColumns(RunRecord& r, const std::string& status, const std::string& result,
                    const std::optional<std::string>& build);

// The statuses a run can still leave (SQL lists in both backends name these).
#define RUNLET_ACTIVE_STATUSES "('queued', 'building', 'running')"

// The ORDER BY of a gallery page (GalleryQuery::sort), the same in both stores.
const char* GalleryOrder(const std::string& sort);

}  // namespace runlet::store
