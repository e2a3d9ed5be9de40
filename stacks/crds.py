"""Upstream CustomResourceDefinitions: where they are, and checking our custom resources against them.

The CRDs are test data, read from ``$STACKYARD_CRD_DIR`` (default: ``../shared/crds`` beside the
project, when it exists). The directory holds ``INDEX.tsv`` (group, kind, plural, versions,
storage, scope, file) and the CRD files. Users with internet access can fetch the same pinned
files with :func:`fetch_upstream` (``stackyard crds fetch DIR``).
"""

from __future__ import annotations

import functools
import os
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# Upstream repository and commit of every CRD folder (same pins as the test data's README).
UPSTREAM: Mapping[str, tuple[str, str, tuple[str, ...]]] = {
    "knative-serving": (
        "knative/serving",
        "7ed4aa2ab601e3a33c6552285f6e0d910747351d",
        ("config/core/300-resources",),
    ),
    "knative-eventing": (
        "knative/eventing",
        "532b01f0cb2ce7bed271204697081e4264385531",
        ("config/core/resources", "config/channels/in-memory-channel/resources"),
    ),
    "knative-operator": (
        "knative/operator",
        "8f004985af79024f25b9e6014da1a4c22bf48182",
        ("config/crd/bases",),
    ),
    "argo-workflows": (
        "argoproj/argo-workflows",
        "16a52d67daf2f4a8a76fa8bec02a76a46aa46257",
        ("manifests/base/crds/full",),
    ),
    "argo-cd": ("argoproj/argo-cd", "109ca7ca71139e514114499d294a492e7910a965", ("manifests/crds",)),
    "argo-rollouts": (
        "argoproj/argo-rollouts",
        "b6bd3bcf8f60d717a98763d26acc983db7f97cb0",
        ("manifests/crds",),
    ),
    "argo-events": (
        "argoproj/argo-events",
        "d13fde07d944c081c25574305911908c80faa98e",
        ("manifests/base/crds",),
    ),
    "prometheus-operator": (
        "prometheus-operator/prometheus-operator",
        "f8fafd475f3d132e239432ae6172de60a6cb6516",
        ("example/prometheus-operator-crd",),
    ),
    "eck": ("elastic/cloud-on-k8s", "386c7b14f2d1bbb7f2af1e7da997e64875f16e47", ("config/crds/v1",)),
    "minio-operator": (
        "minio/operator",
        "6eee6a7caa70555ad009e522ce04861297e9e2be",
        ("resources/base/crds",),
    ),
    "kserve": ("kserve/kserve", "1fb781055dd1567164358233e1125142ca6ef1fe", ("config/crd/full",)),
    "karmada": (
        "karmada-io/karmada",
        "0533b555e040596f4fff9b6a344efbaeed71d0cc",
        ("charts/karmada/_crds/bases",),
    ),
    "kueue": (
        "kubernetes-sigs/kueue",
        "8eab68778fc1b52affe165fdf5af29d1e9b4f3cb",
        ("config/components/crd/bases",),
    ),
    "nvidia-gpu-operator": (
        "NVIDIA/gpu-operator",
        "10ee5b3638b89e11e949412aafa5ba99279c3721",
        ("config/crd/bases",),
    ),
}


@dataclass(frozen=True)
class CrdEntry:
    group: str
    kind: str
    plural: str
    versions: tuple[str, ...]
    storage: str
    scope: str
    file: str


class CrdDirMissing(RuntimeError):
    pass


def crd_dir() -> Path:
    """The CRD directory: $STACKYARD_CRD_DIR, else ../shared/crds beside the project."""
    configured = os.environ.get("STACKYARD_CRD_DIR")
    if configured:
        path = Path(configured)
    else:
        path = Path(__file__).resolve().parent.parent.parent / "shared" / "crds"
    if not (path / "INDEX.tsv").is_file():
        raise CrdDirMissing(
            f"no CRD index at {path / 'INDEX.tsv'}: set STACKYARD_CRD_DIR to a directory of upstream "
            "CRDs, or fetch them with `stackyard crds fetch DIR`"
        )
    return path


def index(directory: Path | None = None) -> list[CrdEntry]:
    base = directory or crd_dir()
    rows = (base / "INDEX.tsv").read_text("utf-8").splitlines()[1:]
    entries = []
    for row in rows:
        group, kind, plural, versions, storage, scope, file = row.split("\t")
        entries.append(CrdEntry(group, kind, plural, tuple(versions.split(",")), storage, scope, file))
    return entries


def _yaml_loader() -> type[yaml.SafeLoader]:
    class Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
        pass

    # A bare '=' enum value is a plain string in YAML 1.2; PyYAML (YAML 1.1) needs telling.
    Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))
    return Loader


def iter_crds(files: list[Path]) -> Iterator[dict[str, Any]]:
    loader = _yaml_loader()
    for file in files:
        for doc in yaml.load_all(file.read_text("utf-8"), Loader=loader):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                yield doc


@functools.cache
def _schemas_of_file(path: str) -> dict[tuple[str, str], dict[str, Any]]:
    schemas = {}
    for crd in iter_crds([Path(path)]):
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if schema is not None:
                schemas[(f"{group}/{version['name']}", kind)] = schema
    return schemas


def _entry_for(api_version: str, kind: str) -> CrdEntry | None:
    group = api_version.rsplit("/", 1)[0]
    return next((e for e in index() if e.group == group and e.kind == kind), None)


def has_crd(api_version: str, kind: str) -> bool:
    return _entry_for(api_version, kind) is not None


def schema_for(api_version: str, kind: str) -> dict[str, Any] | None:
    entry = _entry_for(api_version, kind)
    if entry is None:
        return None
    return _schemas_of_file(str(crd_dir() / entry.file)).get((api_version, kind))


def validate_custom_resource(obj: Mapping[str, Any]) -> list[str]:
    """Messages for every way ``obj`` breaks its CRD's openAPIV3Schema (empty: valid).

    An apiVersion the CRD does not serve is itself an error.
    """
    import jsonschema

    api_version, kind = str(obj.get("apiVersion")), str(obj.get("kind"))
    entry = _entry_for(api_version, kind)
    if entry is None:
        return [f"{api_version} {kind}: no CRD for this group and kind"]
    version = api_version.rsplit("/", 1)[-1]
    if version not in entry.versions:
        return [f"{api_version} {kind}: version not served; served: {', '.join(entry.versions)}"]
    schema = schema_for(api_version, kind)
    if schema is None:
        return [f"{api_version} {kind}: the CRD has no schema for this version"]
    validator = jsonschema.Draft7Validator(schema)
    name = obj.get("metadata", {}).get("name")
    return [
        f"{kind}/{name}: {'.'.join(str(p) for p in err.absolute_path) or '(root)'}: {err.message}"
        for err in sorted(validator.iter_errors(dict(obj)), key=lambda e: list(map(str, e.absolute_path)))
    ]


def fetch_upstream(target: Path) -> list[Path]:
    """Download the pinned upstream CRD folders into ``target`` (needs the internet)."""
    written = []
    for folder, (repo, commit, paths) in sorted(UPSTREAM.items()):
        for sub in paths:
            api = f"https://api.github.com/repos/{repo}/contents/{sub}?ref={commit}"
            with urllib.request.urlopen(api, timeout=30) as response:
                listing = yaml.safe_load(response.read())
            for item in listing:
                if item.get("type") != "file" or not item["name"].endswith((".yaml", ".yml")):
                    continue
                with urllib.request.urlopen(item["download_url"], timeout=60) as response:
                    data = response.read()
                out = target / folder / item["name"]
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(data)
                written.append(out)
    return written
