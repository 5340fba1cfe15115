// The web UI's file server: only files read at start are served, /api/ is never its, and
// every answer carries the page's security headers.
#include "api/web.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace runlet::api {
namespace {
namespace fs = std::filesystem;

class WebUiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("runlet-web-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "assets");
    Write("index.html", "<!doctype html><title>Runlet</title>");
    Write("assets/index-abc.js", "console.log(1)");
    Write("assets/index-abc.css", "body{}");
    // Outside the UI's folder, reachable only through a path with ".." or a symlink.
    Write("../runlet-web-secret-" + std::to_string(::getpid()), "secret");
    fs::create_symlink("/etc/passwd", dir_ / "assets/passwd.js");
  }
  void TearDown() override {
    fs::remove_all(dir_);
    fs::remove(dir_.parent_path() / ("runlet-web-secret-" + std::to_string(::getpid())));
  }
  void Write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }
  static Request Get(const std::string& path) {
    Request r;
    r.method = "GET";
    r.path = path;
    return r;
  }
  static std::string Header(const Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return "";
  }
  fs::path dir_;
};

TEST_F(WebUiTest, ServesItsFilesWithTypesAndCaching) {
  auto ui = WebUi::Load(dir_);
  ASSERT_TRUE(ui.built()) << ui.problem();
  auto js = ui.Serve(Get("/assets/index-abc.js"));
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->body, "console.log(1)");
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(Header(*js, "Cache-Control").find("immutable"), std::string::npos);
  auto css = ui.Serve(Get("/assets/index-abc.css"));
  ASSERT_TRUE(css);
  EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
  auto index = ui.Serve(Get("/"));
  ASSERT_TRUE(index);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Header(*index, "Cache-Control"), "no-cache");
  EXPECT_NE(Header(*index, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(Header(*index, "X-Frame-Options"), "DENY");
  EXPECT_EQ(Header(*index, "X-Content-Type-Options"), "nosniff");
}

// The editor frames the workspaces' app previews, on their own origin, and nothing else.
TEST_F(WebUiTest, PagesMayFrameOnlyThePreviewOrigin) {
  auto ui = WebUi::Load(dir_);
  auto csp = Header(*ui.Serve(Get("/")), "Content-Security-Policy");
  EXPECT_NE(csp.find("frame-src 'none';"), std::string::npos) << csp;
  ui.SetFrameSources("http://*.localhost:8081");
  csp = Header(*ui.Serve(Get("/p/abc")), "Content-Security-Policy");
  EXPECT_NE(csp.find("frame-src http://*.localhost:8081;"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
}

TEST_F(WebUiTest, PagesOfTheAppGetIndexAndMissingFilesA404) {
  auto ui = WebUi::Load(dir_);
  for (const char* page : {"/projects", "/p/abc123", "/admin/users", "/login"}) {
    auto r = ui.Serve(Get(page));
    ASSERT_TRUE(r) << page;
    EXPECT_EQ(r->status, 200) << page;
    EXPECT_EQ(r->body, "<!doctype html><title>Runlet</title>") << page;
  }
  auto missing = ui.Serve(Get("/assets/gone.js"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(WebUiTest, NeverReachesFilesOutsideItsFolder) {
  auto ui = WebUi::Load(dir_);
  const std::string secret = "/../runlet-web-secret-" + std::to_string(::getpid());
  for (const std::string& path : {secret, "/assets/../../runlet-web-secret-" + std::to_string(::getpid()),
                                  std::string("/assets/passwd.js"), std::string("/etc/passwd")}) {
    auto r = ui.Serve(Get(path));
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->body.find("secret"), std::string::npos) << path;
    EXPECT_EQ(r->body.find("root:"), std::string::npos) << path;
  }
}

TEST_F(WebUiTest, DeclinesTheApiAndOtherMethods) {
  auto ui = WebUi::Load(dir_);
  EXPECT_FALSE(ui.Serve(Get("/api/v1/nothing")));
  EXPECT_FALSE(ui.Serve(Get("/healthz")));
  EXPECT_FALSE(ui.Serve(Get("/metrics")));
  Request post = Get("/");
  post.method = "POST";
  EXPECT_FALSE(ui.Serve(post));
}

TEST_F(WebUiTest, WithoutABuiltUiTheStartPageSaysHowToBuildIt) {
  auto ui = WebUi::Load((dir_ / "nothing-here").string());
  EXPECT_FALSE(ui.built());
  EXPECT_NE(ui.problem().find("no web UI folder"), std::string::npos);
  auto r = ui.Serve(Get("/"));
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("make web"), std::string::npos);
}

}  // namespace
}  // namespace runlet::api
