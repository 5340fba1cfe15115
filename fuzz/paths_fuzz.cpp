// File paths and names from users and archives: the project files API (a path that is
// accepted is written, read back unchanged, renamed and deleted), CheckRelativePath,
// SplitArchivePath and the UTF-8 checks they go with.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/files.h"
#include "core/utf8.h"
#include "fuzz/api_fixture.h"
#include "image/archive_path.h"

namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  std::abort();
}

runlet::api::Response Call(const char* method, const std::string& path, std::string body = {}) {
  runlet::api::Request r;
  r.method = method;
  r.path = path;
  r.headers["authorization"] = std::string("Bearer ") + runlet::fuzz::ApiFixture::kUserToken;
  r.body = std::move(body);
  r.remote_address = "127.0.0.1";
  return runlet::fuzz::ApiFixture::Get().Dispatch(r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path(reinterpret_cast<const char*>(data), size);

  // CheckRelativePath accepts only clean relative paths.
  const bool relative_ok = runlet::CheckRelativePath(path).empty();
  if (relative_ok) {
    if (path.empty() || path.front() == '/' || path.find('\0') != std::string::npos ||
        path.find("//") != std::string::npos || path.back() == '/')
      Fail("CheckRelativePath accepted a path that is not clean");
    auto parts = runlet::image::SplitArchivePath(path, 4096);
    if (!parts) Fail("an accepted project path is refused as an archive path");
    if (runlet::image::JoinPath(*parts, parts->size()) != path) Fail("split and join do not give the path back");
  }

  // SplitArchivePath: no "..", no empty parts, the normalized form splits the same way.
  if (auto parts = runlet::image::SplitArchivePath(path, 4096)) {
    for (const auto& p : *parts)
      if (p.empty() || p == "." || p == ".." || p.find('/') != std::string::npos || p.size() > 255)
        Fail("SplitArchivePath kept a bad component");
    const std::string joined = runlet::image::JoinPath(*parts, parts->size());
    auto again = runlet::image::SplitArchivePath(joined, 4096);
    if (!again || *again != *parts) Fail("a normalized archive path does not split the same way");
  }

  // SanitizeUtf8 always gives valid UTF-8, and leaves valid UTF-8 alone.
  const std::string clean = runlet::SanitizeUtf8(path);
  if (!runlet::IsValidUtf8(clean)) Fail("SanitizeUtf8 gave ill-formed UTF-8");
  if (runlet::IsValidUtf8(path) && clean != path) Fail("SanitizeUtf8 changed valid UTF-8");

  // The files API: what it accepts, it keeps under that name.
  auto& fixture = runlet::fuzz::ApiFixture::Get();
  fixture.Restore();
  const std::string files = std::string("/api/v1/projects/") + runlet::fuzz::ApiFixture::kProjectId + "/files/";
  if (path == "main.py") return 0;  // the fixture's own file
  auto put = Call("PUT", files + path, "content");
  const bool accepted = put.status == 200 || put.status == 201;
  if (accepted && (!relative_ok || !runlet::IsValidUtf8(path))) Fail("the files API accepted " + path);
  if (!accepted) return 0;
  auto got = Call("GET", files + path);
  if (got.status != 200 || got.body != "content") Fail("a written file does not read back: " + got.body);
  auto moved = Call("PATCH", files + path, R"({"path": "moved/by/fuzz.txt"})");
  const std::string now_at = moved.status == 200 ? "moved/by/fuzz.txt" : path;
  auto del = Call("DELETE", files + now_at);
  if (del.status != 200 && del.status != 204) Fail("a written file cannot be deleted: " + del.body);
  return 0;
}
