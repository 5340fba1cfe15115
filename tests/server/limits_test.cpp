// What a user may ask for: every run's limits are clamped to the user's maxima (safe
// defaults derived from the machine, raised per role and per user by the admin, never
// above the machine), the effective limits are reported, and the build step is held
// to the same maxima and quota as the run step.
#include <signal.h>

#include <thread>

#include "accounts_test.h"

namespace runlet::testing {
namespace {

class UserLimits : public AccountsTest {
 protected:
  // The id of the user whose token this is.
  int64_t IdOf(const std::string& token) { return Send("GET", "/api/v1/me", As(token)).Json().at("id").as_int64(); }
  HttpResponse ExecuteAs(const std::string& token, const json::object& request) {
    return Send("POST", "/api/v1/execute", As(token), json::serialize(request));
  }
  static int64_t Num(const json::value& v, const char* key) {
    const auto& f = v.at(key);
    return f.is_int64() ? f.as_int64() : static_cast<int64_t>(f.to_number<double>());
  }
  // "2000ms" -> 2000
  static int64_t Ms(const json::value& v, const char* key) { return std::atoll(std::string(v.at(key).as_string()).c_str()); }
};

const json::object kHostMaxima{{"memory", "16G"}, {"disk", "16G"}, {"pids", 4096}, {"cpus", 64},
                               {"time", "1h"},    {"wall", "2h"},  {"output", "1G"}};

TEST_F(UserLimits, AnOrdinaryUserAskingForTheHostsMaximaGetsTheSafeDefaults) {
  const std::string user = NewUser("greedy");
  auto r = ExecuteAs(user, PythonRequest("print('hi')\n", {{"limits", kHostMaxima}}));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto result = r.Json();
  EXPECT_EQ(Str(result, "status"), "ok") << r.body;
  // The limits it ran under, clamped to an ordinary user's maxima.
  ASSERT_TRUE(result.as_object().contains("limits")) << r.body;
  const auto& limits = result.at("limits");
  EXPECT_EQ(Num(limits, "memory"), 512ll << 20);
  EXPECT_EQ(Num(limits, "disk"), 256ll << 20);
  EXPECT_EQ(Num(limits, "pids"), 256);
  EXPECT_LE(limits.at("cpus").to_number<double>(), 1.0);
  EXPECT_EQ(Ms(limits, "time"), 60000);
  EXPECT_EQ(Ms(limits, "wall"), 300000);
  EXPECT_EQ(Num(limits, "output"), 64ll << 20);
  // And the kernel holds the program to them: 700 MiB does not fit.
  auto hog = ExecuteAs(user, PythonRequest("b = bytearray(700 << 20)\nfor i in range(0, len(b), 4096): b[i] = 1\nprint('fits')\n",
                                            {{"limits", kHostMaxima}}));
  ASSERT_EQ(hog.status, 200) << hog.body;
  EXPECT_EQ(Str(hog.Json(), "status"), "memory_limit") << hog.body;
  // So do the processes: at most 256 at once, however many it asks for.
  auto forks = ExecuteAs(user, PythonRequest("import os, time\n"
                                             "n = 0\n"
                                             "try:\n"
                                             "    for _ in range(400):\n"
                                             "        if os.fork() == 0:\n"
                                             "            time.sleep(5)\n"
                                             "            os._exit(0)\n"
                                             "        n += 1\n"
                                             "except OSError:\n"
                                             "    pass\n"
                                             "print(n)\n",
                                             {{"limits", kHostMaxima}}));
  ASSERT_EQ(forks.status, 200) << forks.body;
  EXPECT_LT(std::atoi(Str(forks.Json(), "stdout").c_str()), 256) << forks.body;
  // The run record says the same.
  const std::string id = Str(Send("POST", "/api/v1/execute?wait=false", As(user),
                                  json::serialize(PythonRequest("print(1)\n", {{"limits", kHostMaxima}}))).Json(), "id");
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  json::value run;
  do {
    run = Send("GET", "/api/v1/runs/" + id, As(user)).Json();
  } while (Str(run, "status") != "ok" && std::chrono::steady_clock::now() < deadline && (std::this_thread::sleep_for(20ms), true));
  EXPECT_EQ(Num(run.at("limits"), "memory"), 512ll << 20) << json::serialize(run);
}

TEST_F(UserLimits, TheAdminRaisesARolesAndAUsersMaximaButNeverAboveTheMachine) {
  const std::string admin = NewAdmin("root");
  const std::string alice = NewUser("alice"), bob = NewUser("bob");
  const json::object ask{{"memory", "4G"}};
  auto memory_of = [&](const std::string& who) {
    auto r = ExecuteAs(who, PythonRequest("print(1)\n", {{"limits", ask}}));
    EXPECT_EQ(r.status, 200) << r.body;
    return Num(r.Json().at("limits"), "memory");
  };
  EXPECT_EQ(memory_of(alice), 512ll << 20);

  auto settings = Send("GET", "/api/v1/admin/settings", As(admin));
  ASSERT_EQ(settings.status, 200) << settings.body;
  const auto machine = settings.Json().at("machine_limits");
  const int64_t machine_memory = Num(machine, "memory");
  ASSERT_GE(machine_memory, 4ll << 30) << "the test needs a machine with 8 GiB of RAM or more";

  // Users' role: 1 GiB.
  auto put = Send("PUT", "/api/v1/admin/settings", As(admin), R"({"role_max_limits": {"user": {"memory": "1G"}}})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(memory_of(alice), 1ll << 30);
  EXPECT_EQ(memory_of(bob), 1ll << 30);
  // Alice alone: 2 GiB.
  auto patch = Send("PATCH", "/api/v1/admin/users/" + std::to_string(IdOf(alice)), As(admin),
                    R"({"max_limits": {"memory": "2G"}})");
  ASSERT_EQ(patch.status, 200) << patch.body;
  EXPECT_EQ(Num(patch.Json().at("effective_max_limits"), "memory"), 2ll << 30);
  EXPECT_EQ(memory_of(alice), 2ll << 30);
  EXPECT_EQ(memory_of(bob), 1ll << 30);

  // Above the machine: refused, whoever it is for; nothing changes.
  const std::string too_much = std::to_string(machine_memory + (1ll << 30));
  EXPECT_TRUE(IsError(Send("PUT", "/api/v1/admin/settings", As(admin), R"({"max_limits": {"memory": )" + too_much + "}}"), 400,
                      "invalid_request"));
  auto role = Send("PUT", "/api/v1/admin/settings", As(admin), R"({"role_max_limits": {"admin": {"cpus": 64}}})");
  EXPECT_EQ(role.status, 400) << role.body;
  EXPECT_NE(Str(role.Json(), "message").find("machine"), std::string::npos) << role.body;
  EXPECT_TRUE(IsError(Send("PATCH", "/api/v1/admin/users/" + std::to_string(IdOf(bob)), As(admin),
                           R"({"max_limits": {"memory": )" + too_much + "}}"),
                      400, "invalid_request"));
  EXPECT_EQ(memory_of(bob), 1ll << 30);
  // A settings document read with GET can be PUT back as it is.
  auto again = Send("GET", "/api/v1/admin/settings", As(admin));
  EXPECT_EQ(Send("PUT", "/api/v1/admin/settings", As(admin), again.body).status, 200);

  // null gives Alice her role's maxima again; they outlive a restart.
  ASSERT_EQ(Send("PATCH", "/api/v1/admin/users/" + std::to_string(IdOf(alice)), As(admin), R"({"max_limits": null})").status, 200);
  EXPECT_EQ(memory_of(alice), 1ll << 30);
  ASSERT_EQ(Send("PATCH", "/api/v1/admin/users/" + std::to_string(IdOf(bob)), As(admin), R"({"max_limits": {"memory": "3G"}})").status, 200);
  ASSERT_EQ(StopServer(SIGTERM), 0);
  StartServer();
  EXPECT_EQ(memory_of(alice), 1ll << 30);
  EXPECT_EQ(memory_of(bob), 3ll << 30);
}

// A C file that includes /dev/zero: the compiler reads zeros until a limit stops it.
json::object ZeroIncludingC() {
  return json::object{{"runtime", "c-gcc-12"},
                      {"files", json::array{json::object{{"name", "main.c"}, {"content", "#include \"/dev/zero\"\n"}}}}};
}

TEST_F(UserLimits, TheBuildStepIsHeldToTheUsersMaxima) {
  const std::string user = NewUser("builder");
  auto r = ExecuteAs(user, ZeroIncludingC());
  ASSERT_EQ(r.status, 200) << r.body;
  const auto result = r.Json();
  EXPECT_EQ(Str(result, "status"), "compile_error") << r.body;
  ASSERT_TRUE(result.at("build").is_object()) << r.body;
  const auto& build = result.at("build");
  EXPECT_EQ(Str(build, "status"), "memory_limit") << r.body;
  EXPECT_EQ(Num(build.at("limits"), "memory"), 512ll << 20) << r.body;
  EXPECT_LE(build.at("memory_peak_bytes").to_number<double>(), (512ll << 20) + (8ll << 20)) << r.body;
}

TEST_F(UserLimits, TheBuildStepIsHeldToTheUsersQuota) {
  const std::string admin = NewAdmin("root");
  const std::string user = NewUser("small");
  auto patch = Send("PATCH", "/api/v1/admin/users/" + std::to_string(IdOf(user)), As(admin),
                    R"({"quota": {"memory_bytes": 67108864, "time_ms": 500, "disk_bytes": 1048576}})");
  ASSERT_EQ(patch.status, 200) << patch.body;
  auto r = ExecuteAs(user, ZeroIncludingC());
  ASSERT_EQ(r.status, 200) << r.body;
  const auto& build = r.Json().at("build");
  ASSERT_TRUE(build.is_object()) << r.body;
  EXPECT_TRUE(Str(build, "status") == "memory_limit" || Str(build, "status") == "time_limit") << r.body;
  EXPECT_EQ(Num(build.at("limits"), "memory"), 64ll << 20) << r.body;
  EXPECT_LE(Ms(build.at("limits"), "time"), 500) << r.body;
  EXPECT_LE(build.at("memory_peak_bytes").to_number<double>(), (64ll << 20) + (8ll << 20)) << r.body;
  EXPECT_LE(build.at("cpu_time_ms").as_int64(), 700) << r.body;
  // The quota's 1 MiB of disk is the run's whole file system, build included.
  EXPECT_EQ(Num(build.at("limits"), "disk"), 1ll << 20) << r.body;
  auto fill = ExecuteAs(user, PythonRequest("open('/tmp/big', 'wb').write(b'x' * (4 << 20))\nprint('wrote')\n"));
  ASSERT_EQ(fill.status, 200) << fill.body;
  EXPECT_EQ(Str(fill.Json(), "stdout").find("wrote"), std::string::npos) << fill.body;
  EXPECT_EQ(Num(fill.Json().at("limits"), "disk"), 1ll << 20) << fill.body;
}

// The issue's attack: a Rust file whose name is shell code, next to the code it runs.
TEST_F(UserLimits, FileNamesDoNotRunAsShellCodeInTheBuildStep) {
  const std::string user = NewUser("namer");
  const json::object request{
      {"runtime", "rust-1.63"},
      {"files", json::array{json::object{{"name", "a.rs;python3 p.py;exit 1;#"}, {"content", "fn main() { println!(\"rust\"); }\n"}},
                            json::object{{"name", "p.py"}, {"content", "print('INJECTED')\n"}},
                            json::object{{"name", "$(python3 p.py)"}, {"content", ""}}}}};
  auto r = ExecuteAs(user, request);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("INJECTED"), std::string::npos) << r.body;
  // The whole name reached rustc as one file, which it built.
  EXPECT_EQ(Str(r.Json(), "status"), "ok") << r.body;
  EXPECT_EQ(Str(r.Json(), "stdout"), "rust\n") << r.body;
  // A main file named like a command substitution is a file, too.
  const json::object sub{{"runtime", "rust-1.63"},
                         {"files", json::array{json::object{{"name", "$(python3 p.py).rs"}, {"content", "fn main() {}\n"}},
                                               json::object{{"name", "p.py"}, {"content", "print('INJECTED')\n"}}}}};
  auto s = ExecuteAs(user, sub);
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(s.body.find("INJECTED"), std::string::npos) << s.body;
}

}  // namespace
}  // namespace runlet::testing
