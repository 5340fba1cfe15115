// Hostile programs against the real `runlet exec --json`. Each test runs one payload from
// payloads/ and checks the exact verdict, what the payload saw from inside, and that the
// host and other sandboxes are untouched. After every test, no process in the sandbox
// uid range may outlive its run.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"
#include "host.h"
#include "sandbox/host_view.h"

namespace runlet::abuse {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// The verdict of a run, with everything printed when it is not the expected one.
#define EXPECT_VERDICT(result, expected_status)                              \
  do {                                                                       \
    ASSERT_TRUE((result).parsed) << "no JSON result" << (result).Describe(); \
    EXPECT_EQ((result).status, expected_status) << (result).Describe();      \
    EXPECT_EQ((result).runlet_exit, 0) << (result).Describe();               \
  } while (0)

class Abuse : public ::testing::Test {
 protected:
  void TearDown() override {
    auto leaked = LeakedSandboxProcesses();
    EXPECT_TRUE(leaked.empty()) << "sandbox processes outlived their run:" << Describe(leaked);
  }
};

// The number after `prefix` on the payload's line that starts with it, or -1.
long long NumberAfter(const RunletResult& r, std::string_view prefix) {
  auto line = r.LineStartingWith(prefix);
  if (!line) return -1;
  return std::atoll(line->c_str() + prefix.size());
}

// Waits until a host process named `name` runs as `uid`; returns its pid.
std::optional<pid_t> WaitForProcess(uid_t uid, const std::string& name, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& p : ProcessesWithUid(uid)) {
      if (p.name == name) return p.pid;
    }
    std::this_thread::sleep_for(5ms);
  }
  return std::nullopt;
}

// ---- Resource limits ------------------------------------------------------------------

TEST_F(Abuse, ForkBombIsStoppedByThePidsLimitAndEndsAtTheCpuLimit) {
  ProcessWatch watch;
  RunletProcess runlet({.payloads = {"fork_bomb"},
                        .flags = {"--time", "1s", "--wall", "4s", "--pids", "16"},
                        .command = {"./fork_bomb"}});
  const auto uid = runlet.WaitForSandboxUid(3s);
  const auto r = runlet.Wait();
  const auto left = uid ? ProcessesWithUid(*uid) : std::vector<HostProcess>{};
  watch.Stop();
  ASSERT_TRUE(uid) << "runlet never took a sandbox slot" << r.Describe();
  EXPECT_VERDICT(r, "time_limit");
  EXPECT_EQ(r.signal, SIGKILL) << r.Describe();
  EXPECT_GE(r.cpu_time_ms, 1000) << r.Describe();
  EXPECT_GT(watch.MaxCount(*uid), 1u) << "the bomb never forked";
  EXPECT_LE(watch.MaxCount(*uid), 16u) << "more processes than --pids";
  EXPECT_TRUE(left.empty()) << "processes of the run remain:" << Describe(left);
}

TEST_F(Abuse, ThreadBombIsStoppedByThePidsLimit) {
  const auto r = RunPayload("thread_bomb", {}, {"--time", "2s", "--pids", "16"});
  // 16 tasks: the main thread and 15 more.
  EXPECT_TRUE(AllRefused(r, {"threads 15 stopped by EAGAIN"}));
}

TEST_F(Abuse, MemoryBombHitsTheMemoryLimit) {
  const auto r = RunPayload("memory_bomb", {}, {"--time", "5s", "--memory", "32M"});
  EXPECT_VERDICT(r, "memory_limit");
  EXPECT_EQ(r.signal, SIGKILL) << r.Describe();
  EXPECT_LE(r.memory_peak_bytes, 32u << 20) << r.Describe();
  EXPECT_GE(r.memory_peak_bytes, 16u << 20) << r.Describe();
}

TEST_F(Abuse, FilesInSharedMemoryCountAgainstTheMemoryLimit) {
  // 64 MiB into /dev/shm (tmpfs, so RAM) with 16 MiB of memory and 128 MiB of disk.
  const auto r = RunPayload("shm_memory", {"64"}, {"--time", "5s", "--memory", "16M", "--disk", "128M"});
  EXPECT_VERDICT(r, "memory_limit");
  EXPECT_FALSE(r.LineStartingWith("FAIL")) << r.Describe();
  EXPECT_LE(r.memory_peak_bytes, 16u << 20) << r.Describe();
}

TEST_F(Abuse, StackOverflowIsARuntimeErrorWithSignal11) {
  const auto r = RunPayload("stack_overflow", {}, {"--time", "2s"});
  EXPECT_VERDICT(r, "runtime_error");
  EXPECT_EQ(r.signal, SIGSEGV) << r.Describe();
  EXPECT_EQ(r.exit_code, std::nullopt) << r.Describe();
}

TEST_F(Abuse, CpuSpinHitsTheCpuTimeLimit) {
  const auto r = RunPayload("cpu_spin", {}, {"--time", "1s", "--wall", "4s"});
  EXPECT_VERDICT(r, "time_limit");
  EXPECT_EQ(r.signal, SIGKILL) << r.Describe();
  EXPECT_GE(r.cpu_time_ms, 1000) << r.Describe();
  EXPECT_LT(r.cpu_time_ms, 1500) << r.Describe();
  EXPECT_NE(r.message.find("CPU"), std::string::npos) << r.Describe();
}

TEST_F(Abuse, SleepingForeverHitsTheWallTimeLimit) {
  const auto r = RunPayload("sleep_forever", {}, {"--time", "1s", "--wall", "1500ms"});
  EXPECT_VERDICT(r, "time_limit");
  EXPECT_EQ(r.signal, SIGKILL) << r.Describe();
  EXPECT_NE(r.message.find("wall"), std::string::npos) << r.Describe();
  EXPECT_GE(r.wall_time_ms, 1500) << r.Describe();
  EXPECT_LT(r.cpu_time_ms, 200) << r.Describe();
  EXPECT_LT(r.elapsed, 4s) << r.Describe();
}

TEST_F(Abuse, StoppedProgramHitsTheWallTimeLimit) {
  const auto r = RunPayload("stop_self", {}, {"--time", "1s", "--wall", "1s"});
  EXPECT_VERDICT(r, "time_limit");
  EXPECT_NE(r.message.find("wall"), std::string::npos) << r.Describe();
  EXPECT_LT(r.elapsed, 4s) << r.Describe();
}

