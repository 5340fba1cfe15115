#!/usr/bin/env python3
"""The query that prunes a user's execute runs after each run, old shape against new.

Builds the `runs` table of src/store/sqlite_store.cpp in memory with USERS users of RUNS
execute runs each, then times, per call: the window over every execute run (before
2026-12-08) and the cutoff through the partial index runs_user_execute (now).
Usage: bench/store/prune_query_bench.py [--users 20] [--runs 1000] [--calls 200]
"""
import argparse
import sqlite3
import time
import uuid

SCHEMA = """
CREATE TABLE runs (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL DEFAULT '', user_id INTEGER NOT NULL,
  version_id TEXT NOT NULL DEFAULT '', runtime TEXT NOT NULL, platform TEXT NOT NULL,
  status TEXT NOT NULL, result TEXT NOT NULL, build TEXT, created_at TEXT NOT NULL,
  started_at TEXT NOT NULL DEFAULT '', finished_at TEXT NOT NULL DEFAULT '');
CREATE INDEX runs_project ON runs(project_id, created_at);
CREATE INDEX runs_status ON runs(status);
"""
ACTIVE = "('queued', 'building', 'running')"
OLD = f"""SELECT id FROM (SELECT id, created_at, row_number() OVER (PARTITION BY user_id
  ORDER BY created_at DESC, rowid DESC) AS n FROM runs WHERE project_id = ''
  AND status NOT IN {ACTIVE} AND (?3 = 0 OR user_id = ?3))
  WHERE (?2 > 0 AND n > ?2) OR (?1 <> '' AND created_at < ?1) LIMIT ?4"""
CUT = """SELECT created_at, rowid FROM runs INDEXED BY runs_user_execute WHERE project_id = ''
  AND user_id = ?1 ORDER BY created_at DESC, rowid DESC LIMIT 1 OFFSET ?2"""
OLDER = f"""SELECT id FROM runs INDEXED BY runs_user_execute WHERE project_id = '' AND user_id = ?1
  AND (created_at < ?2 OR (created_at = ?2 AND rowid <= ?3)) AND status NOT IN {ACTIVE} LIMIT ?4"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--runs", type=int, default=1000)
    p.add_argument("--calls", type=int, default=200)
    a = p.parse_args()
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA)
    rows = []
    for u in range(1, a.users + 1):
        for i in range(a.runs):
            rows.append((uuid.uuid4().hex, u, "python-3.11", "native", "ok", '{"status":"ok"}' * 20,
                         "2026-12-%02dT%02d:%02d:%02d.000Z" % (1 + i % 27, i // 3600 % 24, i // 60 % 60, i % 60)))
    db.executemany("INSERT INTO runs(id, user_id, runtime, platform, status, result, created_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    user, keep = 1, a.runs  # one run over the bound: the case after every run at steady state

    def timed(fn):
        start = time.perf_counter()
        for _ in range(a.calls):
            fn()
        return (time.perf_counter() - start) / a.calls * 1e3

    old = timed(lambda: db.execute(OLD, ("", keep - 1, user, 10000)).fetchall())
    db.execute("CREATE INDEX runs_user_execute ON runs(user_id, created_at) WHERE project_id = ''")

    def new():
        cut = db.execute(CUT, (user, keep - 1)).fetchone()
        if cut:
            db.execute(OLDER, (user, cut[0], cut[1], 10000)).fetchall()

    now = timed(new)
    print(f"{a.users} users x {a.runs} execute runs, SQLite {sqlite3.sqlite_version}, {a.calls} calls each")
    print(f"| query | ms per prune |\n|---|---:|\n| window over every execute run (before) | {old:.3f} |"
          f"\n| cutoff through runs_user_execute (now) | {now:.3f} |\n| ratio | {old / now:.0f}x |")


if __name__ == "__main__":
    main()
