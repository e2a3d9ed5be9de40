"""Checkov (Kubernetes framework) over every blueprint's ``stackyard synth`` manifests: zero failures.

Checkov lives in its own virtualenv (its dependencies clash with Pulumi's): ``make checkov``
installs the pinned version into ``.venv-checkov``; ``STACKYARD_CHECKOV`` may point at another
binary of the same version. The skip list is ``.checkov.yaml`` (short, each entry justified).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.policy_support import BLUEPRINTS, write_blueprint_manifests

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".checkov.yaml"
Results = tuple[list[dict[str, Any]], dict[str, Path], str]

# A deliberately bad workload: checkov must flag it, so a silent config cannot pass for a clean one.
CANARY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "canary", "namespace": "canary"},
    "spec": {
        "selector": {"matchLabels": {"app": "canary"}},
        "template": {
            "metadata": {"labels": {"app": "canary"}},
            "spec": {
                "hostNetwork": True,
                "containers": [{"name": "c", "image": "nginx", "securityContext": {"privileged": True}}],
            },
        },
    },
}


def pinned_version() -> str:
    match = re.search(r"^CHECKOV_VERSION\s*:?=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M)
    assert match, "the Makefile pins CHECKOV_VERSION"
    return match.group(1)


def checkov_binary() -> Path:
    path = Path(os.environ.get("STACKYARD_CHECKOV") or ROOT / ".venv-checkov" / "bin" / "checkov")
    if not path.exists():
        pytest.fail(f"checkov is not installed ({path}): run `make checkov`", pytrace=False)
    return path


@cache
def scan(root: Path) -> Results:
    dirs = write_blueprint_manifests(root)
    canary = root / "_canary" / "deployment_canary.yaml"
    canary.parent.mkdir(parents=True)
    canary.write_text(yaml.safe_dump(CANARY))
    cmd = [str(checkov_binary()), "--framework", "kubernetes", "--skip-download", "--quiet"]
    cmd += ["-d", str(root), "--config-file", str(CONFIG), "-o", "json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode in (0, 1), f"checkov failed to run:\n{proc.stderr[-3000:]}"
    reports = json.loads(proc.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    k8s = [r for r in reports if r.get("check_type") == "kubernetes"]
    assert k8s, f"checkov reported no kubernetes results:\n{proc.stdout[:2000]}"
    failed = [f for r in k8s for f in r["results"]["failed_checks"]]
    return failed, dirs, str(k8s[0]["summary"]["checkov_version"])


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    return scan(tmp_path_factory.mktemp("checkov"))


def test_checkov_is_installed() -> None:
    """Fails (never skips) without checkov, naming the command that installs it."""
    assert checkov_binary().exists()


def test_checkov_is_the_pinned_version(results: Results) -> None:
    assert results[2] == pinned_version()


def test_skip_list_is_short_and_justified() -> None:
    text = CONFIG.read_text()
    skips = yaml.safe_load(text)["skip-check"]
    assert len(skips) <= 5
    for check in skips:
        before = text[: text.index(f"- {check}")].rstrip().splitlines()[-1]
        assert before.lstrip().startswith("#"), f"{check} has no reason comment"


def test_checkov_flags_a_bad_workload(results: Results) -> None:
    failed, _, _ = results
    canary = {f["check_id"] for f in failed if f["file_path"].startswith("/_canary/")}
    # privileged, hostNetwork (shared host namespaces), no CPU limits, no memory limits
    assert {"CKV_K8S_16", "CKV_K8S_19", "CKV_K8S_11", "CKV_K8S_13"} <= canary


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_blueprint_manifests_pass_checkov(name: str, results: Results) -> None:
    failed, dirs, _ = results
    assert any(dirs[name].rglob("*.yaml")), "the blueprint synthesized no manifests"
    mine = sorted(
        f"{f['check_id']} {f['check_name']}: {f['resource']} ({f['file_path']})"
        for f in failed
        if f["file_path"].startswith(f"/{name}/")
    )
    assert mine == []
