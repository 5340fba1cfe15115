// Runs the real runlet binary for the runtime tests and reads what it printed.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <vector>

namespace runlet::runtime::testing {

struct CliOutput {
  int exit_code = -1;  // the binary's own exit code; -1 if it did not exit normally
  std::string stdout_data;
  std::string stderr_data;
};

// Runs `argv` (argv[0] is a path) with stdin from /dev/null and waits for it; the
// test fails if it cannot start.
CliOutput RunCli(const std::vector<std::string>& argv);

// What `runlet run --json` printed: its result object, and the raw output for messages.
struct RunOutcome {
  CliOutput cli;
  boost::json::object result;
  // Everything runlet printed, for failure messages.
  std::string Describe() const;
  std::string Str(const char* key) const;  // "<not a string>" when absent
  const boost::json::object* Build() const;  // the build step's result, or null
  std::vector<std::string> Lines() const;    // stdout, line by line
};

// Runs `argv` and parses its stdout as a result object; the test fails if it is not one.
RunOutcome RunJson(const std::vector<std::string>& argv);

// `runlet VERB --runtimes <the checkout's> --data DATA_DIR`: the start of every command line.
std::vector<std::string> CliArgs(const std::string& verb, const std::string& data_dir);

// `runlet run --runtime ID --json FLAGS... projects/ID/CASE -- ARGS...` on `data_dir`.
RunOutcome RunProjectIn(const std::string& data_dir, const std::string& runtime, const std::string& project_case,
                      const std::vector<std::string>& flags = {}, const std::vector<std::string>& args = {});

// A temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `content` to `name` inside the directory and returns the file's path.
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// A data directory of this test process (its own version cache) whose images/ is the
// shared test image store `store` (built once by the image fixture).
const std::string& DataDirOverImages(const std::string& store);

}  // namespace runlet::runtime::testing
