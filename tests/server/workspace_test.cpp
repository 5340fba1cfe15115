// Workspaces through the real server: start, terminal (type, resize, reconnect, replay),
// exec, files both ways, expiry, the per-user maximum, bad input, other users, the
// Origin check on the terminal's upgrade, and a restart that ends them all.
#include <sys/stat.h>
#include <sys/wait.h>

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "server_test.h"

namespace runlet::testing {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace asio = boost::asio;

// A WebSocket client whose every operation is bounded by a timeout.
class WsClient {
 public:
  WsClient(unsigned short port, const std::string& target, const Headers& headers) : ws_(ioc_) {
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    beast::get_lowest_layer(ws_).expires_after(10s);
    beast::get_lowest_layer(ws_).connect(ep);
    ws_.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
      for (const auto& [k, v] : headers) req.set(k, v);
    }));
    beast::error_code ec;
    ws_.handshake(response_, "127.0.0.1:" + std::to_string(port), target, ec);
    ok_ = !ec;
  }
  bool ok() const { return ok_; }
  int status() const { return static_cast<int>(response_.result_int()); }
  void SendBinary(const std::string& bytes) {
    ws_.binary(true);
    ws_.write(asio::buffer(bytes));
  }
  void SendText(const std::string& text) {
    ws_.text(true);
    ws_.write(asio::buffer(text));
  }
  // The next message (text: JSON control) or nullopt after `timeout` or at the end.
  std::optional<std::pair<bool, std::string>> Read(std::chrono::milliseconds timeout) {
    beast::flat_buffer buffer;
    std::optional<std::pair<bool, std::string>> out;
    beast::get_lowest_layer(ws_).expires_after(timeout);
    ws_.async_read(buffer, [&](beast::error_code ec, size_t) {
      if (!ec) out = std::make_pair(ws_.got_text(), beast::buffers_to_string(buffer.data()));
    });
    ioc_.restart();
    ioc_.run();
    return out;
  }
  // Reads until the terminal's bytes contain `want`; all bytes read (text messages are
  // kept in `texts`).
  std::string ReadUntil(const std::string& want, std::chrono::milliseconds timeout = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline && screen_.find(want) == std::string::npos) {
      auto m = Read(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
      if (!m) break;
      if (m->first) texts_.push_back(m->second);
      else screen_ += m->second;
    }
    return screen_;
  }
  std::vector<std::string>& texts() { return texts_; }
  std::string& screen() { return screen_; }

 private:
  asio::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_;
  websocket::response_type response_;
  bool ok_ = false;
  std::vector<std::string> texts_;
  std::string screen_;
};

class WorkspaceTest : public ServerTest {
 protected:
  std::vector<std::string> ServerArgs() const override {
    return {"--workspaces-per-user", "2", "--preview-listen", "127.0.0.1:0"};
  }

  json::object Start(json::object body = {{"runtime", "python-3.11"}}) {
    auto r = http().Post("/api/v1/workspaces", json::serialize(body));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.Json().is_object() ? r.Json().as_object() : json::object{};
  }
  json::object Exec(const std::string& id, json::array command, json::object extra = {}) {
    extra["command"] = std::move(command);
    auto r = http().Post("/api/v1/workspaces/" + id + "/exec", json::serialize(extra));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json().is_object() ? r.Json().as_object() : json::object{};
  }
  Headers Auth() const {
    Headers h;
    for (const auto& [k, v] : DefaultHeaders()) h.emplace_back(k, v);
    return h;
  }
};

TEST_F(WorkspaceTest, StartsAWorkspaceAndListsGetsAndDeletesIt) {
  const auto ws = Start();
  const std::string id = Str(ws, "id");
  EXPECT_EQ(Str(ws, "status"), "running");
  EXPECT_EQ(Str(ws, "runtime"), "python-3.11");
  EXPECT_TRUE(ws.at("project").is_null());
  for (const char* key : {"created_at", "expires_at", "idle_expires_at"}) EXPECT_EQ(Str(ws, key).size(), 20u) << key;
  EXPECT_TRUE(ws.at("limits").is_object());
  auto list = http().Get("/api/v1/workspaces");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.Json().as_array().size(), 1u);
  EXPECT_EQ(http().Get("/api/v1/workspaces/" + id).status, 200);
  auto del = http().Delete("/api/v1/workspaces/" + id);
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(Str(del.Json(), "status"), "stopped");
  EXPECT_TRUE(IsError(http().Get("/api/v1/workspaces/" + id), 404, "not_found"));
}

