// Runtime definitions (runtimes/*.json, and the admin API's runtime bodies): parsed, then
// a job made from an accepted one; limits objects; version ordering. Input: the JSON.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "runtime/catalog.h"
#include "runtime/job.h"

namespace {
[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  std::abort();
}
int Sign(int x) { return (x > 0) - (x < 0); }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto rt = runlet::runtime::Catalog::ParseRuntime(text)) {
    runlet::runtime::Catalog catalog;
    catalog.Add(*rt);
    if (!catalog.Find(rt->id)) Fail("an added runtime is not found");
    runlet::runtime::JobRequest request;
    request.files.push_back({rt->main_file.empty() ? "main" : rt->main_file, "x", false});
    request.args = {"a", "{main}"};
    request.env = {"A=1"};
    (void)runlet::runtime::MakeJob(*rt, request);
    (void)catalog.ForFile(rt->main_file);
  }
  boost::system::error_code ec;
  auto doc = boost::json::parse(text, ec);
  if (!ec) (void)runlet::runtime::ParseLimitsJson(&doc, runlet::Limits{});

  // Version ordering is antisymmetric: the input split at its first space.
  const size_t sp = text.find(' ');
  if (sp != std::string::npos) {
    const std::string a = text.substr(0, sp), b = text.substr(sp + 1);
    if (Sign(runlet::runtime::CompareVersions(a, b)) != -Sign(runlet::runtime::CompareVersions(b, a)))
      Fail("CompareVersions is not antisymmetric");
    if (runlet::runtime::CompareVersions(a, a) != 0) Fail("a version differs from itself");
  }
  return 0;
}
