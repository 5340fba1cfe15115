#include "store/pg_connection.h"

#include <endian.h>

#include <cstring>

namespace runlet::store::pg {
namespace {

// Type oids of the columns read (pg_type.h is server-side; these are fixed).
constexpr Oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23;

std::string Trimmed(const char* message) {
  std::string m = message ? message : "unknown error";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

tl::unexpected<Error> ResultError(PGresult* r, PGconn* c) {
  const char* field = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string state = field ? field : "";
  std::string message = "postgresql: " + Trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(c));
  if (r) PQclear(r);
  if (state == "23505") return Fail(ErrorKind::kConflict, message);  // unique_violation
  return Fail(message);
}

}  // namespace

int64_t Rows::Int(int row, int col) const {
  if (IsNull(row, col)) return 0;
  const char* p = PQgetvalue(r_, row, col);
  switch (PQftype(r_, col)) {
    case kInt8: {
      uint64_t v;
      std::memcpy(&v, p, 8);
      return static_cast<int64_t>(be64toh(v));
    }
    case kInt4: {
      uint32_t v;
      std::memcpy(&v, p, 4);
      return static_cast<int32_t>(be32toh(v));
    }
    case kInt2: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      return static_cast<int16_t>(be16toh(v));
    }
    case kBool:
      return p[0] != 0;
    default:
      return 0;
  }
}

std::optional<std::string> Rows::Canonical(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  switch (PQftype(r_, col)) {
    case kInt8:
    case kInt4:
    case kInt2:
    case kBool:
      return std::to_string(Int(row, col));
    default:
      return Text(row, col);
  }
}

int64_t Rows::affected() const {
  const char* n = PQcmdTuples(r_);
  return n && *n ? std::stoll(n) : 0;
}

Result<Rows> Connection::Query(const std::string& sql, const std::vector<Value>& params) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    const std::string name = "s" + std::to_string(prepared_.size() + 1);
    PGresult* r = PQprepare(c_, name.c_str(), sql.c_str(), 0, nullptr);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) return ResultError(r, c_);
    PQclear(r);
    it = prepared_.emplace(sql, name).first;
  }
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const auto& p : params) {
    values.push_back(p.data ? p.data->data() : nullptr);
    lengths.push_back(p.data ? static_cast<int>(p.data->size()) : 0);
    formats.push_back(p.binary ? 1 : 0);
  }
  PGresult* r = PQexecPrepared(c_, it->second.c_str(), static_cast<int>(params.size()), values.data(), lengths.data(),
                               formats.data(), /*resultFormat=binary*/ 1);
  const auto status = PQresultStatus(r);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return ResultError(r, c_);
  return Rows(r);
}

Result<int64_t> Connection::Exec(const std::string& sql, const std::vector<Value>& params) {
  auto rows = Query(sql, params);
  if (!rows) return tl::unexpected(rows.error());
  return rows->affected();
}

Status Connection::Script(const std::string& sql) {
  PGresult* r = PQexec(c_, sql.c_str());
  if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) return ResultError(r, c_);
  PQclear(r);
  return {};
}

Status Connection::Recover() {
  if (PQstatus(c_) != CONNECTION_OK) {
    PQreset(c_);
    prepared_.clear();  // a new session knows none of them
    if (PQstatus(c_) != CONNECTION_OK) return Fail("postgresql: reconnect: " + Trimmed(PQerrorMessage(c_)));
  }
  if (PQtransactionStatus(c_) != PQTRANS_IDLE) return Script("ROLLBACK");
  return {};
}

Result<std::unique_ptr<Connection>> Connect(const std::string& url) {
  PGconn* c = PQconnectdb(url.c_str());
  if (!c) return Fail("postgresql: out of memory");
  auto conn = std::make_unique<Connection>(c);
  if (PQstatus(c) != CONNECTION_OK) return Fail("postgresql: connect: " + Trimmed(PQerrorMessage(c)));
  // Notices (e.g. "relation already exists, skipping") are not the server's log's business.
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
  if (auto st = conn->Script("SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'"); !st) return tl::unexpected(st.error());
  return conn;
}

Result<std::unique_ptr<Pool>> Pool::Open(const std::string& url, int size) {
  auto pool = std::make_unique<Pool>();
  for (int i = 0; i < std::max(1, size); ++i) {
    auto c = Connect(url);
    if (!c) return tl::unexpected(c.error());
    pool->free_.push_back(c->get());
    pool->all_.push_back(std::move(*c));
  }
  return pool;
}

Pool::Lease Pool::Get() {
  std::unique_lock lock(mu_);
  freed_.wait(lock, [&] { return !free_.empty(); });
  Connection* c = free_.back();
  free_.pop_back();
  lock.unlock();
  (void)c->Recover();  // a failure shows in the query that follows
  return Lease(*this, c);
}

void Pool::Return(Connection* c) {
  {
    std::lock_guard lock(mu_);
    free_.push_back(c);
  }
  freed_.notify_one();
}

Result<Transaction> Transaction::Begin(Connection& c) {
  if (auto st = c.Script("BEGIN"); !st) return tl::unexpected(st.error());
  return Transaction(&c);
}

Transaction::~Transaction() {
  if (c_) (void)c_->Script("ROLLBACK");
}

Status Transaction::Commit() {
  auto st = c_->Script("COMMIT");
  c_ = nullptr;  // committed, or rolled back by the server
  return st;
}

Status Transaction::LockFiles() {
  // pg_advisory_xact_lock: released at COMMIT or ROLLBACK. The key is arbitrary and
  // names "files and blobs of this database".
  auto st = c_->Query("SELECT pg_advisory_xact_lock(7236905)");
  if (!st) return tl::unexpected(st.error());
  return {};
}

}  // namespace runlet::store::pg
