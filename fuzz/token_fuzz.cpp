// Credentials as requests carry them: the Authorization header, the session cookie, the
// CSRF token and the Origin, through the API's guard (api::Authenticate) to /api/v1/me.
// Lines of the input: authorization, cookie, x-csrf-token, origin, host, upgrade; the
// first byte picks the method.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz/api_fixture.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string> lines;
  size_t start = 0;
  while (lines.size() < 6) {
    const size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  lines.resize(6);
  static const char* const kNames[] = {"authorization", "cookie", "x-csrf-token", "origin", "host", "upgrade"};
  auto& fixture = runlet::fuzz::ApiFixture::Get();
  fixture.Restore();
  runlet::api::Request r;
  r.method = data[0] % 2 ? "POST" : "GET";
  r.path = data[0] % 2 ? "/api/v1/me/tokens" : "/api/v1/me";
  for (int i = 0; i < 6; ++i)
    if (!lines[i].empty()) r.headers[kNames[i]] = lines[i];
  r.body = R"({"name": "fuzz"})";
  r.remote_address = "127.0.0.1";
  auto response = fixture.Dispatch(r);
  // Only the fixture's own tokens open an account.
  if (response.status >= 200 && response.status < 300 && text.find(runlet::fuzz::ApiFixture::kAdminToken) == std::string::npos &&
      text.find(runlet::fuzz::ApiFixture::kUserToken) == std::string::npos) {
    std::fprintf(stderr, "authenticated without a known token: %d %s\n", response.status, response.body.c_str());
    std::abort();
  }
  if (response.status >= 500) {
    std::fprintf(stderr, "%d: %s\n", response.status, response.body.c_str());
    std::abort();
  }
  // A token this input made is revoked (a user holds at most 50).
  if (r.method == "POST" && response.status == 201) {
    boost::system::error_code ec;
    auto doc = boost::json::parse(response.body, ec);
    if (ec || !doc.is_object() || !doc.as_object().contains("id")) std::abort();
    runlet::api::Request revoke = r;
    revoke.method = "DELETE";
    revoke.path = "/api/v1/me/tokens/" + std::string(doc.as_object().at("id").as_string());
    revoke.headers["authorization"] = std::string("Bearer ") + runlet::fuzz::ApiFixture::kUserToken;
    revoke.headers.erase("cookie");
    revoke.body.clear();
    (void)fixture.Dispatch(revoke);
  }
  return 0;
}
