// Errors as values: a failure carries a readable chain of context,
// e.g. "start run 42: prepare rootfs: openat usr: No such file or directory".
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace runlet {

struct Error {
  std::string message;  // human text, outermost context first
  int sys_errno = 0;    // errno of the innermost system call, 0 if none

  // Returns a copy with `context` prepended: "context: message".
  Error Wrap(std::string_view context) const {
    return Error{std::string(context) + ": " + message, sys_errno};
  }
};

template <class T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

inline tl::unexpected<Error> Fail(std::string message, int sys_errno = 0) {
  return tl::unexpected<Error>(Error{std::move(message), sys_errno});
}

// Builds an error from the current errno: "what: strerror(errno)".
tl::unexpected<Error> FailErrno(std::string_view what);
tl::unexpected<Error> FailErrno(std::string_view what, int err);

}  // namespace runlet
