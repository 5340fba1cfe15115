// Per-run overhead of each platform, side by side: the same hello world jobs run through
// platform::Platform::Run on the native sandbox and on the Docker engine, one after the
// other (sequential, so the figures are latencies, not throughput under load).
//
//   platform_overhead [--runs N] [--docker-runs N] [--docker-socket PATH] [--podman 1] [--gvisor 1]
//                     [--swarm 1] [--clients N]
//
// "docker, removal waited" is the Docker platform with each run's container removal
// counted in (as before it moved off the run's critical path); --gvisor 1 adds Docker
// with gVisor's runsc (registered by scripts/start-docker); --swarm 1 the Swarm platform
// on the engine's swarm (scripts/start-swarm). A second table gives throughput: jobs per
// second with --clients N (default 4) running the static hello at once on each platform.
//
// Jobs: the static `hello` binary run from /work (pure platform overhead), and a Python
// hello world (what a user's first run costs). Run as root, with an engine answering
// (scripts/start-docker; with --podman 1 also scripts/start-podman). Prints a markdown
// table on stdout.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <mutex>
#include <thread>

#include "bench_util.h"
#include "image/image_store.h"
#include "platform/docker/docker_platform.h"
#include "platform/native/native_platform.h"
#include "platform/swarm/swarm_platform.h"
#include "sandbox/sandbox.h"

