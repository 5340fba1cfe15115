#!/usr/bin/python3
"""Soak test: hostile users beside a well-behaved one, against a real `runlet serve`.

  tests/soak/soak_test.py --runlet PATH --runtimes DIR [--seconds 60]
                          [--p99-ms 5000] [--rss-mb 600]

The server runs on its defaults (the point is that they are safe). For --seconds, from
their own loopback addresses (127.0.0.2-7, so that per-address caps on the hostile ones
never touch the well-behaved one, as on a real network):

  bomb     two clients running Python fork bombs through POST /api/v1/execute;
  flood    two clients running programs that print as fast as they can;
  conns    opens up to 1,500 idle TCP connections and holds them;
  slow     40 connections that announce a 1 MiB body and send a byte a second;
  watch    1,000 SSE watchers on a run that prints 50 lines a second.

Meanwhile the well-behaved user (127.0.0.10) runs a Python hello world every 0.5 s and
reads /api/v1/me between runs. Passes when every one of its runs is `ok`, its p99
latency is under --p99-ms (default 5 s: one run's duration at the default limits, 5 s
wall — the most a fair queue may make another user wait), and the server's peak RSS
stays under --rss-mb (an ASan build). On the main of 2026-12-07 before the hardening:
2 runs in 20 s, p50 13 s; after: 40 runs in 60 s, p50 705 ms, p99 3.8 s, RSS 495 MiB. Prints the
figures either way. Only loopback traffic; every loop is bounded by the deadline; a
watchdog kills the server and exits 3 if anything hangs. Run as root (native sandbox).
"""
import argparse
import http.client
import json
import os
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

GOOD_ADDR = "127.0.0.10"
HELLO = 'print("hello, world")'
BOMB = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
FLOOD = "import sys\nline = 'x' * 99 + '\\n'\nwhile True:\n    sys.stdout.write(line)\n"
TICKER = "import time\nfor i in range(100000):\n    print('tick', i, flush=True)\n    time.sleep(0.02)\n"


def log(msg):
    print(f"soak: {msg}", file=sys.stderr, flush=True)


