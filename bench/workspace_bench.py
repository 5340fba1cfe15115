#!/usr/bin/python3
"""Workspace start to first prompt (issue 14), side by side in one run:

  bench/workspace_bench.py [--runlet PATH] [--runs 20] [--docker-runs 10] [--only native,bwrap,docker]

  native  POST /api/v1/workspaces {"runtime": RUNTIME} to a real `runlet serve`, then the
          terminal WebSocket (GET /api/v1/workspaces/{id}/terminal) until the shell's
          first prompt arrives; the workspace is deleted (untimed) before the next.
          Also split: the POST alone (sandbox + agent up), and the WebSocket to prompt.
  bwrap   `bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --unshare-all
          --die-with-parent bash --norc --noprofile -i` on a PTY, until the prompt.
  docker  `docker run --rm -it --network none IMAGE bash --norc --noprofile -i` on a PTY,
          until the prompt (IMAGE: the host's bash and its libraries, imported once).

Each figure: start of the request (or of the process) to the first prompt bytes ("$ " or
"# ") on the terminal. Prints markdown (docs/PERFORMANCE.md). Run as root.
"""
import argparse
import base64
import io
import os
import pty
import select
import shlex
import socket
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "server"))
import server_bench as sb  # noqa: E402  (the Server and Client of the server benchmarks)

RUNTIME = "python-3.11"
PROMPTS = (b"$ ", b"# ")


def has_prompt(data):
    return any(p in data for p in PROMPTS)


# --- a minimal WebSocket client (RFC 6455): the handshake and reading frames -----------

def ws_connect(port, path, token, timeout=30):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n")
              .encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError("the server closed the terminal's upgrade")
        head += chunk
    status = head.split(b"\r\n", 1)[0]
    if b" 101 " not in status:
        raise RuntimeError(f"terminal upgrade: {status!r}")
    return s, head.split(b"\r\n\r\n", 1)[1]


def ws_read_until_prompt(s, pending, deadline):
    """Binary frames' payloads until they hold a prompt."""
    screen = b""
    buf = pending
    while time.monotonic() < deadline:
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            n, off = b1 & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    break
                n, off = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    break
                n, off = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < off + n:
                break
            payload, buf = buf[off:off + n], buf[off + n:]
            if b0 & 0x0F == 2:
                screen += payload
                if has_prompt(screen):
                    return screen
            elif b0 & 0x0F == 8:
                raise RuntimeError("the terminal closed before a prompt: " + repr(screen[-200:]))
        s.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError("the terminal ended before a prompt: " + repr(screen[-200:]))
        buf += chunk
    raise RuntimeError("no prompt in time: " + repr(screen[-200:]))


def bench_native(args, scratch):
    server = sb.Server(args.runlet, args.runtimes, scratch, "workspace")
    try:
        c = server.client(timeout=60)
        totals, posts, prompts = [], [], []
        for i in range(args.warmup + args.runs):
            t0 = time.monotonic()
            ws = c.json("POST", "/api/v1/workspaces", {"runtime": RUNTIME}, expect=(201,))
            t1 = time.monotonic()
            s, pending = ws_connect(server.port, f"/api/v1/workspaces/{ws['id']}/terminal?cols=80&rows=24", server.token)
            ws_read_until_prompt(s, pending, time.monotonic() + 30)
            t2 = time.monotonic()
            s.close()
            c.json("DELETE", f"/api/v1/workspaces/{ws['id']}?sync=false")
            if i >= args.warmup:
                totals.append((t2 - t0) * 1000)
                posts.append((t1 - t0) * 1000)
                prompts.append((t2 - t1) * 1000)
        c.close()
        return {"total": totals, "post": posts, "prompt": prompts, "command": server.command()}
    finally:
        server.stop()


