#include "sandbox_test_support.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/run_result.h"

namespace runlet::sandbox::tests {

namespace fs = std::filesystem;

SandboxOptions TestOptions() {
  SandboxOptions options;
  options.state_dir = kStateDir;
  options.cgroup_parent = kCgroupParent;
  options.uid_base = kUidBase;
  options.slots = kSlots;
  options.zygote_program = RUNLET_ZYGOTE;  // as `runlet serve` runs (the one beside it)
  return options;
}

void SandboxTest::SetUp() {
  auto box = Sandbox::Create(TestOptions());
  ASSERT_TRUE(box.has_value()) << box.error().message;
  box_ = std::move(*box);
}

const std::string& PayloadBytes() {
  static const std::string bytes = [] {
    std::ifstream in(RUNLET_PAYLOAD, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }();
  return bytes;
}

RunSpec PayloadSpec(std::vector<std::string> args) {
  EXPECT_GT(PayloadBytes().size(), 1000u) << "cannot read " << RUNLET_PAYLOAD;
  RunSpec spec;
  spec.argv = {"./payload"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.files.push_back(InputFile{"payload", PayloadBytes(), true});
  return spec;
}

RunResult RunOrFail(Sandbox& box, const RunSpec& spec, const OutputFn& on_output) {
  auto result = box.Run(spec, on_output);
  EXPECT_TRUE(result.has_value()) << "spec refused: " << result.error().message;
  return result ? *result : RunResult{};
}

std::string Describe(const RunResult& r) {
  std::ostringstream out;
  out << "status=" << StatusName(r.status) << " message=\"" << r.message << "\" exit="
      << (r.exit_code ? std::to_string(*r.exit_code) : "-")
      << " signal=" << (r.signal ? std::to_string(*r.signal) : "-") << " cpu=" << r.cpu_time_ms
      << "ms wall=" << r.wall_time_ms << "ms peak=" << r.memory_peak_bytes
      << " stdout=\"" << r.stdout_data << "\" stderr=\"" << r.stderr_data << "\"";
  return out.str();
}

std::vector<std::string> SlotCgroups(const std::string& parent) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& hierarchy : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    const fs::path dir = hierarchy.path() / parent;
    if (!fs::is_directory(dir, ec)) continue;
    for (const auto& child : fs::directory_iterator(dir, ec)) {
      if (child.is_directory(ec) && child.path().filename().string().rfind("slot-", 0) == 0) {
        found.push_back(child.path().string());
      }
    }
  }
  return found;
}

long UidOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Uid:", 0) == 0) return std::strtol(line.c_str() + 4, nullptr, 10);
  }
  return -1;
}

std::vector<pid_t> ProcessesWithUids(uid_t lo, uid_t hi) {
  std::vector<pid_t> pids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    const long uid = UidOf(pid);
    if (uid >= static_cast<long>(lo) && uid < static_cast<long>(hi)) pids.push_back(pid);
  }
  return pids;
}

std::multiset<std::string> MountPoints() {
  std::multiset<std::string> points;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    points.insert(point);
  }
  return points;
}

std::vector<pid_t> CgroupPids(const std::string& parent, const std::string& slot) {
  std::vector<pid_t> pids;
  std::ifstream in("/sys/fs/cgroup/memory/" + parent + "/" + slot + "/cgroup.procs");
  pid_t pid;
  while (in >> pid) pids.push_back(pid);
  return pids;
}

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "runlet-sandbox-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void TempDir::Write(const std::string& name, const std::string& content, mode_t mode) const {
  const fs::path file = fs::path(path_) / name;
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << content;
  ::chmod(file.c_str(), mode);
}

}  // namespace runlet::sandbox::tests
