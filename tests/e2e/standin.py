"""The stand-in operators' status: what a real operator reports once it has installed its part.

The offline charts (tests/e2e/charts.py) carry the upstream CRDs but run no operator, so nothing
ever sets a custom resource's status. Stackyard makes Pulumi wait for the few resources whose
readiness later resources need (``pulumi.com/waitFor: condition=Ready``: the Knative operator's
``KnativeServing`` and ``KnativeEventing``, after which Knative's own kinds exist). This reporter
plays the operator's part for those kinds only: it marks each one ``Ready`` for its current
generation, through the status subresource, as the operator would after a successful install.

It runs beside ``pulumi up`` on a local cluster (the e2e tests start it as a thread, scripts/up.sh
as a process) and is never part of a real platform.

    python -m tests.e2e.standin KUBECONFIG      # until interrupted
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stacks.localcluster import find_binary

# Kinds Stackyard waits on with `pulumi.com/waitFor: condition=Ready` (components/knative.py).
READY_KINDS = ("knativeservings.operator.knative.dev", "knativeeventings.operator.knative.dev")
WAIT_FOR = "pulumi.com/waitFor"


def _kubectl(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = find_binary("kubectl", "KWOK_KUBECTL_BINARY") or "kubectl"
    return subprocess.run(
        [binary, "--kubeconfig", str(kubeconfig), "--request-timeout=10s", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _is_ready(item: dict[str, Any]) -> bool:
    """Ready for the current generation (a CRD schema may prune ``observedGeneration``)."""
    generation = item["metadata"].get("generation", 0)
    status = item.get("status") or {}
    observed = status.get("observedGeneration", generation)
    return observed == generation and any(
        c.get("type") == "Ready"
        and c.get("status") == "True"
        and c.get("observedGeneration", observed) == generation
        for c in status.get("conditions") or []
    )


def mark_ready_once(kubeconfig: Path) -> list[str]:
    """Mark every waiting object of READY_KINDS Ready; returns ``kind ns/name`` of those marked."""
    marked = []
    for kind in READY_KINDS:
        listed = _kubectl(kubeconfig, "get", kind, "-A", "-o", "json")
        if listed.returncode != 0:  # CRD not installed yet, or the API server is away
            continue
        for item in json.loads(listed.stdout).get("items", []):
            meta = item["metadata"]
            if WAIT_FOR not in (meta.get("annotations") or {}) or _is_ready(item):
                continue
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            condition = {
                "type": "Ready",
                "status": "True",
                "reason": "StandIn",
                "message": "offline stand-in operator: install simulated",
                "lastTransitionTime": now,
                "observedGeneration": meta.get("generation", 0),
            }
            status = {"conditions": [condition], "observedGeneration": meta.get("generation", 0)}
            patched = _kubectl(
                kubeconfig,
                *("-n", meta["namespace"]) if meta.get("namespace") else (),
                "patch", kind, meta["name"], "--subresource=status", "--type=merge",
                "-p", json.dumps({"status": status}),
            )  # fmt: skip
            if patched.returncode == 0:
                marked.append(f"{kind} {meta.get('namespace', '')}/{meta['name']}")
    return marked


class StandInOperators(threading.Thread):
    """Runs :func:`mark_ready_once` every ``interval`` seconds until :meth:`stop`."""

    def __init__(self, kubeconfig: Path, interval: float = 2.0) -> None:
        super().__init__(name="stand-in-operators", daemon=True)
        self.kubeconfig = kubeconfig
        self.interval = interval
        self.marked: list[str] = []
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.interval):
            self.marked += mark_ready_once(self.kubeconfig)

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=30)


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.e2e.standin KUBECONFIG")
    kubeconfig = Path(sys.argv[1])
    try:
        while True:
            for line in mark_ready_once(kubeconfig):
                print(f"stand-in operator: {line} is Ready", flush=True)
            time.sleep(2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
