// The fixture of the server tests: each test gets the real `runlet serve` on port 0 with a
// fresh data directory, a client for it, and helpers for the requests tests repeat.
// TearDown checks that the server still answers, stops the runs the test started, and
// expects a graceful exit (SIGTERM -> exit status 0).
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "http_client.h"
#include "server_process.h"

namespace runlet::testing {
namespace json = boost::json;

using namespace std::chrono_literals;

// A Python program as an execute request body: {"runtime":"python-3.11","files":[main.py]}
// plus `extra` fields (stdin, args, env, limits...).
json::object PythonRequest(const std::string& code, json::object extra = {});
// The string at `key` of an object; "<missing>" or "<not a string>" otherwise.
std::string Str(const json::value& v, const std::string& key);
// Whether `r` is an error response: `status`, a JSON body {"error": code, "message": text}
// with a non-empty message.
::testing::AssertionResult IsError(const HttpResponse& r, int status, const std::string& code);

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Extra `runlet serve` flags for the fixture's server.
  virtual std::vector<std::string> ServerArgs() const { return {}; }

  // Starts the server on data_dir() (after a stop or a crash: the same data).
  void StartServer();
  // Sends `signal` and waits for the exit; the wait status, or -1 after `timeout`.
  int StopServer(int signal, std::chrono::milliseconds timeout = 20s);

  const std::string& data_dir() const { return data_dir_; }
  ServerProcess& server() { return *server_; }
  HttpClient& http() { return *http_; }

  // POST /api/v1/execute (?wait=false when !wait).
  HttpResponse Execute(const json::value& request, bool wait = true);
  // POST /api/v1/execute?wait=false, expecting 202; the run's id (stopped in TearDown).
  std::string StartExecute(const json::value& request);
  // POST /api/v1/projects and PUT of each file; the project's id.
  std::string CreateProject(const std::string& runtime, const std::map<std::string, std::string>& files);
  // POST /api/v1/projects/{id}/runs, expecting 202; the run's id.
  std::string StartProjectRun(const std::string& project_id);
  // GET /api/v1/runs/{id}, expecting 200.
  json::object GetRun(const std::string& id);
  // Polls the run until `done(run)`; fails the test after `timeout`.
  json::object WaitForRun(const std::string& id, const std::function<bool(const json::object&)>& done,
                          std::chrono::milliseconds timeout = 60s);
  json::object WaitFinal(const std::string& id, std::chrono::milliseconds timeout = 60s);
  json::object WaitStatus(const std::string& id, const std::string& status, std::chrono::milliseconds timeout = 60s);
  // Waits until the run has printed at least one line (so its program really runs).
  void WaitForOutput(const std::string& id, std::chrono::milliseconds timeout = 60s);

  std::unique_ptr<TempDir> dir_;
  std::string data_dir_;
  // With RUNLET_TEST_DATABASE=postgres: a fresh database on the test process's own
  // PostgreSQL server (temp_postgres.h), passed as --database; else "" (SQLite).
  std::string database_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> http_;
  std::vector<std::string> started_runs_;
};

}  // namespace runlet::testing