def pty_to_prompt(argv):
    """Starts argv on a new PTY; ms to the first prompt; then ends it."""
    t0 = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["PS1"] = "$ "
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    screen = b""
    deadline = t0 + 60
    try:
        while not has_prompt(screen):
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"{argv[0]}: no prompt in 60 s: {screen[-300:]!r}")
            r, _, _ = select.select([fd], [], [], left)
            if r:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise RuntimeError(f"{argv[0]} ended before a prompt: {screen[-300:]!r}")
                screen += chunk
        return (time.monotonic() - t0) * 1000
    finally:
        try:
            os.write(fd, b"exit\n")
        except OSError:
            pass
        end = time.monotonic() + 20
        while time.monotonic() < end:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            try:
                r, _, _ = select.select([fd], [], [], 0.05)
                if r:
                    os.read(fd, 65536)
            except OSError:
                time.sleep(0.05)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)


BWRAP = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--unshare-all",
         "--die-with-parent", "bash", "--norc", "--noprofile", "-i"]


def docker_bash_image(docker):
    """The host's bash and its libraries, imported as an image (no registry)."""
    image = "runlet-bench/bash:latest"
    if subprocess.run([docker, "image", "inspect", image], capture_output=True).returncode == 0:
        return image
    bash = os.path.realpath("/bin/bash")
    files = [bash]
    for line in subprocess.run(["ldd", bash], capture_output=True, text=True, check=True).stdout.splitlines():
        files += [w for w in line.split() if w.startswith("/")]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for d in ("bin", "tmp", "proc", "sys", "dev", "etc"):
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for f in files:
            tar.add(os.path.realpath(f), arcname=f.lstrip("/"))
        if bash.lstrip("/") != "bin/bash":
            info = tarfile.TarInfo("bin/bash")
            info.type, info.linkname = tarfile.SYMTYPE, bash
            tar.addfile(info)
    subprocess.run([docker, "import", "-", image], input=buf.getvalue(), capture_output=True, check=True)
    return image


def stats(values):
    v = sorted(values)
    return f"{sb.percentile(v, 50):.1f} | {sb.percentile(v, 90):.1f} | {v[0]:.1f} | {v[-1]:.1f}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("--runlet", default=os.path.join(here, "..", "build", "release", "src", "cli", "runlet"))
    p.add_argument("--runtimes", default=os.path.join(here, "..", "runtimes"))
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--docker-runs", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--docker", default="docker")
    p.add_argument("--only", default="native,bwrap,docker")
    args = p.parse_args()
    only = set(args.only.split(","))
    scratch = tempfile.mkdtemp(prefix="runlet-workspace-bench.")
    rows = []
    commands = []
    if "native" in only:
        r = bench_native(args, scratch)
        rows.append((f"native workspace, POST to first prompt ({args.runs} runs)", r["total"]))
        rows.append(("  of which POST /api/v1/workspaces (sandbox and agent up)", r["post"]))
        rows.append(("  of which terminal WebSocket to first prompt", r["prompt"]))
        commands.append("native: " + r["command"] + f" ; POST /api/v1/workspaces {{\"runtime\":\"{RUNTIME}\"}}, "
                        "GET /api/v1/workspaces/{id}/terminal until \"$ \"")
    if "bwrap" in only and subprocess.run(["which", "bwrap"], capture_output=True).returncode == 0:
        for _ in range(args.warmup):
            pty_to_prompt(BWRAP)
        rows.append((f"bubblewrap, bash -i on a PTY ({args.runs} runs)", [pty_to_prompt(BWRAP) for _ in range(args.runs)]))
        commands.append("bwrap: " + " ".join(shlex.quote(a) for a in BWRAP))
    if "docker" in only and subprocess.run([args.docker, "info"], capture_output=True).returncode == 0:
        image = docker_bash_image(args.docker)
        argv = [args.docker, "run", "--rm", "-it", "--network", "none", "-e", "PS1=$ ", image, "/bin/bash", "--norc",
                "--noprofile", "-i"]
        pty_to_prompt(argv)
        rows.append((f"docker run -it, bash -i ({args.docker_runs} runs)", [pty_to_prompt(argv) for _ in range(args.docker_runs)]))
        commands.append("docker: " + " ".join(shlex.quote(a) for a in argv))
    print(f"Workspace start to first prompt, ms (load before: {sb.loadavg()})\n")
    print("| what | p50 | p90 | min | max |\n|---|---|---|---|---|")
    for name, values in rows:
        print(f"| {name} | {stats(values)} |")
    print()
    for c in commands:
        print(f"- {c}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
