#!/usr/bin/python3
"""A recorded-conversation Kubernetes API server for Runlet's Kubernetes platform tests.

No API server can be installed on the test machines, so this one answers the calls the
platform makes with bodies shaped like the API server's documented ones (Status objects
for errors, watch events as JSON lines on a chunked stream, pod logs as a chunked byte
stream, discovery for kubectl), and plays each pod through a scripted life: Pending
(ContainerCreating or an image pull error or unschedulable), Running, then Succeeded or
Failed (OOMKilled, DeadlineExceeded), its log the step runner's protocol lines the test
gives. Every object sent to it is checked with kube_schema.validate (the official
client's models); a failure answers 422 and is recorded for the test to see.

  kube_fake_server.py --port-file F [--cert C --key K [--client-ca CA]] [--token T]

Control (for the test, never sent by Runlet):
  POST /_control/script    the life of the pods created from now on (JSON, see DEFAULT)
  POST /_control/scenario  {"forbid": ["POST pods", ...], "hang": ["path prefix", ...],
                            "gone_first_watch": true}
  POST /_control/seed      {"name": n, "labels": {...}}: a pod and secret made by "someone"
  GET  /_control/requests  ["METHOD /path", ...]      GET /_control/failures  [errors]
  GET  /_control/objects   {"pods": [names], "secrets": [...], ...}
"""
import argparse
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kube_schema  # noqa: E402

DEFAULT = {
    "pending_s": 0.2,          # ContainerCreating for this long
    "waiting": "",             # stay Pending with this waiting reason (ErrImagePull, ...)
    "waiting_message": "",
    "unschedulable": "",       # stay Pending, PodScheduled False with this message
    "log": "",                 # the container's output (the runner's lines)
    "run_s": 0.3,              # Running for this long after the log was written
    "phase": "Succeeded",      # how it ends
    "terminated_reason": "Completed",
    "exit_code": 0,
    "pod_reason": "",          # the pod's status.reason (DeadlineExceeded)
    "break_log_at": -1,        # the first log stream ends after this many bytes
}

LOCK = threading.Condition()
STATE = {
    "rv": 100,
    "objects": {},   # (resource, name) -> object
    "history": {},   # pod name -> [(rv, type, object)]
    "script": dict(DEFAULT),
    "scripts": {},   # pod name -> its script
    "scenario": {},
    "requests": [],
    "failures": [],
    "watches": 0,
    "logs": {},      # pod name -> log streams opened
}

RESOURCES = {"pods": ("v1", "Pod"), "secrets": ("v1", "Secret"), "configmaps": ("v1", "ConfigMap"),
             "networkpolicies": ("networking.k8s.io/v1", "NetworkPolicy"),
             "services": ("v1", "Service"), "serviceaccounts": ("v1", "ServiceAccount"),
             "deployments": ("apps/v1", "Deployment"), "roles": ("rbac.authorization.k8s.io/v1", "Role"),
             "rolebindings": ("rbac.authorization.k8s.io/v1", "RoleBinding")}
GROUP_OF = {"networkpolicies": "networking.k8s.io", "deployments": "apps", "roles": "rbac.authorization.k8s.io",
            "rolebindings": "rbac.authorization.k8s.io"}


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def status(code, reason, message, name="", kind=""):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "details": {"name": name, "kind": kind}, "code": code}


def next_rv():
    STATE["rv"] += 1
    return str(STATE["rv"])


def pod_event(name, typ):
    pod = STATE["objects"].get(("pods", name))
    if pod is None:
        return
    pod["metadata"]["resourceVersion"] = next_rv()
    STATE["history"].setdefault(name, []).append((int(pod["metadata"]["resourceVersion"]), typ,
                                                  json.loads(json.dumps(pod))))
    LOCK.notify_all()


def set_status(name, phase, container_state, reason="", message="", conditions=None):
    pod = STATE["objects"].get(("pods", name))
    if pod is None:
        return False
    st = {"phase": phase, "startTime": now(), "qosClass": "Guaranteed"}
    if reason:
        st["reason"] = reason
    if message:
        st["message"] = message
    if conditions:
        st["conditions"] = conditions
    if container_state is not None:
        spec = pod["spec"]["containers"][0]
        st["containerStatuses"] = [{"name": spec["name"], "image": spec["image"], "imageID": "",
                                    "ready": "running" in container_state, "restartCount": 0,
                                    "started": "running" in container_state, "state": container_state}]
    pod["status"] = st
    pod_event(name, "MODIFIED")
    return True


