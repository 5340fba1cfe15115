// The server dies or is told to stop in the middle of runs: after kill -9 and a restart
// no run stays unfinished and no sandbox (process or cgroup) is left; on SIGTERM runs get
// their grace period, waiting clients their answers, and the process exits 0.
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "server_test.h"

namespace runlet::testing {
namespace {

// The native sandbox's host uids (slot N runs as 200000 + N) and slot locks.
constexpr uid_t kSandboxUidFirst = 200000;
constexpr uid_t kSandboxUidLast = 200300;
constexpr const char* kSlotLockDir = "/run/runlet/slots";

struct Proc {
  pid_t pid;
  pid_t ppid;
  uid_t uid;
  std::string start_time;  // field 22 of /proc/<pid>/stat: tells a reused pid apart
};

std::vector<Proc> AllProcesses() {
  std::vector<Proc> out;
  DIR* dir = ::opendir("/proc");
  if (!dir) return out;
  while (dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (*end || pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const size_t paren = text.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream fields(text.substr(paren + 2));
    std::vector<std::string> f;
    for (std::string field; fields >> field;) f.push_back(field);
    if (f.size() < 20) continue;
    std::ifstream status("/proc/" + std::string(e->d_name) + "/status");
    uid_t uid = 0;
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("Uid:", 0) == 0) {
        uid = static_cast<uid_t>(std::stoul(line.substr(4)));
        break;
      }
    }
    // After the ")": state(3) ppid(4) ... starttime(22), so index 1 and 19 here.
    out.push_back({static_cast<pid_t>(pid), static_cast<pid_t>(std::stol(f[1])), uid, f[19]});
  }
  ::closedir(dir);
  return out;
}

bool InSandboxRange(uid_t uid) { return uid >= kSandboxUidFirst && uid <= kSandboxUidLast; }

std::vector<Proc> SandboxDescendantsOf(pid_t root) {
  const auto all = AllProcesses();
  std::set<pid_t> tree{root};
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& p : all) {
      if (tree.count(p.ppid) && !tree.count(p.pid)) grew = tree.insert(p.pid).second;
    }
  }
  std::vector<Proc> out;
  for (const auto& p : all) {
    if (p.pid != root && tree.count(p.pid) && InSandboxRange(p.uid)) out.push_back(p);
  }
  return out;
}

// Whether some process (another runlet) holds the slot now: its sandbox is a live one.
bool SlotHeld(int index) {
  const std::string path = std::string(kSlotLockDir) + "/" + std::to_string(index) + ".lock";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0;
  ::close(fd);
  return held;
}

// Processes in the sandbox uid range and slot cgroup directories that no live runlet
// accounts for (their slot's lock is free): what a crash left behind.
std::vector<std::string> Leftovers() {
  std::vector<std::string> found;
  for (const auto& p : AllProcesses()) {
    if (InSandboxRange(p.uid) && !SlotHeld(static_cast<int>(p.uid - kSandboxUidFirst))) {
      found.push_back("process " + std::to_string(p.pid) + " uid " + std::to_string(p.uid));
    }
  }
  for (const char* pattern : {"/sys/fs/cgroup/*/runlet/slot-*", "/sys/fs/cgroup/runlet/slot-*"}) {
    glob_t g{};
    if (::glob(pattern, GLOB_ONLYDIR, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        const std::string path = g.gl_pathv[i];
        const int index = std::atoi(path.substr(path.rfind("slot-") + 5).c_str());
        if (!SlotHeld(index)) found.push_back("cgroup " + path);
      }
    }
    ::globfree(&g);
  }
  return found;
}

