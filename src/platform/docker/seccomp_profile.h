// Runlet's seccomp profile for the container engines: the native sandbox's deny list
// (sandbox/seccomp_rules.h) as the JSON profile Docker and Podman hand to their OCI
// runtime (HostConfig.SecurityOpt "seccomp=<json>"), in place of the engine's default, so
// that a program meets the same refusals in a container as in the native sandbox
// (the engines' defaults differ: Podman's lets unshare, mount, setns and keyctl through,
// Docker 20.10's lets AF_VSOCK and io_uring through).
#pragma once

#include <string>

namespace runlet::platform::docker {

// {"defaultAction": "SCMP_ACT_ALLOW", "architectures": [the native one], "syscalls": the
// rules as SCMP_ACT_ERRNO with their errnoRet and argument checks}. Calls of another
// ABI are not in the profile's architectures: the OCI runtime kills them, as the native
// filter does. Made once.
const std::string& SeccompProfileJson();

}  // namespace runlet::platform::docker
