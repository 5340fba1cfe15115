// The sandbox's own network namespace: a loopback of its own, nothing else.
#include "sandbox_test_support.h"

namespace runlet::sandbox::tests {
namespace {

using SandboxNetwork = SandboxTest;

// A server and a client inside one sandbox talk over 127.0.0.1 (and ::1): the namespace's
// `lo` is up. Before, connect failed with ENETUNREACH.
TEST_F(SandboxNetwork, AServerOnLoopbackInsideTheSandboxAcceptsItsOwnClient) {
  RunSpec spec;
  spec.argv = {"python3", "-c",
               "import socket\n"
               "for family, host in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):\n"
               "  s = socket.socket(family); s.bind((host, 0)); s.listen()\n"
               "  c = socket.create_connection(s.getsockname()[:2]); a, _ = s.accept()\n"
               "  c.sendall(b'ping ' + host.encode()); print(a.recv(100).decode())\n"
               "print('done')\n"};
  const RunResult r = RunOrFail(box(), spec);
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data, "ping 127.0.0.1\nping ::1\ndone\n") << Describe(r);
}

// Loopback is the only interface, and there is no route anywhere else.
TEST_F(SandboxNetwork, LoopbackIsTheOnlyInterfaceAndThereIsNoRouteOut) {
  RunSpec spec;
  spec.argv = {"/bin/sh", "-c", "cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' '; echo routes; tail -n +2 /proc/net/route"};
  const RunResult r = RunOrFail(box(), spec);
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data, "lo\nroutes\n") << Describe(r);
}

// Programs get pseudo-terminals from a devpts of the sandbox's own: none of the host's
// terminals is there, and the first one made inside is number 0.
TEST_F(SandboxNetwork, PseudoTerminalsComeFromTheSandboxsOwnDevpts) {
  RunSpec spec;
  spec.argv = {"python3", "-c",
               "import os\n"
               "print(sorted(os.listdir('/dev/pts')))\n"
               "m, s = os.openpty(); print(os.ttyname(s)); os.write(m, b'typed\\n'); print(os.read(s, 100))\n"};
  const RunResult r = RunOrFail(box(), spec);
  ASSERT_EQ(r.status, RunStatus::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data, "['ptmx']\n/dev/pts/0\nb'typed\\n'\n") << Describe(r);
}

}  // namespace
}  // namespace runlet::sandbox::tests
