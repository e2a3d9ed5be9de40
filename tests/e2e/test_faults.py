"""Faults with the real engine on a local cluster: interrupted updates, a restarted API server,
a chart mirror without its CRDs.

One platform (three add-ons) for the interruption scenarios, which run in order and each start
from a converged stack: every scenario enables one more add-on, so the interrupted update has
many creates in flight. After each fault, ``stackyard recover`` (what the README tells users to
run) and one ``pulumi up`` must converge: no pending operations, no stale lock, every object once,
and a preview with no changes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stacks.localcluster import find_binary
from tests.e2e.charts import build_charts
from tests.e2e.harness import PulumiStack, kubectl_json, wait_for
from tests.e2e.localplatform import Platform, open_platform

pytestmark = pytest.mark.e2e

# Kinds Pulumi creates directly that no controller makes on its own, checked for duplicates.
CHECKED_KINDS = ("deployments", "services", "configmaps", "secrets", "serviceaccounts")
CONTROLLER_MADE = {"kube-root-ca.crt", "default"}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with open_platform(
        tmp_path_factory.mktemp("faults"), prefix="fault", addons=("knative", "object_store", "monitoring")
    ) as p:
        yield p


def _created(log: Path) -> int:
    text = log.read_text(errors="replace") if log.exists() else ""
    return sum(1 for line in text.splitlines() if line.rstrip().endswith("created") or " created (" in line)


def _interrupted_up(p: Platform, log: Path, fault: Callable[[subprocess.Popen[bytes]], None]) -> int:
    """Start `pulumi up`, wait until it has created a few resources, apply ``fault``; exit code."""
    proc = p.stack.start("up", "--yes", "--skip-preview", "--stack", p.stack.name, log=log)
    try:
        wait_for(lambda: _created(log) >= 3 or proc.poll() is not None, 600, "the update to create resources")
        assert proc.poll() is None, f"the update finished before the fault:\n{log.read_text()[-2000:]}"
        fault(proc)
        return proc.wait(timeout=600)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _enable(p: Platform, addon: str) -> None:
    path = f"stackyard:platform.addons.{addon}.enabled"
    p.stack.run("config", "set", "--stack", p.stack.name, "--path", path, "true", label="config")


def _state(stack: PulumiStack) -> tuple[list[dict[str, Any]], list[Any]]:
    deployment = json.loads(stack.run("stack", "export", "--stack", stack.name, label="export").stdout)
    inner = deployment["deployment"]
    return list(inner.get("resources") or []), list(inner.get("pending_operations") or [])


def _metadata(res: dict[str, Any]) -> dict[str, Any]:
    return dict((res.get("outputs") or {}).get("metadata") or {})


def _assert_converged(p: Platform) -> None:
    """No pending operations, every URN and every live object once, nothing left to do."""
    resources, pending = _state(p.stack)
    assert not pending, f"pending operations left: {pending}"
    urns = [r["urn"] for r in resources]
    assert len(urns) == len(set(urns)), "a resource is in the state twice"
    p.stack.preview("--expect-no-changes", label="preview-noop")
    ours = {_metadata(r).get("name") for r in resources if r["type"] == "kubernetes:core/v1:Namespace"}
    in_state = {
        (r["type"].rsplit(":", 1)[-1].lower() + "s", _metadata(r).get("namespace"), _metadata(r).get("name"))
        for r in resources
        if r["type"].startswith("kubernetes:")
    }
    extra = []
    for kind in CHECKED_KINDS:
        for item in kubectl_json(p.kubeconfig, "get", kind, "-A")["items"]:
            meta = item["metadata"]
            if meta.get("namespace") not in ours or meta["name"] in CONTROLLER_MADE:
                continue
            if meta.get("ownerReferences"):  # made by a controller from something we declared
                continue
            if (kind, meta.get("namespace"), meta["name"]) not in in_state:
                extra.append(f"{kind} {meta.get('namespace')}/{meta['name']}")
    assert not extra, f"live objects that the state does not know (duplicates or orphans): {extra}"


def _recover_and_converge(p: Platform) -> str:
    report = p.stack.stackyard("recover", "--stack", p.stack.name).output
    p.stack.up(label="up-after-fault")
    _assert_converged(p)
    return report


def test_sigint_mid_update_then_up_converges(platform: Platform, tmp_path: Path) -> None:
    """Ctrl-C: Pulumi finishes the operations in flight, records them and stops."""
    rc = _interrupted_up(platform, tmp_path / "up.log", lambda proc: os.killpg(proc.pid, signal.SIGINT))
    log = (tmp_path / "up.log").read_text(errors="replace")
    assert rc != 0, log[-2000:]
    _, pending = _state(platform.stack)
    assert not pending, "a graceful interruption left pending operations"
    report = _recover_and_converge(platform)
    assert "nothing to do" in report, report


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        for c in child.read_text().split():
            found += [int(c), *_descendants(int(c))]
    return found


def _kill_job(proc: subprocess.Popen[bytes]) -> None:
    """What a CI runner does to a cancelled job: SIGKILL to the CLI and every plugin it started
    (plugins run in process groups of their own, so the CLI's group alone would miss them)."""
    for pid in [proc.pid, *_descendants(proc.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_sigkill_mid_update_then_recover_and_up_converge(platform: Platform, tmp_path: Path) -> None:
    """A killed CI job: a stale lock and unconfirmed operations, which `stackyard recover` clears."""
    _enable(platform, "logging")
    rc = _interrupted_up(platform, tmp_path / "up.log", _kill_job)
    assert rc == -signal.SIGKILL
    blocked = platform.stack.up(check=False, label="up-locked")
    assert blocked.returncode != 0 and "locked" in blocked.output, blocked.output[-2000:]
    report = _recover_and_converge(platform)
    assert "removed the stale lock" in report, report


def _kwokctl(*args: str) -> None:
    binary = find_binary("kwokctl")
    assert binary, "kwokctl is missing"
    subprocess.run([binary, *args], check=True, capture_output=True, timeout=300)


def _nodes_ready(p: Platform) -> bool:
    try:
        nodes = kubectl_json(p.kubeconfig, "get", "nodes")["items"]
    except AssertionError:  # the API server is not answering yet
        return False
    return bool(nodes) and all(
        any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"].get("conditions", []))
        for n in nodes
    )


def test_api_server_restart_mid_update_then_up_converges(platform: Platform, tmp_path: Path) -> None:
    """The control plane goes away mid-update and comes back: a clear failure (or success), then
    one more `up` converges."""
    _enable(platform, "workbench")
    name = platform.cluster.name

    def restart(_proc: subprocess.Popen[bytes]) -> None:
        _kwokctl("stop", "cluster", "--name", name)
        time.sleep(5)
        _kwokctl("start", "cluster", "--name", name)
        # The control plane is back once kwok reports the nodes Ready again.
        wait_for(lambda: _nodes_ready(platform), 120, "the restarted cluster's nodes to be Ready")

    rc = _interrupted_up(platform, tmp_path / "up.log", restart)
    log = (tmp_path / "up.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    if rc != 0:
        assert "error" in log.lower(), log[-3000:]
    _recover_and_converge(platform)


def test_missing_crds_fail_naming_them(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A chart mirror whose Knative operator chart lacks its CRDs: the update fails and says which
    kind has no CRD (the CRDs are ordered first, so nothing else depends on a half-made add-on)."""
    charts = build_charts(without_crds=frozenset({"knative-operator"}))
    with open_platform(
        tmp_path_factory.mktemp("nocrd"), prefix="nocrd", addons=("knative",), charts=charts
    ) as p:
        run = p.stack.up(check=False, label="up-no-crds")
        assert run.returncode != 0, run.output[-3000:]
        assert "KnativeServing" in run.output, run.output[-3000:]
        assert "operator.knative.dev" in run.output, run.output[-3000:]
        assert "Traceback" not in run.output
