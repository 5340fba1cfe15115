#include <cstdlib>

#include "accounts_test.h"

namespace runlet::testing {

std::string AccountsTest::NewUser(const std::string& name) {
  auto r = Send("POST", "/api/v1/auth/signup", Anonymous(),
                json::serialize(json::object{{"username", name}, {"password", name + "-password"}}));
  EXPECT_EQ(r.status, 201) << r.body;
  auto login = Login(name, name + "-password");
  EXPECT_EQ(login.status, 200) << login.body;
  return Str(login.Json(), "token");
}

std::string AccountsTest::NewAdmin(const std::string& name) {
  const std::string command = "printf '%s\\n' '" + name + "-password' | " + RUNLET_BIN + " admin create-user " +
                              name + " --admin --password-stdin " + "--data '" + data_dir() + "'" +
                              (database_.empty() ? "" : " --database '" + database_ + "'");
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  auto login = Login(name, name + "-password");
  EXPECT_EQ(login.status, 200) << login.body;
  return Str(login.Json(), "token");
}

HttpResponse AccountsTest::Login(const std::string& name, const std::string& password, json::object extra) {
  extra["username"] = name;
  extra["password"] = password;
  return Send("POST", "/api/v1/auth/login", Anonymous(), json::serialize(extra));
}

HttpResponse AccountsTest::Send(const std::string& method, const std::string& target, const Headers& who,
                                const std::string& body) {
  Headers headers = who;
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  return http().Request(method, target, body, headers);
}

}  // namespace runlet::testing
