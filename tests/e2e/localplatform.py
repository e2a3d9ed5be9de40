"""A local platform for the end-to-end tests: the `local` blueprint on a kwok cluster of its own.

``open_platform`` renders the blueprint with the offline chart directory (tests/e2e/charts.py) into
a temporary stack file, creates a kwok cluster named after the stack and a file backend in a
temporary directory, and removes all three afterwards. While it is open, the stand-in operators
(tests/e2e/standin.py) report the readiness that real operators would. A missing toolchain fails
(never skips), naming `make tools`.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from blueprints import get as get_blueprint
from stacks.config import PlatformConfig
from stacks.crds import CrdDirMissing, crd_dir
from stacks.loader import load_stack_file
from stacks.localcluster import LocalCluster, LocalClusterError, plan
from stacks.localcluster import down as cluster_down
from stacks.localcluster import up as cluster_up
from tests.e2e.charts import build_charts
from tests.e2e.harness import PROJECT_ROOT, PulumiStack, missing_tools
from tests.e2e.standin import StandInOperators

ADDONS = ("knative", "object_store", "logging", "monitoring", "argo", "serving", "workbench")


@dataclass
class Platform:
    stack: PulumiStack
    stack_file: Path
    cluster: LocalCluster
    cfg: PlatformConfig
    charts: Path

    @property
    def kubeconfig(self) -> Path:
        return self.cluster.kubeconfig

    def reload(self) -> None:
        self.cfg = load_stack_file(self.stack_file)


def render_local(
    stack: str,
    charts: Path,
    kubeconfig: Path,
    addons: Collection[str] | None,
    data: dict[str, Any] | None = None,
) -> str:
    """The `local` blueprint; with ``addons``, only those add-ons (teams' buckets need object_store);
    with ``data``, those data settings (e.g. ``delete_on_destroy``)."""
    text = get_blueprint("local").render(stack, {"chart_dir": str(charts), "kubeconfig": str(kubeconfig)})
    if addons is None and data is None:
        return text
    document = yaml.safe_load(text)
    platform = document["config"]["stackyard:platform"]
    if data is not None:
        platform["data"] = data
    if addons is not None:
        unknown = set(addons) - set(ADDONS)
        if unknown:
            pytest.fail(f"unknown add-on(s) {sorted(unknown)}; known: {', '.join(ADDONS)}", pytrace=False)
        for name in list(platform["addons"]):
            if name not in addons:
                del platform["addons"][name]
        if "object_store" not in addons:
            for team in platform["teams"]:
                team.pop("buckets", None)
    return yaml.safe_dump(document, sort_keys=False)


def addons_from_env() -> list[str] | None:
    """STACKYARD_E2E_ADDONS=a,b limits the main platform's add-ons (default: every one)."""
    wanted = os.environ.get("STACKYARD_E2E_ADDONS")
    if wanted is None:
        return None
    return [a.strip() for a in wanted.split(",") if a.strip()]


def require_toolchain() -> None:
    missing = missing_tools()
    if missing:
        pytest.fail(
            f"the e2e toolchain is missing {', '.join(missing)}: run `make tools` "
            "(then `source ~/.cache/stackyard/env.sh`, or use `make e2e`)",
            pytrace=False,
        )
    try:
        crd_dir()
    except CrdDirMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@contextmanager
def open_platform(
    work: Path,
    *,
    prefix: str = "e2e",
    addons: Collection[str] | None = None,
    charts: Path | None = None,
) -> Iterator[Platform]:
    """A fresh stack and kwok cluster under ``work``; both are removed on exit."""
    require_toolchain()
    charts = charts or build_charts()
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    stack_file = PROJECT_ROOT / "stacks" / f"Pulumi.{name}.yaml"
    stack_file.write_text(render_local(name, charts, work / "kubeconfig", addons))
    cluster: LocalCluster | None = None
    operators: StandInOperators | None = None
    try:
        cfg = load_stack_file(stack_file)
        cluster = plan(cfg, name)
        try:
            cluster_up(cluster, runtime="kwok")
        except LocalClusterError as exc:
            pytest.fail(f"local cluster: {exc}", pytrace=False)
        operators = StandInOperators(cluster.kubeconfig)
        operators.start()
        stack = PulumiStack(name, work / "backend")
        stack.init()
        yield Platform(stack, stack_file, cluster, cfg, charts)
        print(
            f"\npulumi timings of {name} (s):",
            json.dumps({k: [round(x, 1) for x in v] for k, v in stack.timings.items()}),
        )
    finally:
        if operators is not None:
            operators.stop()
        if cluster is not None:
            try:
                cluster_down(cluster)
            except LocalClusterError as exc:
                print(f"cleanup: {exc}")
        stack_file.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
