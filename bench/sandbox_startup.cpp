// Sandbox start-up benchmark: start-to-exit wall time of a static hello world, run bare,
// through `runlet exec`, through the sandbox library, under bubblewrap, under
// unshare+chroot and with `docker run`; then throughput of the library and of bare exec
// with several runs at once. Prints markdown tables (see docs/PERFORMANCE.md).
//
//   sandbox_startup [--runs 200] [--docker-runs 20] [--warmup 5] [--seconds 5]
//                   [--concurrency 2,16] [--hello PATH] [--runlet PATH]
//                   [--docker-image NAME] [--docker PATH] [--only KEY,...]
//
// KEYs: bare exec exec-rootfs lib lib-rootfs lib-pool bwrap unshare exec-idle lib-idle
//       docker throughput (= throughput-bare + throughput-lib)
//
// "lib-pool" is the server's path: a Sandbox with a pool of prepared sandboxes, each run
// timed from a ready-to-go sandbox (the wait for the pool to refill is not timed).
//
// The "idle" variants sleep --idle-ms (untimed) before each run, so that nothing ran just
// before: what one `runlet exec` typed by a user meets. On cgroup v1 this matters: the
// first cgroup attach after a quiet spell waits for an RCU grace period.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "sandbox/sandbox.h"

namespace runlet::bench {
namespace {

constexpr const char* kExpected = "hello, world\n";

struct Options {
  int runs = 200;
  int docker_runs = 20;
  int idle_runs = 50;  // the "idle host" variants
  int idle_ms = 100;
  int warmup = 5;
  double seconds = 5;  // per throughput measurement
  std::vector<int> concurrency = {2, 16};
  std::string hello = RUNLET_BENCH_HELLO;
  std::string runlet = RUNLET_BENCH_RUNLET;
  std::string docker = "docker";
  std::string docker_image;
  std::string docker_network = "none";
  std::set<std::string> only;

  bool Want(const std::string& key) const { return only.empty() || only.count(key) > 0; }
};

[[noreturn]] void Usage(const std::string& why) {
  std::cerr << "sandbox_startup: " << why << "\n"
            << "usage: sandbox_startup [--runs N] [--docker-runs N] [--idle-runs N] [--idle-ms MS]\n"
               "                       [--warmup N] [--seconds S]\n"
               "                       [--concurrency N,N...] [--hello PATH] [--runlet PATH]\n"
               "                       [--docker PATH] [--docker-image NAME] [--docker-network NAME]\n"
               "                       [--only bare,exec,exec-rootfs,lib,lib-rootfs,lib-pool,bwrap,unshare,\n"
               "                               exec-idle,lib-idle,docker,throughput,throughput-bare,\n"
               "                               throughput-lib]\n";
  std::exit(2);
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  auto number = [&](const std::string& flag, const char* text) {
    char* end = nullptr;
    double v = std::strtod(text, &end);
    if (!end || *end || v < 0) Usage(flag + " wants a non-negative number");
    return v;
  };
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "-h" || flag == "--help") Usage("start-up benchmark of the native sandbox");
    if (i + 1 >= argc) Usage(flag + " wants a value");
    const char* value = argv[++i];
    if (flag == "--runs") {
      o.runs = static_cast<int>(number(flag, value));
    } else if (flag == "--docker-runs") {
      o.docker_runs = static_cast<int>(number(flag, value));
    } else if (flag == "--idle-runs") {
      o.idle_runs = static_cast<int>(number(flag, value));
    } else if (flag == "--idle-ms") {
      o.idle_ms = static_cast<int>(number(flag, value));
    } else if (flag == "--warmup") {
      o.warmup = static_cast<int>(number(flag, value));
    } else if (flag == "--seconds") {
      o.seconds = number(flag, value);
    } else if (flag == "--concurrency") {
      o.concurrency.clear();
      for (const auto& c : SplitList(value)) o.concurrency.push_back(std::max(1, std::atoi(c.c_str())));
    } else if (flag == "--hello") {
      o.hello = value;
    } else if (flag == "--runlet") {
      o.runlet = value;
    } else if (flag == "--docker") {
      o.docker = value;
    } else if (flag == "--docker-image") {
      o.docker_image = value;
    } else if (flag == "--docker-network") {
      o.docker_network = value;
    } else if (flag == "--only") {
      for (const auto& k : SplitList(value)) o.only.insert(k);
    } else {
      Usage("unknown flag " + flag);
    }
  }
  if (o.runs < 1) Usage("--runs must be at least 1");
  return o;
}