TEST_F(Abuse, OutputFloodIsCutAtTheOutputLimit) {
  const auto r = RunPayload("output_flood", {}, {"--time", "2s", "--output", "64K"});
  EXPECT_VERDICT(r, "output_limit");
  EXPECT_TRUE(r.stdout_truncated) << r.Describe();
  EXPECT_FALSE(r.stderr_truncated) << r.Describe();
  EXPECT_EQ(r.out.size(), 64u * 1024) << r.Describe();
  EXPECT_EQ(r.out.find_first_not_of('A'), std::string::npos) << r.Describe();
}

TEST_F(Abuse, StderrFloodIsCutAtTheOutputLimit) {
  const auto r = RunPayload("output_flood", {"stderr"}, {"--time", "2s", "--output", "64K"});
  EXPECT_VERDICT(r, "output_limit");
  EXPECT_TRUE(r.stderr_truncated) << r.Describe();
  EXPECT_FALSE(r.stdout_truncated) << r.Describe();
  EXPECT_EQ(r.err.size(), 64u * 1024) << r.Describe();
  EXPECT_TRUE(r.out.empty()) << r.Describe();
}

TEST_F(Abuse, FillingTheDiskEndsWithEnospcWithinTheDiskLimit) {
  const auto r = RunPayload("disk_fill", {}, {"--time", "3s", "--disk", "4M"});
  EXPECT_TRUE(AllRefused(r));
  const long long total = NumberAfter(r, "total ");
  EXPECT_LE(total, 4ll << 20) << r.Describe();
  EXPECT_GE(total, 3ll << 20) << "the disk limit was not what filled up" << r.Describe();
  for (const char* dir : {"/work", "/tmp", "/dev/shm"}) {
    auto line = r.LineStartingWith(std::string(dir) + ": ");
    ASSERT_TRUE(line) << r.Describe();
    EXPECT_NE(line->find("then ENOSPC"), std::string::npos) << *line;
  }
}

TEST_F(Abuse, FillingInodesEndsWithEnospc) {
  const auto r = RunPayload("inode_fill", {}, {"--time", "3s"});
  EXPECT_TRUE(AllRefused(r));
  const long long created = NumberAfter(r, "created ");
  EXPECT_GT(created, 1000) << r.Describe();
  EXPECT_LE(created, 16384) << r.Describe();
}

TEST_F(Abuse, ManyFileDescriptorsEndWithEmfile) {
  const auto r = RunPayload("many_fds", {}, {"--time", "2s", "--open-files", "64"});
  // 64 minus stdin, stdout and stderr.
  EXPECT_TRUE(AllRefused(r, {"opened 61 more descriptors, then EMFILE", "RLIMIT_NOFILE 64/64",
                             "refused dup2 beyond the limit: EBADF"}));
}

TEST_F(Abuse, HugeArgumentListWithinArgMaxArrivesIntact) {
  // 1.5 MB of arguments: under the 2 MiB that an 8 MiB stack allows.
  std::vector<std::string> args(15, std::string(100000, 'a'));
  const auto r = RunPayload("args_count", args, {"--time", "2s"});
  EXPECT_VERDICT(r, "ok");
  EXPECT_TRUE(r.HasLine("args 15 bytes 1500000 intact")) << r.Describe();
}

TEST_F(Abuse, ArgumentListBeyondArgMaxIsACleanRuntimeError) {
  // 3 MB of arguments reach runlet (the test gives it a big stack), but not the program:
  // its execve fails with E2BIG, which runlet reports without crashing.
  RunletOptions options{.payloads = {"args_count"}, .flags = {"--time", "2s"}, .command = {"./args_count"}};
  for (int i = 0; i < 30; ++i) options.command.push_back(std::string(100000, 'a'));
  options.runlet_stack_bytes = 64u << 20;
  RunletProcess runlet(options);
  const auto r = runlet.Wait();
  EXPECT_VERDICT(r, "runtime_error");
  EXPECT_EQ(r.exit_code, 126) << r.Describe();
  EXPECT_NE(r.message.find("Argument list too long"), std::string::npos) << r.Describe();
}

// ---- File systems ---------------------------------------------------------------------

TEST_F(Abuse, ReadOnlyRootCannotBeChanged) {
  const auto r = RunPayload("readonly_root", {}, {"--time", "3s"});
  EXPECT_TRUE(AllRefused(r, {"refused create /usr/evil: EROFS", "refused create /evil: EROFS",
                             "refused mkdir /evil: EROFS"}));
  for (const char* prefix : {"refused write /etc/passwd: ", "refused truncate /bin/sh: ",
                             "refused unlink /usr/bin/env: ", "refused chmod /usr/bin/env: ",
                             "refused chown /usr/bin/env: ", "refused symlink /lib/evil: "}) {
    EXPECT_TRUE(r.LineStartingWith(prefix)) << prefix << r.Describe();
  }
}

TEST_F(Abuse, HostSecretsAreUnreachable) {
  // World-readable files in host places the sandbox must not show at all.
  const std::string token = UniqueToken("runlet-abuse-secret-");
  std::vector<std::string> planted;
  for (const char* dir : {"/root", "/home", "/var/tmp", "/tmp", "/run", "/srv", "/opt", "/mnt"}) {
    if (!fs::is_directory(dir)) continue;
    const std::string path = std::string(dir) + "/" + token;
    std::ofstream(path) << token;
    ::chmod(path.c_str(), 0644);
    planted.push_back(path);
  }
  ASSERT_GE(planted.size(), 4u);
  const auto r = RunPayload("host_secrets", planted, {"--time", "3s", "--wall", "6s"});
  for (const auto& path : planted) ::unlink(path.c_str());
  EXPECT_TRUE(AllRefused(r, {"refused stat /root: ENOENT", "refused stat /home: ENOENT",
                             "refused stat /var: ENOENT", "refused stat /sys: ENOENT",
                             "refused stat /run: ENOENT", "no data from /etc/shadow",
                             "no data from /etc/gshadow", "no data from /proc/1/environ",
                             "private files under /etc checked"}));
  for (const auto& path : planted) {
    EXPECT_TRUE(r.HasLine("refused open " + path + ": ENOENT")) << path << r.Describe();
  }
}