namespace {

using namespace runlet;

runtime::Job HelloBinaryJob() {
  std::ifstream in(RUNLET_BENCH_HELLO, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  runtime::Job job;
  job.image = "host";
  job.files = {{"hello", bytes.str(), true}};
  job.run.argv = {"/work/hello"};
  return job;
}

runtime::Job PythonJob() {
  runtime::Job job;
  job.image = "host";
  job.files = {{"main.py", "print('hello, world')\n", false}};
  job.run.argv = {"python3", "main.py"};
  job.run.env = {"PYTHONDONTWRITEBYTECODE=1"};
  return job;
}

struct Row {
  std::string platform, job;  // platform: its name, or a label
  bench::Stats stats;
  std::string problem;
};

// `removal`: the platform whose removals each run waits for (in the time), or null.
Row Measure(platform::Platform& p, const std::string& name, const runtime::Job& job, int runs,
            platform::docker::DockerPlatform* removal = nullptr, std::string label = "") {
  Row row{label.empty() ? std::string(p.Name()) : label, name, {}, ""};
  std::vector<int64_t> samples;
  // One warm-up run: images are loaded, caches are hot.
  (void)p.Run(job, {}, -1);
  for (int i = 0; i < runs; ++i) {
    if (auto* d = dynamic_cast<platform::docker::DockerPlatform*>(&p)) d->WaitForRemovals();  // not the last run's
    if (auto* w = dynamic_cast<platform::swarm::SwarmPlatform*>(&p)) w->WaitForRemovals();
    const int64_t start = bench::NowNs();
    auto r = p.Run(job, {}, -1);
    if (removal) removal->WaitForRemovals();
    const int64_t elapsed = bench::NowNs() - start;
    if (!r) {
      row.problem = r.error().message;
      break;
    }
    if (r->run.status != RunStatus::kOk || r->run.stdout_data != "hello, world\n") {
      row.problem = std::string(StatusName(r->run.status)) + ": " + r->run.message + r->run.stderr_data;
      break;
    }
    samples.push_back(elapsed);
  }
  row.stats = bench::Summarize(samples);
  return row;
}

struct Throughput {
  std::string platform;
  int jobs = 0;
  double seconds = 0;
  std::string problem;
};

// `clients` threads run `per_client` jobs each, back to back; jobs per second overall.
Throughput MeasureThroughput(platform::Platform& p, const runtime::Job& job, int clients, int per_client) {
  Throughput t{std::string(p.Name()), clients * per_client, 0, ""};
  std::mutex mu;
  std::vector<std::thread> threads;
  const int64_t start = bench::NowNs();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      for (int i = 0; i < per_client; ++i) {
        auto r = p.Run(job, {}, -1);
        if (!r || r->run.status != RunStatus::kOk) {
          std::lock_guard lock(mu);
          t.problem = r ? std::string(StatusName(r->run.status)) + ": " + r->run.message : r.error().message;
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  t.seconds = static_cast<double>(bench::NowNs() - start) / 1e9;
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 200, docker_runs = 30;
  std::string socket = "/var/run/docker.sock";
  bool podman = false, gvisor = false, swarm = false;
  int clients = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--docker-runs")) docker_runs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--docker-socket")) socket = argv[i + 1];
    else if (!std::strcmp(argv[i], "--podman")) podman = std::atoi(argv[i + 1]) != 0;
    else if (!std::strcmp(argv[i], "--gvisor")) gvisor = std::atoi(argv[i + 1]) != 0;
    else if (!std::strcmp(argv[i], "--swarm")) swarm = std::atoi(argv[i + 1]) != 0;
    else if (!std::strcmp(argv[i], "--clients")) clients = std::max(1, std::atoi(argv[i + 1]));
    else {
      std::cerr << "usage: platform_overhead [--runs N] [--docker-runs N] [--docker-socket PATH] [--podman 1]"
                   " [--gvisor 1] [--swarm 1] [--clients N]\n";
      return 2;
    }
  }
  char dir[] = "/tmp/runlet-bench-platform-XXXXXX";
  if (!::mkdtemp(dir)) return 1;
  image::ImageStore images(dir);
  auto box = sandbox::Sandbox::Create();
  if (!box) {
    std::cerr << "native sandbox: " << box.error().message << "\n";
    return 1;
  }
  platform::NativePlatform native(**box, images);
  platform::docker::DockerOptions options;
  options.socket = socket;
  auto docker = platform::docker::DockerPlatform::Create(options, images);
  if (!docker) {
    std::cerr << docker.error().message << "\n";
    return 1;
  }

  std::unique_ptr<platform::docker::DockerPlatform> podman_platform;
  if (podman) {
    auto p = platform::docker::DockerPlatform::Create(platform::docker::PodmanOptions(), images);
    if (!p) {
      std::cerr << p.error().message << "\n";
      return 1;
    }
    podman_platform = std::move(*p);
  }
  std::unique_ptr<platform::docker::DockerPlatform> gvisor_platform;
  if (gvisor) {
    auto g = platform::docker::GvisorOptions();
    g.socket = socket;
    auto p = platform::docker::DockerPlatform::Create(g, images);
    if (!p) {
      std::cerr << p.error().message << "\n";
      return 1;
    }
    gvisor_platform = std::move(*p);
  }
  std::unique_ptr<platform::swarm::SwarmPlatform> swarm_platform;
  if (swarm) {
    platform::swarm::SwarmOptions o;
    o.socket = socket;
    auto p = platform::swarm::SwarmPlatform::Create(o, images);
    if (!p) {
      std::cerr << p.error().message << "\n";
      return 1;
    }
    swarm_platform = std::move(*p);
  }
  const size_t per_job = 3 + (podman ? 1 : 0) + (gvisor ? 1 : 0) + (swarm ? 1 : 0);
  std::vector<Row> rows;
  for (const auto& [name, job] : {std::pair{std::string("static hello"), HelloBinaryJob()},
                                  std::pair{std::string("python3 hello"), PythonJob()}}) {
    rows.push_back(Measure(native, name, job, runs));
    rows.push_back(Measure(**docker, name, job, docker_runs));
    rows.push_back(Measure(**docker, name, job, docker_runs, docker->get(), "docker, removal waited"));
    if (podman_platform) rows.push_back(Measure(*podman_platform, name, job, docker_runs));
    if (gvisor_platform) rows.push_back(Measure(*gvisor_platform, name, job, docker_runs));
    if (swarm_platform) rows.push_back(Measure(*swarm_platform, name, job, docker_runs));
  }
  std::cout << "| job | platform | runs | median ms | p99 ms | mean ms | min ms | vs native (median) |\n"
            << "|---|---|---:|---:|---:|---:|---:|---:|\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    const Row& base = rows[i - i % per_job];
    if (!r.problem.empty()) {
      std::cout << "| " << r.job << " | " << r.platform << " | failed: " << r.problem << " |||||\n";
      continue;
    }
    char line[256];
    std::snprintf(line, sizeof line, "| %s | %s | %zu | %.2f | %.2f | %.2f | %.2f | %.1fx |\n", r.job.c_str(),
                  r.platform.c_str(), r.stats.count, r.stats.median_ms, r.stats.p99_ms, r.stats.mean_ms,
                  r.stats.min_ms, base.stats.median_ms > 0 ? r.stats.median_ms / base.stats.median_ms : 0.0);
    std::cout << line;
  }
  std::vector<Throughput> throughput;
  {
    const runtime::Job job = HelloBinaryJob();
    const int engine_jobs = std::max(1, docker_runs / clients);
    throughput.push_back(MeasureThroughput(native, job, clients, std::max(1, runs / clients)));
    throughput.push_back(MeasureThroughput(**docker, job, clients, engine_jobs));
    if (podman_platform) throughput.push_back(MeasureThroughput(*podman_platform, job, clients, engine_jobs));
    if (gvisor_platform) throughput.push_back(MeasureThroughput(*gvisor_platform, job, clients, engine_jobs));
    if (swarm_platform) throughput.push_back(MeasureThroughput(*swarm_platform, job, clients, engine_jobs));
  }
  std::cout << "\nThroughput, static hello, " << clients << " clients at once:\n\n"
            << "| platform | jobs | seconds | jobs/s | vs native |\n|---|---:|---:|---:|---:|\n";
  const double native_rate = throughput[0].seconds > 0 ? throughput[0].jobs / throughput[0].seconds : 0;
  for (const auto& t : throughput) {
    if (!t.problem.empty()) {
      std::cout << "| " << t.platform << " | failed: " << t.problem << " ||||\n";
      continue;
    }
    const double rate = t.seconds > 0 ? t.jobs / t.seconds : 0;
    char line[256];
    std::snprintf(line, sizeof line, "| %s | %d | %.2f | %.1f | %.3fx |\n", t.platform.c_str(), t.jobs, t.seconds,
                  rate, native_rate > 0 ? rate / native_rate : 0.0);
    std::cout << line;
  }
  std::cout << "\n" << (*docker)->Check().detail << "; native: " << native.Check().detail;
  if (swarm_platform) std::cout << "; " << swarm_platform->Check().detail;
  if (podman_platform) std::cout << "; " << podman_platform->Check().detail;
  if (gvisor_platform) std::cout << "; gvisor: runsc";
  std::cout << "\n";
  ::rmdir(dir);
  return 0;
}
