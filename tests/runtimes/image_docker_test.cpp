// The Docker platform runs the very bytes of a Debian-built image: python-3.9's image
// (from the `runlet_test_images` fixture, see image_runtimes_test.cpp) goes into the
// engine as `runlet image export` writes it, and the interpreter that runs there is the
// image's file. Starts the engine with scripts/start-docker; fails when it cannot.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "image/image_store.h"

namespace runlet::runtime::testing {
namespace {

namespace json = boost::json;

const std::string kProjects = RUNLET_PROJECTS_DIR;
const std::string kImageStore = RUNLET_TEST_IMAGES;

const std::string& DataDir() { return DataDirOverImages(kImageStore); }

void StartDocker() {
  const CliOutput out = RunCli({RUNLET_START_DOCKER});
  ASSERT_EQ(out.exit_code, 0) << "scripts/start-docker failed:\n" << out.stdout_data << out.stderr_data;
}

json::object RunOn(const std::string& platform, const std::string& runtime, const std::string& project) {
  const CliOutput cli = RunCli({RUNLET_BIN, "run", "--runtimes", RUNLET_RUNTIMES_DIR, "--data", DataDir(),
                                "--platform", platform, "--runtime", runtime, "--json", project});
  boost::system::error_code ec;
  json::value doc = json::parse(cli.stdout_data, ec);
  if (ec || !doc.is_object()) {
    ADD_FAILURE() << platform << ": not a result object\nstdout: " << cli.stdout_data << "\nstderr: " << cli.stderr_data;
    return {};
  }
  return doc.as_object();
}

std::string Stdout(const json::object& result) {
  auto* v = result.if_contains("stdout");
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

TEST(DockerImageRuntime, RunsTheSameInterpreterBytesAsTheNativeSandboxFromTheBullseyeImage) {
  StartDocker();
  if (HasFatalFailure()) return;
  const std::string project = kProjects + "/python-3.9/version";
  const json::object native = RunOn("native", "python-3.9", project);
  const json::object docker = RunOn("docker", "python-3.9", project);
  ASSERT_EQ(docker.if_contains("status") ? json::serialize(docker.at("status")) : "", "\"ok\"")
      << json::serialize(docker);
  ASSERT_EQ(native.if_contains("status") ? json::serialize(native.at("status")) : "", "\"ok\"")
      << json::serialize(native);
  // Version, path and SHA-256 of the interpreter: the same on both platforms...
  EXPECT_EQ(Stdout(docker), Stdout(native));
  EXPECT_EQ(Stdout(docker).rfind("3.9.", 0), 0u) << Stdout(docker);
  // ...and the image's own file.
  image::ImageStore store(kImageStore);
  auto image = store.Resolve("bullseye-python");
  ASSERT_TRUE(image) << image.error().message;
  const CliOutput sum = RunCli({"/usr/bin/sha256sum", image->rootfs + "/usr/bin/python3.9"});
  ASSERT_EQ(sum.exit_code, 0) << sum.stderr_data;
  EXPECT_NE(Stdout(docker).find("\n" + sum.stdout_data.substr(0, 64) + "\n"), std::string::npos)
      << Stdout(docker) << " vs " << sum.stdout_data;
}

TEST(DockerImageRuntime, BuildsAndRunsAGoProjectWithTheBullseyeGo115Toolchain) {
  StartDocker();
  if (HasFatalFailure()) return;
  const json::object docker = RunOn("docker", "go-1.15", kProjects + "/go-1.15/version");
  EXPECT_EQ(docker.if_contains("status") ? json::serialize(docker.at("status")) : "", "\"ok\"")
      << json::serialize(docker);
  EXPECT_EQ(Stdout(docker).rfind("go1.15.", 0), 0u) << json::serialize(docker);
}

}  // namespace
}  // namespace runlet::runtime::testing