TEST_F(WorkspaceTest, TheTerminalTypesResizesAndReplaysOnReconnect) {
  const std::string id = Str(Start(), "id");
  std::string terminal;
  {
    WsClient ws(server().port(), "/api/v1/workspaces/" + id + "/terminal?cols=90&rows=20", Auth());
    ASSERT_TRUE(ws.ok()) << ws.status();
    ws.SendBinary("echo size=$(stty size) user=$(id -un); python3 -c 'print(6*7)'\n");
    const std::string screen = ws.ReadUntil("42\r\n");
    EXPECT_NE(screen.find("size=20 90 user=runner"), std::string::npos) << screen;
    ASSERT_FALSE(ws.texts().empty());
    auto hello = boost::json::parse(ws.texts().front());
    EXPECT_EQ(Str(hello, "type"), "hello");
    terminal = Str(hello, "terminal");
    ws.SendText(R"({"type":"resize","cols":120,"rows":33})");
    ws.SendBinary("stty size; KEEP=yes\n");
    EXPECT_NE(ws.ReadUntil("33 120").find("33 120"), std::string::npos);
  }
  WsClient again(server().port(), "/api/v1/workspaces/" + id + "/terminal?terminal=" + terminal, Auth());
  ASSERT_TRUE(again.ok()) << again.status();
  again.SendBinary("echo kept=$KEEP; exit 7\n");
  const std::string screen = again.ReadUntil("kept=yes\r\n");
  EXPECT_NE(screen.find("size=20 90"), std::string::npos) << "the earlier output was not replayed: " << screen;
  // The shell ends: {"type":"exit","code":7}, then the server closes.
  bool exited = false;
  for (int i = 0; i < 50 && !exited; ++i) {
    auto m = again.Read(5s);
    if (!m) break;
    if (m->first) exited = m->second == R"({"type":"exit","code":7})";
  }
  EXPECT_TRUE(exited);
}

TEST_F(WorkspaceTest, ExecAndFilesGoBothWays) {
  const std::string id = Str(Start(), "id");
  auto put = http().Put("/api/v1/workspaces/" + id + "/files/app/main.py", "print('from the api')\n");
  ASSERT_EQ(put.status, 200) << put.body;
  auto r = Exec(id, {"python3", "app/main.py"});
  EXPECT_EQ(r.at("exit_code").as_int64(), 0);
  EXPECT_EQ(Str(r, "stdout"), "from the api\n");
  EXPECT_TRUE(r.at("signal").is_null());
  r = Exec(id, {"sh", "-c", "cat; echo made > out.txt; echo oops >&2; exit 3"}, {{"stdin", "in\n"}});
  EXPECT_EQ(r.at("exit_code").as_int64(), 3);
  EXPECT_EQ(Str(r, "stdout"), "in\n");
  EXPECT_EQ(Str(r, "stderr"), "oops\n");
  auto got = http().Get("/api/v1/workspaces/" + id + "/files/out.txt");
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "made\n");
  auto list = http().Get("/api/v1/workspaces/" + id + "/files");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(boost::json::serialize(list.Json()),
            R"([{"path":"app/main.py","size":22},{"path":"out.txt","size":5}])");
  EXPECT_EQ(http().Delete("/api/v1/workspaces/" + id + "/files/out.txt").status, 204);
  EXPECT_TRUE(IsError(http().Get("/api/v1/workspaces/" + id + "/files/out.txt"), 404, "not_found"));
  // A symlink the user made is not followed, out of /work or within it.
  Exec(id, {"ln", "-s", "/etc/passwd", "link"});
  EXPECT_EQ(http().Get("/api/v1/workspaces/" + id + "/files/link").status, 400);
  r = Exec(id, {"sleep", "10"}, {{"timeout_ms", 200}});
  EXPECT_TRUE(r.at("timed_out").as_bool());
  EXPECT_EQ(r.at("signal").as_int64(), 9);
}

