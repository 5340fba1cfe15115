#!/usr/bin/python3
"""Strict schema check of Kubernetes objects with the official Python client's models.

The client's own deserializer ignores unknown fields and coerces types; this walks an
object against the models' openapi_types and attribute_map instead, so that a misspelt
field, a field in the wrong place or a value of the wrong type is an error, then lets the
models build the object (their setters refuse a missing required field).

  kube_schema.py FILE...      each FILE a JSON object or a YAML stream of them; exit 1 and
                              the errors on stderr if any object fails
"""
import json
import re
import sys

import kubernetes.client.models as models
from kubernetes.client import ApiClient

# kind (and apiVersion) -> model class name
KINDS = {
    ("v1", "Pod"): "V1Pod",
    ("v1", "Secret"): "V1Secret",
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "Service"): "V1Service",
    ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("v1", "Namespace"): "V1Namespace",
    ("v1", "DeleteOptions"): "V1DeleteOptions",
    ("apps/v1", "Deployment"): "AppsV1Deployment" if hasattr(models, "AppsV1Deployment") else "V1Deployment",
    ("networking.k8s.io/v1", "NetworkPolicy"): "V1NetworkPolicy",
    ("rbac.authorization.k8s.io/v1", "Role"): "V1Role",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "V1RoleBinding",
    ("batch/v1", "Job"): "V1Job",
}


def check(data, typ, path, errors):
    if typ == "object":
        return
    if typ == "str" or typ in ("datetime", "date"):
        if not isinstance(data, str):
            errors.append(f"{path}: expected a string, got {type(data).__name__}")
        return
    if typ == "int":
        if isinstance(data, bool) or not isinstance(data, int):
            errors.append(f"{path}: expected an integer, got {type(data).__name__}")
        return
    if typ == "float":
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            errors.append(f"{path}: expected a number, got {type(data).__name__}")
        return
    if typ == "bool":
        if not isinstance(data, bool):
            errors.append(f"{path}: expected a boolean, got {type(data).__name__}")
        return
    m = re.fullmatch(r"list\[(.*)\]", typ)
    if m:
        if not isinstance(data, list):
            errors.append(f"{path}: expected a list, got {type(data).__name__}")
            return
        for i, item in enumerate(data):
            check(item, m.group(1), f"{path}[{i}]", errors)
        return
    m = re.fullmatch(r"dict\(([^,]*), (.*)\)", typ)
    if m:
        if not isinstance(data, dict):
            errors.append(f"{path}: expected a mapping, got {type(data).__name__}")
            return
        for k, v in data.items():
            check(v, m.group(2), f"{path}.{k}", errors)
        return
    klass = getattr(models, typ, None)
    if klass is None:
        errors.append(f"{path}: unknown model {typ}")
        return
    if not isinstance(data, dict):
        errors.append(f"{path}: expected an object ({typ}), got {type(data).__name__}")
        return
    by_json = {v: k for k, v in klass.attribute_map.items()}
    for key, value in data.items():
        attr = by_json.get(key)
        if attr is None:
            errors.append(f"{path}.{key}: no such field in {typ}")
            continue
        check(value, klass.openapi_types[attr], f"{path}.{key}", errors)


def validate(obj):
    """The errors of one object (a dict with apiVersion and kind)."""
    if not isinstance(obj, dict):
        return ["not an object"]
    key = (obj.get("apiVersion"), obj.get("kind"))
    name = KINDS.get(key)
    if name is None:
        return [f"unknown apiVersion/kind {key}"]
    errors = []
    check(obj, name, obj.get("kind"), errors)
    if not errors:
        try:
            ApiClient()._ApiClient__deserialize(obj, name)
        except (ValueError, TypeError) as e:
            errors.append(f"{obj.get('kind')}: {e}")
    return errors


def load(path):
    text = open(path, encoding="utf-8").read()
    if text.lstrip().startswith("{"):
        return [json.loads(text)]
    import yaml

    return [d for d in yaml.safe_load_all(text) if d is not None]


def main(argv):
    bad = 0
    for path in argv[1:]:
        for obj in load(path):
            for e in validate(obj):
                print(f"{path}: {e}", file=sys.stderr)
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