def percentile(values, p):
    v = sorted(values)
    rank = max(1, -(-len(v) * p // 100))
    return v[int(rank) - 1]


class BoundConnection(http.client.HTTPConnection):
    """An HTTP connection from a chosen loopback address."""

    def __init__(self, port, source, timeout):
        super().__init__("127.0.0.1", port, timeout=timeout, source_address=(source, 0))


class Client:
    def __init__(self, port, source, token=None, timeout=120):
        self.port, self.source, self.token, self.timeout = port, source, token, timeout
        self.conn = None

    def request(self, method, path, body=None):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        data = None if body is None else json.dumps(body).encode()
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = BoundConnection(self.port, self.source, self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=headers)
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

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Server:
    def __init__(self, runlet, runtimes, scratch):
        self.dir = tempfile.mkdtemp(dir=scratch, prefix="soak.")
        out_path = os.path.join(self.dir, "stdout")
        self.err_path = os.path.join(self.dir, "stderr")
        args = [runlet, "serve", "--listen", "127.0.0.1:0", "--data", os.path.join(self.dir, "data"),
                "--runtimes", runtimes]
        with open(out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        self.port = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.port is None:
            if self.proc.poll() is not None:
                raise RuntimeError(f"runlet serve exited with {self.proc.returncode}: {self.tail()}")
            with open(out_path) as f:
                for line in f:
                    if line.startswith("runlet: serving on http://"):
                        self.port = int(line.strip().rsplit(":", 1)[1])
            time.sleep(0.05)
        if self.port is None:
            raise RuntimeError("runlet serve did not start within 120 s: " + self.tail())

    def tail(self):
        try:
            with open(self.err_path, errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def sign_up(port, source, name):
    c = Client(port, source, timeout=60)
    password = secrets.token_urlsafe(18)
    status, payload = c.request("POST", "/api/v1/auth/signup", {"username": name, "password": password})
    if status not in (200, 201):
        raise RuntimeError(f"signup {name}: HTTP {status}: {payload[:300]!r}")
    status, payload = c.request("POST", "/api/v1/auth/login", {"username": name, "password": password})
    c.close()
    if status != 200:
        raise RuntimeError(f"login {name}: HTTP {status}: {payload[:300]!r}")
    return json.loads(payload)["token"]


def execute_body(code):
    return {"runtime": "python-3.11", "files": [{"name": "main.py", "content": code}]}


class Soak:
    def __init__(self, server, seconds):
        self.server = server
        self.deadline = time.monotonic() + seconds
        self.stats = {}
        self.lock = threading.Lock()
        self.threads = []

    def alive(self):
        return time.monotonic() < self.deadline

    def count(self, key, n=1):
        with self.lock:
            self.stats[key] = self.stats.get(key, 0) + n

    def spawn(self, fn, *args):
        t = threading.Thread(target=self.guard, args=(fn, *args), daemon=True)
        t.start()
        self.threads.append(t)

    def guard(self, fn, *args):
        try:
            fn(*args)
        except Exception as e:  # a hostile client's failure is expected; count it
            self.count(f"{fn.__name__}: {type(e).__name__}")

    def runner(self, source, token, code, key):
        c = Client(self.server.port, source, token, timeout=120)
        while self.alive():
            try:
                status, _ = c.request("POST", "/api/v1/execute", execute_body(code))
                self.count(f"{key} HTTP {status}")
                if status == 429:
                    time.sleep(0.2)
            except OSError as e:
                self.count(f"{key} {type(e).__name__}")
                c.close()
                time.sleep(0.2)
        c.close()

    def conns(self, source, limit):
        held = []
        try:
            while self.alive() and len(held) < limit:
                s = socket.socket()
                s.settimeout(2)
                try:
                    s.bind((source, 0))
                    s.connect(("127.0.0.1", self.server.port))
                    held.append(s)
                except OSError:
                    s.close()
                    self.count("conns refused or failed")
                    time.sleep(0.05)
            self.count("conns held at most", len(held))
            while self.alive():
                time.sleep(0.5)
        finally:
            for s in held:
                s.close()

    def slow(self, source, n):
        socks = []
        try:
            for _ in range(n):
                s = socket.socket()
                s.settimeout(2)
                try:
                    s.bind((source, 0))
                    s.connect(("127.0.0.1", self.server.port))
                    s.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              b"Content-Length: 1048576\r\n\r\n")
                    socks.append(s)
                except OSError:
                    s.close()
                    self.count("slow refused")
            while self.alive() and socks:
                for s in list(socks):
                    try:
                        s.send(b"a")
                    except OSError:
                        socks.remove(s)
                        self.count("slow cut off by the server")
                time.sleep(1)
        finally:
            for s in socks:
                s.close()

    def watch(self, source, token, watchers):
        c = Client(self.server.port, source, token, timeout=60)
        while self.alive():
            status, payload = c.request("POST", "/api/v1/execute?wait=false", execute_body(TICKER))
            if status != 202:
                self.count(f"watch start HTTP {status}")
                time.sleep(0.5)
                continue
            run = json.loads(payload)["id"]
            sel = selectors.DefaultSelector()
            opened = 0
            for _ in range(watchers):
                s = socket.socket()
                try:
                    s.bind((source, 0))
                    s.setblocking(False)
                    s.connect_ex(("127.0.0.1", self.server.port))
                    sel.register(s, selectors.EVENT_WRITE, b"GET /api/v1/runs/%s/events HTTP/1.1\r\nHost: x\r\n"
                                 b"Authorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n"
                                 % (run.encode(), token.encode()))
                    opened += 1
                except OSError:
                    s.close()
            self.count("watch sockets opened", opened)
            received = 0
            ended = 0
            while self.alive() and sel.get_map():
                for key, ev in sel.select(0.5):
                    s = key.fileobj
                    try:
                        if ev & selectors.EVENT_WRITE:
                            s.send(key.data)
                            sel.modify(s, selectors.EVENT_READ)
                        else:
                            data = s.recv(65536)
                            if not data:
                                sel.unregister(s)
                                s.close()
                                ended += 1
                            received += len(data)
                    except OSError:
                        sel.unregister(s)
                        s.close()
                        ended += 1
            for key in list(sel.get_map().values()):
                key.fileobj.close()
            sel.close()
            self.count("watch bytes received", received)
            c.request("POST", f"/api/v1/runs/{run}/stop")
        c.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runlet", required=True)
    p.add_argument("--runtimes", required=True)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--p99-ms", type=float, default=5000)
    p.add_argument("--rss-mb", type=float, default=600)
    p.add_argument("--scratch", default=tempfile.gettempdir())
    a = p.parse_args()

    server = Server(a.runlet, a.runtimes, a.scratch)

    def watchdog():
        time.sleep(a.seconds + 240)
        log("watchdog: the soak did not end in time; killing the server")
        server.proc.kill()
        os._exit(3)

    threading.Thread(target=watchdog, daemon=True).start()
    try:
        good_token = sign_up(server.port, GOOD_ADDR, "good" + secrets.token_hex(3))
        hostile = {}
        for i, name in enumerate(["bomb", "flood", "watch"]):
            hostile[name] = sign_up(server.port, f"127.0.0.{2 + i}", name + secrets.token_hex(3))

        # The well-behaved user's unloaded latency, for the report.
        quiet = []
        good = Client(server.port, GOOD_ADDR, good_token)
        for _ in range(5):
            t = time.monotonic()
            status, payload = good.request("POST", "/api/v1/execute", execute_body(HELLO))
            quiet.append((time.monotonic() - t) * 1000)
            if status != 200 or json.loads(payload).get("status") != "ok":
                raise RuntimeError(f"quiet hello world: HTTP {status}: {payload[:300]!r}")

        soak = Soak(server, a.seconds)
        for _ in range(2):
            soak.spawn(soak.runner, "127.0.0.2", hostile["bomb"], BOMB, "bomb")
            soak.spawn(soak.runner, "127.0.0.3", hostile["flood"], FLOOD, "flood")
        soak.spawn(soak.watch, "127.0.0.4", hostile["watch"], 1000)
        soak.spawn(soak.conns, "127.0.0.5", 1500)
        soak.spawn(soak.slow, "127.0.0.6", 40)
        time.sleep(2)  # let the hostile load build up

        latencies, failures, peak_rss = [], [], 0
        me_latencies = []
        while soak.alive():
            t = time.monotonic()
            try:
                status, payload = good.request("POST", "/api/v1/execute", execute_body(HELLO))
                ms = (time.monotonic() - t) * 1000
                result = json.loads(payload) if status == 200 else {}
                if status != 200 or result.get("status") != "ok" or result.get("stdout") != "hello, world\n":
                    failures.append(f"HTTP {status}: {payload[:200]!r}")
                latencies.append(ms)
            except (OSError, http.client.HTTPException) as e:
                failures.append(f"{type(e).__name__}: {e}")
                good.close()
            t = time.monotonic()
            try:
                status, _ = good.request("GET", "/api/v1/me")
                me_latencies.append((time.monotonic() - t) * 1000)
                if status != 200:
                    failures.append(f"/me HTTP {status}")
            except (OSError, http.client.HTTPException) as e:
                failures.append(f"/me {type(e).__name__}: {e}")
                good.close()
            peak_rss = max(peak_rss, server.rss_kb())
            time.sleep(0.5)
        for t in soak.threads:
            t.join(60)
        peak_rss = max(peak_rss, server.rss_kb())
        alive = server.proc.poll() is None

        print(f"well-behaved user, quiet: hello world p50 {sorted(quiet)[2]:.0f} ms")
        if latencies:
            print(f"well-behaved user under attack: {len(latencies)} runs, p50 {percentile(latencies, 50):.0f} ms, "
                  f"p99 {percentile(latencies, 99):.0f} ms, max {max(latencies):.0f} ms; "
                  f"/me p99 {percentile(me_latencies, 99):.0f} ms")
        print(f"server peak RSS {peak_rss / 1024:.0f} MiB; alive at the end: {alive}")
        for k in sorted(soak.stats):
            print(f"  hostile: {k}: {soak.stats[k]}")
        problems = []
        if not alive:
            problems.append("the server died: " + server.tail())
        if failures:
            problems.append(f"{len(failures)} of the well-behaved user's requests failed, e.g. {failures[:3]}")
        if len(latencies) < 10:
            problems.append(f"only {len(latencies)} well-behaved runs finished")
        elif percentile(latencies, 99) > a.p99_ms:
            problems.append(f"well-behaved p99 {percentile(latencies, 99):.0f} ms > {a.p99_ms:.0f} ms")
        if peak_rss / 1024 > a.rss_mb:
            problems.append(f"server peak RSS {peak_rss / 1024:.0f} MiB > {a.rss_mb:.0f} MiB")
        for pr in problems:
            print("FAIL: " + pr)
        print("soak: " + ("1 passed, 0 failed" if not problems else "0 passed, 1 failed"))
        return 1 if problems else 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