TEST_F(WorkspaceTest, AProjectWorkspaceHasTheProjectsFiles) {
  const std::string project = CreateProject("python-3.11", {{"main.py", "print('project')\n"}});
  const auto ws = Start({{"project", project}});
  EXPECT_EQ(Str(ws, "project"), project);
  auto r = Exec(Str(ws, "id"), {"python3", "main.py"});
  EXPECT_EQ(Str(r, "stdout"), "project\n");
}

TEST_F(WorkspaceTest, FilesMadeInTheWorkspaceSyncBackToTheProjectAsANewVersion) {
  const std::string project = CreateProject("python-3.11", {{"main.py", "print('v1')\n"}, {"old.txt", "old\n"}});
  const std::string id = Str(Start({{"project", project}}), "id");
  Exec(id, {"sh", "-c", "echo \"print('v2')\" > main.py; mkdir -p lib; echo new > lib/new.txt; rm old.txt"});
  auto synced = http().Post("/api/v1/workspaces/" + id + "/sync");
  ASSERT_EQ(synced.status, 200) << synced.body;
  EXPECT_FALSE(Str(synced.Json(), "version").empty());
  EXPECT_EQ(synced.Json().at("files").as_int64(), 2);
  EXPECT_EQ(http().Get("/api/v1/projects/" + project + "/files/main.py").body, "print('v2')\n");
  EXPECT_EQ(http().Get("/api/v1/projects/" + project + "/files/lib/new.txt").body, "new\n");
  EXPECT_EQ(http().Get("/api/v1/projects/" + project + "/files/old.txt").status, 404);
  // Stopping syncs too.
  Exec(id, {"sh", "-c", "echo last > last.txt"});
  auto stopped = http().Delete("/api/v1/workspaces/" + id);
  ASSERT_EQ(stopped.status, 200) << stopped.body;
  EXPECT_FALSE(Str(stopped.Json().at("sync"), "version").empty()) << stopped.body;
  EXPECT_EQ(http().Get("/api/v1/projects/" + project + "/files/last.txt").body, "last\n");
  // A bare workspace has no project to sync to.
  const std::string bare = Str(Start(), "id");
  EXPECT_TRUE(IsError(http().Post("/api/v1/workspaces/" + bare + "/sync"), 409, "conflict"));
}

TEST_F(WorkspaceTest, BadInputIsRefusedWithClearErrors) {
  EXPECT_TRUE(IsError(http().Post("/api/v1/workspaces", "{}"), 400, "invalid_request"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/workspaces", R"({"runtime":"no-such"})"), 404, "not_found"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/workspaces", R"({"runtime":"python-3.11","ttl_seconds":-1})"), 400,
                      "invalid_request"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/workspaces", R"({"runtime":"python-3.11","ttl_seconds":999999})"), 400,
                      "invalid_request"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/workspaces", "not json"), 400, "invalid_request"));
  const std::string id = Str(Start(), "id");
  EXPECT_TRUE(IsError(http().Post("/api/v1/workspaces/" + id + "/exec", R"({"command":[]})"), 400, "invalid_request"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/workspaces/" + id + "/exec", R"({"command":"ls"})"), 400, "invalid_request"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/workspaces/" + id + "/exec", R"({"command":["no-such-program"]})"), 400,
                      "invalid_request"));
  EXPECT_TRUE(IsError(http().Put("/api/v1/workspaces/" + id + "/files/..%2Fescape", "x"), 400, "invalid_request"));
  EXPECT_TRUE(IsError(http().Get("/api/v1/workspaces/" + id + "/terminal"), 426, "upgrade_required"));
  EXPECT_TRUE(IsError(http().Get("/api/v1/workspaces/" + id + "/terminal?cols=0"), 400, "invalid_request"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/workspaces/" + id + "/extend", R"({"ttl_seconds":99999})"), 400,
                      "invalid_request"));
  auto extended = http().Post("/api/v1/workspaces/" + id + "/extend", R"({"ttl_seconds":3600})");
  EXPECT_EQ(extended.status, 200) << extended.body;
  EXPECT_TRUE(IsError(http().Get("/api/v1/workspaces/nope"), 404, "not_found"));
}

TEST_F(WorkspaceTest, AUserHoldsAtMostTheAdminsNumberOfWorkspaces) {
  Start();
  Start();
  EXPECT_TRUE(IsError(http().Post("/api/v1/workspaces", R"({"runtime":"python-3.11"})"), 429, "too_many_requests"));
}

