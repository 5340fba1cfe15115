// The workspace manager on the real native sandbox and agent: terminals, commands,
// files, connections to the workspace's own loopback, expiry and ending.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <filesystem>
#include <signal.h>
#include <sys/stat.h>
#include <thread>

#include "workspaces/workspace_manager.h"

namespace runlet::workspaces {
namespace {

using namespace std::chrono_literals;

sandbox::SandboxOptions Options() {
  sandbox::SandboxOptions options;
  options.state_dir = "/run/runlet-workspace-tests";
  options.cgroup_parent = "runlet-workspace-tests";
  options.uid_base = 310000;
  options.slots = 8;
  options.agent_path = DefaultAgentPath();
  return options;
}

class WorkspaceManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto box = sandbox::Sandbox::Create(Options());
    ASSERT_TRUE(box) << box.error().message;
    box_ = std::move(*box);
    manager_ = std::make_unique<WorkspaceManager>(*box_, settings_);
  }
  void TearDown() override {
    manager_.reset();
    box_.reset();
  }
  Info StartOrFail(StartSpec spec = {}) {
    if (spec.user_id == 0) spec.user_id = 1;
    spec.limits.memory_bytes = 256ull << 20;
    spec.limits.pids = 64;
    std::promise<Result<Info>> started;
    auto st = manager_->Start(spec, [&](Result<Info> info) { started.set_value(std::move(info)); });
    EXPECT_TRUE(st) << st.error().message;
    auto future = started.get_future();
    EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
    auto info = future.get();
    EXPECT_TRUE(info) << info.error().message;
    return info ? *info : Info{};
  }
  Result<ExecResult> Exec(const std::string& id, std::vector<std::string> argv, int64_t user = 1) {
    std::promise<Result<ExecResult>> done;
    ExecSpec spec;
    spec.argv = std::move(argv);
    manager_->Exec(id, user, spec, [&](Result<ExecResult> r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  }
  // Reads a terminal until `want` appears in its output (or 10 s pass).
  static std::string ReadUntil(TerminalView& view, const std::string& want, std::string* all = nullptr) {
    std::string seen;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto chunk = view.Take();
      seen += chunk.output;
      if (seen.find(want) != std::string::npos) break;
      if (chunk.exit_code) break;
      std::this_thread::sleep_for(5ms);
    }
    if (all) *all = seen;
    return seen;
  }

  Settings settings_;
  std::unique_ptr<sandbox::Sandbox> box_;
  std::unique_ptr<WorkspaceManager> manager_;
};

TEST_F(WorkspaceManagerTest, ATerminalRunsAShellAsTheSandboxUserOnItsOwnPty) {
  const Info info = StartOrFail();
  ASSERT_EQ(info.status, "running");
  auto view = manager_->OpenTerminal(info.id, 1, 100, 30, "");
  ASSERT_TRUE(view) << view.error().message;
  (*view)->Input("echo id=$(id -u) tty=$(tty) size=$(stty size) pwd=$PWD; echo mark-$((6*7))\n");
  const std::string out = ReadUntil(**view, "mark-42");
  EXPECT_NE(out.find("id=1000 tty=/dev/pts/0 size=30 100 pwd=/work"), std::string::npos) << out;
  // Signals the agent ignores are default again in the shell: `yes` dies of SIGPIPE.
  (*view)->Input("yes | head -1 >/dev/null; echo pipe=${PIPESTATUS[0]}\n");
  EXPECT_NE(ReadUntil(**view, "pipe=141").find("pipe=141"), std::string::npos);
  (*view)->Resize(120, 40);
  (*view)->Input("stty size\n");
  EXPECT_NE(ReadUntil(**view, "40 120").find("40 120"), std::string::npos);
  (*view)->Input("exit 3\n");
  std::optional<int> code;
  for (int i = 0; i < 500 && !code; ++i) {
    code = (*view)->Take().exit_code;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(code, 3);
}

TEST_F(WorkspaceManagerTest, ReattachingReplaysRecentOutputAndKeepsTheShell) {
  const Info info = StartOrFail();
  std::string terminal_id;
  {
    auto view = manager_->OpenTerminal(info.id, 1, 80, 24, "");
    ASSERT_TRUE(view);
    terminal_id = (*view)->terminal_id();
    (*view)->Input("X=kept; echo first-$((1+1))\n");
    ReadUntil(**view, "first-2");
  }
  auto again = manager_->OpenTerminal(info.id, 1, 80, 24, terminal_id);
  ASSERT_TRUE(again) << again.error().message;
  (*again)->Input("echo still-$X\n");
  const std::string out = ReadUntil(**again, "still-kept");
  EXPECT_NE(out.find("first-2"), std::string::npos) << out;
  EXPECT_NE(out.find("still-kept"), std::string::npos) << out;
}

TEST_F(WorkspaceManagerTest, ExecReturnsExitCodeOutputAndTimesOut) {
  const Info info = StartOrFail();
  auto r = Exec(info.id, {"sh", "-c", "echo out; echo err >&2; exit 4"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code, 4);
  EXPECT_EQ(r->stdout_data, "out\n");
  EXPECT_EQ(r->stderr_data, "err\n");
  std::promise<Result<ExecResult>> done;
  ExecSpec spec;
  spec.argv = {"sleep", "30"};
  spec.timeout_ms = 300;
  manager_->Exec(info.id, 1, spec, [&](Result<ExecResult> x) { done.set_value(std::move(x)); });
  auto slow = done.get_future().get();
  ASSERT_TRUE(slow);
  EXPECT_TRUE(slow->timed_out);
  EXPECT_EQ(slow->signal, SIGKILL);
  auto missing = Exec(info.id, {"no-such-program"});
  EXPECT_FALSE(missing);
}

TEST_F(WorkspaceManagerTest, FilesGoBothWaysAndSymlinksAreNotFollowed) {
  const Info info = StartOrFail();
  std::promise<Status> wrote;
  manager_->WriteFile(info.id, 1, "src/app.py", "print('hi')\n", [&](Status s) { wrote.set_value(s); });
  ASSERT_TRUE(wrote.get_future().get());
  auto r = Exec(info.id, {"sh", "-c", "cat src/app.py; echo made > made.txt; ln -s /etc/hostname link"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->stdout_data, "print('hi')\n");
  std::promise<Result<std::string>> read;
  manager_->ReadFile(info.id, 1, "made.txt", 1 << 20, [&](Result<std::string> c) { read.set_value(c); });
  auto content = read.get_future().get();
  ASSERT_TRUE(content);
  EXPECT_EQ(*content, "made\n");
  std::promise<Result<std::string>> through_link;
  manager_->ReadFile(info.id, 1, "link", 1 << 20, [&](Result<std::string> c) { through_link.set_value(c); });
  EXPECT_FALSE(through_link.get_future().get());
  std::promise<Result<std::vector<FileEntry>>> listed;
  manager_->ListFiles(info.id, 1, [&](Result<std::vector<FileEntry>> l) { listed.set_value(l); });
  auto list = listed.get_future().get();
  ASSERT_TRUE(list);
  std::vector<std::string> paths;
  for (auto& e : *list) paths.push_back(e.path + (e.directory ? "/" : ""));
  EXPECT_EQ(paths, (std::vector<std::string>{"made.txt", "src/", "src/app.py"}));
}

TEST_F(WorkspaceManagerTest, AnotherUserCannotSeeOrUseAWorkspace) {
  const Info info = StartOrFail();
  EXPECT_FALSE(manager_->Get(info.id, 2));
  EXPECT_TRUE(manager_->List(2).empty());
  EXPECT_FALSE(manager_->OpenTerminal(info.id, 2, 80, 24, ""));
  EXPECT_FALSE(Exec(info.id, {"true"}, 2));
  EXPECT_FALSE(manager_->Stop(info.id, 2));
  EXPECT_TRUE(manager_->Get(info.id, 1));
}

TEST_F(WorkspaceManagerTest, StoppingKillsAProcessThatIgnoresSigtermAndForks) {
  const Info info = StartOrFail();
  auto r = Exec(info.id, {"sh", "-c", "(trap '' TERM HUP; setsid sh -c 'trap \"\" TERM HUP; while :; do sleep 1; done' &) ; echo started"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->stdout_data, "started\n");
  auto stopped = manager_->Stop(info.id, 1);
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->status, "stopped");
  // Nothing with the workspaces' uids is left on the host.
  bool left = false;
  for (int i = 0; i < 100; ++i) {
    left = false;
    for (auto& entry : std::filesystem::directory_iterator("/proc")) {
      struct stat st {};
      if (::stat(entry.path().c_str(), &st) == 0 && st.st_uid >= 310000 && st.st_uid < 310008) left = true;
    }
    if (!left) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_FALSE(left);
  EXPECT_FALSE(manager_->Get(info.id, 1));
}

TEST_F(WorkspaceManagerTest, ATerminalFloodWaitsForItsReader) {
  const Info info = StartOrFail();
  auto view = manager_->OpenTerminal(info.id, 1, 80, 24, "");
  ASSERT_TRUE(view);
  (*view)->Input("yes\n");
  std::this_thread::sleep_for(1500ms);
  // Nothing taken for 1.5 s: what waits is bounded by the agent's window.
  auto chunk = (*view)->Take();
  EXPECT_LE(chunk.output.size(), 512u << 10);
  EXPECT_GT(chunk.output.size(), 1000u);
  (*view)->Input("\x03");
}

TEST_F(WorkspaceManagerTest, TheIdleTimeoutAndTheTimeToLiveEndAWorkspace) {
  manager_.reset();
  settings_.idle_timeout = 1s;
  manager_ = std::make_unique<WorkspaceManager>(*box_, settings_);
  const Info idle = StartOrFail();
  std::this_thread::sleep_for(2500ms);
  EXPECT_FALSE(manager_->Get(idle.id, 1));
  settings_.idle_timeout = 600s;
  manager_->SetSettings(settings_);
  StartSpec spec;
  spec.ttl = 1s;
  const Info short_lived = StartOrFail(spec);
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(500ms);
    (void)manager_->Touch(short_lived.id, 1);
  }
  EXPECT_FALSE(manager_->Get(short_lived.id, 1));
}

TEST_F(WorkspaceManagerTest, AUserHoldsAtMostTheMaximumNumberOfWorkspaces) {
  for (int i = 0; i < settings_.max_per_user; ++i) StartOrFail();
  auto st = manager_->Start(StartSpec{.user_id = 1}, [](Result<Info>) {});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::kTooMany);
}

// The abuse suite's escapes, typed into a workspace's shell (on a real terminal, so
// TIOCSTI is tried on a tty): each must be refused exactly as in a run.
TEST_F(WorkspaceManagerTest, TheAbuseSuitesEscapesFailFromAWorkspaceShell) {
  const Info info = StartOrFail();
  const std::vector<std::string> payloads = {"chroot_escape", "mount",     "proc_sys_write", "devices",
                                             "ptrace",        "namespaces", "capabilities",  "tiocsti",
                                             "io_uring",      "keyctl",    "bpf",            "socket_families",
                                             "perf_event",    "userfaultfd", "reboot",       "modules",
                                             "uts",           "groups",    "clock"};
  for (const auto& name : payloads) {
    std::ifstream in(std::string(RUNLET_ABUSE_PAYLOADS) + "/" + name, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    ASSERT_FALSE(bytes.empty()) << name;
    std::promise<Status> wrote;
    manager_->WriteFile(info.id, 1, "abuse/" + name, bytes, [&](Status st) { wrote.set_value(st); });
    ASSERT_TRUE(wrote.get_future().get()) << name;
  }
  auto view = manager_->OpenTerminal(info.id, 1, 80, 24, "");
  ASSERT_TRUE(view);
  std::string script = "chmod +x abuse/*; for p in";
  for (const auto& name : payloads) script += " " + name;
  script += "; do ./abuse/$p > abuse/$p.out 2>&1; echo \"$p rc=$?\"; done; echo all-$((40+2))-ran\n";
  (*view)->Input(script);
  std::string screen;
  ReadUntil(**view, "all-42-ran\r\n", &screen);  // not in the echo of the command line
  for (const auto& name : payloads) {
    EXPECT_NE(screen.find(name + " rc=0"), std::string::npos) << name << ": " << screen;
    std::promise<Result<std::string>> read;
    manager_->ReadFile(info.id, 1, "abuse/" + name + ".out", 1 << 20, [&](Result<std::string> c) { read.set_value(c); });
    auto out = read.get_future().get();
    ASSERT_TRUE(out) << name;
    EXPECT_EQ(out->find("FAIL"), std::string::npos) << name << ":\n" << *out;
    EXPECT_NE(out->find("\ndone\n"), std::string::npos) << name << ":\n" << *out;
  }
}

}  // namespace
}  // namespace runlet::workspaces
