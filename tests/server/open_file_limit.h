// The open-file limit of servers the tests start (ServerProcess::Start), to try the server
// on a host with a small one.
#pragma once

namespace runlet::testing {

// When not 0, servers started from now on run with this limit on open files (soft and
// hard). Not thread-safe: set it between starts.
void SetServerOpenFileLimit(unsigned long limit);

}  // namespace runlet::testing
