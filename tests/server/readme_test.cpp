// The README's first API example, run as pasted (only the port changed) against the real
// server: the commands a newcomer copies first must work.
#include <stdio.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "server_test.h"

namespace runlet::testing {
namespace {

// The first ```sh block of `markdown` that calls curl.
std::string FirstCurlBlock(const std::string& markdown) {
  size_t pos = 0;
  for (;;) {
    const size_t start = markdown.find("```sh\n", pos);
    if (start == std::string::npos) return "";
    const size_t end = markdown.find("```", start + 6);
    if (end == std::string::npos) return "";
    std::string block = markdown.substr(start + 6, end - start - 6);
    if (block.find("curl ") != std::string::npos) return block;
    pos = end + 3;
  }
}

// Runs `script` with bash -e -o pipefail; its stdout, and its exit status in `status`.
std::string RunScript(const std::string& script, int& status) {
  const std::string path = ::testing::TempDir() + "/readme_example.sh";
  std::ofstream(path) << "set -e -o pipefail\n" << script;
  FILE* out = ::popen(("bash " + path + " 2>&1").c_str(), "r");
  std::string text;
  char buf[4096];
  size_t n;
  while (out && (n = fread(buf, 1, sizeof buf, out)) > 0) text.append(buf, n);
  status = out ? ::pclose(out) : -1;
  return text;
}

using Readme = ServerTest;

TEST_F(Readme, TheFirstApiExampleRunsAsPasted) {
  std::ifstream in(RUNLET_README);
  ASSERT_TRUE(in) << RUNLET_README;
  std::stringstream text;
  text << in.rdbuf();
  std::string script = FirstCurlBlock(text.str());
  ASSERT_NE(script.find("auth/signup"), std::string::npos) << "the first curl example no longer signs up:\n" << script;
  // The example talks to localhost:8080; this server has a port of its own.
  const std::string port = std::to_string(http().port());
  for (size_t at = script.find("localhost:8080"); at != std::string::npos; at = script.find("localhost:8080", at))
    script.replace(at, 14, "localhost:" + port);
  int status = -1;
  const std::string output = RunScript(script, status);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the example failed:\n" << script << "\n" << output;
  // Sign-up's answer, then the execute result.
  EXPECT_NE(output.find(R"("username":"alice")"), std::string::npos) << output;
  EXPECT_NE(output.find(R"("status":"ok")"), std::string::npos) << output;
  EXPECT_NE(output.find(R"("stdout":"HI\n")"), std::string::npos) << output;
}

}  // namespace
}  // namespace runlet::testing
