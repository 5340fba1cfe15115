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
  // `host`: the Host header ("" for 127.0.0.1:port).
  WsClient(unsigned short port, const std::string& target, const Headers& headers, const std::string& host = "")
      : ws_(ioc_) {
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    beast::get_lowest_layer(ws_).expires_after(10s);
    beast::get_lowest_layer(ws_).connect(ep);
    ws_.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
      for (const auto& [k, v] : headers) req.set(k, v);
    }));
    beast::error_code ec;
    ws_.handshake(response_, host.empty() ? "127.0.0.1:" + std::to_string(port) : host, target, ec);
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
  // Detached (a session of its own) before the exec ends: the exec's end kills what is
  // left in its process group, which raced `setsid` when the exec did not wait for it.
  auto r = Exec(id, {"sh", "-c",
                     "setsid sh -c \"trap '' TERM HUP; : > detached; exec sleep " + seconds +
                         "\" < /dev/null > /dev/null 2>&1 & "
                         "for i in $(seq 500); do [ -e detached ] && echo ok && exit 0; sleep 0.01; done; exit 1"});
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


// The app previews reach: on 127.0.0.1:PORT inside the workspace, it answers HTTP with
// what it was asked (request line, Host, Cookie) and echoes WebSocket messages.
constexpr const char* kPreviewApp = R"PY(import base64, hashlib, socket, sys, threading
port = int(sys.argv[1])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(16)

def exactly(c, n):
    data = b""
    while len(data) < n:
        chunk = c.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data

def serve(c):
    try:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = c.recv(4096)
            if not chunk:
                return
            data += chunk
        lines = data.split(b"\r\n\r\n")[0].decode().split("\r\n")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("upgrade", "").lower() == "websocket":
            accept = base64.b64encode(hashlib.sha1((headers["sec-websocket-key"] +
                "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
            c.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").encode())
            while True:
                b0, b1 = exactly(c, 2)
                n = b1 & 0x7F
                if n == 126:
                    n = int.from_bytes(exactly(c, 2), "big")
                mask = exactly(c, 4) if b1 & 0x80 else b"\0\0\0\0"
                payload = bytes(x ^ mask[i % 4] for i, x in enumerate(exactly(c, n)))
                if b0 & 0x0F == 8:
                    return
                reply = ("echo from %d: " % port).encode() + payload
                c.sendall(bytes([0x81, len(reply)]) + reply)
        body = ("app on %d saw [%s] host=[%s] cookie=[%s]\n" % (
            port, lines[0], headers.get("host", ""), headers.get("cookie", ""))).encode()
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                  b"Connection: close\r\n\r\n" % len(body) + body)
    except (EOFError, OSError):
        pass
    finally:
        c.close()

while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
)PY";

class PreviewTest : public WorkspaceTest {
 protected:
  struct Preview {
    std::string host;   // <id>.localhost:PORT
    std::string grant;  // the one-time grant of the URL
    unsigned short port = 0;
  };
  // Starts the app on `port` in the workspace: started and waited for in one exec, so the
  // exec's end (whose clean-up kills what is left of its process group) finds it detached
  // and listening.
  void StartApp(const std::string& id, int port) {
    auto put = http().Put("/api/v1/workspaces/" + id + "/files/app.py", kPreviewApp);
    ASSERT_EQ(put.status, 200) << put.body;
    const std::string p = std::to_string(port);
    auto r = Exec(id, {"sh", "-c",
                       "setsid python3 app.py " + p + " > app-" + p + ".log 2>&1 < /dev/null & "
                       "for i in $(seq 200); do python3 -c 'import socket,sys; socket.create_connection((\"127.0.0.1\", " +
                           p + "))' 2>/dev/null && echo listening && exit 0; sleep 0.05; done; cat app-" + p +
                           ".log; exit 1"});
    ASSERT_EQ(Str(r, "stdout"), "listening\n") << Str(r, "stderr");
  }
  Preview CreatePreview(const std::string& id, int port) {
    auto r = http().Post("/api/v1/workspaces/" + id + "/previews", "{\"port\":" + std::to_string(port) + "}");
    EXPECT_EQ(r.status, 201) << r.body;
    const std::string url = Str(r.Json(), "url");
    const std::string prefix = "http://", marker = "/?runlet_preview_grant=";
    Preview p;
    const size_t slash = url.find(marker);
    if (url.rfind(prefix, 0) != 0 || slash == std::string::npos) {
      ADD_FAILURE() << "a preview URL like http://ID.localhost:PORT/?runlet_preview_grant=T, not " << url;
      return p;
    }
    p.host = url.substr(prefix.size(), slash - prefix.size());
    p.grant = url.substr(slash + marker.size());
    p.port = static_cast<unsigned short>(std::stoi(p.host.substr(p.host.rfind(':') + 1)));
    return p;
  }
  HttpResponse PreviewGet(const Preview& p, const std::string& target, const std::string& cookie = "") {
    Headers h{{"Host", p.host}, {"Authorization", ""}};
    if (!cookie.empty()) h.emplace_back("Cookie", cookie);
    return HttpClient(p.port, 20s).Get(target, h);
  }
  // Redeems the grant: the preview's cookie ("runlet_preview=..."), which the browser
  // keeps for the preview's host only.
  std::string Redeem(const Preview& p) {
    auto r = PreviewGet(p, "/some/page?q=1&runlet_preview_grant=" + p.grant);
    EXPECT_EQ(r.status, 302) << r.body;
    EXPECT_EQ(r.Header("location"), "/some/page?q=1");
    std::string cookie = r.Header("set-cookie");
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
    EXPECT_EQ(cookie.find("Domain"), std::string::npos) << "a host-only cookie: " << cookie;
    EXPECT_NE(cookie.find("SameSite=None; Secure"), std::string::npos) << "for the UI's frame: " << cookie;
    return cookie.substr(0, cookie.find(';'));
  }
};

TEST_F(PreviewTest, ThePreviewReachesTheAppOverHttpAndWebSocket) {
  const std::string id = Str(Start(), "id");
  StartApp(id, 3000);
  const Preview p = CreatePreview(id, 3000);
  const std::string cookie = Redeem(p);
  auto r = PreviewGet(p, "/some/page?q=1", cookie + "; theme=dark");
  ASSERT_EQ(r.status, 200) << r.body;
  // The app gets the request as it was made, without the preview's own cookie.
  EXPECT_EQ(r.body, "app on 3000 saw [GET /some/page?q=1 HTTP/1.1] host=[" + p.host + "] cookie=[theme=dark]\n");
  WsClient ws(p.port, "/socket", {{"Cookie", cookie}, {"Authorization", ""}}, p.host);
  ASSERT_TRUE(ws.ok()) << ws.status();
  ws.SendText("hello");
  auto m = ws.Read(10s);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->first);
  EXPECT_EQ(m->second, "echo from 3000: hello");
  ws.SendText("again");
  m = ws.Read(10s);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->second, "echo from 3000: again");
}

