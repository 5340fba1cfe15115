// The Piston v2 and Judge0 CE compatible APIs (../shared/API.md, "Compatible APIs"): thin
// translations of their requests into Runlet's execute request (ApiState::ParseExecute)
// and of Runlet's results into their responses, on the one run manager. Off unless the
// operator (`--compat`) or the admin (setting `compat`) switches a dialect on; 404 when off.
//
// They authenticate with an API token only (Authorization: Bearer, or Judge0's
// X-Auth-Token), never a session cookie, so a page of another site can never act with a
// user's session; that is why these endpoints may take JSON whatever the Content-Type.
// With `compat_anonymous`, a request without a token runs as the built-in account
// `anonymous`, under the quota the admin gives it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/router.h"
#include "api/state.h"

namespace runlet::api::compat {

enum class Dialect { kNone, kPiston, kJudge0 };

// Which dialect `path` belongs to (/piston/..., /judge0/...).
Dialect DialectOf(const std::string& path);
// Whether the operator or the admin switched `dialect` on.
bool Enabled(ApiState& s, Dialect dialect);
bool AnonymousEnabled(ApiState& s);

// The guard's part for the compatible paths: 404 when the dialect is off, the token's
// principal (or `anonymous`), the rate limit, errors in the dialect's shape.
std::optional<Response> Authenticate(ApiState& s, Request& req);

// The routes of both dialects, and the built-in account `anonymous` when it is on.
void Register(Router& router, const std::shared_ptr<ApiState>& state);
void RegisterPiston(Router& router, const std::shared_ptr<ApiState>& state);
void RegisterJudge0(Router& router, const std::shared_ptr<ApiState>& state);

// --- What both dialects share (compat.cpp) ---

// A runtime's toolchain version as "MAJOR.MINOR.PATCH" (the exact one the server read
// from the toolchain, else the declared one, padded with zeros): "3.11.2".
std::string SemverOf(ApiState& s, const runtime::Runtime& rt);
// Whether "MAJOR.MINOR.PATCH" `version` satisfies the npm-style `range`: "*", "x", "3",
// "3.11", "3.11.2", "3.x", "^3.9", "~3.11.1", ">=3.9 <3.12", "=3.11.2", "a || b".
bool SemverSatisfies(std::string_view version, std::string_view range);

// Base64 with or without line breaks (Judge0's MIME style: a newline every 60
// characters); nullopt when it is not base64.
std::optional<std::string> DecodeBase64(std::string_view text);
std::string EncodeBase64(std::string_view data);       // one line
std::string EncodeBase64Mime(std::string_view data);   // Ruby's Base64.encode64: "\n" after every 60 characters and at the end
std::optional<std::string> DecodeHex(std::string_view text);

// Judge0's comparison of outputs: each line without its trailing whitespace, and the
// whole without trailing whitespace, are equal.
bool OutputsMatch(std::string_view expected, std::string_view actual);

// "SIGKILL" for 9; "" for signals without a name.
std::string SignalName(int signal);

// The anonymous account (created by Register when compat_anonymous is on): its
// principal, or an error when it is missing or not the built-in one.
Result<Principal> AnonymousPrincipal(ApiState& s);

}  // namespace runlet::api::compat
