#include "store/copy_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <memory>
#include <set>

#include "store/pg_connection.h"
#include "store/row_codec.h"
#include "store/store.h"

namespace runlet::store {
namespace {

// The tables whose SQLite rowid is an ordinary column named rowid in PostgreSQL.
const std::set<std::string> kRowidTables = {"runs", "versions"};

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqliteDb = std::unique_ptr<sqlite3, SqliteCloser>;
struct StmtCloser {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using SqliteStmt = std::unique_ptr<sqlite3_stmt, StmtCloser>;

// SQLite identifiers quoted (names read from its own catalogue).
std::string QuoteSqlite(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

Result<SqliteDb> OpenSqliteReadOnly(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  SqliteDb db(raw);
  if (rc != SQLITE_OK) return Fail("open " + path + ": " + (raw ? sqlite3_errmsg(raw) : "out of memory"));
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

Result<SqliteStmt> Prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
    return Fail("sqlite: " + std::string(sqlite3_errmsg(db)));
  return SqliteStmt(s);
}

std::optional<std::string> SqliteValue(sqlite3_stmt* s, int col) {
  switch (sqlite3_column_type(s, col)) {
    case SQLITE_NULL:
      return std::nullopt;
    case SQLITE_INTEGER:
      return std::to_string(sqlite3_column_int64(s, col));
    default: {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(s, col));
      return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, col))) : std::string();
    }
  }
}

// The tables of a SQLite database with their columns (+ rowid where PostgreSQL keeps it).
Result<std::map<std::string, std::vector<std::string>>> SqliteTables(sqlite3* db) {
  auto tables = Prepare(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                            "ORDER BY name");
  if (!tables) return tl::unexpected(tables.error());
  auto cols = Prepare(db, "SELECT name FROM pragma_table_info(?) ORDER BY cid");
  if (!cols) return tl::unexpected(cols.error());
  std::map<std::string, std::vector<std::string>> out;
  while (sqlite3_step(tables->get()) == SQLITE_ROW) {
    const std::string table = *SqliteValue(tables->get(), 0);
    auto& names = out[table];
    sqlite3_reset(cols->get());
    sqlite3_bind_text(cols->get(), 1, table.data(), static_cast<int>(table.size()), SQLITE_TRANSIENT);
    while (sqlite3_step(cols->get()) == SQLITE_ROW) names.push_back(*SqliteValue(cols->get(), 0));
    if (kRowidTables.count(table)) names.push_back("rowid");
  }
  return out;
}

// The user tables of the connection's schema with their columns and types.
struct PgColumn {
  std::string name, type;
  bool identity = false, has_default = false, nullable = false;
};
Result<std::map<std::string, std::vector<PgColumn>>> PgTables(pg::Connection& c) {
  auto r = c.Query("SELECT table_name::text, column_name::text, data_type::text, is_identity::text, "
                   "(column_default IS NOT NULL)::boolean, is_nullable::text FROM information_schema.columns "
                   "WHERE table_schema = current_schema() AND table_name <> 'runlet_schema' "
                   "ORDER BY table_name, ordinal_position");
  if (!r) return tl::unexpected(r.error().Wrap("read the PostgreSQL schema"));
  std::map<std::string, std::vector<PgColumn>> out;
  for (int i = 0; i < r->size(); ++i)
    out[r->Text(i, 0)].push_back(
        {r->Text(i, 1), r->Text(i, 2), r->Text(i, 3) == "YES", r->Int(i, 4) != 0, r->Text(i, 5) == "YES"});
  return out;
}

std::string QuotePg(pg::Connection& c, const std::string& name) {
  char* q = PQescapeIdentifier(c.raw(), name.data(), name.size());
  std::string out = q ? q : "\"\"";
  PQfreemem(q);
  return out;
}

TableDump Sorted(std::vector<std::string> columns, std::vector<std::vector<std::optional<std::string>>> rows) {
  // Columns by name, then rows in order.
  std::vector<size_t> order(columns.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return columns[a] < columns[b]; });
  TableDump t;
  for (size_t i : order) t.columns.push_back(columns[i]);
  for (auto& row : rows) {
    std::vector<std::optional<std::string>> r;
    for (size_t i : order) r.push_back(std::move(row[i]));
    t.rows.push_back(std::move(r));
  }
  std::sort(t.rows.begin(), t.rows.end());
  return t;
}

