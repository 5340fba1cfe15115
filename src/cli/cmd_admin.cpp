// `runlet admin`: accounts from the shell, on the server's store (--database, else the
// data directory's SQLite file; the server may be running: the database serialises the
// writes), and the store's own upkeep.
//
//   runlet admin create-user NAME [--admin] [--password-stdin]
//   runlet admin reset-password NAME [--password-stdin]
//   runlet admin set-role NAME admin|user
//   runlet admin set-quota NAME [--runs N] [--cpus X] [--memory SIZE] [--disk SIZE] [--time DURATION]
//   runlet admin disable|enable NAME
//   runlet admin list-users
//   runlet admin migrate                      (the schema brought up to date; serve does it too)
//   runlet admin copy-store --to postgres://  (this SQLite data set into an empty PostgreSQL)
//
// Without --password-stdin a password is generated and printed once.
#include <sys/stat.h>

#include <iostream>

#include "auth/password.h"
#include "auth/secrets.h"
#include "cli/admin.h"
#include "cli/commands.h"
#include "cli/context.h"
#include "core/units.h"
#include "store/copy_store.h"
#include "store/store.h"

namespace runlet::cli {
namespace {

struct AdminFlags {
  Paths paths;
  std::string username;
  bool admin = false;
  bool password_stdin = false;
  std::string role;
  int runs = -1;
  double cpus = -1;
  std::string memory, disk, time;
  std::string database;  // --database
  std::string to;        // copy-store --to
};

// The store's database (DatabaseOf), the data directory made if it is a SQLite one.
Result<std::string> Database(const AdminFlags& f) {
  const Paths paths = ResolvePaths(f.paths);
  const std::string database = DatabaseOf(paths, f.database);
  if (!store::IsPostgresUrl(database) && ::mkdir(paths.data_dir.c_str(), 0700) < 0 && errno != EEXIST)
    return FailErrno("create " + paths.data_dir);
  return database;
}

Result<std::unique_ptr<store::Store>> OpenStore(const AdminFlags& f) {
  auto database = Database(f);
  if (!database) return tl::unexpected(database.error());
  return store::OpenStore(*database, store::StoreOptions{.connections = 1});
}

Result<std::string> ReadPassword(bool from_stdin, bool& generated) {
  generated = !from_stdin;
  if (!from_stdin) return GeneratePassword();
  std::string password;
  std::getline(std::cin, password);
  if (auto why = auth::CheckNewPassword(password); !why.empty()) return Fail(why);
  return password;
}

Result<store::User> FindUser(store::Store& store, const std::string& name) {
  auto user = store.FindUser(name);
  if (!user) return tl::unexpected(user.error());
  if (!*user) return Fail("no user " + name);
  return **user;
}

int Report(const Status& st) {
  if (!st) {
    std::cerr << "runlet admin: " << st.error().message << "\n";
    return 1;
  }
  return 0;
}

// Opens the store as it is, then migrated: "schema version 0 -> 1".
int Migrate(const AdminFlags& f) {
  auto database = Database(f);
  if (!database) return Report(tl::unexpected(database.error()));
  int before = 0;
  {
    auto as_is = store::OpenStore(*database, store::StoreOptions{.migrate = false, .connections = 1});
    if (!as_is) return Report(tl::unexpected(as_is.error()));
    auto v = (**as_is).SchemaVersion();
    if (!v) return Report(tl::unexpected(v.error()));
    before = *v;
  }
  auto store = store::OpenStore(*database, store::StoreOptions{.connections = 1});
  if (!store) return Report(tl::unexpected(store.error()));
  auto after = (**store).SchemaVersion();
  if (!after) return Report(tl::unexpected(after.error()));
  std::cout << store::DescribeDatabase(*database) << ": schema version " << before;
  if (*after != before) std::cout << " -> " << *after;
  std::cout << (*after == before ? " (up to date)\n" : "\n");
  return 0;
}

int CopyStore(const AdminFlags& f) {
  auto database = Database(f);
  if (!database) return Report(tl::unexpected(database.error()));
  if (store::IsPostgresUrl(*database)) return Report(Fail("copy-store copies a SQLite data set: --database names PostgreSQL"));
  if (!store::IsPostgresUrl(f.to)) return Report(Fail("--to must be a postgres:// or postgresql:// URL"));
  auto counts = store::CopyStore(*database, f.to);
  if (!counts) return Report(tl::unexpected(counts.error()));
  int64_t total = 0;
  for (const auto& [table, n] : *counts) {
    std::cout << table << "\t" << n << "\n";
    total += n;
  }
  std::cout << "copied " << total << " rows into " << store::DescribeDatabase(f.to) << ", checked table by table\n";
  return 0;
}

int RunAdmin(const std::string& verb, const AdminFlags& f) {
  if (verb == "migrate") return Migrate(f);
  if (verb == "copy-store") return CopyStore(f);
  auto store = OpenStore(f);
  if (!store) return Report(tl::unexpected(store.error()));
  store::Store& db = **store;
  if (verb == "list-users") {
    auto users = db.ListUsers();
    if (!users) return Report(tl::unexpected(users.error()));
    for (const auto& u : *users) {
      std::cout << u.id << "\t" << u.username << "\t" << u.role << (u.disabled ? "\tdisabled" : "")
                << (u.totp_enabled ? "\ttotp" : "") << "\n";
    }
    return 0;
  }
  if (verb == "create-user" || verb == "reset-password") {
    bool generated = false;
    auto password = ReadPassword(f.password_stdin, generated);
    if (!password) return Report(tl::unexpected(password.error()));
    if (verb == "create-user") {
      auto created = CreateUser(db, f.username, *password, f.admin ? "admin" : "user");
      if (!created) return Report(tl::unexpected(created.error()));
    } else {
      auto u = FindUser(db, f.username);
      if (!u) return Report(tl::unexpected(u.error()));
      auto hash = auth::HashPassword(*password);
      if (!hash) return Report(tl::unexpected(hash.error()));
      u->password_hash = *hash;
      if (auto st = db.UpdateUser(*u); !st) return Report(st);
      if (auto st = db.DeleteUserCredentials(u->id, ""); !st) return Report(st);  // sessions and tokens
    }
    if (generated) std::cout << "password for " << f.username << ": " << *password << " (shown once)\n";
    return 0;
  }
  auto u = FindUser(db, f.username);
  if (!u) return Report(tl::unexpected(u.error()));
  if (verb == "set-role") {
    if (f.role != "admin" && f.role != "user") return Report(Fail("the role is admin or user"));
    u->role = f.role;
  } else if (verb == "disable" || verb == "enable") {
    u->disabled = verb == "disable";
    if (u->disabled) (void)db.DeleteUserCredentials(u->id, "");
  } else if (verb == "set-quota") {
    if (f.runs >= 0) u->quota.concurrent_runs = f.runs;
    if (f.cpus >= 0) u->quota.cpus = f.cpus;
    if (!f.memory.empty()) {
      auto n = ParseSize(f.memory);
      if (!n) return Report(tl::unexpected(n.error()));
      u->quota.memory_bytes = *n;
    }
    if (!f.disk.empty()) {
      auto n = ParseSize(f.disk);
      if (!n) return Report(tl::unexpected(n.error()));
      u->quota.disk_bytes = *n;
    }
    if (!f.time.empty()) {
      auto d = ParseDuration(f.time);
      if (!d) return Report(tl::unexpected(d.error()));
      u->quota.time_ms = d->count();
    }
  }
  return Report(db.UpdateUser(*u));
}

}  // namespace

std::string GeneratePassword() { return auth::RandomToken("", 15); }

Result<int64_t> CreateUser(store::Store& store, const std::string& username, const std::string& password,
                           const std::string& role) {
  if (auto why = auth::CheckNewPassword(password); !why.empty()) return Fail(ErrorKind::kInvalid, why);
  auto hash = auth::HashPassword(password);
  if (!hash) return tl::unexpected(hash.error());
  store::User u;
  u.username = username;
  u.password_hash = *hash;
  u.role = role;
  u.created_at = store::NowRfc3339();
  return store.CreateUser(u);
}

void AddAdminCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("admin", "Manage accounts and the database from the shell");
  cmd->require_subcommand(1);
  auto f = std::make_shared<AdminFlags>();
  auto verb = [&](const char* name, const char* help) {
    auto* sub = cmd->add_subcommand(name, help);
    AddPathFlags(*sub, f->paths);
    sub->add_option("--database", f->database, "the server's database, if not <data>/runlet.db: a SQLite file or a "
                                               "postgres:// URL");
    sub->callback([f, v = std::string(name)] { throw ExitWith{RunAdmin(v, *f)}; });
    return sub;
  };
  auto* create = verb("create-user", "Create an account (a password is generated unless --password-stdin)");
  create->add_option("name", f->username, "user name")->required();
  create->add_flag("--admin", f->admin, "with the admin role");
  create->add_flag("--password-stdin", f->password_stdin, "read the password from standard input");
  auto* reset = verb("reset-password", "Set a new password (ends the user's sessions and API tokens)");
  reset->add_option("name", f->username, "user name")->required();
  reset->add_flag("--password-stdin", f->password_stdin, "read the password from standard input");
  auto* role = verb("set-role", "Make a user an admin, or not");
  role->add_option("name", f->username, "user name")->required();
  role->add_option("role", f->role, "admin or user")->required();
  auto* quota = verb("set-quota", "Set a user's quota (0: the server's default)");
  quota->add_option("name", f->username, "user name")->required();
  quota->add_option("--runs", f->runs, "runs queued or executing at once");
  quota->add_option("--cpus", f->cpus, "CPU cores of the user's runs together");
  quota->add_option("--memory", f->memory, "memory of the user's runs together (e.g. 2G)");
  quota->add_option("--disk", f->disk, "writable disk of one run (e.g. 256M)");
  quota->add_option("--time", f->time, "CPU and wall time of one run (e.g. 30s)");
  verb("disable", "Disable an account (ends its sessions and tokens)")->add_option("name", f->username)->required();
  verb("enable", "Enable an account again")->add_option("name", f->username)->required();
  verb("list-users", "List the accounts");
  verb("migrate", "Bring the database's schema up to date (the server does at start) and show its version");
  auto* copy = verb("copy-store", "Copy this SQLite data set into an empty PostgreSQL database, checked table by table");
  copy->add_option("--to", f->to, "the PostgreSQL database: postgres://USER@HOST:PORT/DB")->required();
}

}  // namespace runlet::cli
