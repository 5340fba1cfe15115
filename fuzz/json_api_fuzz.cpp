// Each JSON body the API reads: the first byte picks the route (and who calls it), the
// rest is the body, dispatched through the router and its guard as the server does.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz/api_fixture.h"

namespace {

struct Route {
  const char* method;
  const char* path;  // "{project}" and "{run}": the fixture's
  bool admin;
};

constexpr Route kRoutes[] = {
    {"POST", "/api/v1/execute", false},
    {"POST", "/api/v1/execute?wait=false", false},
    {"POST", "/api/v1/execute/batch", false},
    {"POST", "/api/v1/projects", false},
    {"PATCH", "/api/v1/projects/{project}", false},
    {"PATCH", "/api/v1/projects/{project}/files/main.py", false},
    {"POST", "/api/v1/projects/{project}/runs", false},
    {"POST", "/api/v1/projects/{project}/fork", false},
    {"POST", "/api/v1/runs/{run}/stop", false},
    {"POST", "/api/v1/me/tokens", false},
    {"POST", "/api/v1/me/totp", false},
    {"POST", "/api/v1/me/totp/verify", false},
    {"DELETE", "/api/v1/me/totp", false},
    {"POST", "/api/v1/me/password", false},
    {"POST", "/api/v1/auth/signup", false},
    {"POST", "/api/v1/auth/login", false},
    {"PATCH", "/api/v1/admin/users/2", true},
    {"PUT", "/api/v1/admin/settings", true},
    {"PUT", "/api/v1/admin/faq", true},
    {"POST", "/api/v1/admin/runtimes", true},
    {"PUT", "/api/v1/admin/runtimes/fuzz-runtime", true},
    {"PUT", "/api/v1/admin/platforms", true},
    {"POST", "/piston/api/v2/execute", false},
    {"POST", "/judge0/submissions?wait=false", false},
    {"POST", "/judge0/submissions/batch", false},
};

std::string Expand(std::string path) {
  for (auto [name, value] : {std::pair<std::string, std::string>{"{project}", runlet::fuzz::ApiFixture::kProjectId},
                             {"{run}", runlet::fuzz::ApiFixture::kRunId}}) {
    if (auto at = path.find(name); at != std::string::npos) path.replace(at, name.size(), value);
  }
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Route& route = kRoutes[data[0] % (sizeof kRoutes / sizeof kRoutes[0])];
  auto& fixture = runlet::fuzz::ApiFixture::Get();
  fixture.Restore();
  runlet::api::Request r;
  r.method = route.method;
  std::string target = Expand(route.path);
  if (auto q = target.find('?'); q != std::string::npos) {
    r.query["wait"] = "false";
    target.resize(q);
  }
  r.path = target;
  r.headers["authorization"] = std::string("Bearer ") +
                               (route.admin ? runlet::fuzz::ApiFixture::kAdminToken : runlet::fuzz::ApiFixture::kUserToken);
  r.headers["content-type"] = "application/json";
  r.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  r.remote_address = "127.0.0.1";
  auto response = fixture.Dispatch(r);
  // Bad input gets a clear error: a JSON {"error", "message"} with a 4xx, never a 500.
  if (response.status >= 500 && response.status != 503) {
    std::fprintf(stderr, "%s %s answered %d: %s\n", route.method, route.path, response.status, response.body.c_str());
    std::abort();
  }
  return 0;
}