Result<StoreDump> DumpSqlite(sqlite3* db) {
  auto tables = SqliteTables(db);
  if (!tables) return tl::unexpected(tables.error());
  StoreDump dump;
  for (const auto& [table, columns] : *tables) {
    std::string sql = "SELECT ";
    for (size_t i = 0; i < columns.size(); ++i) sql += (i ? ", " : "") + QuoteSqlite(columns[i]);
    auto s = Prepare(db, sql + " FROM " + QuoteSqlite(table));
    if (!s) return tl::unexpected(s.error().Wrap("dump " + table));
    std::vector<std::vector<std::optional<std::string>>> rows;
    int rc;
    while ((rc = sqlite3_step(s->get())) == SQLITE_ROW) {
      std::vector<std::optional<std::string>> row;
      for (int i = 0; i < static_cast<int>(columns.size()); ++i) row.push_back(SqliteValue(s->get(), i));
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) return Fail("dump " + table + ": " + sqlite3_errmsg(db));
    dump[table] = Sorted(columns, std::move(rows));
  }
  return dump;
}

Result<StoreDump> DumpPg(pg::Connection& c) {
  auto tables = PgTables(c);
  if (!tables) return tl::unexpected(tables.error());
  StoreDump dump;
  for (const auto& [table, columns] : *tables) {
    std::vector<std::string> names;
    std::string sql = "SELECT ";
    for (const auto& col : columns) {
      sql += (names.empty() ? "" : ", ") + QuotePg(c, col.name);
      names.push_back(col.name);
    }
    auto r = c.Query(sql + " FROM " + QuotePg(c, table));
    if (!r) return tl::unexpected(r.error().Wrap("dump " + table));
    std::vector<std::vector<std::optional<std::string>>> rows;
    for (int i = 0; i < r->size(); ++i) {
      std::vector<std::optional<std::string>> row;
      for (int j = 0; j < r->columns(); ++j) row.push_back(r->Canonical(i, j));
      rows.push_back(std::move(row));
    }
    dump[table] = Sorted(names, std::move(rows));
  }
  return dump;
}

// Tables in an order where each comes after those its foreign keys name.
Result<std::vector<std::string>> CopyOrder(pg::Connection& c, const std::vector<std::string>& tables) {
  auto r = c.Query("SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
                   "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace");
  if (!r) return tl::unexpected(r.error().Wrap("read foreign keys"));
  std::multimap<std::string, std::string> needs;
  for (int i = 0; i < r->size(); ++i) needs.emplace(r->Text(i, 0), r->Text(i, 1));
  std::vector<std::string> order;
  std::set<std::string> placed;
  while (order.size() < tables.size()) {
    const size_t before = order.size();
    for (const auto& t : tables) {
      if (placed.count(t)) continue;
      auto [b, e] = needs.equal_range(t);
      if (std::all_of(b, e, [&](const auto& n) { return n.second == t || placed.count(n.second) || 
                                                   std::find(tables.begin(), tables.end(), n.second) == tables.end(); })) {
        order.push_back(t);
        placed.insert(t);
      }
    }
    if (order.size() == before) return Fail("foreign keys form a cycle");
  }
  return order;
}

}  // namespace

std::string DescribeDifference(const StoreDump& a, const StoreDump& b) {
  for (const auto& [table, t] : a) {
    auto it = b.find(table);
    if (it == b.end()) return "table " + table + " is missing";
    if (t.columns != it->second.columns) return "table " + table + " has other columns";
    if (t.rows.size() != it->second.rows.size())
      return "table " + table + " has " + std::to_string(it->second.rows.size()) + " rows, not " +
             std::to_string(t.rows.size());
    for (size_t i = 0; i < t.rows.size(); ++i) {
      for (size_t j = 0; j < t.columns.size(); ++j) {
        if (t.rows[i][j] != it->second.rows[i][j])
          return "table " + table + ", row " + std::to_string(i) + ", column " + t.columns[j] + " differs";
      }
    }
  }
  for (const auto& [table, t] : b) {
    if (!a.count(table)) return "table " + table + " is extra";
  }
  return "";
}

Result<StoreDump> DumpStore(const std::string& database) {
  if (IsPostgresUrl(database)) {
    auto c = pg::Connect(database);
    if (!c) return tl::unexpected(c.error());
    if (auto st = (*c)->Script("BEGIN ISOLATION LEVEL REPEATABLE READ"); !st) return tl::unexpected(st.error());
    return DumpPg(**c);
  }
  auto db = OpenSqliteReadOnly(database);
  if (!db) return tl::unexpected(db.error());
  return DumpSqlite(db->get());
}

