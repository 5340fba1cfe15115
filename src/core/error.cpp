#include "core/error.h"

#include <cstring>

namespace runlet {

tl::unexpected<Error> FailErrno(std::string_view what, int err) {
  return Fail(std::string(what) + ": " + std::strerror(err), err);
}

tl::unexpected<Error> FailErrno(std::string_view what) { return FailErrno(what, errno); }

}  // namespace runlet
