// The Kubernetes platform against a recorded-conversation API server (kube_fake_server.py:
// responses shaped like the API server's, every object Runlet sends checked against the
// official Python client's models), over TLS with a token or a client certificate. No
// cluster can be installed on the test machines: what runs inside a pod is the step
// runner's protocol, scripted here; the runner itself is tested by the Swarm platform's
// tests. Also: the objects' schema and hardening, kubeconfig and in-cluster credentials,
// and the deploy/ manifests (schema, and `kubectl apply --dry-run=client` against the
// same server's discovery).
#include "platform/kubernetes/kubernetes_platform.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "platform/swarm/step_log_reader.h"
#include "platform/swarm/step_protocol.h"

namespace runlet::platform::kubernetes {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kTestDir = RUNLET_KUBE_TEST_DIR;
const std::string kPython = "/usr/bin/python3";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteAll(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

int Shell(const std::string& command) {
  const int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// A temporary directory with the certificates: the server's (localhost, 127.0.0.1) and a
// client's.
struct Certs {
  std::string dir;
  Certs() {
    char tmpl[] = "/tmp/runlet-kube-XXXXXX";
    dir = ::mkdtemp(tmpl);
    const std::string q = " >/dev/null 2>&1";
    EXPECT_EQ(Shell("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -addext "
                    "subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " + dir + "/server.key -out " + dir +
                    "/server.crt" + q),
              0);
    EXPECT_EQ(Shell("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=runlet -keyout " + dir +
                    "/client.key -out " + dir + "/client.crt" + q),
              0);
  }
  ~Certs() { fs::remove_all(dir); }
};

Certs& TheCerts() {
  static Certs certs;
  return certs;
}

class FakeServer {
 public:
  // tls: HTTPS with the server certificate; client_ca: require the client certificate.
  explicit FakeServer(bool tls = true, bool client_ca = false, const std::string& token = "t0ken") {
    const Certs& c = TheCerts();
    const std::string port_file = c.dir + "/port." + std::to_string(::getpid()) + "." + std::to_string(++count_);
    std::vector<std::string> args{kPython, kTestDir + "/kube_fake_server.py", "--port-file", port_file};
    if (tls) args.insert(args.end(), {"--cert", c.dir + "/server.crt", "--key", c.dir + "/server.key"});
    if (client_ca) args.insert(args.end(), {"--client-ca", c.dir + "/client.crt"});
    if (!token.empty()) args.insert(args.end(), {"--token", token});
    // (argv made before the fork: the child only execs.)
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 200 && !fs::exists(port_file); ++i) std::this_thread::sleep_for(50ms);
    port_ = ReadAll(port_file);
    fs::remove(port_file);
    config.server = std::string(tls ? "https" : "http") + "://localhost:" + port_;
    config.context = "test";
    config.token = token;
    if (tls) config.ca_pem = ReadAll(c.dir + "/server.crt");
  }
  ~FakeServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool up() const { return !port_.empty(); }

  json::value Control(const std::string& method, const std::string& what, const json::value& body = nullptr) {
    KubeClient c(config);
    auto r = c.Request(method, "/_control/" + what, body.is_null() ? std::string() : json::serialize(body));
    EXPECT_TRUE(r && r->ok()) << (r ? r->body : r.error().message);
    return r ? json::parse(r->body) : json::value();
  }
  void Script(const json::object& script) { Control("POST", "script", script); }
  std::vector<std::string> Requests() {
    std::vector<std::string> out;
    const json::value v = Control("GET", "requests");
    for (const auto& r : v.as_array()) out.emplace_back(r.as_string());
    return out;
  }
  std::string Failures() { return json::serialize(Control("GET", "failures")); }
  std::vector<std::string> Objects(const std::string& resource) {
    std::vector<std::string> out;
    auto v = Control("GET", "objects");
    if (const auto* list = v.as_object().if_contains(resource)) {
      for (const auto& n : list->as_array()) out.emplace_back(n.as_string());
    }
    return out;
  }

  KubeConfig config;

 private:
  static inline int count_ = 0;
  pid_t pid_ = -1;
  std::string port_;
};

KubernetesOptions TestOptions() {
  KubernetesOptions o;
  o.namespace_ = "runs";
  o.image_prefix = "registry.test/runlet/";
  o.server = "test-server";
  o.step_runner = RUNLET_SWARM_STEP;
  o.start_timeout = 1500ms;
  o.timeouts = {2000ms, 3000ms};
  o.health_timeouts = {1000ms, 1500ms};
  return o;
}

runtime::Job SimpleJob() {
  runtime::Job job;
  job.image = "bookworm-python";
  job.files.push_back(InputFile{"main.py", "print('hello')\n", false});
  job.run.argv = {"python3", "main.py"};
  job.run.limits.wall_time = 5000ms;
  return job;
}

// The step runner's lines for one step.
std::string Step(const std::string& step, const std::string& out, const std::string& fields) {
  std::string s = "S " + step + "\n";
  if (!out.empty()) s += "O " + swarm::Base64Encode(out) + "\n";
  return s + "R " + step + " " + fields + " cpu_ms=12 wall_ms=30 memory=4096000 oom=0 cgroup=v2 " +
         "stdout_truncated=0 stderr_truncated=0\n";
}

std::string RunUntilFailure(Result<std::unique_ptr<KubernetesPlatform>>& p) {
  return p ? std::string() : p.error().message;
}

class KubernetesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<FakeServer>();
    ASSERT_TRUE(server_->up());
  }
  std::unique_ptr<KubernetesPlatform> Make(KubernetesOptions o = TestOptions()) {
    auto p = KubernetesPlatform::Create(o, server_->config);
    EXPECT_TRUE(p) << RunUntilFailure(p);
    return p ? std::move(*p) : nullptr;
  }
  JobResult Run(KubernetesPlatform& p, const runtime::Job& job, int cancel_fd = -1,
                std::vector<RunStatus>* statuses = nullptr, std::string* streamed = nullptr) {
    JobCallbacks cb;
    cb.on_status = [&](RunStatus s) {
      if (statuses) statuses->push_back(s);
    };
    cb.on_output = [&](Stream, std::string_view d) {
      if (streamed) streamed->append(d);
    };
    auto r = p.Run(job, cb, cancel_fd);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : JobResult{};
  }
  std::unique_ptr<FakeServer> server_;
};