Result<std::map<std::string, int64_t>> CopyStore(const std::string& sqlite_path, const std::string& url) {
  // Both schemas current: the SQLite one migrated, the PostgreSQL one created.
  if (auto s = OpenSqliteStore(sqlite_path); !s) return tl::unexpected(s.error());
  if (auto p = OpenPostgresStore(url, StoreOptions{.connections = 1}); !p) return tl::unexpected(p.error());
  auto db = OpenSqliteReadOnly(sqlite_path);
  if (!db) return tl::unexpected(db.error());
  // One read transaction: a server still writing does not tear the copy.
  if (sqlite3_exec(db->get(), "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) return Fail("sqlite: begin");
  auto conn = pg::Connect(url);
  if (!conn) return tl::unexpected(conn.error());
  pg::Connection& c = **conn;
  auto tx = pg::Transaction::Begin(c);
  if (!tx) return tl::unexpected(tx.error());

  auto source = SqliteTables(db->get());
  if (!source) return tl::unexpected(source.error());
  auto target = PgTables(c);
  if (!target) return tl::unexpected(target.error());
  // Nothing is left behind: every table and column has a place.
  std::vector<std::string> tables;
  for (const auto& [table, columns] : *source) {
    auto it = target->find(table);
    if (it == target->end()) return Fail("table " + table + " has no counterpart in the PostgreSQL schema");
    for (const auto& col : columns) {
      if (std::none_of(it->second.begin(), it->second.end(), [&](const PgColumn& p) { return p.name == col; }))
        return Fail("column " + table + "." + col + " has no counterpart in the PostgreSQL schema");
    }
    tables.push_back(table);
  }
  for (const auto& [table, columns] : *target) {
    auto check = c.Query("SELECT EXISTS (SELECT 1 FROM " + QuotePg(c, table) + ")");
    if (!check) return tl::unexpected(check.error());
    if (check->Int(0, 0))
      return Fail(ErrorKind::kConflict, "the PostgreSQL database already holds data (table " + table +
                                            "); copy-store fills an empty one only");
  }
  auto order = CopyOrder(c, tables);
  if (!order) return tl::unexpected(order.error());

  std::map<std::string, int64_t> counts;
  for (const auto& table : *order) {
    const auto& columns = (*source)[table];
    const auto& pg_columns = (*target)[table];
    std::string select = "SELECT ", insert = "INSERT INTO " + QuotePg(c, table) + " (", values;
    std::vector<bool> binary;
    for (size_t i = 0; i < columns.size(); ++i) {
      select += (i ? ", " : "") + QuoteSqlite(columns[i]);
      insert += (i ? ", " : "") + QuotePg(c, columns[i]);
      values += (i ? ", $" : "$") + std::to_string(i + 1);
      auto col = std::find_if(pg_columns.begin(), pg_columns.end(), [&](const PgColumn& p) { return p.name == columns[i]; });
      binary.push_back(col->type == "bytea");
    }
    // Identity columns take the copied values (OVERRIDING: also GENERATED ALWAYS ones).
    insert += ") OVERRIDING SYSTEM VALUE VALUES (" + values + ")";
    auto s = Prepare(db->get(), select + " FROM " + QuoteSqlite(table));
    if (!s) return tl::unexpected(s.error().Wrap("copy " + table));
    int64_t n = 0;
    int rc;
    while ((rc = sqlite3_step(s->get())) == SQLITE_ROW) {
      std::vector<pg::Value> params;
      for (int i = 0; i < static_cast<int>(columns.size()); ++i) {
        auto v = SqliteValue(s->get(), i);
        params.push_back(!v ? pg::Value::Null() : binary[static_cast<size_t>(i)] ? pg::Value::Bytes(*v) : pg::Value(*v));
      }
      if (auto r = c.Exec(insert, params); !r) return tl::unexpected(r.error().Wrap("copy " + table));
      ++n;
    }
    if (rc != SQLITE_DONE) return Fail("copy " + table + ": " + sqlite3_errmsg(db->get()));
    counts[table] = n;
    // Identity counters go on after the copied ids (and after ids SQLite's AUTOINCREMENT
    // already handed out and never reuses).
    for (const auto& col : pg_columns) {
      if (!col.identity) continue;
      int64_t next = 0;
      auto seq = Prepare(db->get(), "SELECT seq FROM sqlite_sequence WHERE name = ?");
      if (seq) {
        sqlite3_bind_text(seq->get(), 1, table.data(), static_cast<int>(table.size()), SQLITE_TRANSIENT);
        if (sqlite3_step(seq->get()) == SQLITE_ROW) next = sqlite3_column_int64(seq->get(), 0);
      }
      auto max = c.Query("SELECT coalesce(max(" + QuotePg(c, col.name) + "), 0)::bigint FROM " + QuotePg(c, table));
      if (!max) return tl::unexpected(max.error());
      next = std::max(next, max->Int(0, 0));
      if (next > 0) {
        auto r = c.Query("SELECT setval(pg_get_serial_sequence($1, $2), $3)", {QuotePg(c, table), col.name, next});
        if (!r) return tl::unexpected(r.error().Wrap("continue the ids of " + table));
      }
    }
  }
  // Read both back before committing.
  auto before = DumpSqlite(db->get());
  if (!before) return tl::unexpected(before.error());
  auto after = DumpPg(c);
  if (!after) return tl::unexpected(after.error());
  if (auto diff = DescribeDifference(*before, *after); !diff.empty())
    return Fail("the copy differs from the original (" + diff + "); nothing was committed");
  if (auto st = tx->Commit(); !st) return tl::unexpected(st.error());
  return counts;
}

}  // namespace runlet::store
