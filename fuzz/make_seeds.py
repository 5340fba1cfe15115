#!/usr/bin/env python3
"""Writes the seed inputs of fuzz/corpus/ (small, valid or nearly valid inputs of each
parser, so that the fuzzer starts past the first checks). Run from anywhere; it rewrites
the files it owns and leaves others (inputs added by hand) alone."""
import gzip
import hashlib
import io
import json
import os
import struct
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ADMIN, USER = "rlt_fuzz_admin", "rlt_fuzz_user"
PROJECT, RUN = "fuzzproject", "fuzzrun"


def put(name, file, data):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, file), "wb") as f:
        f.write(data)


def http_request(method, target, headers=(), body=b"", token=USER):
    if isinstance(body, str):
        body = body.encode()
    lines = [f"{method} {target} HTTP/1.1", "Host: localhost"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    lines += list(headers)
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def chunked(method, target, chunks, trailers=(), token=USER):
    head = (f"{method} {target} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n")
    if trailers:
        head += "Trailer: " + ", ".join(t.split(":")[0] for t in trailers) + "\r\n"
    out = head.encode() + b"\r\n"
    for c in chunks:
        out += f"{len(c):x}\r\n".encode() + c.encode() + b"\r\n"
    out += b"0\r\n" + "".join(t + "\r\n" for t in trailers).encode() + b"\r\n"
    return out


EXECUTE = json.dumps({"runtime": "python-3.11", "files": [{"path": "main.py", "content": "print(input())"}],
                      "stdin": "hi\n", "limits": {"time": "2s", "memory": "128M"}, "args": ["a"], "env": {"A": "1"}})


def seeds_http():
    put("http", "healthz", http_request("GET", "/healthz", token=None))
    put("http", "metrics", http_request("GET", "/metrics", token=None))
    put("http", "runtimes", http_request("GET", "/api/v1/runtimes"))
    put("http", "me", http_request("GET", "/api/v1/me"))
    put("http", "execute", http_request("POST", "/api/v1/execute?wait=true", ["Content-Type: application/json"], EXECUTE))
    put("http", "execute_chunked", chunked("POST", "/api/v1/execute", [EXECUTE[:20], EXECUTE[20:]]))
    put("http", "chunked_trailer", chunked("POST", "/api/v1/execute?wait=false", [EXECUTE], ["X-Checksum: abc"]))
    # A trailer field near the 64 KiB that a field's length may be.
    put("http", "chunked_big_trailer", chunked("POST", "/api/v1/projects", ['{"name":"t","runtime":"python-3.11"}'],
                                               ["X-Big: " + "a" * 60000]))
    put("http", "keep_alive", http_request("GET", "/api/v1/runs/" + RUN) +
        http_request("GET", f"/api/v1/runs/{RUN}/logs?after=0&limit=10") +
        http_request("GET", "/api/v1/faq", ["Connection: close"]))
    put("http", "events", http_request("GET", f"/api/v1/runs/{RUN}/events"))
    put("http", "attach", http_request("GET", f"/api/v1/runs/{RUN}/attach",
                                       ["Upgrade: websocket", "Connection: Upgrade",
                                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"]))
    put("http", "put_file", http_request("PUT", f"/api/v1/projects/{PROJECT}/files/src%2Fa%20b.py", body="print(2)\n"))
    put("http", "project", http_request("GET", f"/api/v1/projects/{PROJECT}/files") +
        http_request("PATCH", f"/api/v1/projects/{PROJECT}", body='{"name":"n","visibility":"public","env":{"K":"v"}}'))
    put("http", "gallery", http_request("GET", "/api/v1/gallery?offset=0&limit=5&q=a+b%20c"))
    put("http", "admin", http_request("GET", "/api/v1/admin/users", token=ADMIN) +
        http_request("PUT", "/api/v1/admin/settings", body='{"signup_open":true}', token=ADMIN))
    put("http", "web", http_request("GET", "/assets/index-0123abcd.js", token=None) +
        http_request("HEAD", "/projects/x", token=None))
    put("http", "cookie", http_request("POST", "/api/v1/me/tokens", [f"Cookie: runlet_session={USER}; runlet_csrf=x",
                                                                       "X-CSRF-Token: x", "Origin: http://localhost"],
                                       '{"name":"n"}', token=None))
    put("http", "login", http_request("POST", "/api/v1/auth/login", body='{"username":"fuzz","password":"wrong"}',
                                      token=None))
    put("http", "http10", b"GET /healthz HTTP/1.0\r\n\r\n")


def ws_frame(opcode, payload, fin=True, mask=b"\x11\x22\x33\x44"):
    if isinstance(payload, str):
        payload = payload.encode()
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        head = bytes([b0, 0x80 | n])
    elif n < 65536:
        head = bytes([b0, 0x80 | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, 0x80 | 127]) + struct.pack(">Q", n)
    masked = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
    return head + mask + masked


def seeds_websocket():
    put("websocket", "stdin", ws_frame(1, '{"stdin":"hello\\n"}'))
    put("websocket", "eof", ws_frame(1, '{"eof":true}'))
    put("websocket", "bad_json", ws_frame(1, '{"stdin":'))
    put("websocket", "ping_close", ws_frame(9, "p") + ws_frame(1, '{"stdin":"x"}') + ws_frame(8, b"\x03\xe8bye"))
    put("websocket", "fragmented", ws_frame(1, '{"std', fin=False) + ws_frame(9, "") + ws_frame(0, 'in":"y"}'))
    put("websocket", "binary", ws_frame(2, b"\x00\xff\xfe"))
    put("websocket", "medium", ws_frame(1, json.dumps({"stdin": "z" * 300})))


JSON_ROUTES = [  # the order of kRoutes in json_api_fuzz.cpp
    EXECUTE,
    EXECUTE,
    json.dumps({"runtime": "python-3.11", "files": [{"path": "main.py", "content": "print(input())"}],
                "tests": [{"stdin": "1"}, {"stdin": "2"}]}),
    '{"name":"p","runtime":"python-3.11","visibility":"private"}',
    '{"name":"q","visibility":"public","runtime":"python-3.9","env":{"A_B":"c"}}',
    '{"path":"src/main2.py"}',
    '{"stdin":"1\\n","interactive":false,"limits":{"time":"1s"}}',
    '{"name":"fork"}',
    '{}',
    '{"name":"ci"}',
    '{}',
    '{"code":"123456"}',
    '{"code":"123456","password":"fuzz-password-1234"}',
    '{"current_password":"fuzz-password-1234","new_password":"another-password-5678"}',
    '{"username":"newuser","password":"a-long-password-1"}',
    '{"username":"fuzz","password":"fuzz-password-1234","totp":"123456"}',
    '{"role":"user","disabled":false,"quota":{"concurrent_runs":2,"cpus":1.5,"memory":"1G","disk":"100M","time":"10s"}}',
    '{"signup_open":false,"default_limits":{"time":"2s","memory":"256M"},"max_limits":{"time":"20s"},'
    '"default_quota":{"concurrent_runs":3}}',
    '[{"question":"q?","answer":"a."}]',
    None,  # a runtime definition: runtimes/python-3.11.json
    None,
    '{"default":"native"}',
]


def seeds_json_api(runtime_json):
    for i, body in enumerate(JSON_ROUTES):
        if body is None:
            body = runtime_json.replace('"python-3.11"', '"fuzz-runtime"', 1) if i == 20 else runtime_json
        put("json_api", f"route{i:02d}", bytes([i]) + body.encode())


def seeds_token():
    put("token", "bearer_user", b"\x00Bearer " + USER.encode())
    put("token", "bearer_admin_post", b"\x01Bearer " + ADMIN.encode())
    put("token", "cookie", b"\x01\nrunlet_session=" + USER.encode() + b"; runlet_csrf=c\nc\nhttp://localhost\nlocalhost\n")
    put("token", "cookie_cross_site", b"\x00\nother=1; runlet_session=" + USER.encode() +
        b"\n\nhttps://evil.example\nlocalhost\nwebsocket")
    put("token", "bad_scheme", b"\x00Basic Zm9vOmJhcg==")
    put("token", "unknown", b"\x00Bearer rlt_unknown")


def seeds_paths():
    for i, p in enumerate(["main.py", "src/lib/util.py", "a b/c.txt", "./x", "../x", "/etc/passwd", "a//b", "a/./b",
                           "dir/", "\u00e9t\u00e9.txt", "x" * 256, "a\x00b", "\xff\xfe.txt", ".hidden", "a/.."]):
        put("paths", f"p{i:02d}", p.encode("utf-8", "surrogateescape") if isinstance(p, str) else p)


def seeds_totp():
    t = struct.pack("<q", 1_700_000_000)
    put("totp", "valid_secret", t + b"JBSWY3DPEHPK3PXP\n123456")
    put("totp", "lower_padded", t + b"jbswy3dpehpk3pxp====\n000000")
    put("totp", "bad_secret", t + b"not base32!\n12345")
    put("totp", "empty", t)


def seeds_catalog():
    rt_dir = os.path.join(HERE, "..", "runtimes")
    for f in sorted(os.listdir(rt_dir)):
        if f.endswith(".json") and f != "faq.json":
            with open(os.path.join(rt_dir, f)) as fh:
                put("catalog", f, fh.read())
    put("catalog", "limits", '{"time":"2s","wall_time":"5s","memory":"256M","pids":64,"output":"1M","disk":"64M"}')
    put("catalog", "versions", "3.11 3.9")
    put("catalog", "versions_rc", "1.19rc1 1.19")


def field(key, value):
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str):
        value = value.encode()
    return key.encode() + b" " + str(len(value)).encode() + b":" + value + b"\n"


def seeds_step_protocol():
    import base64
    put("step_protocol", "base64", b"\x00" + base64.b64encode(b"hello, world\n\x00\xff"))
    put("step_protocol", "fields", b"\x01exit=0 cpu_ms=12 wall_ms=30 memory=1048576 kill=none oom=0 cgroup=v2")
    plan = field("uid", 1000) + field("parts", 1)
    for step in ("build", "run"):
        plan += field("step", step) + field("arg", "python3") + field("arg", "main.py") + field("env", "PATH=/usr/bin")
        for k in ("cpu_ms", "wall_ms", "memory", "output", "pids", "fsize", "nofile", "stack"):
            plan += field(k, 1234)
        plan += field("stdin", 1)
    put("step_protocol", "plan", b"\x02" + plan)
    put("step_protocol", "files", b"\x03" + field("f", "main.py") + field("c", "print(1)\n") + field("x", "run.sh") +
        field("c", "#!/bin/sh\n"))


def tar_bytes(entries, compress=False):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for e in entries:
            info = tarfile.TarInfo(e["name"])
            info.type = e.get("type", tarfile.REGTYPE)
            info.mode = e.get("mode", 0o644)
            info.linkname = e.get("link", "")
            data = e.get("data", b"")
            if isinstance(data, str):
                data = data.encode()
            info.size = len(data) if info.type == tarfile.REGTYPE else 0
            info.devmajor, info.devminor = e.get("dev", (0, 0))
            tf.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0) if compress else raw


def layer_entries():
    return [
        {"name": "usr/", "type": tarfile.DIRTYPE, "mode": 0o755},
        {"name": "usr/bin/", "type": tarfile.DIRTYPE, "mode": 0o755},
        {"name": "usr/bin/tool", "data": "#!/bin/sh\n", "mode": 0o4755},
        {"name": "usr/bin/alias", "type": tarfile.SYMTYPE, "link": "tool"},
        {"name": "usr/bin/hard", "type": tarfile.LNKTYPE, "link": "usr/bin/tool"},
        {"name": "etc/", "type": tarfile.DIRTYPE},
        {"name": "etc/os-release", "data": "ID=fuzz\n"},
        {"name": "etc/.wh.old", "data": ""},
        {"name": "dev/null", "type": tarfile.CHRTYPE, "dev": (1, 3)},
        {"name": "link_out", "type": tarfile.SYMTYPE, "link": "../outside"},
        {"name": "link_out/x", "data": "escape?"},
        {"name": "../outside/y", "data": "escape?"},
    ]


def seeds_layer():
    put("layer", "layer.tar", tar_bytes(layer_entries()))
    put("layer", "layer.tar.gz", tar_bytes(layer_entries()[:8], compress=True))
    put("layer", "opaque", tar_bytes([{"name": "d/", "type": tarfile.DIRTYPE}, {"name": "d/.wh..wh..opq", "data": ""},
                                      {"name": "d/f", "data": "x"}]))
    put("layer", "empty", b"")


def oci_archive():
    layer = tar_bytes(layer_entries()[:7], compress=True)
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()

    def desc(media, data):
        return {"mediaType": media, "digest": "sha256:" + hashlib.sha256(data).hexdigest(), "size": len(data)}
    manifest = json.dumps({"schemaVersion": 2, "config": desc("application/vnd.oci.image.config.v1+json", config),
                           "layers": [desc("application/vnd.oci.image.layer.v1.tar+gzip", layer)]}).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [dict(desc("application/vnd.oci.image.manifest.v1+json", manifest),
                                                              platform={"architecture": "amd64", "os": "linux"})]})
    entries = [{"name": "oci-layout", "data": '{"imageLayoutVersion":"1.0.0"}'}, {"name": "index.json", "data": index}]
    for blob in (layer, config, manifest):
        entries.append({"name": "blobs/sha256/" + hashlib.sha256(blob).hexdigest(), "data": blob})
    return tar_bytes(entries)


