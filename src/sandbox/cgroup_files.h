// Small helpers for cgroup control files.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/error.h"

namespace runlet::sandbox::cgroupfs {

Status WriteFile(const std::string& path, std::string_view value);
Result<std::string> ReadFile(const std::string& path);
Result<uint64_t> ReadNumber(const std::string& path);
// The value of `key` in a "key value" per line file (memory.events, cpu.stat), or 0.
uint64_t ReadKeyed(const std::string& path, std::string_view key);
std::vector<pid_t> ReadPids(const std::string& path);
// mkdir that accepts an existing directory.
Status MakeDir(const std::string& path);
// Removes the cgroup directory, retrying briefly while its last tasks exit.
Status RemoveDir(const std::string& path);
std::vector<std::string> ListChildren(const std::string& path);

}  // namespace runlet::sandbox::cgroupfs