// ---- The host view -------------------------------------------------------------------------
//
// A run on the host's toolchains sees their trees, a few /etc entries the runtimes read and
// files of its own: not the host's name, users, mounts, keys, services or local programs.

// A world-readable host file that the test plants and removes.
class PlantedFile {
 public:
  PlantedFile(const std::string& dir, const std::string& name) : path_(dir + "/" + name) {
    fs::create_directories(dir);
    std::ofstream(path_) << "#!/bin/sh\necho planted " << name << "\n";
    ::chmod(path_.c_str(), 0755);
  }
  ~PlantedFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string HostFileText(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The names a directory listing line ("list PATH: a b c") gives.
std::set<std::string> ListedNames(const RunletResult& r, const std::string& path) {
  std::set<std::string> names;
  auto line = r.LineStartingWith("list " + path + ":");
  if (!line) return names;
  std::istringstream words(line->substr(path.size() + 6));
  for (std::string w; words >> w;) names.insert(w);
  return names;
}

TEST_F(Abuse, HostsOwnEtcAndUsrLocalAreNotShownOnTheHostImage) {
  const std::string token = UniqueToken("runlet-abuse-host-");
  PlantedFile in_etc("/etc", token), in_bin("/usr/local/bin", token), in_local("/usr/local", token);
  const std::vector<std::string> absent = {
      "/etc/shadow", "/etc/gshadow", "/etc/machine-id", "/etc/fstab", "/etc/ssh", "/etc/sudoers",
      "/etc/crontab", "/etc/subuid", "/etc/resolv.conf", "/etc/npmrc", "/etc/ssl/private", "/etc/mtab",
      "/etc/environment", "/etc/default", in_etc.path(), in_bin.path(), in_local.path(), "/usr/local/bin",
      "/usr/local/etc"};
  std::vector<std::string> args = absent;
  for (const char* look : {"/etc", "/usr/local", "/etc/hostname", "/etc/hosts", "/etc/passwd", "/etc/group"})
    args.push_back(look);
  const auto r = RunPayload("host_view", args, {"--time", "3s", "--wall", "6s"});
  ASSERT_TRUE(AllRefused(r));
  for (const auto& path : absent) EXPECT_TRUE(r.HasLine("absent " + path)) << path << r.Describe();
  EXPECT_TRUE(r.HasLine("list /usr/local:")) << "an empty /usr/local" << r.Describe();
  // /etc holds the listed entries (their first component) and the generated files only.
  std::set<std::string> allowed;
  for (const char* e : sandbox::kHostEtc) allowed.insert(std::string(e).substr(0, std::string(e).find('/')));
  for (const char* g : sandbox::kHostGenerated) allowed.insert(std::string(g).substr(4));
  const auto etc = ListedNames(r, "/etc");
  EXPECT_TRUE(etc.count("ld.so.cache") && etc.count("passwd") && etc.count("alternatives")) << r.Describe();
  for (const auto& name : etc) EXPECT_TRUE(allowed.count(name)) << "/etc/" << name << " is shown" << r.Describe();
  // The generated files name the sandbox, never the host.
  const std::string host_name = HostFileText("/etc/hostname");
  EXPECT_TRUE(r.HasLine("read /etc/hostname: runlet|")) << r.Describe();
  auto hosts = r.LineStartingWith("read /etc/hosts: ");
  ASSERT_TRUE(hosts) << r.Describe();
  EXPECT_NE(hosts->find("localhost"), std::string::npos) << *hosts;
  if (!host_name.empty() && host_name != "runlet" && host_name != "localhost") {
    EXPECT_EQ(r.raw_stdout.find(host_name), std::string::npos) << "the host's name " << host_name << r.Describe();
  }
  EXPECT_TRUE(r.HasLine("read /etc/passwd: root:x:0:0:root:/root:/usr/sbin/nologin|runner:x:1000:1000:runner:/tmp:/bin/sh|"
                        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin|"))
      << r.Describe();
  EXPECT_TRUE(r.HasLine("read /etc/group: root:x:0:|runner:x:1000:|nogroup:x:65534:|")) << r.Describe();
}

TEST_F(Abuse, AHostPathTheAdminAddsIsShownAndNothingBesideIt) {
  const std::string token = UniqueToken("runlet-abuse-tool-");
  PlantedFile tool("/usr/local/bin", token), other("/usr/local/bin", token + "-other");
  const auto r = RunPayload("host_view", {tool.path(), other.path(), "/usr/local", "/usr/local/bin"},
                            {"--time", "3s", "--wall", "6s", "--host-path", tool.path()});
  ASSERT_TRUE(AllRefused(r, {"absent " + other.path(), "list /usr/local: bin", "list /usr/local/bin: " + token}));
  EXPECT_TRUE(r.LineStartingWith("read " + tool.path() + ": #!/bin/sh|echo planted")) << r.Describe();
}

TEST_F(Abuse, HostPathsOutsideEtcAndUsrLocalAreRefusedAtStart) {
  for (const char* path : {"/root", "/etc/../root/.ssh", "etc/hosts", "/usr/local", "/etc", "/var/lib/runlet",
                           "/etc/passwd", "/usr/local//bin"}) {
    const auto r = RunPayload("host_view", {"/etc"}, {"--host-path", path});
    EXPECT_NE(r.runlet_exit, 0) << path << r.Describe();
    EXPECT_NE(r.raw_stderr.find("host path"), std::string::npos) << path << r.Describe();
    EXPECT_FALSE(r.LineStartingWith("list /etc")) << path << r.Describe();
  }
}

// ---- Hostile root file systems -----------------------------------------------------------
//
// A root file system (`--rootfs`, what an image is) whose names point at the host. The
// root supervisor builds the sandbox's own root beside it and must never follow one of
// its symlinks: each victim is a host file or directory of mode 0600/0700 that must keep
// its mode, owner, content and ctime.

class HostVictims {
 public:
  HostVictims() {
    char dir[] = "/tmp/runlet-victim-XXXXXX";
    if (::mkdtemp(dir)) dir_ = dir;
  }
  ~HostVictims() { fs::remove_all(dir_); }
  // A file (0600) or a directory (0700) named `name`.
  std::string File(const std::string& name) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << "victim " << name << "\n";
    ::chmod(path.c_str(), 0600);
    Remember(path);
    return path;
  }
  std::string Dir(const std::string& name) {
    const std::string path = dir_ + "/" + name;
    ::mkdir(path.c_str(), 0700);
    ::chmod(path.c_str(), 0700);
    Remember(path);
    return path;
  }
  // Takes each victim's state as it is now (once all are made).
  void Settle() {
    for (auto& [path, seen] : seen_) seen = Look(path);
  }
  // What changed since Settle (or since each victim was made); empty when nothing did.
  std::string Changes() const {
    std::string out;
    for (const auto& [path, before] : seen_) {
      const Seen now = Look(path);
      if (now.mode != before.mode) out += path + ": mode " + std::to_string(before.mode) + " -> " + std::to_string(now.mode) + "\n";
      if (now.uid != before.uid) out += path + ": owner changed\n";
      if (now.ctime != before.ctime) out += path + ": ctime changed\n";
      if (now.content != before.content) out += path + ": content changed to [" + now.content + "]\n";
    }
    return out;
  }

 private:
  struct Seen {
    unsigned mode = 0;
    uid_t uid = 0;
    std::string ctime;
    std::string content;  // a file's bytes, or a directory's names
  };
  static Seen Look(const std::string& path) {
    Seen s;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return s;
    s.mode = st.st_mode;
    s.uid = st.st_uid;
    s.ctime = std::to_string(st.st_ctim.tv_sec) + "." + std::to_string(st.st_ctim.tv_nsec);
    if (S_ISDIR(st.st_mode)) {
      for (const auto& e : fs::directory_iterator(path)) s.content += e.path().filename().string() + " ";
    } else {
      std::ifstream in(path);
      s.content.assign(std::istreambuf_iterator<char>(in), {});
    }
    return s;
  }
  void Remember(const std::string& path) { seen_[path] = Look(path); }
  std::string dir_;
  std::map<std::string, Seen> seen_;
};

// A scratch root file system with an /etc of its own, removed at the end.
class HostileRoot {
 public:
  HostileRoot() {
    char dir[] = "/tmp/runlet-hostile-root-XXXXXX";
    if (::mkdtemp(dir)) root_ = dir;
    ::chmod(root_.c_str(), 0755);
  }
  ~HostileRoot() { fs::remove_all(root_); }
  const std::string& path() const { return root_; }
  void Dir(const std::string& rel) { fs::create_directories(root_ + "/" + rel); ::chmod((root_ + "/" + rel).c_str(), 0755); }
  void File(const std::string& rel, const std::string& content) {
    std::ofstream(root_ + "/" + rel) << content;
    ::chmod((root_ + "/" + rel).c_str(), 0644);
  }
  void Link(const std::string& rel, const std::string& target) {
    fs::create_symlink(target, root_ + "/" + rel);
  }

 private:
  std::string root_;
};

RunletResult RunOnRoot(const HostileRoot& root) {
  return RunletProcess({.payloads = {"rootfs_view"},
                        .flags = {"--rootfs", root.path(), "--time", "2s", "--wall", "6s"},
                        .command = {"./rootfs_view"}})
      .Wait();
}

TEST_F(Abuse, ARootsRunletSymlinkToAHostFileCannotMakeTheSupervisorChangeIt) {
  // The supervisor made its .runlet directory where the root's own name was, found it
  // existing and chmodded it: through the symlink, a host 0600 file became 0755.
  HostVictims victims;
  HostileRoot root;
  root.Dir("etc");
  root.File("etc/passwd", "root:x:0:0:root:/root:/bin/false\n");
  root.File("etc/group", "root:x:0:\n");
  root.Link(".runlet", victims.File("secret"));
  victims.Settle();
  const auto r = RunOnRoot(root);
  EXPECT_EQ(victims.Changes(), "");
  EXPECT_TRUE(AllRefused(r, {"/.runlet is the sandbox's directory", "/etc/passwd is the runner's"}));
}

TEST_F(Abuse, ARootsRunletSymlinkToAHostDirectoryCannotMakeTheSupervisorWriteThere) {
  // ... and through a symlink to a directory it wrote .runlet/passwd and group there.
  HostVictims victims;
  HostileRoot root;
  root.Dir("etc");
  root.File("etc/passwd", "root:x:0:0:root:/root:/bin/false\n");
  root.File("etc/group", "root:x:0:\n");
  root.Link(".runlet", victims.Dir("ssh"));
  victims.Settle();
  const auto r = RunOnRoot(root);
  EXPECT_EQ(victims.Changes(), "");
  EXPECT_TRUE(AllRefused(r, {"/.runlet is the sandbox's directory", "/etc/passwd is the runner's"}));
}

TEST_F(Abuse, ARootsSymlinkedMountPointsAndEtcLeadNowhereOnTheHost) {
  // Where the sandbox mounts (/work, /tmp, /proc, /dev, /sys, /run) and what it mounts
  // over (/etc/passwd, /etc/group, /etc/shadow): each a symlink to a host victim.
  HostVictims victims;
  HostileRoot root;
  for (const char* name : {"work", "tmp", "proc", "dev", "sys", "run"}) root.Link(name, victims.Dir(name));
  root.Link("etc", victims.Dir("etc"));
  for (const char* name : {"passwd", "group", "shadow", "gshadow"}) victims.File(std::string("etc/") + name);
  victims.Settle();
  const auto r = RunOnRoot(root);
  EXPECT_EQ(victims.Changes(), "");
  EXPECT_TRUE(AllRefused(r, {"/work is the sandbox's own", "/tmp is the sandbox's own", "/proc is the sandbox's own",
                             "/dev/null is a device", "/.runlet is the sandbox's directory", "/etc/passwd: ENOENT"}));
}

TEST_F(Abuse, ARootsEtcFilesSymlinkedToTheHostAreNeitherMountedOverNorShown) {
  // The files the sandbox mounts over, each a symlink (absolute, and relative with ".."
  // climbing out) to a host victim; and an intermediate directory that is one.
  HostVictims victims;
  HostileRoot root;
  root.Dir("etc");
  root.Link("etc/passwd", victims.File("passwd"));
  root.Link("etc/group", "../../../../../../.." + victims.File("group"));
  root.Link("etc/shadow", victims.File("shadow"));
  root.Link("etc/gshadow", victims.Dir("gshadow"));
  root.Dir("usr");
  root.Link("usr/etc", victims.Dir("usr-etc"));
  victims.Settle();
  const auto r = RunOnRoot(root);
  EXPECT_EQ(victims.Changes(), "");
  EXPECT_TRUE(AllRefused(r, {"/work is the sandbox's own", "/.runlet is the sandbox's directory",
                             "/etc/passwd: ENOENT"}));
}

TEST_F(Abuse, AnotherSandboxsFilesProcessesAndIpcAreUnreachable) {
  const std::string secret = "RUNLETSECRET" + UniqueToken("-");
  RunletProcess keeper({.payloads = {"secret_keeper"},
                        .flags = {"--time", "3s", "--wall", "20s"},
                        .command = {"./secret_keeper", secret},
                        .stdin_pipe = true});
  std::optional<RunletResult> keeper_result, hunter_result;
  std::thread keeper_thread([&] { keeper_result = keeper.Wait(); });
  const auto keeper_uid = keeper.WaitForSandboxUid(5s);
  std::optional<pid_t> keeper_pid;
  if (keeper_uid) keeper_pid = WaitForProcess(*keeper_uid, "keeper-ready", 5s);
  // The secret is really there, for anyone who could reach the keeper's /work.
  std::string seen_from_host;
  if (keeper_pid) {
    std::ifstream in("/proc/" + std::to_string(*keeper_pid) + "/root/work/" + secret);
    std::getline(in, seen_from_host);
  }
  if (keeper_pid) {
    std::thread hunter_thread([&] { hunter_result = RunPayload("secret_hunter", {}, {"--time", "5s", "--wall", "10s"}); });
    hunter_thread.join();
  }
  keeper.Send("go\n");
  keeper.CloseStdin();
  keeper_thread.join();

  ASSERT_TRUE(keeper_uid) << keeper_result->Describe();
  ASSERT_TRUE(keeper_pid) << "the keeper never got ready" << keeper_result->Describe();
  EXPECT_EQ(seen_from_host, secret);
  ASSERT_TRUE(hunter_result);
  EXPECT_TRUE(AllRefused(*hunter_result,
                         {"secret not found", "processes visible: only this sandbox's",
                          "refused shmget(keeper's key): ENOENT", "refused msgget(keeper's key): ENOENT",
                          "refused semget(keeper's key): ENOENT",
                          "refused connect to keeper's abstract socket: ECONNREFUSED"}));
  EXPECT_EQ(hunter_result->out.find(secret), std::string::npos) << hunter_result->Describe();
  EXPECT_TRUE(AllRefused(*keeper_result, {"secrets placed", "nobody connected"}));
}

TEST_F(Abuse, ChrootEscapeStaysInsideTheSandboxRoot) {
  const auto r = RunPayload("chroot_escape", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused chroot(/tmp/jail): EPERM", "refused chroot(.) after walking up: EPERM",
                             "refused open /proc/1/root/..: EACCES", "still inside the sandbox root"}));
}

TEST_F(Abuse, MountTableCannotBeChanged) {
  const auto r = RunPayload("mount", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused mount tmpfs on /tmp: EPERM", "refused bind / on /work: EPERM",
                             "refused remount /usr read-write: EPERM",
                             "refused remount /proc/sys read-write: EPERM",
                             "refused umount /etc/shadow: EPERM", "refused fsopen(tmpfs): EPERM",
                             "refused open_tree(/): EPERM", "refused pivot_root: EPERM"}));
}