def docker_archive():
    layer = tar_bytes(layer_entries()[:7])
    config = json.dumps({"architecture": "amd64", "os": "linux"})
    manifest = json.dumps([{"Config": "config.json", "RepoTags": ["fuzz:latest"], "Layers": ["abc/layer.tar"]}])
    return tar_bytes([{"name": "manifest.json", "data": manifest}, {"name": "config.json", "data": config},
                      {"name": "abc/", "type": tarfile.DIRTYPE}, {"name": "abc/layer.tar", "data": layer},
                      {"name": "lnk.tar", "type": tarfile.SYMTYPE, "link": "abc/layer.tar"}])


def seeds_image_archive():
    put("image_archive", "oci.tar", oci_archive())
    put("image_archive", "docker.tar", docker_archive())
    put("image_archive", "docker.tar.gz", gzip.compress(docker_archive(), mtime=0))


def seeds_project_archive():
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
        f.writestr("main.py", "from lib import util\nprint(util.NAME)\n")
        f.writestr("lib/", "")
        f.writestr("lib/util.py", "NAME = 'x'\n")
        f.writestr("donn\u00e9es.txt", "caf\u00e9\n")
    put("project_archive", "project.zip", z.getvalue())
    put("project_archive", "project.tar.gz", gzip.compress(tar_bytes([
        {"name": "./", "type": tarfile.DIRTYPE}, {"name": "./main.py", "data": b"print(1)\n"},
        {"name": "pkg/a.py", "data": b"A = 1\n"}, {"name": "evil", "type": tarfile.SYMTYPE, "link": "/etc/passwd"}]), mtime=0))


def main():
    with open(os.path.join(HERE, "..", "runtimes", "python-3.11.json")) as f:
        runtime_json = f.read()
    seeds_http()
    seeds_websocket()
    seeds_json_api(runtime_json)
    seeds_token()
    seeds_paths()
    seeds_totp()
    seeds_catalog()
    seeds_step_protocol()
    seeds_layer()
    seeds_image_archive()
    seeds_project_archive()
    for name in os.listdir(os.path.join(HERE, "corpus")):
        reg = os.path.join(HERE, "regressions", name)
        os.makedirs(reg, exist_ok=True)
        if not os.listdir(reg):
            open(os.path.join(reg, ".gitkeep"), "w").close()


if __name__ == "__main__":
    main()
