// A PostgreSQL server of the test's own, from Debian's packages
// (/usr/lib/postgresql/15/bin or $RUNLET_PG_BIN): initdb in a fresh temporary directory,
// run as an unprivileged user (the `postgres` account, else `nobody`, when the test runs
// as root; else the test's own user), listening on a unix socket in that directory only
// (no TCP), killed when the test process dies. It never touches another instance.
// Its cluster uses an ICU locale (en) whose order and case folding differ from bytes, so
// that a query that forgets the store's "C" collation answers differently.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

namespace runlet::testing {

class TempPostgres {
 public:
  // Starts the server and waits until it answers. Throws std::runtime_error, with the
  // server's log, when it cannot: a test that needs PostgreSQL then fails, never skips.
  TempPostgres();
  ~TempPostgres();  // fast shutdown, then the directory goes
  TempPostgres(const TempPostgres&) = delete;
  TempPostgres& operator=(const TempPostgres&) = delete;

  // A new, empty database; its libpq URL.
  std::string NewDatabase();
  // The URL of database `name`.
  std::string Url(const std::string& name) const;
  const std::string& dir() const { return dir_; }

 private:
  void Start();
  std::string dir_;
  pid_t pid_ = -1;
  int databases_ = 0;
};

// One server for the whole test process, started on first use. Throws (every time) if
// it could not start.
TempPostgres& SharedPostgres();

}  // namespace runlet::testing
