"""An offline chart directory: one small stand-in chart per pinned chart, for a real ``pulumi up``.

For every :data:`components.versions.ALL_CHARTS` pin, a chart with the pin's name and version:

- ``crds/``: the add-on's upstream CRDs (from :func:`stacks.crds.crd_dir`), so custom resources
  that Stackyard declares are accepted by the API server exactly as the real chart would allow.
  Conversion webhooks are set to ``strategy: None``: no webhook server runs on a bare API server
  (Knative's EventType and PingSource would otherwise be unreadable at non-storage versions).
- ``templates/``: a ConfigMap recording the chart and version, and a Deployment of the
  "operator" (``registry.k8s.io/pause``; kwok never pulls it), restricted-PSA compliant, so
  workloads exist and are scheduled.

Archives are ``<name>-<version>.tgz`` (what :func:`components.base.chart_reference` expects for a
``directory`` chart source), built by ``helm package`` and cached by content hash under
``$STACKYARD_CACHE/charts/<hash>``.

    python -m tests.e2e.charts   # prints the directory
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from components.versions import ALL_CHARTS, ChartPin
from stacks.crds import crd_dir, iter_crds

# chart name -> CRD folders under crd_dir() that the chart installs
CHART_CRDS: Mapping[str, tuple[str, ...]] = {
    "knative-operator": ("knative-operator", "knative-serving", "knative-eventing"),
    "operator": ("minio-operator",),
    "eck-operator": ("eck",),
    "kube-prometheus-stack": ("prometheus-operator",),
    "gpu-operator": ("nvidia-gpu-operator",),
    "argo-workflows": ("argo-workflows",),
    "argo-events": ("argo-events",),
    "argo-cd": ("argo-cd",),
    "argo-rollouts": ("argo-rollouts",),
    "kserve-crd": ("kserve",),
    "karmada": ("karmada",),
    "kueue": ("kueue",),
}

FAKE_IMAGE = "registry.k8s.io/pause:3.10"
RECIPE = "3"  # bump when the chart layout below changes

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-chart
  namespace: {{ .Release.Namespace }}
  labels:
    app.kubernetes.io/managed-by: {{ .Release.Service }}
    app.kubernetes.io/instance: {{ .Release.Name }}
data:
  chart: {{ .Chart.Name | quote }}
  version: {{ .Chart.Version | quote }}
  stand-in: "true"
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-operator
  namespace: {{ .Release.Namespace }}
  labels:
    app.kubernetes.io/managed-by: {{ .Release.Service }}
    app.kubernetes.io/instance: {{ .Release.Name }}
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/instance: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app.kubernetes.io/instance: {{ .Release.Name }}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        runAsGroup: 65532
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: operator
          image: {{ .Values.standIn.image | quote }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            capabilities:
              drop: [ALL]
            seccompProfile:
              type: RuntimeDefault
          resources:
            requests: {cpu: 10m, memory: 16Mi}
            limits: {cpu: 10m, memory: 16Mi}
"""


def crd_files(chart: str, base: Path | None = None) -> list[Path]:
    root = base or crd_dir()
    files: list[Path] = []
    for folder in CHART_CRDS.get(chart, ()):
        files += sorted(p for p in (root / folder).iterdir() if p.suffix in (".yaml", ".yml"))
    return files


def bare_apiserver_crd(crd: dict[str, Any]) -> dict[str, Any]:
    """The CRD as a bare API server can serve it: no conversion webhook (none runs)."""
    conversion = crd.get("spec", {}).get("conversion") or {}
    if conversion.get("strategy") == "Webhook":
        crd = json.loads(json.dumps(crd))
        crd["spec"]["conversion"] = {"strategy": "None"}
    return crd


def _content_hash(base: Path, without_crds: frozenset[str]) -> str:
    digest = hashlib.sha256(f"recipe={RECIPE}\n{CONFIGMAP}{DEPLOYMENT}{FAKE_IMAGE}".encode())
    digest.update(f"without-crds={sorted(without_crds)}\n".encode())
    for pin in ALL_CHARTS:
        digest.update(f"{pin.name}={pin.version}\n".encode())
        for file in crd_files(pin.name, base):
            digest.update(f"{file.relative_to(base)}\n".encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def helm_binary() -> str:
    found = os.environ.get("STACKYARD_HELM") or shutil.which("helm")
    cache = Path(os.environ.get("STACKYARD_CACHE") or Path.home() / ".cache" / "stackyard")
    if not found and os.access(cache / "bin" / "helm", os.X_OK):
        found = str(cache / "bin" / "helm")
    if not found:
        raise RuntimeError("helm is missing: run `make tools`, then `source <cache>/env.sh`")
    return found


def write_chart(pin: ChartPin, target: Path, base: Path, with_crds: bool = True) -> Path:
    """The unpacked stand-in chart for ``pin`` under ``target/<name>``."""
    chart = target / pin.name
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v2",
                "name": pin.name,
                "version": pin.version,
                "description": f"Offline stand-in for {pin.name} {pin.version} ({pin.repo}): CRDs only",
                "type": "application",
            },
            sort_keys=False,
        )
    )
    (chart / "values.yaml").write_text(yaml.safe_dump({"standIn": {"image": FAKE_IMAGE}}))
    (chart / "templates" / "configmap.yaml").write_text(CONFIGMAP)
    (chart / "templates" / "deployment.yaml").write_text(DEPLOYMENT)
    files = crd_files(pin.name, base) if with_crds else []
    if files:
        (chart / "crds").mkdir()
        for file in files:
            docs = [bare_apiserver_crd(crd) for crd in iter_crds([file])]
            out = chart / "crds" / f"{file.parent.name}-{file.name}"
            # JSON is valid YAML and keeps every string exactly (no YAML 1.1 surprises such as '=').
            out.write_text("\n---\n".join(json.dumps(d, sort_keys=True) for d in docs) + "\n")
    return chart


def build_charts(cache: Path | None = None, without_crds: frozenset[str] = frozenset()) -> Path:
    """Build (or reuse) the chart directory; returns its absolute path.

    ``without_crds``: names of charts built without their CRDs (a broken mirror, for fault tests).
    """
    unknown = without_crds - {pin.name for pin in ALL_CHARTS}
    if unknown:
        raise ValueError(f"no pinned chart named {sorted(unknown)}")
    base = crd_dir()
    root = cache or Path(os.environ.get("STACKYARD_CACHE") or Path.home() / ".cache" / "stackyard") / "charts"
    target = (root / _content_hash(base, without_crds)).resolve()
    expected = [target / f"{pin.name}-{pin.version}.tgz" for pin in ALL_CHARTS]
    if all(p.is_file() for p in expected):
        return target
    helm = helm_binary()
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".charts-", dir=root))
    try:
        src, dest = staging / "src", staging / "out"
        dest.mkdir(parents=True)
        for pin in ALL_CHARTS:
            chart = write_chart(pin, src, base, with_crds=pin.name not in without_crds)
            result = subprocess.run(
                [helm, "package", str(chart), "--destination", str(dest)],
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )
            if result.returncode != 0:
                raise RuntimeError(f"helm package {pin.name} failed: {result.stderr.strip()}")
        missing = [p.name for p in expected if not (dest / p.name).is_file()]
        if missing:
            raise RuntimeError(f"helm package did not write {', '.join(missing)}")
        if target.exists():
            shutil.rmtree(target)
        dest.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


if __name__ == "__main__":
    print(build_charts())