def life(name, script):
    """Plays one pod's scripted life."""
    def sleep(s):
        time.sleep(s)
        return ("pods", name) in STATE["objects"]

    with LOCK:
        if script["unschedulable"]:
            set_status(name, "Pending", None, conditions=[{"type": "PodScheduled", "status": "False",
                                                          "reason": "Unschedulable",
                                                          "message": script["unschedulable"],
                                                          "lastTransitionTime": now()}])
            return
        set_status(name, "Pending", {"waiting": {"reason": "ContainerCreating"}})
    if not sleep(script["pending_s"]):
        return
    with LOCK:
        if script["waiting"]:
            set_status(name, "Pending", {"waiting": {"reason": script["waiting"],
                                                     "message": script["waiting_message"]}})
            return
        set_status(name, "Running", {"running": {"startedAt": now()}})
        STATE["objects"][("pods", name)]["_log_complete"] = False
    if not sleep(script["run_s"]):
        return
    with LOCK:
        pod = STATE["objects"].get(("pods", name))
        if pod is None:
            return
        pod["_log_complete"] = True
        set_status(name, script["phase"],
                   {"terminated": {"exitCode": script["exit_code"], "reason": script["terminated_reason"],
                                   "startedAt": now(), "finishedAt": now()}},
                   reason=script["pod_reason"],
                   message="Pod was active on the node longer than the specified deadline"
                   if script["pod_reason"] == "DeadlineExceeded" else "")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    # --- plumbing
    def send_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def start_chunked(self, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, data):
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def end_chunked(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def authorized(self):
        token = self.server.token
        if not token:
            return True
        if self.server.client_ca and self.connection.getpeercert():
            return True
        return self.headers.get("Authorization") == "Bearer " + token

    def handle_one(self, method):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        query = dict(urllib.parse.parse_qsl(url.query))
        data = self.body()
        if path.startswith("/_control/"):
            return self.control(method, path, data)
        with LOCK:
            STATE["requests"].append(f"{method} {self.path}")
            scenario = dict(STATE["scenario"])
        for prefix in scenario.get("hang", []):
            if path.startswith(prefix):
                time.sleep(30)
                return
        if not self.authorized():
            return self.send_json(401, status(401, "Unauthorized", "Unauthorized"))
        if path == "/version":
            return self.send_json(200, {"major": "1", "minor": "29", "gitVersion": "v1.29.2",
                                        "gitCommit": "4b8e819355d791d96b7e9d9efe4cbafae2311c88",
                                        "gitTreeState": "clean", "buildDate": "2024-02-14T10:32:40Z",
                                        "goVersion": "go1.21.7", "compiler": "gc", "platform": "linux/amd64"})
        if path in ("/api", "/apis") or path.startswith("/api/v1") and path.count("/") == 2 or \
                path.startswith("/apis/") and path.count("/") == 3:
            return self.discovery(path)
        parts = path.strip("/").split("/")
        # /api/v1/namespaces/NS/RES[/NAME[/log]] or /apis/G/V/namespaces/NS/RES[/NAME]
        if parts[0] == "apis":
            parts = parts[1:]
        if len(parts) < 5 or parts[2] != "namespaces":
            return self.send_json(404, status(404, "NotFound", "the server could not find the requested resource"))
        ns, resource = parts[3], parts[4]
        name = parts[5] if len(parts) > 5 else ""
        sub = parts[6] if len(parts) > 6 else ""
        if resource not in RESOURCES:
            return self.send_json(404, status(404, "NotFound", "the server could not find the requested resource"))
        verb = {"GET": "get" if name else "list", "POST": "create", "DELETE": "delete"}[method]
        if f"{method} {resource}" in scenario.get("forbid", []):
            group = GROUP_OF.get(resource, "")
            return self.send_json(403, status(
                403, "Forbidden",
                f'{resource} is forbidden: User "system:serviceaccount:runlet:runlet" cannot {verb} resource '
                f'"{resource}" in API group "{group}" in the namespace "{ns}"', kind=resource))
        if method == "POST":
            return self.create(ns, resource, data)
        if method == "DELETE":
            return self.delete(ns, resource, name, data)
        if sub == "log":
            return self.log(name, query)
        if name:
            with LOCK:
                obj = STATE["objects"].get((resource, name))
            if obj is None:
                return self.send_json(404, status(404, "NotFound", f'{resource} "{name}" not found', name, resource))
            return self.send_json(200, {k: v for k, v in obj.items() if not k.startswith("_")})
        if query.get("watch") in ("true", "1"):
            return self.watch(resource, query)
        return self.list(ns, resource, query)

    def do_GET(self):
        self.handle_one("GET")

    def do_POST(self):
        self.handle_one("POST")

    def do_DELETE(self):
        self.handle_one("DELETE")

    # --- the API
    def discovery(self, path):
        if path == "/api":
            return self.send_json(200, {"kind": "APIVersions", "versions": ["v1"],
                                        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                                        "serverAddress": "127.0.0.1:6443"}]})
        if path == "/apis":
            groups = []
            for g in ("apps", "networking.k8s.io", "rbac.authorization.k8s.io"):
                v = {"groupVersion": g + "/v1", "version": "v1"}
                groups.append({"name": g, "versions": [v], "preferredVersion": v})
            return self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
        gv = path[len("/api/"):] if path.startswith("/api/") else path[len("/apis/"):]
        resources = []
        for res, (api_version, kind) in RESOURCES.items():
            if api_version == gv:
                resources.append({"name": res, "singularName": kind.lower(), "namespaced": True, "kind": kind,
                                  "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]})
        if gv == "v1":
            resources.append({"name": "namespaces", "singularName": "namespace", "namespaced": False,
                              "kind": "Namespace", "verbs": ["create", "delete", "get", "list"]})
        return self.send_json(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                                    "resources": resources})

    def create(self, ns, resource, data):
        try:
            obj = json.loads(data)
        except ValueError:
            return self.send_json(400, status(400, "BadRequest", "the body is not JSON"))
        errors = kube_schema.validate(obj)
        expected = RESOURCES[resource]
        if (obj.get("apiVersion"), obj.get("kind")) != expected:
            errors.append(f"a {obj.get('kind')} posted to {resource}")
        if errors:
            with LOCK:
                STATE["failures"].extend(errors)
            return self.send_json(422, status(422, "Invalid", "; ".join(errors)))
        name = obj["metadata"]["name"]
        with LOCK:
            if (resource, name) in STATE["objects"]:
                return self.send_json(409, status(409, "AlreadyExists",
                                                  f'{resource} "{name}" already exists', name, resource))
            meta = obj["metadata"]
            meta.setdefault("namespace", ns)
            meta["uid"] = "6c3d9a0e-%012d" % STATE["rv"]
            meta["resourceVersion"] = next_rv()
            meta["creationTimestamp"] = now()
            if resource == "pods":
                obj["status"] = {"phase": "Pending", "qosClass": "Guaranteed"}
                STATE["scripts"][name] = dict(STATE["script"])
            STATE["objects"][(resource, name)] = obj
            if resource == "pods":
                STATE["history"][name] = [(int(meta["resourceVersion"]), "ADDED", json.loads(json.dumps(obj)))]
                threading.Thread(target=life, args=(name, STATE["scripts"][name]), daemon=True).start()
            out = {k: v for k, v in obj.items() if not k.startswith("_")}
        return self.send_json(201, out)

    def delete(self, ns, resource, name, data):
        if data:
            opts = json.loads(data)
            errors = kube_schema.validate(opts)
            if errors:
                with LOCK:
                    STATE["failures"].extend(errors)
                return self.send_json(422, status(422, "Invalid", "; ".join(errors)))
        with LOCK:
            obj = STATE["objects"].pop((resource, name), None)
            if obj is None:
                return self.send_json(404, status(404, "NotFound", f'{resource} "{name}" not found', name, resource))
            if resource == "pods":
                obj["metadata"]["resourceVersion"] = next_rv()
                obj["metadata"]["deletionTimestamp"] = now()
                STATE["history"][name].append((int(obj["metadata"]["resourceVersion"]), "DELETED",
                                               json.loads(json.dumps(obj))))
                LOCK.notify_all()
        return self.send_json(200, {k: v for k, v in obj.items() if not k.startswith("_")})

    def list(self, ns, resource, query):
        selector = {}
        for term in filter(None, query.get("labelSelector", "").split(",")):
            k, _, v = term.partition("=")
            selector[k] = v
        with LOCK:
            items = [{k: v for k, v in o.items() if not k.startswith("_")}
                     for (r, _), o in STATE["objects"].items()
                     if r == resource and all(o["metadata"].get("labels", {}).get(k) == v
                                              for k, v in selector.items())]
            rv = str(STATE["rv"])
        api_version, kind = RESOURCES[resource]
        return self.send_json(200, {"kind": kind + "List", "apiVersion": api_version,
                                    "metadata": {"resourceVersion": rv}, "items": items})

    def watch(self, resource, query):
        field = query.get("fieldSelector", "")
        name = field.split("=", 1)[1] if field.startswith("metadata.name=") else ""
        since = int(query.get("resourceVersion") or 0)
        with LOCK:
            STATE["watches"] += 1
            first = STATE["watches"] == 1
            gone = STATE["scenario"].get("gone_first_watch") and first
        self.start_chunked("application/json")
        if gone:
            self.chunk(json.dumps({"type": "ERROR", "object": status(
                410, "Expired", f"too old resource version: {since} ({since + 7})")}).encode() + b"\n")
            self.end_chunked()
            return
        deadline = time.time() + 10  # the server's own watch timeout: the client watches again
        try:
            while time.time() < deadline:
                with LOCK:
                    events = [(rv, t, o) for rv, t, o in STATE["history"].get(name, []) if rv > since]
                    if not events:
                        LOCK.wait(0.2)
                        continue
                for rv, t, o in events:
                    self.chunk(json.dumps({"type": t, "object": {k: v for k, v in o.items()
                                                                 if not k.startswith("_")}}).encode() + b"\n")
                    since = rv
            self.end_chunked()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    def log(self, name, query):
        with LOCK:
            pod = STATE["objects"].get(("pods", name))
            if pod is None:
                return self.send_json(404, status(404, "NotFound", f'pods "{name}" not found', name, "pods"))
            if pod["status"].get("phase") == "Pending":
                return self.send_json(400, status(
                    400, "BadRequest", f'container "run" in pod "{name}" is waiting to start: ContainerCreating'))
            script = STATE["scripts"][name]
            opened = STATE["logs"].get(name, 0)
            STATE["logs"][name] = opened + 1
        log = script["log"].encode()
        cut = script["break_log_at"] if opened == 0 and script["break_log_at"] >= 0 else -1
        self.start_chunked("text/plain")
        try:
            data = log if cut < 0 else log[:cut]
            for i in range(0, len(data), 100):
                self.chunk(data[i:i + 100])
                time.sleep(0.001)
            if cut < 0 and query.get("follow") == "true":
                # A follow stream ends when the container does.
                while True:
                    with LOCK:
                        p = STATE["objects"].get(("pods", name))
                        if p is None or p.get("_log_complete", True) or p["status"]["phase"] in ("Succeeded",
                                                                                                   "Failed"):
                            break
                        LOCK.wait(0.1)
            self.end_chunked()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    # --- the test's side
    def control(self, method, path, data):
        what = path[len("/_control/"):]
        with LOCK:
            if method == "POST" and what == "script":
                STATE["script"] = dict(DEFAULT, **json.loads(data))
            elif method == "POST" and what == "scenario":
                STATE["scenario"] = json.loads(data)
            elif method == "POST" and what == "seed":
                seed = json.loads(data)
                meta = {"name": seed["name"], "namespace": "runs", "labels": seed["labels"],
                        "resourceVersion": next_rv()}
                STATE["objects"][("pods", seed["name"])] = {
                    "apiVersion": "v1", "kind": "Pod", "metadata": dict(meta),
                    "spec": {"containers": [{"name": "run", "image": "x"}]}, "status": {"phase": "Running"}}
                STATE["history"][seed["name"]] = []
                STATE["objects"][("secrets", seed["name"])] = {"apiVersion": "v1", "kind": "Secret",
                                                               "metadata": dict(meta)}
            elif what == "requests":
                return self.send_json(200, STATE["requests"])
            elif what == "failures":
                return self.send_json(200, STATE["failures"])
            elif what == "objects":
                out = {}
                for (r, n) in STATE["objects"]:
                    out.setdefault(r, []).append(n)
                return self.send_json(200, out)
            elif what == "pod":
                return self.send_json(200, STATE["objects"].get(("pods", json.loads(data)["name"]), {}))
        return self.send_json(200, {})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--client-ca")
    ap.add_argument("--token", default="")
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.token = args.token
    server.client_ca = args.client_ca
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        if args.client_ca:
            ctx.load_verify_locations(args.client_ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
