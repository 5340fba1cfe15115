// Helpers of the account and authorization tests: users made through the API (and
// admins through `runlet admin`), logins, and requests as one of them.
#pragma once

#include <string>

#include "server_test.h"

namespace runlet::testing {

class AccountsTest : public ServerTest {
 protected:
  // Signs `name` up (password: name + "-password") and logs in; the session token.
  std::string NewUser(const std::string& name);
  // `runlet admin create-user NAME --admin` on the data directory, then a login.
  std::string NewAdmin(const std::string& name);
  // POST /auth/login with `extra` fields (totp).
  HttpResponse Login(const std::string& name, const std::string& password, json::object extra = {});
  // Headers that make a request come from `token`'s user.
  static Headers As(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }
  // Headers of a request with no credentials at all.
  static Headers Anonymous() { return {{"Authorization", ""}}; }
  HttpResponse Send(const std::string& method, const std::string& target, const Headers& who,
                    const std::string& body = {});
};

}  // namespace runlet::testing
