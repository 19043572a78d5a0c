#!/usr/bin/env python3
"""Validates every object of a rendered manifest file offline, in strict mode (unknown fields fail).

Built-in kinds use the Kubernetes JSON schemas shipped by the kubernetes-validate package; kinds
from CRDs (VolumeSnapshotClass, ServiceMonitor) use the schemas in the given directory, named
like kubernetes-validate's: <kind>-<group's first label>-<version>.json.

Usage: validate_manifests.py MANIFEST.yaml KUBE_VERSION CRD_SCHEMA_DIR
Prints one JSON array: [{"kind", "name", "apiVersion", "schema", "error"}]; error is null when
the object is valid. Exits 0 whenever it could do its job, so the caller judges the results.
"""
import json
import pathlib
import re
import sys

import importlib_resources
import jsonschema
import yaml
from referencing import Registry, Resource

DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"


def schema_file_name(obj):
    # rbac.authorization.k8s.io/v1 -> rbac-v1; v1 -> v1 (the core group has no prefix)
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", obj["apiVersion"])
    return "%s-%s.json" % (obj["kind"].lower(), api)


def main(manifest, kube_version, crd_dir):
    builtin_dir = importlib_resources.files("kubernetes_validate").joinpath(
        "kubernetes-json-schema", "v%s-local-strict" % kube_version
    )
    if not builtin_dir.is_dir():
        print("kubernetes-validate has no schemas for Kubernetes %s" % kube_version, file=sys.stderr)
        return 2
    definitions = json.loads(builtin_dir.joinpath("_definitions.json").read_text())
    registry = Resource.from_contents(definitions) @ Registry()

    with open(manifest) as f:
        objects = [doc for doc in yaml.safe_load_all(f) if doc]

    results = []
    for obj in objects:
        name = schema_file_name(obj)
        crd_schema = pathlib.Path(crd_dir, name)
        if builtin_dir.joinpath(name).is_file():
            schema = json.loads(builtin_dir.joinpath(name).read_text())
            source = "kubernetes-%s/%s" % (kube_version, name)
        elif crd_schema.is_file():
            schema = json.loads(crd_schema.read_text())
            source = "crd/%s" % name
        else:
            schema = None
            source = None
        result = {
            "kind": obj.get("kind"),
            "name": (obj.get("metadata") or {}).get("name"),
            "apiVersion": obj.get("apiVersion"),
            "schema": source,
            "error": None,
        }
        if schema is None:
            result["error"] = "no schema for %s (%s)" % (obj.get("kind"), name)
        else:
            validator = jsonschema.Draft202012Validator(schema, registry=registry)
            errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
            if errors:
                result["error"] = "; ".join(
                    "%s: %s" % (".".join(str(p) for p in e.absolute_path) or "(root)", e.message)
                    for e in errors[:5]
                )
        results.append(result)
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