TEST_F(Abuse, ProcSysAndOtherKernelKnobsCannotBeWritten) {
  const auto r = RunPayload("proc_sys_write", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r));
  for (const char* path : {"/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe",
                           "/proc/sys/kernel/hostname", "/proc/sys/vm/drop_caches", "/proc/sysrq-trigger",
                           "/proc/self/uid_map", "/proc/self/setgroups"}) {
    EXPECT_TRUE(r.LineStartingWith(std::string("refused write ") + path + ": ")) << path << r.Describe();
  }
  std::ifstream pattern("/proc/sys/kernel/core_pattern");
  std::string host_pattern;
  std::getline(pattern, host_pattern);
  EXPECT_EQ(host_pattern.find("/work/evil"), std::string::npos);
}

TEST_F(Abuse, DevicesAreAbsentAndCannotBeCreated) {
  const auto r = RunPayload("devices", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused open /dev/sda: ENOENT", "refused open /dev/mem: ENOENT",
                             "refused open /dev/kmsg: ENOENT", "refused open /dev/vda: ENOENT",
                             "refused mknod /tmp/mem (char 1:1): EPERM",
                             "refused mknod /work/vda (block 254:0): EPERM",
                             "/dev holds only harmless devices"}));
}

TEST_F(Abuse, CrashesLeaveNoCoreFileAnywhere) {
  const std::vector<std::string> dirs = {fs::current_path().string(), "/", "/tmp", "/run/runlet",
                                         "/run/runlet/root", "/var/tmp"};
  std::vector<std::set<std::string>> before;
  for (const auto& dir : dirs) before.push_back(CoreFilesIn(dir));
  const auto r = RunPayload("core_dump", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"RLIMIT_CORE 0/0", "refused raise RLIMIT_CORE: EPERM", "no core dumped"}));
  for (size_t i = 0; i < dirs.size(); ++i) {
    EXPECT_EQ(CoreFilesIn(dirs[i]), before[i]) << "a core file appeared in " << dirs[i];
  }
}