TEST_F(WorkspaceTest, AnotherUserCannotOpenListExecOrReadAWorkspace) {
  const std::string id = Str(Start(), "id");
  const Headers mine = DefaultHeaders();
  auto signup = http().Post("/api/v1/auth/signup", R"({"username":"other","password":"other-password"})");
  ASSERT_EQ(signup.status, 201) << signup.body;
  auto login = http().Post("/api/v1/auth/login", R"({"username":"other","password":"other-password"})");
  ASSERT_EQ(login.status, 200);
  DefaultHeaders() = {{"Authorization", "Bearer " + Str(login.Json(), "token")}};
  EXPECT_EQ(http().Get("/api/v1/workspaces").body, "[]");
  EXPECT_TRUE(IsError(http().Get("/api/v1/workspaces/" + id), 404, "not_found"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/workspaces/" + id + "/exec", R"({"command":["id"]})"), 404, "not_found"));
  EXPECT_TRUE(IsError(http().Get("/api/v1/workspaces/" + id + "/files"), 404, "not_found"));
  EXPECT_TRUE(IsError(http().Delete("/api/v1/workspaces/" + id), 404, "not_found"));
  EXPECT_TRUE(IsError(http().Post("/api/v1/workspaces/" + id + "/previews", R"({"port":3000})"), 404, "not_found"));
  WsClient ws(server().port(), "/api/v1/workspaces/" + id + "/terminal", Auth());
  EXPECT_FALSE(ws.ok());
  EXPECT_EQ(ws.status(), 404);
  DefaultHeaders() = mine;
  EXPECT_EQ(http().Get("/api/v1/workspaces/" + id).status, 200);
}

// Cross-site WebSocket hijacking: a page of another site opening the terminal with the
// user's session cookie is refused at the upgrade.
TEST_F(WorkspaceTest, TheTerminalRefusesAnUpgradeFromAnotherSiteWithTheSessionCookie) {
  const std::string id = Str(Start(), "id");
  auto login = http().Post("/api/v1/auth/login", R"({"username":"tester","password":"tester-password"})");
  std::string cookie = login.Header("set-cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  ASSERT_FALSE(cookie.empty());
  const std::string host = "127.0.0.1:" + std::to_string(server().port());
  WsClient cross(server().port(), "/api/v1/workspaces/" + id + "/terminal",
                 {{"Cookie", cookie}, {"Origin", "http://evil.example"}, {"Authorization", ""}});
  EXPECT_FALSE(cross.ok());
  EXPECT_EQ(cross.status(), 403);
  WsClient same(server().port(), "/api/v1/workspaces/" + id + "/terminal",
                {{"Cookie", cookie}, {"Origin", "http://" + host}, {"Authorization", ""}});
  EXPECT_TRUE(same.ok()) << same.status();
}

// A server that dies ends its workspaces: nothing of theirs runs after the restart.
TEST_F(WorkspaceTest, ACrashedServersWorkspacesLeaveNothingRunning) {
  const std::string id = Str(Start(), "id");
  // A command line of its own, so that other servers' sandboxes on this host do not count.
  const std::string seconds = "1000." + std::to_string(::getpid());
  auto r = Exec(id, {"sh", "-c", "(trap '' TERM HUP; setsid sleep " + seconds + " &); echo ok"});
  EXPECT_EQ(Str(r, "stdout"), "ok\n");
  auto sleepers = [&] {
    int n = 0;
    for (auto& e : std::filesystem::directory_iterator("/proc")) {
      std::ifstream in(e.path() / "cmdline");
      std::string cmdline((std::istreambuf_iterator<char>(in)), {});
      if (cmdline == std::string("sleep") + '\0' + seconds + '\0') ++n;
    }
    return n;
  };
  // The exec answers once its shell exits; the detached subshell may not have exec'd
  // `sleep` yet by then.
  int started = 0;
  for (int i = 0; i < 100 && !started; ++i) {
    started = sleepers();
    if (!started) std::this_thread::sleep_for(50ms);
  }
  ASSERT_GE(started, 1);
  StopServer(SIGKILL);
  int left = 1;
  for (int i = 0; i < 100 && left; ++i) {
    left = sleepers();
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(left, 0);
  StartServer();
  EXPECT_EQ(http().Get("/api/v1/workspaces").body, "[]");
}

}  // namespace
}  // namespace runlet::testing