TEST_F(PreviewTest, APreviewNeedsItsOwnersGrant) {
  const std::string id = Str(Start(), "id");
  StartApp(id, 3000);
  const Preview p = CreatePreview(id, 3000);
  // No cookie, a made-up one, a made-up grant: refused, the app never asked.
  EXPECT_EQ(PreviewGet(p, "/").status, 403);
  EXPECT_EQ(PreviewGet(p, "/", "runlet_preview=0123456789abcdef").status, 403);
  EXPECT_EQ(PreviewGet(p, "/?runlet_preview_grant=0123456789abcdef").status, 403);
  WsClient anonymous(p.port, "/socket", {{"Authorization", ""}}, p.host);
  EXPECT_FALSE(anonymous.ok());
  EXPECT_EQ(anonymous.status(), 403);
  // The grant is good once.
  const std::string cookie = Redeem(p);
  EXPECT_EQ(PreviewGet(p, "/?runlet_preview_grant=" + p.grant).status, 403);
  EXPECT_EQ(PreviewGet(p, "/", cookie).status, 200);
  // The API's session is no key to the preview origin: a request with the user's bearer
  // token or API cookie and no preview cookie is refused.
  const Headers mine = DefaultHeaders();
  EXPECT_EQ(HttpClient(p.port).Get("/", {{"Host", p.host}}).status, 403);

  // Another user: no grant for this workspace, and their own preview's cookie opens only
  // their own preview.
  auto signup = http().Post("/api/v1/auth/signup", R"({"username":"other","password":"other-password"})");
  ASSERT_EQ(signup.status, 201) << signup.body;
  auto login = http().Post("/api/v1/auth/login", R"({"username":"other","password":"other-password"})");
  ASSERT_EQ(login.status, 200);
  DefaultHeaders() = {{"Authorization", "Bearer " + Str(login.Json(), "token")}};
  EXPECT_TRUE(IsError(http().Post("/api/v1/workspaces/" + id + "/previews", R"({"port":3000})"), 404, "not_found"));
  const std::string theirs = Str(Start(), "id");
  StartApp(theirs, 3000);
  const Preview q = CreatePreview(theirs, 3000);
  const std::string their_cookie = Redeem(q);
  EXPECT_EQ(PreviewGet(p, "/", their_cookie).status, 403) << "another preview's cookie";
  Preview crossed = q;
  crossed.host = p.host;
  EXPECT_EQ(PreviewGet(crossed, "/?runlet_preview_grant=" + CreatePreview(theirs, 3000).grant).status, 403)
      << "another preview's grant";
  EXPECT_EQ(PreviewGet(q, "/", their_cookie).status, 200);
  DefaultHeaders() = mine;
  // Stopped: the preview is gone.
  ASSERT_EQ(http().Delete("/api/v1/workspaces/" + id).status, 200);
  const int gone = PreviewGet(p, "/", cookie).status;
  EXPECT_TRUE(gone == 410 || gone == 403) << gone;
}