// ---- Network --------------------------------------------------------------------------

TEST_F(Abuse, TcpToAListenerOnHostLoopbackFails) {
  TcpListener listener("127.0.0.1");
  const std::string port = std::to_string(listener.port());
  const auto r = RunPayload("tcp_connect", {"127.0.0.1", port}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r));
  EXPECT_TRUE(r.LineStartingWith("refused connect tcp 127.0.0.1:" + port + ": ")) << r.Describe();
  EXPECT_FALSE(listener.Accepted()) << "the sandbox reached the host's loopback";
}

TEST_F(Abuse, TcpToTheHostsOwnAddressFails) {
  const std::string ip = HostNonLoopbackIPv4();
  ASSERT_FALSE(ip.empty()) << "the host has no non-loopback IPv4 address to test with";
  TcpListener listener("0.0.0.0");
  const std::string port = std::to_string(listener.port());
  const auto r = RunPayload("tcp_connect", {ip, port}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused connect tcp " + ip + ":" + port + ": ENETUNREACH"}));
  EXPECT_FALSE(listener.Accepted()) << "the sandbox reached the host at " << ip;
}

TEST_F(Abuse, UdpToTheHostFails) {
  UdpReceiver receiver("0.0.0.0");
  const std::string port = std::to_string(receiver.port());
  const std::string ip = HostNonLoopbackIPv4();
  ASSERT_FALSE(ip.empty());
  // 127.0.0.1 is the sandbox's own loopback (up, for servers inside): the datagram may
  // be sent there, and must not arrive at the host's.
  auto r = RunPayload("udp_send", {"127.0.0.1", port}, {"--time", "2s"});
  EXPECT_TRUE(r.LineStartingWith("done")) << r.Describe();
  r = RunPayload("udp_send", {ip, port}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused sendto udp " + ip + ":" + port + ": ENETUNREACH"}));
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(receiver.Received()) << "a datagram from the sandbox arrived";
}

TEST_F(Abuse, DnsLookupFailsAndNoNetworkCanBeMade) {
  const auto r = RunPayload("dns_lookup", {}, {"--time", "3s", "--wall", "10s"});
  EXPECT_TRUE(AllRefused(r, {"lookup example.com failed", "lookup deb.debian.org failed",
                             "refused sendto 8.8.8.8:53: ENETUNREACH", "refused SIOCSIFFLAGS lo up: EPERM",
                             "refused socket(AF_INET, SOCK_RAW): EPERM", "refused socket(AF_PACKET): EAFNOSUPPORT",
                             "interfaces: lo only"}));
}

TEST_F(Abuse, HostUnixSocketsAreUnreachable) {
  const std::string name = UniqueToken("runlet-abuse-");
  const std::string path = "/tmp/" + name + ".sock";
  UnixListeners listeners(name, path);
  const auto r = RunPayload("unix_connect", {name, path}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused connect to the host's abstract socket: ECONNREFUSED",
                             "refused connect to the host's socket file: ENOENT"}));
  EXPECT_FALSE(listeners.Accepted()) << "the sandbox reached a host unix socket";
}