// --- the objects

TEST(KubernetesObjects, PassTheOfficialSchemasAndAreHardened) {
  FakeServer server;
  ASSERT_TRUE(server.up());
  auto p = KubernetesPlatform::Create(TestOptions(), server.config);
  ASSERT_TRUE(p) << p.error().message;
  runtime::Job job = SimpleJob();
  job.build = runtime::JobCommand{{"gcc", "main.c"}, {"A=1"}, {}};
  job.stdin_data = "input\n";
  auto objects = (*p)->MakeObjects(job);
  ASSERT_TRUE(objects) << objects.error().message;
  const std::string dir = TheCerts().dir;
  WriteAll(dir + "/pod.json", json::serialize(objects->pod));
  WriteAll(dir + "/secret.json", json::serialize(objects->secret));
  WriteAll(dir + "/cm.json", json::serialize((*p)->RunnerConfigMap()));
  WriteAll(dir + "/np.json", json::serialize(KubernetesPlatform::DenyAllPolicy("runs")));
  EXPECT_EQ(Shell(kPython + " " + kTestDir + "/kube_schema.py " + dir + "/pod.json " + dir + "/secret.json " + dir +
                  "/cm.json " + dir + "/np.json"),
            0);

  // The hardening, field by field.
  const json::object& spec = objects->pod.at("spec").as_object();
  const json::object& c = spec.at("containers").as_array().at(0).as_object();
  const json::object& sc = c.at("securityContext").as_object();
  EXPECT_EQ(sc.at("runAsNonRoot"), true);
  EXPECT_GE(sc.at("runAsUser").as_int64(), 2000000);
  EXPECT_EQ(sc.at("runAsUser"), spec.at("securityContext").at("runAsUser"));
  EXPECT_EQ(sc.at("allowPrivilegeEscalation"), false);
  EXPECT_EQ(sc.at("readOnlyRootFilesystem"), true);
  EXPECT_EQ(json::serialize(sc.at("capabilities")), R"({"drop":["ALL"]})");
  EXPECT_EQ(sc.at("seccompProfile").at("type"), "RuntimeDefault");
  EXPECT_EQ(spec.at("automountServiceAccountToken"), false);
  EXPECT_EQ(spec.at("enableServiceLinks"), false);
  EXPECT_EQ(spec.at("restartPolicy"), "Never");
  EXPECT_EQ(spec.at("activeDeadlineSeconds").as_int64(), 5 + 5 + 60);  // run 5 s, build 5 s, slack
  EXPECT_EQ(c.at("resources").at("limits"), c.at("resources").at("requests"));
  EXPECT_EQ(c.at("image"), "registry.test/runlet/bookworm-python:latest");
  int empty_dirs = 0;
  for (const auto& v : spec.at("volumes").as_array()) {
    if (const auto* e = v.as_object().if_contains("emptyDir")) {
      ++empty_dirs;
      EXPECT_EQ(e->at("sizeLimit"), json::value(std::to_string(64ull << 20)));
    }
  }
  EXPECT_EQ(empty_dirs, 2);
  // Two runs never share a uid by construction of the draw? No: but they get their own.
  auto other = (*p)->MakeObjects(job);
  EXPECT_NE(other->name, objects->name);

  // The check can fail: a misspelt field, a wrong type.
  json::object bad = objects->pod;
  bad["spec"].as_object()["containers"].as_array()[0].as_object()["securityContext"].as_object()["runAsNonroot"] = true;
  WriteAll(dir + "/bad1.json", json::serialize(bad));
  EXPECT_EQ(Shell(kPython + " " + kTestDir + "/kube_schema.py " + dir + "/bad1.json 2>/dev/null"), 1);
  bad = objects->pod;
  bad["spec"].as_object()["activeDeadlineSeconds"] = "67";
  WriteAll(dir + "/bad2.json", json::serialize(bad));
  EXPECT_EQ(Shell(kPython + " " + kTestDir + "/kube_schema.py " + dir + "/bad2.json 2>/dev/null"), 1);
  bad = objects->pod;
  bad["spec"].as_object()["containers"].as_array()[0].as_object().erase("name");
  WriteAll(dir + "/bad3.json", json::serialize(bad));
  EXPECT_EQ(Shell(kPython + " " + kTestDir + "/kube_schema.py " + dir + "/bad3.json 2>/dev/null"), 1);

  // Host images and the network cannot run here.
  job.image = "host";
  EXPECT_EQ((*p)->MakeObjects(job).error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(server.Failures(), "[]");
}

// --- runs

TEST_F(KubernetesTest, SuccessStreamsOutputAndRemovesTheRunsObjects) {
  auto p = Make();
  ASSERT_TRUE(p);
  server_->Script({{"log", Step("run", "hello\n", "exit=0 kill=none") + "D\n"}});
  std::vector<RunStatus> statuses;
  std::string streamed;
  JobResult r = Run(*p, SimpleJob(), -1, &statuses, &streamed);
  EXPECT_EQ(r.run.status, RunStatus::kOk) << r.run.message;
  EXPECT_EQ(r.run.stdout_data, "hello\n");
  EXPECT_EQ(streamed, "hello\n");
  EXPECT_EQ(r.run.cgroup_version, "v2");
  EXPECT_EQ(statuses, std::vector<RunStatus>{RunStatus::kRunning});
  p->WaitForRemovals();
  EXPECT_TRUE(server_->Objects("pods").empty());
  EXPECT_TRUE(server_->Objects("secrets").empty());
  EXPECT_EQ(server_->Objects("configmaps").size(), 1u);
  EXPECT_EQ(server_->Objects("networkpolicies"), std::vector<std::string>{"runlet-deny-all"});
  bool watched = false, logged = false;
  for (const auto& r : server_->Requests()) {
    watched |= r.find("watch=true") != std::string::npos;
    logged |= r.find("/log?container=run&follow=true") != std::string::npos;
  }
  EXPECT_TRUE(watched);
  EXPECT_TRUE(logged);
  EXPECT_EQ(server_->Failures(), "[]");
  EXPECT_TRUE(p->Check().ok) << p->Check().detail;
  EXPECT_NE(p->Check().detail.find("v1.29.2"), std::string::npos);
  EXPECT_NE(p->Check().detail.find("namespace runs"), std::string::npos);
}

TEST_F(KubernetesTest, BuildFailureIsACompileError) {
  auto p = Make();
  ASSERT_TRUE(p);
  runtime::Job job = SimpleJob();
  job.build = runtime::JobCommand{{"gcc", "main.c"}, {}, {}};
  server_->Script({{"log", "S build\nE " + swarm::Base64Encode("main.c:1: error\n") +
                               "\nR build exit=1 kill=none cpu_ms=1 wall_ms=2 memory=1 oom=0 cgroup=v2 "
                               "stdout_truncated=0 stderr_truncated=0\nD\n"}});
  std::vector<RunStatus> statuses;
  JobResult r = Run(*p, job, -1, &statuses);
  ASSERT_TRUE(r.build);
  EXPECT_EQ(r.build->stderr_data, "main.c:1: error\n");
  EXPECT_EQ(r.run.status, RunStatus::kCompileError);
  EXPECT_EQ(statuses, std::vector<RunStatus>{RunStatus::kBuilding});
}

TEST_F(KubernetesTest, EachLimitHasItsStatus) {
  auto p = Make();
  ASSERT_TRUE(p);
  const std::pair<std::string, RunStatus> cases[] = {{"signal=9 kill=wall", RunStatus::kTimeLimit},
                                                     {"signal=9 kill=cpu", RunStatus::kTimeLimit},
                                                     {"signal=9 kill=memory", RunStatus::kMemoryLimit},
                                                     {"signal=9 kill=output", RunStatus::kOutputLimit},
                                                     {"exit=3 kill=none", RunStatus::kRuntimeError}};
  for (const auto& [fields, want] : cases) {
    server_->Script({{"log", Step("run", "x", fields) + "D\n"}, {"phase", "Succeeded"}});
    JobResult r = Run(*p, SimpleJob());
    EXPECT_EQ(r.run.status, want) << fields << ": " << r.run.message;
  }
  // The container killed for memory, or the pod past its deadline, before any report.
  server_->Script({{"log", "S run\n"}, {"phase", "Failed"}, {"terminated_reason", "OOMKilled"}, {"exit_code", 137}});
  EXPECT_EQ(Run(*p, SimpleJob()).run.status, RunStatus::kMemoryLimit);
  server_->Script({{"log", "S run\n"}, {"phase", "Failed"}, {"terminated_reason", "Error"},
                   {"pod_reason", "DeadlineExceeded"}, {"exit_code", 137}});
  EXPECT_EQ(Run(*p, SimpleJob()).run.status, RunStatus::kTimeLimit);
  // A runner that died without a word: an internal error that says how the pod ended.
  server_->Script({{"log", "S run\n"}, {"phase", "Failed"}, {"terminated_reason", "Error"}, {"exit_code", 2}});
  JobResult r = Run(*p, SimpleJob());
  EXPECT_EQ(r.run.status, RunStatus::kInternalError);
  EXPECT_NE(r.run.message.find("ended without a report (Failed, Error)"), std::string::npos) << r.run.message;
  EXPECT_EQ(server_->Failures(), "[]");
}

TEST_F(KubernetesTest, CancelDeletesThePod) {
  auto p = Make();
  ASSERT_TRUE(p);
  server_->Script({{"log", "S run\nO " + swarm::Base64Encode("partial") + "\n"}, {"run_s", 30}});
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  std::thread canceller([&] {
    std::this_thread::sleep_for(1000ms);
    (void)!::write(pipe_fds[1], "x", 1);
  });
  const auto t0 = std::chrono::steady_clock::now();
  std::string streamed;
  JobResult r = Run(*p, SimpleJob(), pipe_fds[0], nullptr, &streamed);
  canceller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(r.run.status, RunStatus::kCancelled);
  EXPECT_EQ(streamed, "partial");
  bool deleted = false;
  for (const auto& q : server_->Requests()) deleted |= q.rfind("DELETE /api/v1/namespaces/runs/pods/runlet-", 0) == 0;
  EXPECT_TRUE(deleted);
  p->WaitForRemovals();
  EXPECT_TRUE(server_->Objects("pods").empty());
  EXPECT_TRUE(server_->Objects("secrets").empty());
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

TEST_F(KubernetesTest, PendingPodsEndWithAClearMessageInBoundedTime) {
  auto p = Make();
  ASSERT_TRUE(p);
  // An image that cannot be pulled: at once, with the kubelet's reason and message.
  server_->Script({{"pending_s", 0.1}, {"waiting", "ImagePullBackOff"},
                   {"waiting_message", "Back-off pulling image \"registry.test/runlet/bookworm-python:latest\""}});
  auto t0 = std::chrono::steady_clock::now();
  JobResult r = Run(*p, SimpleJob());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1400ms);
  EXPECT_EQ(r.run.status, RunStatus::kInternalError);
  EXPECT_NE(r.run.message.find("the pod cannot start: ImagePullBackOff: Back-off pulling image"), std::string::npos)
      << r.run.message;
  // No node fits: after start_timeout, with the scheduler's message.
  server_->Script({{"unschedulable", "0/3 nodes are available: 3 Insufficient memory."}});
  t0 = std::chrono::steady_clock::now();
  r = Run(*p, SimpleJob());
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 1500ms);
  EXPECT_LT(took, 4000ms);
  EXPECT_EQ(r.run.status, RunStatus::kInternalError);
  EXPECT_NE(r.run.message.find("stayed Pending for 1 s: Unschedulable: 0/3 nodes are available"), std::string::npos)
      << r.run.message;
  p->WaitForRemovals();
  EXPECT_TRUE(server_->Objects("pods").empty());
}