// The API's session cookie is host-only (no Domain) and SameSite=Strict on the API's
// host, and previews are served on other host names: a browser never sends it there.
TEST_F(PreviewTest, ThePreviewOriginNeverGetsTheApiSessionCookie) {
  auto login = http().Post("/api/v1/auth/login", R"({"username":"tester","password":"tester-password"})");
  ASSERT_EQ(login.status, 200);
  std::string set_cookie;
  for (const auto& [k, v] : login.headers)
    if (k == "set-cookie") set_cookie += v + "\n";
  ASSERT_NE(set_cookie.find("runlet_session="), std::string::npos) << set_cookie;
  EXPECT_EQ(set_cookie.find("Domain"), std::string::npos) << set_cookie;
  const std::string id = Str(Start(), "id");
  StartApp(id, 3000);
  const Preview p = CreatePreview(id, 3000);
  const std::string api_host = "127.0.0.1:" + std::to_string(server().port());
  const std::string preview_name = p.host.substr(0, p.host.rfind(':'));
  EXPECT_NE(preview_name, "127.0.0.1");
  EXPECT_NE(p.port, server().port());
  EXPECT_EQ(preview_name.find("127.0.0.1"), std::string::npos) << "not a name under the API's host";
  // The API answers nothing on the preview's address, nor the preview on the API's host.
  EXPECT_EQ(HttpClient(p.port).Get("/api/v1/me").status, 404);
  auto asked = HttpClient(server().port()).Get("/", {{"Host", p.host}});
  EXPECT_EQ(asked.body.find("app on"), std::string::npos);
  // What the app sees: the preview's own cookie taken off, nothing of the API's added.
  const std::string cookie = Redeem(p);
  auto r = PreviewGet(p, "/", cookie);
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("cookie=[]"), std::string::npos) << r.body;
}

// The proxy connects inside the workspace's own network namespace: a port of the host's
// loopback (a service of this test, the API itself) or of another workspace is not there.
TEST_F(PreviewTest, TheProxyReachesOnlyItsOwnWorkspacesPort) {
  asio::io_context ioc;
  asio::ip::tcp::acceptor host_service(ioc, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  host_service.non_blocking(true);
  const unsigned short host_port = host_service.local_endpoint().port();
  const std::string a = Str(Start(), "id");
  const std::string b = Str(Start(), "id");
  StartApp(a, 3000);
  StartApp(b, 3001);
  auto get = [&](const std::string& id, int port) {
    const Preview p = CreatePreview(id, port);
    return PreviewGet(p, "/", Redeem(p));
  };
  EXPECT_EQ(get(a, 3000).status, 200);
  auto other = get(a, 3001);
  EXPECT_EQ(other.status, 502) << other.body;
  EXPECT_EQ(other.body.find("app on"), std::string::npos);
  auto theirs = get(b, 3001);
  EXPECT_EQ(theirs.status, 200);
  EXPECT_NE(theirs.body.find("app on 3001"), std::string::npos) << theirs.body;
  EXPECT_EQ(get(a, host_port).status, 502);
  EXPECT_EQ(get(a, server().port()).status, 502);
  // The host's service never saw a connection.
  asio::ip::tcp::socket accepted(ioc);
  boost::system::error_code ec;
  host_service.accept(accepted, ec);
  EXPECT_EQ(ec, asio::error::would_block) << "a connection reached the host's loopback";
}

}  // namespace
}  // namespace runlet::testing