// ---- Processes and signals ------------------------------------------------------------

TEST_F(Abuse, KillMinusOneReachesOnlyTheSandbox) {
  HostSleeper root_sleeper;
  HostSleeper user_sleeper(1000);
  RunletProcess runlet({.payloads = {"kill_all"},
                        .flags = {"--time", "2s", "--wall", "10s"},
                        .command = {"./kill_all"},
                        .stdin_pipe = true});
  const auto uid = runlet.WaitForSandboxUid(3s);
  ASSERT_TRUE(uid);
  // A host process with the sandbox's own host uid, outside its namespaces.
  HostSleeper same_uid_sleeper(*uid);
  EXPECT_TRUE(WaitForProcess(*uid, "sleep", 3s));
  runlet.Send("go\n");
  runlet.CloseStdin();
  const auto r = runlet.Wait();
  EXPECT_TRUE(AllRefused(r, {"kill(-1, SIGKILL) returned 0", "own child killed"}));
  EXPECT_TRUE(root_sleeper.Alive());
  EXPECT_TRUE(user_sleeper.Alive());
  EXPECT_TRUE(same_uid_sleeper.Alive());
  same_uid_sleeper.Kill();
}

TEST_F(Abuse, DetachedDaemonDiesWithItsRun) {
  ProcessWatch watch;
  RunletProcess runlet({.payloads = {"daemon"},
                        .flags = {"--time", "2s", "--wall", "8s"},
                        .command = {"./daemon", "kworker/0:1"}});
  const auto uid = runlet.WaitForSandboxUid(3s);
  const auto r = runlet.Wait();
  const auto left = uid ? ProcessesWithUid(*uid) : std::vector<HostProcess>{};
  watch.Stop();
  ASSERT_TRUE(uid) << r.Describe();
  EXPECT_TRUE(AllRefused(r, {"daemon running"}));
  EXPECT_TRUE(watch.Saw(*uid, "kworker/0:1")) << "the daemon was never seen running";
  EXPECT_TRUE(left.empty()) << "the daemon outlived its run:" << Describe(left);
  // runlet ended with the program, without waiting for the daemon's open stdout.
  EXPECT_LT(r.elapsed, 3s) << r.Describe();
}

TEST_F(Abuse, SupervisorAndTestCannotBeSignalled) {
  RunletProcess runlet({.payloads = {"signal_supervisor"},
                        .flags = {"--time", "3s", "--wall", "10s"},
                        .command = {"./signal_supervisor"},
                        .stdin_pipe = true});
  runlet.Send(std::to_string(runlet.pid()) + " " + std::to_string(::getpid()) + "\n");
  runlet.CloseStdin();
  const auto r = runlet.Wait();
  EXPECT_TRUE(AllRefused(r, {"refused kill(host pid 1, SIGKILL): ESRCH", "refused kill(host pid 2, SIGKILL): ESRCH",
                             "refused pidfd_open(host pid 1): ESRCH", "refused kill(1, SIGKILL): EPERM",
                             "signalable pids besides init: 1 (only itself)"}));
}

TEST_F(Abuse, SupervisorFilesAndSecretsAreUnreachableThroughProc) {
  const std::string secret = UniqueToken("supervisor-secret-");
  RunletProcess runlet({.payloads = {"proc_peek"},
                        .flags = {"--time", "3s", "--wall", "10s"},
                        .command = {"./proc_peek"},
                        .stdin_pipe = true,
                        .runlet_env = {"RUNLET_ABUSE_SECRET=" + secret}});
  runlet.Send(std::to_string(runlet.pid()) + " " + std::to_string(::getpid()) + "\n");
  runlet.CloseStdin();
  const auto r = runlet.Wait();
  EXPECT_TRUE(AllRefused(r, {"refused open /proc/<host pid>/root/etc/hostname: ENOENT",
                             "refused open /proc/<host pid>/environ: ENOENT", "refused open /proc/1/root/.: EACCES",
                             "refused open /proc/1/environ: EACCES", "refused open /proc/1/mem: EACCES",
                             "refused open /proc/1/fd: EACCES", "refused readlink /proc/1/exe: EACCES"}));
  EXPECT_EQ(r.out.find(secret), std::string::npos) << "the supervisor's environment leaked" << r.Describe();
  // Nor is anything of the host's real init visible.
  std::ifstream host_init("/proc/1/cmdline");
  std::string host_init_name;
  std::getline(host_init, host_init_name, '\0');
  ASSERT_FALSE(host_init_name.empty());
  EXPECT_EQ(r.out.find(host_init_name), std::string::npos) << r.Describe();
}

