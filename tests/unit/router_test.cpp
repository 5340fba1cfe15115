// api::Router: a request's head is admitted (route, guard, body limit) before its body
// is read; handlers that throw answer 500.
#include "api/router.h"

#include <gtest/gtest.h>

namespace runlet::api {
namespace {

Request Make(const std::string& method, const std::string& path, std::string body = "") {
  Request r;
  r.method = method;
  r.path = path;
  r.body = std::move(body);
  r.remote_address = "127.0.0.1";
  return r;
}

TEST(Router, AdmitsOnTheHeadAndNamesTheRoutesBodyLimit) {
  Router router;
  int guarded = 0;
  router.SetGuard([&](Request& req) -> std::optional<Response> {
    ++guarded;
    if (req.Header("authorization").empty() && req.path != "/login")
      return ErrorResponse(401, "unauthorized", "log in first");
    return std::nullopt;
  });
  router.Add("POST", "/login", [](Request&) { return Json(200, "{}"); }, kTinyBody);
  router.Add("POST", "/upload/{id}", [](Request& r) { return Json(200, "\"" + r.params["id"] + "\""); }, 1 << 20);
  router.Add("GET", "/things", [](Request&) { return Json(200, "[]"); });

  auto login = Make("POST", "/login");
  auto admitted = router.Admit(login);
  EXPECT_FALSE(admitted.answer);
  EXPECT_EQ(admitted.body_limit, kTinyBody);
  EXPECT_EQ(admitted.route, "/login");

  // Refused by the guard before any body: the answer is known from the head.
  auto upload = Make("POST", "/upload/7");
  auto refused = router.Admit(upload);
  ASSERT_TRUE(refused.answer);
  EXPECT_EQ(refused.answer->status, 401);

  upload.headers["authorization"] = "Bearer x";
  auto ok = router.Admit(upload);
  ASSERT_FALSE(ok.answer);
  EXPECT_EQ(ok.body_limit, 1u << 20);
  EXPECT_EQ(upload.params["id"], "7");
  upload.body = "data";
  EXPECT_EQ(router.Handle(ok, upload).body, "\"7\"");

  auto things = Make("GET", "/things");
  things.headers["authorization"] = "Bearer x";
  EXPECT_EQ(router.Admit(things).body_limit, kSmallBody) << "routes that do not say take small bodies";
  EXPECT_EQ(guarded, 4);

  // Unknown paths and methods are answered from the head too, without the guard.
  auto nowhere = Make("POST", "/nowhere");
  EXPECT_EQ(router.Admit(nowhere).answer->status, 404);
  auto wrong = Make("DELETE", "/things");
  EXPECT_EQ(router.Admit(wrong).answer->status, 405);
  EXPECT_EQ(guarded, 4);
}

TEST(Router, DispatchRefusesABodyOverTheRoutesLimit) {
  Router router;
  router.Add("POST", "/login", [](Request&) { return Json(200, "{}"); }, kTinyBody);
  std::string route;
  auto fits = Make("POST", "/login", std::string(kTinyBody, 'a'));
  EXPECT_EQ(router.Dispatch(fits, route).status, 200);
  auto over = Make("POST", "/login", std::string(kTinyBody + 1, 'a'));
  auto r = router.Dispatch(over, route);
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("too_large"), std::string::npos);
  EXPECT_EQ(route, "/login");
}

TEST(Router, AHandlerThatThrowsAnswers500WithoutItsText) {
  Router router;
  router.Add("GET", "/boom", [](Request&) -> Response { throw std::length_error("field value too large"); });
  router.Add("GET", "/odd", [](Request&) -> Response { throw 42; });
  std::string route;
  for (const std::string path : {"/boom", "/odd"}) {
    auto req = Make("GET", path);
    auto r = router.Dispatch(req, route);
    EXPECT_EQ(r.status, 500) << path;
    EXPECT_EQ(r.body.find("field value"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("internal_error"), std::string::npos) << r.body;
  }
}

}  // namespace
}  // namespace runlet::api
