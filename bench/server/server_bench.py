#!/usr/bin/python3
"""Server benchmarks (issue 4) against a real `runlet serve` on a loopback port.

  bench/server/server_bench.py [--runlet PATH] [--only execute,sse,output] [--seconds S]
                               [--concurrency 1,8,64] [--docker-runs 10,24,64]
                               [--watchers 2000] [--idle-seconds 30] [--output-mb 100]

Prints markdown (docs/PERFORMANCE.md). Parts, each against a fresh server and --data dir:

  execute  POST /api/v1/execute of a Python hello world with 1, 8 and 64 concurrent
           clients (each a keep-alive connection sending one request after another for
           --seconds): throughput and p50/p99 latency; beside, the same work by
           `docker run --rm --network none IMAGE python3 -c ...` per execution (the way
           Docker-based runners work; the image is made offline from the host's own
           python3 and imported once) and by bare `python3 -c ...` on the host.
  sse      --watchers idle SSE clients of one long-running run
           (GET /api/v1/runs/{id}/events): server RSS and CPU while they idle for
           --idle-seconds, then the time until every client has its `end` event.
  output   a run that prints --output-mb MB (1e6 bytes) in 100-byte lines: time to
           stream it over SSE and over the paged logs API, and the server's peak RSS.
  fairness user A submits --fair-runs runs (?wait=false) of a Python program sleeping
           --fair-sleep seconds, then user B submits one hello world: how long B's run
           waited (submit -> started_at) and took (submit -> final), beside A's runs'.
  fanout   --fanout-watchers SSE clients of one run that prints --fanout-rate lines/s,
           each reading everything, for --fanout-seconds: the server's CPU and whether
           every client got every line.
  throughput
           --tp-clients (8) clients of one user (allowed the whole capacity) POSTing a
           Python hello world back to back, against bare /usr/bin/python3 started by
           `xargs -P 8`, in alternating rounds (--tp-rounds, --tp-seconds): runs/s and
           their ratio, and CPU per run on each side.

The server's admin (its first start prints the password) lifts the cap on event
streams per user (`sse_streams_per_user: 0`) for the sse and fanout parts.

Accounts: when POST /api/v1/auth/signup answers (404 means the server has no accounts
yet), the driver signs up a fresh user, logs in and sends `Authorization: Bearer TOKEN`
on every request. The server gets --user-runs/--queue/--rate far above the load so
that admission control does not refuse benchmark requests (the defaults, 16 runs per
user and 50 requests/s, would answer 429: by design).

Only loopback traffic; every loop is bounded by a count or a deadline; a watchdog
(--timeout, default 1500 s) kills the server and exits 3 if anything hangs. Run as root.
"""
import argparse
import collections
import hashlib
import http.client
import io
import json
import os
import resource
import secrets
import selectors
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

HELLO = 'print("hello, world")'
HELLO_OUT = "hello, world\n"
RUNTIME = "python-3.11"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

servers = []  # every server started, stopped by the watchdog and at exit


def log(msg):
    print(f"server_bench: {msg}", file=sys.stderr, flush=True)