TEST_F(Abuse, PtraceAndOtherProcessAccessAreRefused) {
  const auto r = RunPayload("ptrace", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused ptrace(PTRACE_TRACEME): EPERM", "refused ptrace(PTRACE_ATTACH, 1): EPERM",
                             "refused ptrace(PTRACE_ATTACH, child): EPERM", "refused process_vm_readv(1): EPERM",
                             "refused kcmp(1, self): EPERM", "refused pidfd_getfd(init, 3): EPERM"}));
}

TEST_F(Abuse, NamespacesCannotBeCreatedOrEntered) {
  const auto r = RunPayload("namespaces", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused unshare(CLONE_NEWUSER): EPERM", "refused clone(CLONE_NEWUSER): EPERM",
                             "refused clone(CLONE_NEWNS): EPERM", "refused clone(CLONE_NEWNET): EPERM",
                             "refused clone(CLONE_NEWPID): EPERM", "refused clone(CLONE_NEWUSER | 1<<32): EPERM",
                             "refused clone3(CLONE_NEWUSER): ENOSYS", "refused setns(own user namespace): EPERM",
                             "refused open /proc/1/ns/mnt: EACCES", "plain fork works"}));
}

TEST_F(Abuse, OomScoreAdjCannotBeLowered) {
  const auto r = RunPayload("oom_score_adj", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused write -1000 to /proc/self/oom_score_adj: EACCES",
                             "refused write -1 to /proc/self/oom_score_adj: EACCES",
                             "refused write -17 to /proc/self/oom_adj: EACCES", "oom_score_adj unchanged"}));
}

TEST_F(Abuse, HardResourceLimitsCannotBeRaised) {
  const auto r = RunPayload("rlimits", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused raise RLIMIT_NOFILE: EPERM", "refused raise RLIMIT_NPROC: EPERM",
                             "refused raise RLIMIT_CPU: EPERM", "refused raise RLIMIT_FSIZE: EPERM",
                             "refused raise RLIMIT_CORE: EPERM", "refused prlimit(init, RLIMIT_NOFILE): EPERM"}));
}

// ---- Identity and privileges ----------------------------------------------------------

TEST_F(Abuse, SetuidProgramsDoNotElevate) {
  const auto r = RunPayload("setuid.sh", {}, {"--time", "3s", "--wall", "10s"});
  EXPECT_TRUE(AllRefused(r, {"su -c id failed", "passwd -d root failed",
                             "uid 1000 euid 1000 gid 1000 groups 1000"}));
}

TEST_F(Abuse, SetuidProgramsRunWithTheSandboxUid) {
  // Every setuid-root program in the host's /usr/bin.
  std::vector<std::string> programs;
  for (const auto& entry : fs::directory_iterator("/usr/bin")) {
    struct stat st {};
    if (::lstat(entry.path().c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_ISUID) && st.st_uid == 0)
      programs.push_back(entry.path().string());
  }
  ASSERT_FALSE(programs.empty());
  const auto r = RunPayload("setuid_exec", programs, {"--time", "5s", "--wall", "20s"});
  EXPECT_TRUE(AllRefused(r));
  for (const auto& program : programs) {
    EXPECT_TRUE(r.HasLine(program + " stayed uid 1000")) << program << r.Describe();
  }
}

TEST_F(Abuse, NoSupplementaryGroupsAndNoWayToChangeIdentity) {
  const auto r = RunPayload("groups", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"uid 1000 euid 1000 gid 1000 egid 1000", "refused setgroups([0]): EPERM",
                             "setfsuid(0) had no effect"}));
  // EPERM, or EINVAL where the kernel checks first that uid 0 has no mapping here.
  for (const char* call : {"setuid(0)", "setgid(0)", "setresuid(0, 0, 0)", "setreuid(-1, 0)"}) {
    EXPECT_TRUE(r.HasLine(std::string("refused ") + call + ": EPERM") ||
                r.HasLine(std::string("refused ") + call + ": EINVAL"))
        << call << r.Describe();
  }
  EXPECT_TRUE(r.HasLine("supplementary groups: none") || r.HasLine("supplementary groups: 1000 only"))
      << r.Describe();
}

TEST_F(Abuse, NoCapabilitiesInAnySetAndNoneToBeHad) {
  const auto r = RunPayload("capabilities", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"CapInh 0000000000000000", "CapPrm 0000000000000000", "CapEff 0000000000000000",
                             "CapBnd 0000000000000000", "CapAmb 0000000000000000", "NoNewPrivs 1", "Seccomp 2",
                             "refused capset(all): EPERM", "refused PR_CAP_AMBIENT_RAISE(CAP_SYS_ADMIN): EPERM",
                             "refused PR_SET_SECUREBITS(0): EPERM", "refused PR_SET_NO_NEW_PRIVS(0): EINVAL"}));
}

TEST_F(Abuse, HostNameIsTheSandboxsOwnAndCannotBeChanged) {
  char host_name[256] = {};
  ::gethostname(host_name, sizeof host_name - 1);
  const auto r = RunPayload("uts", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"nodename runlet", "refused sethostname: EPERM", "refused setdomainname: EPERM"}));
  char after[256] = {};
  ::gethostname(after, sizeof after - 1);
  EXPECT_STREQ(after, host_name);
}

// ---- System calls and kernel interfaces -----------------------------------------------

TEST_F(Abuse, ClocksCannotBeSet) {
  const auto wall_before = std::chrono::system_clock::now();
  const auto r = RunPayload("clock", {}, {"--time", "2s"});
  const auto wall_after = std::chrono::system_clock::now();
  EXPECT_TRUE(AllRefused(r, {"refused settimeofday: EPERM", "refused clock_settime(CLOCK_REALTIME): EPERM",
                             "refused adjtimex: EPERM", "refused clock_adjtime(CLOCK_REALTIME): EPERM",
                             "clock reads the present"}));
  EXPECT_GE(wall_after, wall_before);
  EXPECT_LT(wall_after - wall_before, 30s);
}