// One way of starting the hello world. `once` runs it one time and returns "ok" or why not.
struct Variant {
  std::string key, name, command;
  int runs = 0, warmup = 0;
  int idle_ms = 0;  // sleep (untimed) before each run: nothing else ran just before
  std::function<std::string()> once;
  std::function<void()> before;  // untimed, before each timed run
  std::vector<int64_t> samples;
  std::string skipped;  // why it was not measured
  std::string failure;  // the first failure
  int failures = 0;
};

// A temporary directory holding only the hello binary: the --files folder, the --rootfs
// of runlet, the chroot of unshare. Removed at exit.
struct Payload {
  std::string dir, root, hello;
  ~Payload() {
    if (!hello.empty()) ::unlink(hello.c_str());
    if (!root.empty()) ::rmdir(root.c_str());
    if (!dir.empty()) ::rmdir(dir.c_str());
  }
};

bool CopyFile(const std::string& from, const std::string& to) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return false;
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  bool ok = out >= 0;
  char buf[65536];
  while (ok) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n == 0) break;
    ok = n > 0 && ::write(out, buf, static_cast<size_t>(n)) == n;
  }
  ::close(in);
  if (out >= 0) ok = ::fchmod(out, 0755) == 0 && ::close(out) == 0 && ok;
  return ok;
}

std::string LibraryRun(sandbox::Sandbox& box, const sandbox::RunSpec& spec) {
  auto result = box.Run(spec);
  if (!result) return "refused: " + result.error().message;
  if (result->status != RunStatus::kOk)
    return std::string(StatusName(result->status)) + ": " + result->message + " (wall " +
           std::to_string(result->wall_time_ms) + " ms, cpu " + std::to_string(result->cpu_time_ms) +
           " ms) " + result->stderr_data;
  if (result->stdout_data != kExpected) return "unexpected output: " + result->stdout_data;
  return "ok";
}

void Measure(Variant& v) {
  if (v.idle_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(v.idle_ms));
  if (v.before) v.before();
  const int64_t start = NowNs();
  std::string why = v.once();
  const int64_t elapsed = NowNs() - start;
  if (why == "ok") {
    v.samples.push_back(elapsed);
  } else {
    if (v.failures++ == 0) v.failure = why;
  }
}

struct Throughput {
  std::string workload;
  int concurrency = 0;
  double seconds = 0;
  std::vector<int64_t> samples;
  int failures = 0;
  std::string failure;
};

