// Errors as values: a failure carries a readable chain of context,
// e.g. "start run 42: prepare rootfs: openat usr: No such file or directory".
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace runlet {

// What kind of failure, so that an API can answer with a fitting status (one function in
// api/ maps kinds to HTTP statuses). Most errors are kInternal.
enum class ErrorKind {
  kInternal,
  kInvalid,       // bad input: 400/422
  kNotFound,      // 404
  kConflict,      // 409
  kTooLarge,      // 413
  kTooMany,       // a quota or rate: 429
  kUnavailable,   // capacity: 503
  kUnauthorized,  // 401
  kForbidden,     // 403
};

struct Error {
  std::string message;  // human text, outermost context first
  int sys_errno = 0;    // errno of the innermost system call, 0 if none
  ErrorKind kind = ErrorKind::kInternal;

  // Returns a copy with `context` prepended: "context: message".
  Error Wrap(std::string_view context) const {
    return Error{std::string(context) + ": " + message, sys_errno, kind};
  }
};

template <class T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

inline tl::unexpected<Error> Fail(std::string message, int sys_errno = 0) {
  return tl::unexpected<Error>(Error{std::move(message), sys_errno});
}
inline tl::unexpected<Error> Fail(ErrorKind kind, std::string message) {
  return tl::unexpected<Error>(Error{std::move(message), 0, kind});
}

// Builds an error from the current errno: "what: strerror(errno)".
tl::unexpected<Error> FailErrno(std::string_view what);
tl::unexpected<Error> FailErrno(std::string_view what, int err);

}  // namespace runlet