TEST_F(KubernetesTest, RbacRefusalsSayWhatIsMissing) {
  server_->Control("POST", "scenario", json::object{{"forbid", json::array{"POST networkpolicies"}}});
  auto refused = KubernetesPlatform::Create(TestOptions(), server_->config);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("cannot create resource \"networkpolicies\" in API group "
                                         "\"networking.k8s.io\" in the namespace \"runs\" (HTTP 403)"),
            std::string::npos)
      << refused.error().message;
  server_->Control("POST", "scenario", json::object{{"forbid", json::array{"POST pods"}}});
  auto p = Make();  // the policy now; a second start meets 409s for it and the runner
  ASSERT_TRUE(p);
  JobResult r = Run(*p, SimpleJob());
  EXPECT_EQ(r.run.status, RunStatus::kInternalError);
  EXPECT_NE(r.run.message.find("cannot create resource \"pods\""), std::string::npos) << r.run.message;
  p->WaitForRemovals();
  EXPECT_TRUE(server_->Objects("secrets").empty());  // the secret made before the refusal
}

TEST_F(KubernetesTest, StaleWatchAndBrokenLogAreResumed) {
  auto p = Make();
  ASSERT_TRUE(p);
  server_->Control("POST", "scenario", json::object{{"gone_first_watch", true}});
  std::string out;
  for (int i = 0; i < 40; ++i) out += "line " + std::to_string(i) + "\n";
  const std::string log = Step("run", out, "exit=0 kill=none") + "D\n";
  server_->Script({{"log", log}, {"break_log_at", static_cast<int64_t>(log.size() / 2)}});
  std::string streamed;
  JobResult r = Run(*p, SimpleJob(), -1, nullptr, &streamed);
  EXPECT_EQ(r.run.status, RunStatus::kOk) << r.run.message;
  EXPECT_EQ(r.run.stdout_data, out);
  EXPECT_EQ(streamed, out);
  int logs = 0, reads = 0;
  for (const auto& q : server_->Requests()) {
    logs += q.find("/log?") != std::string::npos;
    reads += q.rfind("GET /api/v1/namespaces/runs/pods/runlet-", 0) == 0 && q.find("/log") == std::string::npos;
  }
  EXPECT_GE(logs, 2);   // followed again after the break
  EXPECT_GE(reads, 1);  // the pod read again after 410 Gone
  EXPECT_EQ(server_->Failures(), "[]");
}

