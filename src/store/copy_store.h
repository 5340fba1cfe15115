// Moving a data set between backends: every table of a SQLite database copied into an
// empty PostgreSQL one (`runlet admin copy-store`), and both read back table by table
// in one comparable form, so that the copy is checked before it is committed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace runlet::store {

// A table's rows, each value as SQLite would give it (integers in decimal, booleans 0
// and 1, text and blobs as bytes, NULL as nullopt), with the column names; rows sorted.
struct TableDump {
  std::vector<std::string> columns;  // sorted by name
  std::vector<std::vector<std::optional<std::string>>> rows;
  bool operator==(const TableDump&) const = default;
};
using StoreDump = std::map<std::string, TableDump>;

// Every table of the store at `database` (OpenStore's argument), but the bookkeeping
// ones (sqlite_*, runlet_schema). SQLite's rowid is a column of the tables that keep it
// in PostgreSQL (runs, versions: the order of "newest first" among equal times).
Result<StoreDump> DumpStore(const std::string& database);

// Copies the SQLite database at `sqlite_path` (migrated to the current schema first)
// into the PostgreSQL database at `url` (schema created if needed), which must hold no
// data: in one transaction, committed only once both read back the same. Every SQLite
// table and column must exist in PostgreSQL's schema (else nothing is copied). Identity
// counters continue after the copied ids. The rows copied per table.
Result<std::map<std::string, int64_t>> CopyStore(const std::string& sqlite_path, const std::string& url);

// The first difference between two dumps ("" when equal), for messages.
std::string DescribeDifference(const StoreDump& a, const StoreDump& b);

}  // namespace runlet::store