def percentile(values, p):
    """Nearest-rank percentile of a non-empty list."""
    v = sorted(values)
    rank = max(1, -(-len(v) * p // 100))  # ceil
    return v[int(rank) - 1]


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# --- HTTP ------------------------------------------------------------------------------

class Client:
    """One keep-alive connection; reconnects once after a dropped connection."""

    def __init__(self, port, token=None, timeout=300):
        self.port, self.token, self.timeout = port, token, timeout
        self.conn = None

    def headers(self, extra=None):
        h = {"Content-Type": "application/json"}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        h.update(extra or {})
        return h

    def request(self, method, path, body=None, headers=None):
        data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=self.headers(headers))
                resp = self.conn.getresponse()
                payload = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return resp.status, payload
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def json(self, method, path, body=None, expect=(200,)):
        status, payload = self.request(method, path, body)
        if status not in expect:
            raise RuntimeError(f"{method} {path}: HTTP {status}: {payload[:300]!r}")
        return json.loads(payload)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def authenticate(port):
    """A bearer token when the server has accounts, None when it has none yet (404)."""
    c = Client(port, timeout=30)
    user = "bench" + secrets.token_hex(4)
    password = secrets.token_urlsafe(18)
    status, payload = c.request("POST", "/api/v1/auth/signup", {"username": user, "password": password})
    if status == 404:
        c.close()
        return None
    if status not in (200, 201):
        raise RuntimeError(f"signup: HTTP {status}: {payload[:300]!r}")
    reply = c.json("POST", "/api/v1/auth/login", {"username": user, "password": password})
    c.close()
    if not reply.get("token"):
        raise RuntimeError("login answered without a token")
    return reply["token"]


# --- the server under test -------------------------------------------------------------

class Server:
    """`runlet serve` on 127.0.0.1:<free port> with a fresh --data dir."""

    extra_args = []  # --server-args, for every server started

    def __init__(self, runlet, runtimes, scratch, name):
        self.dir = tempfile.mkdtemp(dir=scratch, prefix=name + ".")
        self.data = os.path.join(self.dir, "data")
        self.out_path = os.path.join(self.dir, "stdout")
        self.err_path = os.path.join(self.dir, "stderr")
        self.args = [runlet, "serve", "--listen", "127.0.0.1:0", "--data", self.data, "--runtimes", runtimes,
                     "--user-runs", "1000", "--queue", "1000", "--rate", "1000000",
                     # Every client of the driver comes from 127.0.0.1 (default cap: 256).
                     "--max-connections-per-address", "100000"] + Server.extra_args
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(self.args, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        servers.append(self)
        self.port = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.port is None:
            if self.proc.poll() is not None:
                raise RuntimeError(f"runlet serve exited with {self.proc.returncode}: {self.tail()}")
            with open(self.out_path) as f:
                for line in f:
                    if line.startswith("runlet: serving on http://"):
                        self.port = int(line.strip().rsplit(":", 1)[1])
            time.sleep(0.05)
        if self.port is None:
            raise RuntimeError("runlet serve did not start within 120 s: " + self.tail())
        c = Client(self.port, timeout=30)
        status, _ = c.request("GET", "/healthz")
        c.close()
        if status != 200:
            raise RuntimeError(f"/healthz answered {status}")
        self.token = authenticate(self.port)
        self.auth = "with accounts (signed up, bearer token)" if self.token else "no accounts yet (signup answered 404)"

    def admin_settings(self, settings):
        """PUT /api/v1/admin/settings as the first admin (password from the first start's
        stdout). The HTTP status; 0 when the server printed no admin password."""
        password = None
        with open(self.out_path) as f:
            for line in f:
                if "created the first admin account" in line:
                    password = line.split('password "', 1)[1].split('"', 1)[0]
        if password is None:
            return 0
        c = Client(self.port, timeout=30)
        reply = c.json("POST", "/api/v1/auth/login", {"username": "admin", "password": password})
        c.token = reply["token"]
        status, payload = c.request("PUT", "/api/v1/admin/settings", settings)
        c.close()
        if status != 200:
            log(f"admin settings {settings}: HTTP {status}: {payload[:200]!r}")
        return status

    def command(self):
        return " ".join(shlex.quote(a) for a in self.args)

    def tail(self):
        try:
            with open(self.err_path, errors="replace") as f:
                return f.read()[-1500:]
        except OSError:
            return ""

    def client(self, timeout=300):
        return Client(self.port, self.token, timeout)

    def status_kb(self, field):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def rss_kb(self):
        return self.status_kb("VmRSS")

    def peak_rss_kb(self):
        return self.status_kb("VmHWM")

    def threads(self):
        return self.status_kb("Threads")

    def fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime, all threads

    def children_cpu_seconds(self):
        """CPU of the reaped children: the sandboxes' init with what ran in them."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[13]) + int(fields[14])) / CLK_TCK  # cutime + cstime

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in servers:
            servers.remove(self)
        return self.proc.returncode


def stop_all_servers():
    for s in list(servers):
        try:
            s.stop()
        except Exception:  # noqa: BLE001 - best effort at exit
            s.proc.kill()


# --- part 1: execute throughput and latency -------------------------------------------

def closed_loop(concurrency, one, seconds=None, count=None):
    """`concurrency` workers call one() -> (ok, error) back to back until `seconds` have
    passed or `count` calls were started. Returns (latencies of ok calls, errors, elapsed)."""
    lock = threading.Lock()
    latencies, errors = [], collections.Counter()
    started = [0]
    barrier = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def worker():
        barrier.wait()
        while True:
            with lock:
                if count is not None and started[0] >= count:
                    return
                if seconds is not None and time.monotonic() >= deadline[0]:
                    return
                started[0] += 1
            t0 = time.perf_counter()
            try:
                ok, why = one()
            except Exception as e:  # noqa: BLE001 - counted and reported
                ok, why = False, type(e).__name__ + ": " + str(e)[:100]
            dt = time.perf_counter() - t0
            with lock:
                if ok:
                    latencies.append(dt)
                else:
                    errors[why] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    start = time.monotonic()
    deadline[0] = start + (seconds or 0)
    barrier.wait()
    for t in threads:
        t.join()
    return latencies, errors, time.monotonic() - start


def runlet_execute_one(server):
    local = threading.local()
    body = json.dumps({"runtime": RUNTIME, "files": [{"name": "main.py", "content": HELLO}]}).encode()

    def one():
        if not hasattr(local, "c"):
            local.c = server.client()
        status, payload = local.c.request("POST", "/api/v1/execute", body)
        if status != 200:
            return False, f"HTTP {status} {payload[:80]!r}"
        result = json.loads(payload)
        if result.get("status") != "ok" or result.get("stdout") != HELLO_OUT:
            return False, f"status {result.get('status')}: {result.get('message', '')[:80]}"
        return True, None
    return one


def subprocess_one(argv, env=None):
    def one():
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=300)
        if p.returncode != 0 or p.stdout.decode(errors="replace") != HELLO_OUT:
            return False, f"exit {p.returncode}: {p.stderr[:100]!r}"
        return True, None
    return one


def docker_python_image(docker):
    """An image holding only the host's python3.11, its libraries and standard library,
    imported from a tar stream (no registry). Rebuilt when the host's python changes."""
    image = "runlet-bench/python:latest"
    python = os.path.realpath("/usr/bin/python3")
    with open(python, "rb") as f:
        digest = hashlib.sha256(f.read() + b"v1").hexdigest()
    have = subprocess.run([docker, "image", "inspect", "-f", '{{index .Config.Labels "runlet.bench.python"}}', image],
                          capture_output=True, text=True).stdout.strip()
    if have == digest:
        return image
    log("building the docker image " + image + " from the host's python3")
    libs = []
    for line in subprocess.run(["ldd", python], capture_output=True, text=True, check=True).stdout.splitlines():
        for word in line.split():
            if word.startswith("/"):
                libs.append(word)
    stdlib = "/usr/lib/" + os.path.basename(python)
    skip = {"test", "idlelib", "tkinter", "ensurepip", "lib2to3", "turtledemo"}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        def add_dir(name):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)

        def add_link(name, target):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)

        for d in ("usr", "usr/bin", "usr/lib", "usr/lib64", "usr/lib/x86_64-linux-gnu", "etc", "tmp", "proc",
                  "sys", "dev"):
            add_dir(d)
        for name, target in (("bin", "usr/bin"), ("lib", "usr/lib"), ("lib64", "usr/lib64"),
                             ("usr/bin/python3", os.path.basename(python))):
            add_link(name, target)
        tar.add(python, arcname="usr/bin/" + os.path.basename(python))
        for lib in libs:
            real = os.path.realpath(lib)
            tar.add(real, arcname=("usr" + lib if not lib.startswith("/usr/") else lib).lstrip("/"))
        tar.add(stdlib, arcname=stdlib.lstrip("/"),
                filter=lambda ti: None if ti.name.split("/")[3:4] and ti.name.split("/")[3] in skip else ti)
        etc_python = "/etc/" + os.path.basename(python)
        if os.path.isdir(etc_python):
            tar.add(etc_python, arcname=etc_python.lstrip("/"))
    subprocess.run([docker, "import", "--change", f"LABEL runlet.bench.python={digest}", "-", image],
                   input=buf.getvalue(), capture_output=True, check=True)
    return image


