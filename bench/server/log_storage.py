#!/usr/bin/python3
"""How much the database grows per run log, against a real `runlet serve`.

  bench/server/log_storage.py [--runlet PATH] [--compression deflate,none] [--big-mb 200]

For each --compression (none: `runlet serve` has no --log-compression flag, as before
log chunks; deflate, raw: the flag's value), a fresh server runs two execute requests:

  newlines  1 MiB of "\\n" on stdout and 1 MiB on stderr, default limits;
  lines     --big-mb MB (1e6 bytes) of 100-byte lines on stdout (output limit raised).

with the per-run log bound lifted (`log_bytes_per_run: 0`, where the server has it) so
that every line is stored, and reports the growth of the database's pages (page_count ×
page_size, read with Python's sqlite3 beside the server, WAL included) and the run's
wall time. Prints markdown (docs/PERFORMANCE.md §5). Run as root.
"""
import argparse
import os
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import server_bench as sb  # noqa: E402

CASES = {
    "newlines": ("import sys\nsys.stdout.write('\\n' * 1048576)\nsys.stderr.write('\\n' * 1048576)\n", {}),
}


def db_bytes(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        size = db.execute("PRAGMA page_size").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        return (pages - free) * size
    finally:
        db.close()


def measure(args, scratch, compression, case, code, limits):
    sb.Server.extra_args = [] if compression == "old" else ["--log-compression", compression]
    # "old": a server before log chunks (no such flag, no log bound)
    server = sb.Server(args.runlet, args.runtimes, scratch, f"{compression}-{case}")
    try:
        lifted = server.admin_settings({"log_bytes_per_run": 0})
        c = server.client(timeout=1800)
        path = os.path.join(server.data, "runlet.db")
        before = db_bytes(path)
        t0 = time.monotonic()
        run = c.json("POST", "/api/v1/execute", {"runtime": sb.RUNTIME, "files": [{"name": "main.py", "content": code}],
                                                 "limits": limits})
        wall = time.monotonic() - t0
        grown = db_bytes(path) - before
        # How many entries: page to the end with large pages.
        after, entries = 0, 0
        while True:
            p = c.json("GET", f"/api/v1/runs/{run['id']}/logs?after={after}&limit=10000")
            entries += len(p["entries"])
            after = p["next"]
            if p["done"] or not p["entries"]:
                break
        return {"status": run["status"], "grown": grown, "wall": wall, "entries": entries,
                "lifted": lifted == 200, "command": server.command()}
    finally:
        server.stop()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runlet", default=os.path.join(repo, "build/release/src/cli/runlet"))
    p.add_argument("--runtimes", default=os.path.join(repo, "runtimes"))
    p.add_argument("--compression", default="deflate,none", help="deflate, none, or old (a server without the flag)")
    p.add_argument("--big-mb", type=int, default=200)
    args = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("log_storage: run as root (the sandbox needs it)")
    cases = dict(CASES)
    lines = args.big_mb * 10000
    cases["lines"] = (f"import sys\nw = sys.stdout.write\nline = 'x' * 99 + '\\n'\nfor i in range({lines}):\n    w(line)\n",
                      {"output": f"{args.big_mb + 16}M", "wall": "1200s", "time": "600s"})
    scratch = tempfile.mkdtemp(prefix="runlet-bench-logs.")
    print(f"- command: `{' '.join(sys.argv)}`; date: {time.strftime('%Y-%m-%d %H:%M %Z')}; "
          f"load average before: {sb.loadavg()}")
    print()
    print("| server | case | status | entries | database growth | per entry | run wall |")
    print("|---|---|---|---:|---:|---:|---:|")
    try:
        for compression in args.compression.split(","):
            for case, (code, limits) in cases.items():
                r = measure(args, scratch, compression, case, code, limits)
                per = r["grown"] / max(r["entries"], 1)
                print(f"| {compression}{'' if r['lifted'] else ' (no log bound setting)'} | {case} | {r['status']} | "
                      f"{r['entries']} | {r['grown'] / 1e6:.2f} MB | {per:.1f} B | {r['wall']:.1f} s |", flush=True)
    finally:
        sb.stop_all_servers()
    print(f"\nload average after: {sb.loadavg()}")


if __name__ == "__main__":
    main()