TEST_F(KubernetesTest, AHungApiServerFailsTheRunWithinItsTimeouts) {
  auto p = Make();
  ASSERT_TRUE(p);
  server_->Control("POST", "scenario", json::object{{"hang", json::array{"/api/v1/namespaces/runs/secrets"}}});
  const auto t0 = std::chrono::steady_clock::now();
  JobResult r = Run(*p, SimpleJob());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 6s);
  EXPECT_EQ(r.run.status, RunStatus::kInternalError);
  EXPECT_NE(r.run.message.find("no answer within 3000 ms"), std::string::npos) << r.run.message;
  server_->Control("POST", "scenario", json::object{{"hang", json::array{"/version"}}});
  const Health h = p->Check();
  EXPECT_FALSE(h.ok);
  EXPECT_NE(h.detail.find("no answer within 1500 ms"), std::string::npos) << h.detail;
}

TEST_F(KubernetesTest, LeftoversOfThisServerAreRemovedAtStart) {
  server_->Control("POST", "seed",
                   json::object{{"name", "runlet-old1"},
                                {"labels", json::object{{"runlet.managed", "1"}, {"runlet.server", "test-server"}}}});
  server_->Control("POST", "seed",
                   json::object{{"name", "runlet-other"},
                                {"labels", json::object{{"runlet.managed", "1"}, {"runlet.server", "another"}}}});
  auto p = Make();
  ASSERT_TRUE(p);
  EXPECT_EQ(server_->Objects("pods"), std::vector<std::string>{"runlet-other"});
  EXPECT_EQ(server_->Objects("secrets"), std::vector<std::string>{"runlet-other"});
  // A restart (a second platform on the same server): the runner's ConfigMap and the
  // policy exist (409), the sweep finds nothing, runs go on.
  p.reset();
  auto again = Make();
  ASSERT_TRUE(again);
  server_->Script({{"log", Step("run", "again", "exit=0 kill=none") + "D\n"}});
  EXPECT_EQ(Run(*again, SimpleJob()).run.stdout_data, "again");
  EXPECT_EQ(server_->Failures(), "[]");
}