def bench_execute(args, scratch):
    out = []
    bare_env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    bare = subprocess_one(["python3", "-c", HELLO], bare_env)
    docker_image = None
    docker_note = ""
    if args.docker_runs and shutil.which(args.docker):
        if subprocess.run([args.docker, "info"], capture_output=True, timeout=20).returncode == 0:
            docker_image = docker_python_image(args.docker)
            check = subprocess.run([args.docker, "run", "--rm", "--network", "none", docker_image, "python3", "-c",
                                    HELLO], capture_output=True, text=True, timeout=120)
            if check.stdout != HELLO_OUT:
                raise RuntimeError(f"docker python image prints {check.stdout!r}, stderr {check.stderr[-300:]!r}")
        else:
            docker_note = "no Docker engine answered: the docker column is empty"
    docker_cmd = ([args.docker, "run", "--rm", "--network", "none", docker_image, "python3", "-c", HELLO]
                  if docker_image else None)

    server = Server(args.runlet, args.runtimes, scratch, "execute")
    log(f"execute: server on port {server.port}, {server.auth}")
    runlet = runlet_execute_one(server)
    # Warm-up, untimed: the page cache, the pool, the interpreter.
    closed_loop(1, runlet, count=5)
    closed_loop(1, bare, count=5)
    if docker_cmd:
        closed_loop(1, subprocess_one(docker_cmd), count=2)

    rows = []
    load_before = loadavg()
    docker_counts = args.docker_runs + [args.docker_runs[-1] if args.docker_runs else 0] * len(args.concurrency)
    for i, conc in enumerate(args.concurrency):
        row = {"conc": conc}
        for key, one, kwargs in (("bare", bare, {"seconds": args.seconds}),
                                 ("runlet", runlet, {"seconds": args.seconds}),
                                 ("docker", subprocess_one(docker_cmd) if docker_cmd else None,
                                  {"count": max(docker_counts[i], conc)})):
            if one is None:
                continue
            log(f"execute: {key} x{conc} ({kwargs})")
            lat, errors, elapsed = closed_loop(conc, one, **kwargs)
            row[key] = {"n": len(lat), "errors": sum(errors.values()), "why": dict(errors),
                        "rate": len(lat) / elapsed, "p50": median(lat) * 1e3 if lat else float("nan"),
                        "p99": percentile(lat, 99) * 1e3 if lat else float("nan")}
            if errors:
                log(f"execute: {key} x{conc}: errors {dict(errors)}")
        rows.append(row)
    load_after = loadavg()
    rss = server.peak_rss_kb()
    server.stop()

    out.append("### Execute API: Python hello world (`POST /api/v1/execute`)")
    out.append("")
    out.append(f"- server: `{server.command()}` ({server.auth}; capacity = {os.cpu_count()} runs at once, "
               "the default of one per CPU; sandbox pool 2, the default)")
    out.append(f"- request: `{{\"runtime\": \"{RUNTIME}\", \"files\": [{{\"name\": \"main.py\", "
               f"\"content\": {json.dumps(HELLO)}}}]}}`, checked: status ok and stdout `hello, world`")
    out.append(f"- bare: `python3 -c '{HELLO}'` on the host (same env as the runtime: PYTHONUNBUFFERED, "
               "PYTHONDONTWRITEBYTECODE), spawned by the driver")
    if docker_cmd:
        out.append(f"- docker: `docker run --rm --network none {docker_image} python3 -c '{HELLO}'` (image: the "
                   "host's python3.11 + libraries + standard library, `docker import`ed)")
    if docker_note:
        out.append(f"- {docker_note}")
    out.append(f"- runlet and bare: closed loop for {args.seconds:g} s per row, each client sends its next request "
               "when the previous one answered; docker: a fixed number of runs per row (below)")
    out.append(f"- load average before: {load_before}; after: {load_after}; server peak RSS {rss / 1024:.0f} MiB")
    out.append("")
    out.append("| clients | bare runs/s | runlet runs/s | docker runs/s | runlet ÷ bare | runlet ÷ docker |"
               " bare p50 / p99 ms | runlet p50 / p99 ms | docker p50 / p99 ms | runlet n (errors) | docker n |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        b, rl, d = r.get("bare"), r.get("runlet"), r.get("docker")

        def cell(x, key, fmt):
            return fmt.format(x[key]) if x else "—"
        ratio_bare = f"{rl['rate'] / b['rate']:.2f}" if b and rl and b["rate"] else "—"
        ratio_docker = f"{rl['rate'] / d['rate']:.0f}×" if d and rl and d["rate"] else "—"
        out.append(f"| {r['conc']} | {cell(b, 'rate', '{:.1f}')} | {cell(rl, 'rate', '{:.1f}')} | "
                   f"{cell(d, 'rate', '{:.2f}')} | {ratio_bare} | {ratio_docker} | "
                   f"{cell(b, 'p50', '{:.1f}')} / {cell(b, 'p99', '{:.1f}')} | "
                   f"{cell(rl, 'p50', '{:.1f}')} / {cell(rl, 'p99', '{:.1f}')} | "
                   f"{cell(d, 'p50', '{:.0f}')} / {cell(d, 'p99', '{:.0f}')} | "
                   f"{rl['n'] if rl else '—'} ({rl['errors'] if rl else '—'}) | {d['n'] if d else '—'} |")
    errors = {f"{k} x{r['conc']}": r[k]["why"] for r in rows for k in ("bare", "runlet", "docker")
              if r.get(k) and r[k]["why"]}
    if errors:
        out.append("")
        out.append(f"Errors: `{json.dumps(errors)}`")
    if rows and rows[0].get("bare") and rows[0].get("runlet"):
        b, rl = rows[0]["bare"], rows[0]["runlet"]
        out.append("")
        out.append(f"One client: runlet's p50 is {rl['p50'] - b['p50']:+.1f} ms from bare python3's "
                   f"({rl['p50']:.1f} vs {b['p50']:.1f} ms).")
    return out


# --- part 2: idle SSE watchers ---------------------------------------------------------

def sse_request(server, run_id):
    auth = f"Authorization: Bearer {server.token}\r\n" if server.token else ""
    return (f"GET /api/v1/runs/{run_id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
            f"{auth}\r\n").encode()


def wait_status(client, run_id, wanted, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = client.json("GET", f"/api/v1/runs/{run_id}")
        if run["status"] in wanted:
            return run
        time.sleep(0.05)
    raise RuntimeError(f"run {run_id} did not reach {wanted} within {seconds} s")


def bench_sse(args, scratch):
    server = Server(args.runlet, args.runtimes, scratch, "sse")
    log(f"sse: server on port {server.port}, {server.auth}")
    server.admin_settings({"sse_streams_per_user": 0})
    c = server.client()
    sleeper = {"runtime": RUNTIME, "files": [{"name": "main.py", "content": "import time\ntime.sleep(3600)\n"}],
               "limits": {"wall": "1800s", "time": "10s"}}
    run_id = c.json("POST", "/api/v1/execute?wait=false", sleeper, expect=(202,))["id"]
    wait_status(c, run_id, {"running"})
    time.sleep(1)
    rss0, fds0, threads0 = server.rss_kb(), server.fds(), server.threads()
    request = sse_request(server, run_id)
    socks, refused = [], 0
    t0 = time.monotonic()
    for _ in range(args.watchers):
        try:
            s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            s.sendall(request)
            head = b""
            while b": runlet\n\n" not in head and len(head) < 4096:
                chunk = s.recv(4096)
                if not chunk:
                    break
                head += chunk
            if not head.startswith(b"HTTP/1.1 200") or b": runlet\n\n" not in head:
                refused += 1
                s.close()
                continue
            s.setblocking(False)
            socks.append(s)
        except OSError as e:
            refused += 1
            log(f"sse: connection failed: {e}")
            if refused > 20:
                break
    connect_s = time.monotonic() - t0
    time.sleep(2)
    rss1 = server.rss_kb()
    cpu0, w0 = server.cpu_seconds(), time.monotonic()
    rss_max = rss1
    while time.monotonic() - w0 < args.idle_seconds:
        time.sleep(0.5)
        rss_max = max(rss_max, server.rss_kb())
    cpu1, w1 = server.cpu_seconds(), time.monotonic()
    rss2, fds1, threads1 = server.rss_kb(), server.fds(), server.threads()
    # Still connected? Drain what arrived (heartbeats); EOF means the server closed it.
    alive = 0
    for s in socks:
        try:
            data = s.recv(65536)
            alive += 1 if data else 0
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    # Stop the run: every watcher must get its `end` event and then EOF.
    sel = selectors.DefaultSelector()
    seen = {}
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
        seen[s] = b""
    t_stop = time.monotonic()
    stopper = threading.Thread(target=lambda: server.client().request("POST", f"/api/v1/runs/{run_id}/stop"),
                               daemon=True)
    stopper.start()
    ended, closed_without_end = 0, 0
    last_end = None
    pending = set(socks)
    deadline = t_stop + 120
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                seen[s] = (seen[s] + data)[-4096:]
                continue
            sel.unregister(s)
            pending.discard(s)
            if b"event: end" in seen[s]:
                ended += 1
                last_end = time.monotonic()
            else:
                closed_without_end += 1
    fanout_s = (last_end - t_stop) if last_end else float("nan")
    for s in socks:
        s.close()
    stopper.join(30)
    time.sleep(1)
    rss3, fds2 = server.rss_kb(), server.fds()
    load = loadavg()
    server.stop()

    n = len(socks)
    cpu_pct = (cpu1 - cpu0) / (w1 - w0) * 100
    out = ["### Idle SSE watchers (`GET /api/v1/runs/{id}/events` of one running run)", ""]
    out.append(f"- server: `{server.command()}` ({server.auth})")
    out.append(f"- {args.watchers} clients opened one after another ({connect_s:.1f} s), each reading its response "
               f"head; refused or failed: {refused}; then idle {args.idle_seconds:g} s (the server sends a `: ping` "
               "heartbeat every 15 s); then `POST /runs/{id}/stop`")
    out.append(f"- load average after: {load}")
    out.append("")
    out.append("| measure | value |")
    out.append("|---|---:|")
    out.append(f"| watchers connected | {n} |")
    out.append(f"| server RSS before the watchers | {rss0 / 1024:.1f} MiB |")
    out.append(f"| server RSS with {n} idle watchers (after 2 s; at the end of the idle spell; max) | "
               f"{rss1 / 1024:.1f} / {rss2 / 1024:.1f} / {rss_max / 1024:.1f} MiB |")
    out.append(f"| RSS per watcher | {(rss2 - rss0) / max(n, 1):.1f} KiB |")
    out.append(f"| server CPU while idle ({args.idle_seconds:g} s) | {cpu_pct:.2f} % of one core "
               f"({cpu1 - cpu0:.2f} s) |")
    out.append(f"| server threads / fds before → with watchers | {threads0} / {fds0} → {threads1} / {fds1} |")
    out.append(f"| watchers still open after the idle spell | {alive} of {n} |")
    out.append(f"| after stop: watchers that got `end` then EOF / closed without `end` / still open | "
               f"{ended} / {closed_without_end} / {len(pending)} |")
    out.append(f"| stop → last watcher's `end` | {fanout_s * 1e3:.0f} ms |")
    out.append(f"| server RSS / fds after all closed | {rss3 / 1024:.1f} MiB / {fds2} |")
    return out


# --- part 4: many watchers of one busy run ---------------------------------------------

def bench_fanout(args, scratch):
    server = Server(args.runlet, args.runtimes, scratch, "fanout")
    log(f"fanout: server on port {server.port}, {server.auth}")
    lifted = server.admin_settings({"sse_streams_per_user": 0})
    c = server.client()
    rate, seconds = args.fanout_rate, args.fanout_seconds
    lines = int(rate * (seconds + 20))
    code = (f"import time\nt = time.monotonic()\nfor i in range(1, {lines + 1}):\n"
            f"    print(f'line {{i}} ' + 'x' * 60, flush=True)\n"
            f"    time.sleep(max(0, t + i / {rate} - time.monotonic()))\n")
    ticker = {"runtime": RUNTIME, "files": [{"name": "main.py", "content": code}],
              "limits": {"wall": "1800s", "time": "600s"}}
    run_id = c.json("POST", "/api/v1/execute?wait=false", ticker, expect=(202,))["id"]
    wait_status(c, run_id, {"running"})
    request = sse_request(server, run_id)
    socks, refused = [], 0
    for _ in range(args.fanout_watchers):
        try:
            s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            s.sendall(request)
            s.setblocking(False)
            socks.append(s)
        except OSError as e:
            refused += 1
            log(f"fanout: connection failed: {e}")
            if refused > 20:
                break
    # A reader thread drains every socket and counts log events per client.
    counts = {s: 0 for s in socks}
    tails = {s: b"" for s in socks}
    statuses = {s: None for s in socks}
    stop = threading.Event()

    def reader():
        sel = selectors.DefaultSelector()
        for s in socks:
            sel.register(s, selectors.EVENT_READ)
        while not stop.is_set():
            for key, _ in sel.select(timeout=0.2):
                s = key.fileobj
                try:
                    data = s.recv(1 << 16)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(s)
                    continue
                buf = tails[s] + data
                if statuses[s] is None and b"\r\n" in buf:
                    statuses[s] = buf.split(b" ", 2)[1].decode(errors="replace")
                counts[s] += buf.count(b"event: log\n") - tails[s].count(b"event: log\n")
                tails[s] = buf[-64:]
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    # Everyone answered and caught up (a watcher gets the run's earlier lines first).
    t_connect = time.monotonic()
    while time.monotonic() - t_connect < 120 and any(statuses[s] is None for s in socks):
        time.sleep(0.2)
    connect_s = time.monotonic() - t_connect
    time.sleep(5)
    before = dict(counts)
    cpu0, w0 = server.cpu_seconds(), time.monotonic()
    time.sleep(seconds)
    cpu1, w1 = server.cpu_seconds(), time.monotonic()
    after = dict(counts)
    stop.set()
    t.join(10)
    ok = sum(1 for s in socks if statuses[s] == "200")
    got = sorted(after[s] - before[s] for s in socks if statuses[s] == "200")
    expected = rate * (w1 - w0)
    c.request("POST", f"/api/v1/runs/{run_id}/stop")
    for s in socks:
        s.close()
    load = loadavg()
    server.stop()
    cpu_pct = (cpu1 - cpu0) / (w1 - w0) * 100
    out = [f"### {len(socks)} SSE watchers of one run printing {rate:g} lines/s", ""]
    out.append(f"- server: `{server.command()}` ({server.auth}; cap on streams per user lifted: "
               f"{'yes' if lifted == 200 else 'no such setting' if lifted == 400 else lifted})")
    out.append(f"- each client reads everything; all answered within {connect_s:.1f} s; measured over "
               f"{w1 - w0:.1f} s starting 5 s later; "
               f"load average after: {load}")
    out.append("")
    out.append("| measure | value |")
    out.append("|---|---:|")
    out.append(f"| watchers answered 200 / connected | {ok} / {len(socks)} |")
    out.append(f"| server CPU | {cpu_pct:.1f} % of one core ({cpu1 - cpu0:.2f} s) |")
    if got:
        out.append(f"| log events per watcher in the window: min / median / max (printed ≈ {expected:.0f}) | "
                   f"{got[0]} / {median(got):.0f} / {got[-1]} |")
    return out


# --- part 3: a run that prints 100 MB --------------------------------------------------

class Sampler(threading.Thread):
    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.max_kb, self.stopped = server, 0, threading.Event()

    def run(self):
        while not self.stopped.is_set():
            try:
                self.max_kb = max(self.max_kb, self.server.rss_kb())
            except OSError:
                return
            self.stopped.wait(0.05)


def read_sse(server, run_id, deadline):
    """Reads one run's SSE stream to its end. Returns (log events, bytes, end event seen,
    size of the end event's data line, seconds)."""
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    s.sendall(sse_request(server, run_id))
    logs, total, end_seen, end_bytes = 0, 0, False, 0
    carry = b""
    in_end = dropped = False
    while time.monotonic() < deadline:
        data = s.recv(1 << 20)
        if not data:
            break
        total += len(data)
        carry += data
        lines = carry.split(b"\n")
        carry = lines.pop()
        for line in lines:
            if in_end and (dropped or line.startswith(b"data: ")):
                end_bytes += len(line)
                in_end = dropped = False
            elif line == b"event: log":
                logs += 1
            elif line == b"event: end":
                end_seen = in_end = True
        if in_end and len(carry) > (1 << 20):  # a huge end line: count it without keeping it
            end_bytes += len(carry)
            carry, dropped = b"", True
    s.close()
    return logs, total, end_seen, end_bytes, time.monotonic() - t0


def bench_output(args, scratch):
    lines = args.output_mb * 10000  # 100-byte lines
    program = ("import sys\nblock = (b'x' * 99 + b'\\n') * 10000\nw = sys.stdout.buffer.write\n"
               f"for _ in range({args.output_mb}):\n    w(block)\n")
    limit = f"{args.output_mb + 28}M"
    request = {"runtime": RUNTIME, "files": [{"name": "main.py", "content": program}],
               "limits": {"output": limit, "wall": "600s", "time": "120s"}}
    server = Server(args.runlet, args.runtimes, scratch, "output")
    log(f"output: server on port {server.port}, {server.auth}")
    c = server.client()
    rss0 = server.rss_kb()
    sampler = Sampler(server)
    sampler.start()
    t0 = time.monotonic()
    run_id = c.json("POST", "/api/v1/execute?wait=false", request, expect=(202,))["id"]
    deadline = time.monotonic() + args.output_timeout
    sse_logs, sse_bytes, sse_end, end_bytes, sse_s = read_sse(server, run_id, deadline)
    sse_total_s = time.monotonic() - t0
    run = c.json("GET", f"/api/v1/runs/{run_id}") if sse_end else wait_status(c, run_id, {
        "ok", "runtime_error", "output_limit", "time_limit", "memory_limit", "internal_error", "cancelled"}, 300)
    rss_after_sse = sampler.max_kb
    # The same log through the paged logs API, after the run has ended.
    t1 = time.monotonic()
    after, entries, pages, done, log_bytes = 0, 0, 0, False, 0
    deadline = time.monotonic() + args.output_timeout
    while not done and time.monotonic() < deadline:
        status, payload = c.request("GET", f"/api/v1/runs/{run_id}/logs?after={after}&limit=10000")
        if status != 200:
            raise RuntimeError(f"logs: HTTP {status} {payload[:200]!r}")
        page = json.loads(payload)
        log_bytes += len(payload)
        pages += 1
        entries += len(page["entries"])
        after, done = page["next"], page["done"]
    logs_s = time.monotonic() - t1
    # The finished run itself, as GET /runs/{id} returns it (the result object).
    t2 = time.monotonic()
    status, payload = c.request("GET", f"/api/v1/runs/{run_id}")
    get_s, get_bytes = time.monotonic() - t2, len(payload)
    sampler.stopped.set()
    sampler.join()
    peak = server.peak_rss_kb()
    rss_end = server.rss_kb()
    load = loadavg()
    server.stop()

    out = [f"### A run that prints {args.output_mb} MB", ""]
    out.append(f"- server: `{server.command()}` ({server.auth})")
    out.append(f"- program: {lines} lines of 100 bytes written in 1 MB blocks; "
               f"`POST /api/v1/execute?wait=false` with limits `{json.dumps(request['limits'])}` (the default "
               "output limit is 1 MiB per stream; project runs use the runtime's defaults, so only execute can ask for "
               "more), then at once `GET /runs/{id}/events`; after the end, the whole log again through "
               "`GET /runs/{id}/logs?limit=10000` pages")
    out.append(f"- load average after: {load}")
    out.append("")
    out.append("| measure | value |")
    out.append("|---|---:|")
    out.append(f"| run status, wall time | {run['status']}, {run.get('wall_time_ms')} ms |")
    out.append(f"| SSE: submit → `end` event | {sse_total_s:.1f} s ({sse_bytes / 1e6 / max(sse_s, 1e-9):.1f} MB/s "
               f"of SSE) |")
    out.append(f"| SSE: log events received / expected | {sse_logs} / {lines} (end event: "
               f"{'yes' if sse_end else 'NO'}) |")
    out.append(f"| SSE: bytes received; of which the `end` event's data | {sse_bytes / 1e6:.1f} MB; "
               f"{end_bytes / 1e6:.1f} MB |")
    out.append(f"| logs API after the end: entries / pages / time | {entries} / {pages} / {logs_s:.1f} s "
               f"({'complete' if done else 'NOT complete: timed out'}) |")
    out.append(f"| `GET /runs/{{id}}` of the finished run: time, bytes | {get_s * 1e3:.0f} ms, "
               f"{get_bytes / 1e6:.1f} MB |")
    out.append(f"| server RSS before the run | {rss0 / 1024:.1f} MiB |")
    out.append(f"| server peak RSS (VmHWM) during SSE; overall | {rss_after_sse / 1024:.0f} MiB; "
               f"{peak / 1024:.0f} MiB |")
    out.append(f"| server RSS at the end | {rss_end / 1024:.0f} MiB |")
    return out


# --- part 6: throughput at 8 clients against bare python3 from xargs -P 8 ---------------

def xargs_bare(runs, parallel):
    """`runs` bare `/usr/bin/python3 -c HELLO` started by `xargs -P parallel`; runs/s."""
    t0 = time.monotonic()
    p = subprocess.run(["xargs", "-P", str(parallel), "-n", "1", "/usr/bin/python3", "-c", HELLO],
                       input="".join(f"{i}\n" for i in range(runs)).encode(), capture_output=True, timeout=600)
    elapsed = time.monotonic() - t0
    # With PYTHONUNBUFFERED in the environment, print writes the text and its newline
    # apart, and the processes' writes interleave: count the texts.
    lines = p.stdout.decode(errors="replace").count(HELLO_OUT.strip())
    if p.returncode != 0 or lines != runs:
        raise RuntimeError(f"xargs: exit {p.returncode}, {lines} of {runs} hellos: {p.stderr[-300:]!r}")
    return runs / elapsed


def bench_throughput(args, scratch):
    """One user, --tp-clients keep-alive clients POSTing a Python hello world back to back,
    against bare python3 started by `xargs -P N` (the same N): bare, runlet, bare, runlet,
    bare, each for about --tp-seconds, the ratio against the bare runs around each."""
    n = args.tp_clients
    capacity = os.cpu_count() + 1
    # The default share keeps one executor for other users; here one user may use all.
    Server.extra_args, saved = Server.extra_args + ["--user-executing", str(capacity)], Server.extra_args
    try:
        server = Server(args.runlet, args.runtimes, scratch, "throughput")
    finally:
        Server.extra_args = saved
    log(f"throughput: server on port {server.port}, {server.auth}")
    runlet = runlet_execute_one(server)
    closed_loop(n, runlet, count=4 * n)  # warm-up: page cache, pool, connections
    bare_runs = max(16, int(xargs_bare(4 * n, n) * args.tp_seconds))
    load_before = loadavg()
    bare_rates, runlet_rows = [], []
    cpu_before, children_before = server.cpu_seconds(), server.children_cpu_seconds()
    for i in range(args.tp_rounds):
        bare_rates.append(xargs_bare(bare_runs, n))
        log(f"throughput: bare {bare_rates[-1]:.1f} runs/s")
        lat, errors, elapsed = closed_loop(n, runlet, seconds=args.tp_seconds)
        runlet_rows.append({"rate": len(lat) / elapsed, "n": len(lat), "errors": dict(errors),
                            "p50": median(lat) * 1e3 if lat else float("nan"),
                            "p99": percentile(lat, 99) * 1e3 if lat else float("nan")})
        log(f"throughput: runlet {runlet_rows[-1]['rate']:.1f} runs/s, errors {dict(errors)}")
    bare_rates.append(xargs_bare(bare_runs, n))
    runlet_cpu = server.cpu_seconds() - cpu_before
    children_cpu = server.children_cpu_seconds() - children_before
    t0 = os.times()
    xargs_bare(bare_runs, n)
    t1 = os.times()
    bare_cpu = (t1.children_user + t1.children_system - t0.children_user - t0.children_system) / bare_runs
    load_after = loadavg()
    server.stop()
    out = [f"### Throughput: {n} clients of one user against bare python3 from `xargs -P {n}`", ""]
    out.append(f"- server: `{server.command()}` ({server.auth}; capacity {capacity}, the default, and one user "
               f"may take all of it)")
    out.append(f"- runlet: {n} keep-alive clients, each POSTing `{{\"runtime\": \"{RUNTIME}\", \"files\": "
               f"[{{\"name\": \"main.py\", \"content\": {json.dumps(HELLO)}}}]}}` when its last answer came "
               f"(status ok and stdout checked), {args.tp_seconds:g} s per round")
    out.append(f"- bare: `seq {bare_runs} | xargs -P {n} -n 1 /usr/bin/python3 -c '{HELLO}'`; rounds alternate "
               "bare, runlet, bare, ...; each runlet round's ratio is against the mean of the bare rounds around it")
    out.append(f"- load average before: {load_before}; after: {load_after}")
    out.append("")
    out.append("| round | bare runs/s (before, after) | runlet runs/s | runlet ÷ bare | runlet p50 / p99 ms | runlet n (errors) |")
    out.append("|---:|---:|---:|---:|---:|---:|")
    ratios = []
    for i, r in enumerate(runlet_rows):
        bare = (bare_rates[i] + bare_rates[i + 1]) / 2
        ratios.append(r["rate"] / bare)
        errs = sum(r["errors"].values())
        out.append(f"| {i + 1} | {bare_rates[i]:.1f}, {bare_rates[i + 1]:.1f} | {r['rate']:.1f} | {ratios[-1]:.2f} | "
                   f"{r['p50']:.1f} / {r['p99']:.1f} | {r['n']} ({errs}) |")
    total = sum(r["n"] for r in runlet_rows)
    out.append("")
    out.append(f"Ratio, median of the rounds: **{median(ratios):.2f}** (min {min(ratios):.2f}, max {max(ratios):.2f}); "
               f"CPU per run: `runlet serve`'s own threads {runlet_cpu / max(total, 1) * 1e3:.1f} ms, the sandboxes "
               f"(init and python3, the server's reaped children) {children_cpu / max(total, 1) * 1e3:.1f} ms; "
               f"bare python3 (with xargs) {bare_cpu * 1e3:.1f} ms (the kernel's work in its own threads, such as "
               f"network namespace clean-up, is in neither): bare ÷ runlet in CPU per run "
               f"**{bare_cpu * max(total, 1) / max(runlet_cpu + children_cpu, 1e-9):.2f}**, the throughput ratio "
               "on a machine with nothing else to run.")
    errors = {k: v for r in runlet_rows for k, v in r["errors"].items()}
    if errors:
        out.append("")
        out.append(f"Errors: `{json.dumps(errors)}`")
    return out


# --- main ------------------------------------------------------------------------------

# --- part 4: one user's backlog against another user's run -------------------------------

def wait_final(client, run_id, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = client.json("GET", f"/api/v1/runs/{run_id}")
        if run.get("status") not in ("queued", "building", "running"):
            return run, time.monotonic()
        time.sleep(0.01)
    raise RuntimeError(f"run {run_id} did not finish within {seconds} s")


def bench_fairness(args, scratch):
    server = Server(args.runlet, args.runtimes, scratch, "fairness")
    a = server.client()
    b = Client(server.port, authenticate(server.port))
    sleeper = {"runtime": RUNTIME, "files": [{"name": "main.py",
                                               "content": f"import time\ntime.sleep({args.fair_sleep})\n"}]}
    hello = {"runtime": RUNTIME, "files": [{"name": "main.py", "content": HELLO}]}
    log(f"fairness: user A submits {args.fair_runs} runs of {args.fair_sleep} s")
    a_ids = []
    t0 = time.monotonic()
    for _ in range(args.fair_runs):
        a_ids.append(a.json("POST", "/api/v1/execute?wait=false", sleeper, expect=(202,))["id"])
    a_submitted = time.monotonic() - t0
    time.sleep(0.5)
    submitted = time.monotonic()
    b_id = b.json("POST", "/api/v1/execute?wait=false", hello, expect=(202,))["id"]
    b_run, b_done = wait_final(b, b_id, 600)
    b_total = b_done - submitted
    a_unfinished = sum(1 for i in a_ids if a.json("GET", f"/api/v1/runs/{i}").get("status") in ("queued", "running"))
    last, a_done = wait_final(a, a_ids[-1], args.fair_runs * args.fair_sleep * 4 + 120)
    walls = sorted(a.json("GET", f"/api/v1/runs/{i}")["wall_time_ms"] for i in a_ids)
    server.stop()
    out = ["### Fairness: one user's backlog, another user's run", ""]
    out.append(f"- server: `{server.command()}` ({server.auth}; capacity and the per-user share at their defaults)")
    out.append(f"- user A: {args.fair_runs} × `time.sleep({args.fair_sleep})` with `?wait=false` "
               f"(submitted in {a_submitted:.2f} s); 0.5 s later user B: one hello world")
    out.append("")
    out.append("| measure | value |")
    out.append("|---|---:|")
    out.append(f"| B: submit → final | {b_total * 1e3:.0f} ms ({b_run.get('status')}) |")
    out.append(f"| A's runs not yet finished when B's ended | {a_unfinished} of {args.fair_runs} |")
    out.append(f"| A's run wall time, median | {walls[len(walls) // 2]} ms |")
    out.append(f"| A: first submit → last final | {a_done - t0:.1f} s |")
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runlet", default=os.path.join(repo, "build/release/src/cli/runlet"))
    p.add_argument("--runtimes", default=os.path.join(repo, "runtimes"))
    p.add_argument("--only", default="execute,throughput,sse,output,fairness")
    p.add_argument("--fair-runs", type=int, default=200)
    p.add_argument("--fair-sleep", type=float, default=0.5)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--concurrency", default="1,8,64")
    p.add_argument("--docker", default="docker")
    p.add_argument("--docker-runs", default="10,24,64", help="docker runs per concurrency level (0: no docker)")
    p.add_argument("--watchers", type=int, default=2000)
    p.add_argument("--idle-seconds", type=float, default=30)
    p.add_argument("--output-mb", type=int, default=100)
    p.add_argument("--fanout-watchers", type=int, default=1000)
    p.add_argument("--fanout-rate", type=float, default=50)
    p.add_argument("--fanout-seconds", type=float, default=20)
    p.add_argument("--output-timeout", type=float, default=300)
    p.add_argument("--tp-clients", type=int, default=8)
    p.add_argument("--tp-seconds", type=float, default=10)
    p.add_argument("--tp-rounds", type=int, default=3)
    p.add_argument("--server-args", default="", help="extra `runlet serve` flags, e.g. '--capacity 4'")
    p.add_argument("--timeout", type=float, default=1500, help="watchdog: kill everything after this many seconds")
    args = p.parse_args()
    args.concurrency = [int(x) for x in args.concurrency.split(",") if x]
    args.docker_runs = [int(x) for x in args.docker_runs.split(",") if x and int(x) > 0]
    Server.extra_args = shlex.split(args.server_args)
    parts = set(args.only.split(","))
    if os.geteuid() != 0:
        sys.exit("server_bench: run as root (the sandbox needs it)")
    if not os.access(args.runlet, os.X_OK):
        sys.exit(f"server_bench: {args.runlet} is missing; build first (make bench)")
    # Room for the watchers' sockets, here and in the server (which inherits it).
    want = max(args.watchers, args.fanout_watchers) + 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, soft), max(want, hard)))

    def watchdog(signum, frame):
        log(f"watchdog: still running after {args.timeout:g} s; killing the server")
        for s in list(servers):
            s.proc.kill()
        os._exit(3)
    signal.signal(signal.SIGALRM, watchdog)
    signal.alarm(int(args.timeout))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    commit = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    if subprocess.run(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                      text=True).stdout.strip():
        commit += " (with uncommitted changes)"
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30)
    out = ["## Runlet server benchmarks", ""]
    cmd = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0], repo)] + sys.argv[1:])
    out.append(f"- command: `{cmd}`")
    out.append(f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}; commit: {commit}")
    out.append(f"- machine: {os.uname().release}, {os.cpu_count()} CPUs, {mem_gib:.0f} GiB RAM; "
               f"python3 {sys.version.split()[0]}")
    out.append(f"- load average before: {loadavg()}")
    out.append("")
    print("\n".join(out), flush=True)
    scratch = tempfile.mkdtemp(prefix="runlet-bench-server.")
    status = 0
    try:
        for name, fn in (("execute", bench_execute), ("sse", bench_sse), ("output", bench_output),
                         ("fanout", bench_fanout), ("throughput", bench_throughput),
                         ("fairness", bench_fairness)):
            if name not in parts:
                continue
            try:
                print("\n".join(fn(args, scratch)) + "\n", flush=True)
            except Exception as e:  # noqa: BLE001 - reported, the other parts still run
                status = 1
                log(f"{name}: FAILED: {type(e).__name__}: {e}")
                for s in list(servers):
                    log(f"{name}: server stderr tail: {s.tail()}")
                print(f"### {name}: FAILED: {type(e).__name__}: {e}\n", flush=True)
                stop_all_servers()
    finally:
        stop_all_servers()
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"Load average after: {loadavg()}")
    return status


if __name__ == "__main__":
    sys.exit(main())