bool StillAlive(const Proc& p) {
  for (const auto& now : AllProcesses()) {
    if (now.pid == p.pid && now.start_time == p.start_time) return true;
  }
  return false;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

class Recovery : public ServerTest {
  std::vector<std::string> ServerArgs() const override { return {"--capacity", "4"}; }
};

TEST_F(Recovery, AfterKill9TheUnfinishedRunIsCancelledAndNoSandboxRemains) {
  const std::string project = CreateProject("python-3.11", {{"main.py", "print('finished run')\n"},
                                                            {"lib/data.txt", "kept\n"}});
  const std::string earlier = StartProjectRun(project);
  const auto earlier_final = WaitFinal(earlier);
  ASSERT_EQ(Str(earlier_final, "status"), "ok");
  const std::string earlier_logs = http().Get("/api/v1/runs/" + earlier + "/logs").body;

  // A run with a child process, both sleeping.
  const std::string victim = StartExecute(PythonRequest(
      "import subprocess, time\n"
      "subprocess.Popen(['sleep', '90'])\n"
      "print('started', flush=True)\n"
      "time.sleep(90)\n",
      {{"limits", json::object{{"wall", "300s"}}}}));
  WaitForOutput(victim);
  const auto sandboxed = SandboxDescendantsOf(server().pid());
  ASSERT_GE(sandboxed.size(), 2u) << "expected the program and its child under the server";

  server().Signal(SIGKILL);
  ASSERT_TRUE(server().Wait(10s));
  StartServer();

  const auto cancelled = GetRun(victim);
  EXPECT_EQ(Str(cancelled, "status"), "cancelled");
  EXPECT_EQ(Str(cancelled, "reason"), "server_restart");
  EXPECT_FALSE(cancelled.at("finished_at").is_null());
  auto health = http().Get("/healthz").Json();
  EXPECT_EQ(health.at("runs_executing").as_int64(), 0);
  EXPECT_EQ(health.at("runs_queued").as_int64(), 0);

  // Nothing of the sandbox is left: its processes, and anything unaccounted for.
  std::vector<std::string> left;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    left.clear();
    for (const auto& p : sandboxed) {
      if (StillAlive(p)) left.push_back("process " + std::to_string(p.pid) + " of the killed server");
    }
    for (const auto& l : Leftovers()) left.push_back(l);
    if (left.empty() || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(left.empty()) << Join(left);

  // The project and its earlier run are intact.
  EXPECT_EQ(http().Get("/api/v1/projects/" + project + "/files/main.py").body, "print('finished run')\n");
  EXPECT_EQ(http().Get("/api/v1/projects/" + project + "/files/lib/data.txt").body, "kept\n");
  const auto earlier_again = GetRun(earlier);
  EXPECT_EQ(json::serialize(earlier_again), json::serialize(earlier_final));
  EXPECT_EQ(http().Get("/api/v1/runs/" + earlier + "/logs").body, earlier_logs);
  auto history = http().Get("/api/v1/projects/" + project + "/runs").Json();
  ASSERT_EQ(history.as_array().size(), 1u);
  // And the restarted server runs code.
  const std::string again = StartProjectRun(project);
  EXPECT_EQ(Str(WaitFinal(again), "status"), "ok");
}

TEST_F(Recovery, OnSigtermRunsGetTheirGraceWaitingClientsTheirAnswerAndTheServerExits0) {
  const std::string brief = StartExecute(PythonRequest(
      "import time\nprint('started', flush=True)\ntime.sleep(4)\nprint('done')\n", {{"limits", json::object{{"wall", "60s"}}}}));
  const std::string endless = StartExecute(PythonRequest(
      "import time\nprint('started', flush=True)\ntime.sleep(120)\n", {{"limits", json::object{{"wall", "300s"}}}}));
  // A client waiting on a synchronous execute.
  HttpResponse sync_answer;
  std::string sync_error;
  std::thread sync_client([&, port = http().port()] {
    try {
      sync_answer = HttpClient(port, 60s).Post(
          "/api/v1/execute", json::serialize(PythonRequest("import time\ntime.sleep(4)\nprint('sync done')\n")));
    } catch (const std::exception& e) {
      sync_error = e.what();
    }
  });
  WaitForOutput(brief);
  WaitForOutput(endless);
  WaitForRun(endless, [&](const json::object&) {
    return http().Get("/healthz").Json().at("runs_executing").as_int64() == 3;
  });
  SseStream watcher(http().port(), "/api/v1/runs/" + endless + "/events");
  ASSERT_EQ(watcher.status(), 200);

  const auto signalled = std::chrono::steady_clock::now();
  server().Signal(SIGTERM);
  const auto status = server().Wait(20s);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
  sync_client.join();
  ASSERT_TRUE(status) << "still running 20 s after SIGTERM";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "wait status " << *status;
  EXPECT_LT(seconds, 12.5);
  EXPECT_EQ(sync_error, "");
  EXPECT_EQ(sync_answer.status, 200) << sync_answer.body;
  EXPECT_EQ(Str(sync_answer.Json(), "stdout"), "sync done\n");
  // The watcher's stream ends with the server.
  while (watcher.Next(5s)) {
  }
  EXPECT_TRUE(watcher.closed());

  StartServer();
  const auto brief_final = GetRun(brief);
  EXPECT_EQ(Str(brief_final, "status"), "ok") << "a run shorter than the grace was cut short";
  EXPECT_EQ(Str(brief_final, "stdout"), "started\ndone\n");
  const auto endless_final = GetRun(endless);
  EXPECT_EQ(Str(endless_final, "status"), "cancelled");
  EXPECT_EQ(Str(endless_final, "reason"), "server_restart");
}

TEST_F(Recovery, OnSigtermWithNoClientConnectedARunInFlightStillFinishes) {
  const std::string brief = StartExecute(PythonRequest(
      "import time\nprint('started', flush=True)\ntime.sleep(2)\nprint('done')\n", {{"limits", json::object{{"wall", "60s"}}}}));
  WaitForOutput(brief);
  const auto signalled = std::chrono::steady_clock::now();
  server().Signal(SIGTERM);
  const auto status = server().Wait(20s);
  ASSERT_TRUE(status) << "still running 20 s after SIGTERM";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "wait status " << *status;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count(), 12.5);
  StartServer();
  const auto final = GetRun(brief);
  EXPECT_EQ(Str(final, "status"), "ok") << json::serialize(final);
  EXPECT_EQ(Str(final, "stdout"), "started\ndone\n");
}

}  // namespace
}  // namespace runlet::testing