// The step runner as the pod runs it: pid 1, as the run's uid, no capability (setpriv and
// an unprivileged bubblewrap stand in for the container runtime; /run/runlet holds what the
// projected Secret and ConfigMap would; an empty /sys/fs/cgroup, since the host's is not
// the run's: the cgroup's limits are what this test does not see). Its non-root mode runs the step as its own uid
// and reports as on Swarm.
TEST(KubernetesRunner, RunsAsTheRunsUidWithoutRoot) {
  const std::string dir = TheCerts().dir + "/runner";
  fs::create_directories(dir);
  swarm::Plan plan;
  plan.uid = 2345678;
  plan.file_parts = 1;
  swarm::StepSpec step;
  step.name = "run";
  step.argv = {"/bin/sh", "main.sh"};
  step.env = {"PATH=/usr/bin:/bin"};
  step.cpu_ms = 600000;
  step.wall_ms = 10000;
  step.memory_bytes = 1ull << 30;
  step.output_bytes = 1 << 20;
  step.pids = 64;
  step.open_files = 64;
  step.stack_bytes = 8 << 20;
  step.reads_stdin = true;
  plan.steps.push_back(step);
  WriteAll(dir + "/plan", swarm::EncodePlan(plan));
  WriteAll(dir + "/files.0", swarm::EncodeFiles({{"main.sh", "read x; echo \"$x $(id -u):$(id -g) $$\"; "
                                                             "grep -c . /proc/1/status >/dev/null 2>&1 && "
                                                             "ls /proc/1/fd >/dev/null 2>&1 || echo private\n",
                                                  false}}));
  WriteAll(dir + "/stdin", "hi\n");
  fs::copy_file(RUNLET_SWARM_STEP, dir + "/step", fs::copy_options::overwrite_existing);
  fs::permissions(dir + "/step", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                     fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  for (const char* f : {"/plan", "/files.0", "/stdin"}) {
    fs::permissions(dir + f, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  }
  const std::string out = dir + "/out";
  // Unprivileged, as the container runtime would start it: the uid outside is the run's.
  fs::permissions(TheCerts().dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  const int rc = Shell("setpriv --reuid 2345678 --regid 2345678 --clear-groups bwrap --ro-bind / / --dev /dev "
                       "--proc /proc --tmpfs /run --ro-bind " + dir + " /run/runlet --tmpfs /sys/fs/cgroup "
                       "--tmpfs /work --tmpfs /tmp --unshare-user --unshare-pid --as-pid-1 --die-with-parent "
                       "/run/runlet/step >" + out + " 2>&1");
  const std::string said = ReadAll(out);
  ASSERT_EQ(rc, 0) << said;
  runtime::Job job = SimpleJob();
  job.run.limits.wall_time = 10000ms;
  job.run.limits.cpu_time = 600000ms;
  job.run.limits.memory_bytes = 1ull << 30;
  JobCallbacks cb;
  swarm::StepLogReader reader(job, cb);
  reader.Feed(said);
  ASSERT_TRUE(reader.done()) << said;
  ASSERT_TRUE(reader.error().empty()) << reader.error() << "\n" << said;
  ASSERT_TRUE(reader.run());
  EXPECT_EQ(reader.run()->exit_code, 0) << said;
  // The step ran as the run's uid and gid, not pid 1, and could not read the runner's
  // /proc files (it is undumpable).
  EXPECT_EQ(reader.run()->stdout_data.substr(0, 19), "hi 2345678:2345678 ");
  EXPECT_NE(reader.run()->stdout_data.find("private"), std::string::npos) << reader.run()->stdout_data;
}

// --- credentials

TEST(KubernetesCredentials, ClientCertificateKubeconfigInYaml) {
  FakeServer server(true, true, "");
  ASSERT_TRUE(server.up());
  const std::string dir = TheCerts().dir;
  const std::string kubeconfig = dir + "/kubeconfig";
  WriteAll(kubeconfig, "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: " +
                           swarm::Base64Encode(ReadAll(dir + "/server.crt")) + "\n    server: " +
                           server.config.server + "\n  name: test\ncontexts:\n- context:\n    cluster: test\n"
                           "    namespace: runs\n    user: runlet\n  name: runlet@test\n"
                           "- context:\n    cluster: test\n    user: nobody\n  name: other\n"
                           "current-context: runlet@test\npreferences: {}\nusers:\n- name: runlet\n  user:\n"
                           "    client-certificate: client.crt\n    client-key: \"client.key\"\n"
                           "- name: nobody\n  user:\n    exec:\n      command: gke-gcloud-auth-plugin\n");
  auto config = LoadKubeconfig(kubeconfig);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->context, "runlet@test");
  EXPECT_EQ(config->namespace_, "runs");
  EXPECT_EQ(config->server, server.config.server);
  EXPECT_TRUE(config->token.empty());
  EXPECT_EQ(config->client_cert_pem, ReadAll(dir + "/client.crt"));
  KubernetesOptions o = TestOptions();
  o.namespace_.clear();  // the context's
  o.kubeconfig = kubeconfig;
  auto p = KubernetesPlatform::Create(o);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ((*p)->namespace_name(), "runs");
  const Health h = (*p)->Check();
  EXPECT_TRUE(h.ok) << h.detail;
  EXPECT_NE(h.detail.find("context runlet@test"), std::string::npos) << h.detail;
  // Without the client certificate the server refuses the handshake.
  KubeConfig no_cert = *config;
  no_cert.client_cert_pem.clear();
  no_cert.client_key_pem.clear();
  EXPECT_FALSE(KubeClient(no_cert).Request("GET", "/version"));
  // A plugin user is refused with a reason; an unknown context too.
  auto plugin = LoadKubeconfig(kubeconfig, "other");
  ASSERT_FALSE(plugin);
  EXPECT_NE(plugin.error().message.find("plugin"), std::string::npos);
  EXPECT_FALSE(LoadKubeconfig(kubeconfig, "missing"));
}

TEST(KubernetesCredentials, InClusterServiceAccountAndAWrongCa) {
  FakeServer server(true, false, "sa-token");
  ASSERT_TRUE(server.up());
  const std::string dir = TheCerts().dir + "/sa";
  fs::create_directories(dir);
  WriteAll(dir + "/token", "sa-token\n");
  WriteAll(dir + "/ca.crt", ReadAll(TheCerts().dir + "/server.crt"));
  WriteAll(dir + "/namespace", "runs");
  const std::string port = server.config.server.substr(server.config.server.rfind(':') + 1);
  ::setenv("KUBERNETES_SERVICE_HOST", "localhost", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", port.c_str(), 1);
  auto config = LoadInCluster(dir);
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->token, "sa-token");
  EXPECT_EQ(config->namespace_, "runs");
  auto p = KubernetesPlatform::Create(TestOptions(), *config);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_TRUE((*p)->Check().ok) << (*p)->Check().detail;
  // A wrong token: 401; a CA that did not sign the server's certificate: no connection.
  KubeConfig wrong = *config;
  wrong.token = "nope";
  auto r = KubeClient(wrong).Request("GET", "/version");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  wrong = *config;
  wrong.ca_pem = ReadAll(TheCerts().dir + "/client.crt");
  EXPECT_FALSE(KubeClient(wrong).Request("GET", "/version"));
  EXPECT_FALSE(LoadInCluster(dir));  // no $KUBERNETES_SERVICE_HOST
}

// --- deploy/

TEST(KubernetesDeploy, ManifestsPassTheSchemaAndKubectlDryRun) {
  const std::string deploy = std::string(RUNLET_SOURCE_DIR) + "/deploy/kubernetes";
  ASSERT_TRUE(fs::exists(deploy + "/runlet.yaml"));
  EXPECT_EQ(Shell(kPython + " " + kTestDir + "/kube_schema.py " + deploy + "/*.yaml"), 0);
  // kubectl's client-side dry run needs the API's discovery: the recorded server's.
  FakeServer server(false, false, "");
  ASSERT_TRUE(server.up());
  const std::string kubeconfig = TheCerts().dir + "/kubectl-config";
  WriteAll(kubeconfig, "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: " + server.config.server +
                           "\n  name: fake\ncontexts:\n- context:\n    cluster: fake\n    user: fake\n  name: fake\n"
                           "current-context: fake\nusers:\n- name: fake\n  user:\n    token: x\n");
  const std::string out = TheCerts().dir + "/kubectl.out";
  const int rc = Shell("HOME=" + TheCerts().dir + " kubectl --kubeconfig " + kubeconfig +
                       " apply --dry-run=client --validate=false -f " + deploy + " >" + out + " 2>&1");
  const std::string said = ReadAll(out);
  EXPECT_EQ(rc, 0) << said;
  EXPECT_NE(said.find("deployment.apps/runlet created (dry run)"), std::string::npos) << said;
  EXPECT_NE(said.find("role.rbac.authorization.k8s.io/runlet created (dry run)"), std::string::npos) << said;
}

}  // namespace
}  // namespace runlet::platform::kubernetes