TEST_F(Abuse, TiocstiCannotFakeTerminalInput) {
  const auto r = RunPayload("tiocsti", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused ioctl(0, TIOCSTI): EPERM", "refused ioctl(1, TIOCSTI): EPERM",
                             "refused ioctl(0, TIOCSTI | 1<<32): EPERM", "refused ioctl(0, TIOCLINUX): EPERM"}));
}

TEST_F(Abuse, Int80SystemCallIsKilledWithSigsys) {
  const auto r = RunPayload("int80", {}, {"--time", "2s"});
  EXPECT_VERDICT(r, "runtime_error");
  EXPECT_EQ(r.signal, SIGSYS) << r.Describe();
  EXPECT_EQ(r.out, "calling int 0x80\n") << r.Describe();
}

TEST_F(Abuse, X32SystemCallIsKilledWithSigsys) {
  const auto r = RunPayload("x32", {}, {"--time", "2s"});
  EXPECT_VERDICT(r, "runtime_error");
  EXPECT_EQ(r.signal, SIGSYS) << r.Describe();
  EXPECT_EQ(r.out, "calling x32 getpid\n") << r.Describe();
}

TEST_F(Abuse, IoUringDoesNotExist) {
  const auto r = RunPayload("io_uring", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused io_uring_setup: ENOSYS", "refused io_uring_enter: ENOSYS",
                             "refused io_uring_register: ENOSYS"}));
}

TEST_F(Abuse, PersonalityCannotDisableRandomization) {
  const auto r = RunPayload("personality", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"personality query returns 0", "refused personality(ADDR_NO_RANDOMIZE): EPERM",
                             "refused personality(READ_IMPLIES_EXEC): EPERM",
                             "refused personality(PER_LINUX32): EPERM",
                             "refused personality(1<<32 | ADDR_NO_RANDOMIZE): EPERM"}));
}

TEST_F(Abuse, KernelKeyringIsRefused) {
  const auto r = RunPayload("keyctl", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused add_key(user): EPERM", "refused keyctl(GET_KEYRING_ID): EPERM",
                             "refused keyctl(JOIN_SESSION_KEYRING): EPERM", "refused request_key(user): EPERM"}));
}

TEST_F(Abuse, BpfIsRefused) {
  const auto r = RunPayload("bpf", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused bpf(BPF_MAP_CREATE): EPERM", "refused bpf(BPF_PROG_LOAD): EPERM"}));
}

TEST_F(Abuse, OnlyTheSocketFamiliesARunNeedsCanBeCreated) {
  // vsock reaches the host (or a hypervisor) whatever the network namespace: this host
  // has a vsock transport, and socket, bind and listen all worked in a run before.
  const auto r = RunPayload("socket_families", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused socket(AF_VSOCK, SOCK_STREAM): EAFNOSUPPORT",
                             "refused socket(AF_VSOCK, SOCK_DGRAM): EAFNOSUPPORT",
                             "refused socket(AF_PACKET): EAFNOSUPPORT", "refused socket(AF_ALG): EAFNOSUPPORT",
                             "refused socket(AF_KEY): EAFNOSUPPORT", "refused socket(AF_BLUETOOTH): EAFNOSUPPORT",
                             "refused socket(AF_TIPC): EAFNOSUPPORT", "refused socket(AF_RDS): EAFNOSUPPORT",
                             "refused socket(AF_XDP): EAFNOSUPPORT", "refused socket(AF_MCTP): EAFNOSUPPORT",
                             "refused socket(AF_UNSPEC): EAFNOSUPPORT", "refused socket(1000): EAFNOSUPPORT",
                             "refused socket(AF_UNIX | 1 << 32): EAFNOSUPPORT",
                             "refused socketpair(AF_VSOCK): EAFNOSUPPORT", "refused socketpair(AF_ALG): EAFNOSUPPORT",
                             "refused socket(AF_NETLINK, NETLINK_AUDIT): EPROTONOSUPPORT",
                             "refused socket(AF_NETLINK, NETLINK_KOBJECT_UEVENT): EPROTONOSUPPORT",
                             "refused socket(AF_NETLINK, NETLINK_SOCK_DIAG): EPROTONOSUPPORT",
                             "refused socket(AF_NETLINK, NETLINK_GENERIC): EPROTONOSUPPORT",
                             "works socket(AF_UNIX)", "works socket(AF_INET)", "works socket(AF_INET6)",
                             "works socket(AF_NETLINK, NETLINK_ROUTE)", "works socketpair(AF_UNIX)"}));
}

TEST_F(Abuse, PerfEventOpenIsRefused) {
  const auto r = RunPayload("perf_event", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused perf_event_open(self): EPERM", "refused perf_event_open(all cpus): EPERM"}));
}

TEST_F(Abuse, UserfaultfdIsRefused) {
  const auto r = RunPayload("userfaultfd", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused userfaultfd(0): EPERM", "refused userfaultfd(O_CLOEXEC): EPERM",
                             "refused open /dev/userfaultfd: ENOENT"}));
}

TEST_F(Abuse, RebootAndKexecAreRefused) {
  const auto r = RunPayload("reboot", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused reboot(RESTART): EPERM", "refused reboot(POWER_OFF): EPERM",
                             "refused reboot(CAD_OFF): EPERM", "refused kexec_load: EPERM",
                             "refused kexec_file_load: EPERM"}));
}

TEST_F(Abuse, KernelModulesCannotBeLoadedOrUnloaded) {
  const auto r = RunPayload("modules", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"refused init_module: EPERM", "refused finit_module: EPERM",
                             "refused delete_module(ext4): EPERM"}));
}

TEST_F(Abuse, KernelMemoryAndAddressesAreHidden) {
  const auto r = RunPayload("kernel_memory", {}, {"--time", "2s"});
  EXPECT_TRUE(AllRefused(r, {"nothing useful in /proc/kcore", "nothing useful in /proc/kallsyms",
                             "nothing useful in /proc/modules", "nothing useful in /proc/keys",
                             "nothing useful in /proc/timer_list", "nothing useful in /proc/iomem",
                             "nothing useful in /proc/self/pagemap"}));
}

}  // namespace
}  // namespace runlet::abuse