Throughput MeasureThroughput(const std::string& workload, int concurrency, double seconds,
                             const std::function<std::string()>& once) {
  Throughput t;
  t.workload = workload;
  t.concurrency = concurrency;
  std::mutex mu;
  const int64_t start = NowNs();
  const int64_t deadline = start + static_cast<int64_t>(seconds * 1e9);
  std::vector<std::thread> threads;
  for (int i = 0; i < concurrency; ++i) {
    threads.emplace_back([&] {
      std::vector<int64_t> mine;
      int failures = 0;
      std::string failure;
      while (NowNs() < deadline) {
        const int64_t t0 = NowNs();
        std::string why = once();
        if (why == "ok") {
          mine.push_back(NowNs() - t0);
        } else if (failures++ == 0) {
          failure = why;
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      t.samples.insert(t.samples.end(), mine.begin(), mine.end());
      if (failures && t.failure.empty()) t.failure = failure;
      t.failures += failures;
    });
  }
  for (auto& th : threads) th.join();
  t.seconds = static_cast<double>(NowNs() - start) / 1e9;
  return t;
}

std::string Today() {
  std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return buf;
}

int Main(int argc, char** argv) {
  const Options opt = ParseOptions(argc, argv);
  if (::geteuid() != 0) {
    std::cerr << "sandbox_startup: run as root (the sandbox, bwrap --unshare-all and unshare need it)\n";
    return 2;
  }
  if (::access(opt.hello.c_str(), X_OK) != 0) {
    std::cerr << "sandbox_startup: no payload at " << opt.hello << " (build the hello target)\n";
    return 2;
  }

  Payload payload;
  char tmpl[] = "/tmp/runlet-bench-XXXXXX";
  if (!::mkdtemp(tmpl)) {
    std::perror("mkdtemp");
    return 1;
  }
  payload.dir = tmpl;
  ::chmod(payload.dir.c_str(), 0755);
  payload.root = payload.dir + "/root";
  payload.hello = payload.root + "/hello";
  if (::mkdir(payload.root.c_str(), 0755) < 0 || !CopyFile(opt.hello, payload.hello)) {
    std::cerr << "sandbox_startup: cannot prepare " << payload.root << ": " << std::strerror(errno) << "\n";
    return 1;
  }

  // The library: one Sandbox for the whole process, as the server has. Its own state
  // directory and cgroup parent keep it apart from other runlets on the host.
  sandbox::SandboxOptions sandbox_options;
  sandbox_options.state_dir = "/run/runlet-bench";
  sandbox_options.cgroup_parent = "runlet-bench";
  sandbox_options.uid_base = 300000;
  std::unique_ptr<sandbox::Sandbox> box;
  std::string box_error;
  if (auto created = sandbox::Sandbox::Create(sandbox_options)) {
    box = std::move(*created);
  } else {
    box_error = created.error().message;
  }
  // The server's sandbox: prepared ahead, one at a time, per kind of run.
  sandbox::SandboxOptions pool_options = sandbox_options;
  pool_options.state_dir = "/run/runlet-bench-pool";
  pool_options.cgroup_parent = "runlet-bench-pool";
  pool_options.uid_base = 301000;
  pool_options.pool_size = 1;
  std::unique_ptr<sandbox::Sandbox> pool_box;
  if (auto created = sandbox::Sandbox::Create(pool_options)) {
    pool_box = std::move(*created);
  } else if (box_error.empty()) {
    box_error = created.error().message;
  }
  sandbox::RunSpec files_spec;
  files_spec.argv = {"./hello"};
  files_spec.files_dir = payload.root;
  sandbox::RunSpec rootfs_spec;
  rootfs_spec.argv = {"/hello"};
  rootfs_spec.rootfs = payload.root;

  const std::string bwrap = FindProgram("bwrap");
  const std::string unshare = FindProgram("unshare");
  const std::string chroot = FindProgram("chroot");
  const std::string docker = FindProgram(opt.docker);

  auto command = [](std::vector<std::string> argv) {
    return [argv = std::move(argv)] { return CheckOutput(RunCommand(argv, 60000), kExpected); };
  };

  std::vector<Variant> variants;
  auto add = [&](std::string key, std::string name, std::string shown, std::function<std::string()> once,
                 std::string skipped = {}) {
    Variant v;
    v.key = std::move(key);
    v.name = std::move(name);
    v.command = std::move(shown);
    v.runs = opt.runs;
    v.warmup = opt.warmup;
    v.once = std::move(once);
    v.skipped = std::move(skipped);
    variants.push_back(std::move(v));
  };

  const std::vector<std::string> bare_argv = {payload.hello};
  add("bare", "bare fork+exec", "fork, execve(hello), waitpid", command(bare_argv));

  const std::vector<std::string> exec_argv = {opt.runlet, "exec", "--files", payload.root, "--", "./hello"};
  add("exec", "`runlet exec` (CLI)", "runlet exec --files DIR -- ./hello", command(exec_argv),
      ::access(opt.runlet.c_str(), X_OK) == 0 ? "" : "no runlet binary at " + opt.runlet);
  const std::vector<std::string> exec_rootfs_argv = {opt.runlet, "exec", "--rootfs", payload.root, "--", "/hello"};
  add("exec-rootfs", "`runlet exec --rootfs` (CLI)", "runlet exec --rootfs DIR -- /hello",
      command(exec_rootfs_argv), ::access(opt.runlet.c_str(), X_OK) == 0 ? "" : "no runlet binary at " + opt.runlet);

  add("lib", "sandbox library", "Sandbox::Run({./hello}, files_dir=DIR)",
      [&] { return LibraryRun(*box, files_spec); }, box ? "" : "Sandbox::Create: " + box_error);
  add("lib-rootfs", "sandbox library, --rootfs", "Sandbox::Run({/hello}, rootfs=DIR)",
      [&] { return LibraryRun(*box, rootfs_spec); }, box ? "" : "Sandbox::Create: " + box_error);
  add("lib-pool", "sandbox library, prepared ahead (server)",
      "Sandbox::Run({./hello}, files_dir=DIR) with pool_size=1, from a ready sandbox",
      [&] { return LibraryRun(*pool_box, files_spec); }, pool_box ? "" : "Sandbox::Create: " + box_error);
  variants.back().before = [&] { (void)pool_box->WaitUntilPrepared(files_spec, std::chrono::seconds(5)); };

  const std::vector<std::string> bwrap_argv = {
      bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr",
      "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin",
      "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--ro-bind", payload.hello, "/hello",
      "--chdir", "/", "/hello"};
  add("bwrap", "bubblewrap",
      "bwrap --unshare-all --die-with-parent --ro-bind /usr /usr --symlink usr/lib /lib "
      "--symlink usr/lib64 /lib64 --symlink usr/bin /bin --proc /proc --dev /dev --tmpfs /tmp "
      "--ro-bind HELLO /hello --chdir / /hello",
      command(bwrap_argv), bwrap.empty() ? "bwrap not installed (apt-get install bubblewrap)" : "");

  const std::vector<std::string> unshare_argv = {unshare, "--fork", "--pid", "--mount", "--net", "--ipc",
                                                 "--uts", chroot, payload.root, "/hello"};
  add("unshare", "unshare + chroot", "unshare --fork --pid --mount --net --ipc --uts chroot DIR /hello",
      command(unshare_argv), unshare.empty() || chroot.empty() ? "unshare or chroot not found" : "");

  auto add_idle = [&](const std::string& key, const std::string& base) {
    for (const auto& v : variants) {
      if (v.key != base) continue;
      Variant idle = v;
      idle.key = key;
      idle.name = v.name + ", idle host";
      idle.command = v.command + " after " + std::to_string(opt.idle_ms) + " ms idle";
      idle.runs = opt.idle_runs;
      idle.warmup = 0;
      idle.idle_ms = opt.idle_ms;
      variants.push_back(std::move(idle));
      return;
    }
  };
  if (opt.idle_runs > 0) {
    add_idle("exec-idle", "exec");
    add_idle("lib-idle", "lib");
  }

  std::string docker_skip;
  if (docker.empty()) {
    docker_skip = "no docker client";
  } else if (opt.docker_image.empty()) {
    docker_skip = "no Docker engine reachable (scripts/start-docker starts one)";
  }
  const std::vector<std::string> docker_argv = {docker, "run", "--rm", "--network", opt.docker_network,
                                                opt.docker_image, "/hello"};
  add("docker", "docker run", "docker run --rm --network " + opt.docker_network + " IMAGE /hello",
      command(docker_argv), docker_skip);
  variants.back().runs = opt.docker_runs;
  variants.back().warmup = std::min(opt.warmup, 2);
  std::erase_if(variants, [&](const Variant& v) { return !opt.Want(v.key); });

  std::cerr << "sandbox_startup: payload " << payload.hello << "\n";
  // One trial run each: a variant that cannot run at all is reported, not timed.
  for (auto& v : variants) {
    if (!v.skipped.empty()) {
      std::cerr << "  " << v.key << ": skipped: " << v.skipped << "\n";
      continue;
    }
    std::string why = v.once();
    if (why != "ok") {
      v.skipped = "failed: " + why;
      std::cerr << "  " << v.key << ": " << v.skipped << "\n";
    }
  }

  // Warm-up, then the fast variants round-robin, one run each per round, so that drift
  // and background load are shared fairly; Docker, which is slow and leaves its daemon
  // busy after each run, goes last on its own.
  std::vector<Variant*> fast, slow;
  for (auto& v : variants) {
    if (!v.skipped.empty()) continue;
    (v.key == "docker" || v.idle_ms > 0 ? slow : fast).push_back(&v);
    for (int i = 0; i < v.warmup; ++i) (void)v.once();
  }
  const int64_t t_fast = NowNs();
  for (int round = 0; round < opt.runs; ++round) {
    for (auto* v : fast) {
      if (round < v->runs) Measure(*v);
    }
  }
  std::cerr << "sandbox_startup: start-up rounds took " << (NowNs() - t_fast) / 1000000 << " ms\n";
  for (auto* v : slow) {
    const int64_t t0 = NowNs();
    for (int i = 0; i < v->runs; ++i) Measure(*v);
    std::cerr << "sandbox_startup: " << v->key << " took " << (NowNs() - t0) / 1000000 << " ms\n";
  }

  // Throughput: `c` threads each starting runs back to back for opt.seconds.
  std::vector<Throughput> throughput;
  const bool throughput_bare = opt.Want("throughput") || opt.Want("throughput-bare");
  const bool throughput_lib = opt.Want("throughput") || opt.Want("throughput-lib");
  if (opt.seconds > 0) {
    for (int c : opt.concurrency) {
      if (throughput_bare) {
        throughput.push_back(MeasureThroughput("bare fork+exec", c, opt.seconds, command(bare_argv)));
      }
      if (box && throughput_lib) {
        throughput.push_back(MeasureThroughput("sandbox library", c, opt.seconds,
                                               [&] { return LibraryRun(*box, files_spec); }));
      }
    }
  }

  // Report.
  const Variant* bare = nullptr;
  for (const auto& v : variants) {
    if (v.key == "bare" && !v.samples.empty()) bare = &v;
  }
  std::ostringstream out;
  out << "### Start to exit of a static hello world\n\n";
  out << "Host: Linux " << KernelRelease() << ", " << OnlineCpus() << " CPUs (" << CpuModel() << ")";
  if (box) out << ", cgroup " << sandbox::CgroupModeName(box->features().cgroup);
  out << ". " << Today() << ".\n";
  out << opt.runs << " timed runs per variant (idle-host variants: " << opt.idle_runs << ", Docker: "
      << opt.docker_runs << ") after " << opt.warmup
      << " warm-up runs; the other variants interleaved round-robin. Wall time from fork (or "
         "Sandbox::Run) to the reaped exit with all output read.\n\n";
  out << "| variant | runs | median ms | p99 ms | mean ms | median / bare |\n";
  out << "|---|---:|---:|---:|---:|---:|\n";
  for (const auto& v : variants) {
    if (!v.skipped.empty()) {
      out << "| " << v.name << " | – | – | – | – | " << v.skipped << " |\n";
      continue;
    }
    Stats s = Summarize(v.samples);
    out << "| " << v.name << " | " << s.count << " | " << FormatMs(s.median_ms) << " | " << FormatMs(s.p99_ms)
        << " | " << FormatMs(s.mean_ms) << " | ";
    if (bare) {
      out << FormatRatio(s.median_ms / Summarize(bare->samples).median_ms);
    } else {
      out << "–";
    }
    if (v.failures) out << " (" << v.failures << " failed: " << v.failure.substr(0, 120) << ")";
    out << " |\n";
  }
  out << "\nCommands:\n\n";
  for (const auto& v : variants) out << "- " << v.name << ": `" << v.command << "`\n";

  if (!throughput.empty()) {
    out << "\n### Throughput, runs started back to back by concurrent threads (" << opt.seconds << " s each)\n\n";
    out << "| workload | threads | runs | runs/s | median ms | p99 ms |\n";
    out << "|---|---:|---:|---:|---:|---:|\n";
    for (const auto& t : throughput) {
      Stats s = Summarize(t.samples);
      char rate[32];
      std::snprintf(rate, sizeof rate, "%.0f", static_cast<double>(s.count) / t.seconds);
      out << "| " << t.workload << " | " << t.concurrency << " | " << s.count << " | " << rate << " | "
          << FormatMs(s.median_ms) << " | " << FormatMs(s.p99_ms) << " |";
      if (t.failures) out << " " << t.failures << " failed: " << t.failure.substr(0, 120);
      out << "\n";
    }
  }

  // The targets of docs/PERFORMANCE.md, checked against this run.
  auto median = [&](const std::string& key) -> double {
    for (const auto& v : variants) {
      if (v.key == key && !v.samples.empty()) return Summarize(v.samples).median_ms;
    }
    return -1;
  };
  const double m_bare = median("bare"), m_exec = median("exec"), m_lib = median("lib"),
               m_bwrap = median("bwrap"), m_docker = median("docker");
  out << "\n### Targets\n\n";
  auto verdict = [](bool met) { return met ? "**met**" : "**not met**"; };
  if (m_exec > 0 && m_bwrap > 0) {
    out << "- `runlet exec` median at or below bubblewrap's: " << verdict(m_exec <= m_bwrap) << " ("
        << FormatMs(m_exec) << " ms vs " << FormatMs(m_bwrap) << " ms)\n";
  }
  if (m_lib > 0 && m_bare > 0) {
    out << "- sandbox library within 2 ms of bare exec: " << verdict(m_lib - m_bare <= 2.0) << " (+"
        << FormatMs(m_lib - m_bare) << " ms)\n";
  }
  const double m_pool = median("lib-pool");
  if (m_pool > 0 && m_bare > 0) {
    out << "- prepared ahead (server path) within 2 ms of bare exec: " << verdict(m_pool - m_bare <= 2.0) << " (+"
        << FormatMs(m_pool - m_bare) << " ms)\n";
  }
  if (m_docker > 0 && m_exec > 0) {
    out << "- `runlet exec` at least 100× faster than `docker run`: " << verdict(m_docker / m_exec >= 100)
        << " (" << FormatRatio(m_docker / m_exec) << "; the library: "
        << (m_lib > 0 ? FormatRatio(m_docker / m_lib) : std::string("–")) << ")\n";
  }
  std::cout << out.str() << std::flush;

  bool failed = false;
  for (const auto& v : variants) failed |= v.skipped.rfind("failed", 0) == 0 || (v.failures > 0 && v.samples.empty());
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace runlet::bench

int main(int argc, char** argv) { return runlet::bench::Main(argc, argv); }
