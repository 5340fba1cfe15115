// libpq underneath the PostgreSQL store: a connection that runs parameterised,
// per-connection prepared statements (values never spliced into SQL), its results read
// in binary, and a fixed pool of connections shared by the server's threads.
// Internal to store/: nothing outside it sees a libpq type.
#pragma once

#include <libpq-fe.h>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace runlet::store::pg {

// One statement parameter: text (strings, numbers, booleans, as PostgreSQL parses them),
// raw bytes for bytea, or NULL.
struct Value {
  Value(const std::string& text) : data(text) {}
  Value(const char* text) : data(std::string(text)) {}
  Value(int64_t n) : data(std::to_string(n)) {}
  Value(int n) : data(std::to_string(n)) {}
  Value(bool b) : data(std::string(b ? "t" : "f")) {}
  static Value Bytes(const std::string& bytes) {
    Value v(bytes);
    v.binary = true;
    return v;
  }
  static Value Null() {
    Value v("");
    v.data.reset();
    return v;
  }
  template <class T>
  static Value Maybe(const std::optional<T>& v) {
    return v ? Value(*v) : Null();
  }
  std::optional<std::string> data;
  bool binary = false;
};

// A query's result, read in binary: text and bytea as their bytes, integers and
// booleans by their type.
class Rows {
 public:
  explicit Rows(PGresult* r = nullptr) : r_(r) {}
  Rows(Rows&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Rows& operator=(Rows&& o) noexcept {
    std::swap(r_, o.r_);
    return *this;
  }
  ~Rows() { PQclear(r_); }
  int size() const { return PQntuples(r_); }
  bool empty() const { return size() == 0; }
  int columns() const { return PQnfields(r_); }
  std::string name(int col) const { return PQfname(r_, col); }
  bool IsNull(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  std::string Text(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
  }
  std::optional<std::string> MaybeText(int row, int col) const {
    return IsNull(row, col) ? std::nullopt : std::optional<std::string>(Text(row, col));
  }
  // int2, int4, int8 or bool (0/1); 0 for NULL.
  int64_t Int(int row, int col) const;
  // Any column as text the way SQLite would give it (integers in decimal, booleans 0/1,
  // text and bytea as bytes); nullopt for NULL. For comparing and copying data sets.
  std::optional<std::string> Canonical(int row, int col) const;
  // Rows changed by INSERT/UPDATE/DELETE.
  int64_t affected() const;

 private:
  PGresult* r_;
};

// A connection. Not thread-safe: the pool lends it to one thread at a time.
class Connection {
 public:
  explicit Connection(PGconn* c) : c_(c) {}
  Connection(const Connection&) = delete;
  ~Connection() { PQfinish(c_); }

  // Runs `sql` with $1.. bound to `params` (prepared once per connection and reused).
  // Errors carry the server's message; a unique violation is kConflict.
  Result<Rows> Query(const std::string& sql, const std::vector<Value>& params = {});
  // Rows changed.
  Result<int64_t> Exec(const std::string& sql, const std::vector<Value>& params = {});
  // Statements without parameters, several separated by ';' (schema scripts).
  Status Script(const std::string& sql);
  // Reconnects if the connection was lost; ends a transaction left open.
  Status Recover();
  PGconn* raw() { return c_; }

 private:
  PGconn* c_;
  std::map<std::string, std::string> prepared_;  // SQL -> statement name
};

// Opens a connection to `url`; the error names the server's answer, never the password.
Result<std::unique_ptr<Connection>> Connect(const std::string& url);

// A fixed set of connections; Lease blocks until one is free.
class Pool {
 public:
  class Lease {
   public:
    Lease(Pool& pool, Connection* c) : pool_(pool), c_(c) {}
    Lease(const Lease&) = delete;
    ~Lease() { pool_.Return(c_); }
    Connection* operator->() { return c_; }
    Connection& operator*() { return *c_; }

   private:
    Pool& pool_;
    Connection* c_;
  };

  static Result<std::unique_ptr<Pool>> Open(const std::string& url, int size);
  Lease Get();

 private:
  void Return(Connection* c);
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Connection>> all_;
  std::vector<Connection*> free_;
};

// A transaction on a leased connection: BEGIN now, ROLLBACK on destruction unless
// Commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> Begin(Connection& c);
  Transaction(Transaction&& o) noexcept : c_(o.c_) { o.c_ = nullptr; }
  ~Transaction();
  Status Commit();
  // Waits for the store-wide lock that serialises changes to files and blobs, held until
  // the transaction ends (see pg_store.cpp).
  Status LockFiles();

 private:
  explicit Transaction(Connection* c) : c_(c) {}
  Connection* c_;
};

}  // namespace runlet::store::pg
