"""Engine benchmark: the real Pulumi engine against a local kwok cluster, with kubectl as the peer.

On one kwok cluster and a stack rendered from the `local` blueprint (offline charts,
``data.delete_on_destroy: true`` so every repeat starts empty), per repeat:

- the peer a user might pick instead: ``kubectl apply --server-side`` of the same objects as plain
  manifests (``stackyard synth`` output plus the stand-in charts' CRDs, CRDs first), the same
  apply again (no-op), and ``kubectl delete`` waiting until everything is gone;
- ``pulumi preview`` of the empty stack, ``pulumi up`` (create), a no-op ``pulumi up`` and
  ``pulumi destroy``.

``pulumi up`` also waits for readiness (Deployments available, custom resources Ready), which
``kubectl apply`` does not. Prints medians and the Stackyard/kubectl ratios. No assertions.

    source ~/.cache/stackyard/env.sh
    .venv/bin/python bench/engine.py [--repeat 3] [--addons knative,object_store]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.versions import ALL_CHARTS  # noqa: E402
from stacks.crds import iter_crds  # noqa: E402
from stacks.loader import load_stack_file  # noqa: E402
from stacks.localcluster import down, plan, up  # noqa: E402
from stacks.synth import SECRET, synthesize, write_output  # noqa: E402
from tests.e2e.charts import bare_apiserver_crd, build_charts, crd_files  # noqa: E402
from tests.e2e.harness import PulumiStack, kubectl, missing_tools  # noqa: E402
from tests.e2e.localplatform import render_local  # noqa: E402
from tests.e2e.standin import StandInOperators  # noqa: E402


def peer_manifests(stack_file: Path, out: Path) -> tuple[Path, Path]:
    """(CRD file, object file) for kubectl: the charts' CRDs, and Stackyard's objects."""
    cfg = load_stack_file(stack_file)
    result = synthesize(cfg, stack_file.stem.removeprefix("Pulumi."))
    write_output(result, out)
    # The charts the program installs: archives named <chart>-<version>.tgz in the chart directory.
    archives = {
        Path(str(r.inputs.get("chart", ""))).name for r in result.by_type("kubernetes:helm.sh/v4:Chart")
    }
    crds: list[dict[str, Any]] = []
    for chart in sorted(pin.name for pin in ALL_CHARTS if f"{pin.name}-{pin.version}.tgz" in archives):
        for file in crd_files(chart):
            crds += [bare_apiserver_crd(c) for c in iter_crds([file])]
    crd_file, obj_file = out / "crds.json", out / "objects.json"
    crd_file.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": crds}))
    objects = [yaml.safe_load(p.read_text()) for p in sorted((out / "manifests").rglob("*.yaml"))]
    for obj in objects:
        # synth redacts generated credentials, whole Secret payloads included: give kubectl a
        # payload of the same shape (one key) to apply.
        if obj.get("kind") == "Secret" and obj.get("stringData") == SECRET:
            obj["stringData"] = {"redacted": "bench-placeholder"}
    # Namespaces first, as kubectl needs them before their contents.
    objects.sort(key=lambda o: (o.get("kind") != "Namespace", o.get("kind", "")))
    obj_file.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    return crd_file, obj_file


def timed(fn: Any) -> float:
    start = time.monotonic()
    fn()
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--addons", default=None, help="comma-separated add-ons (default: the blueprint's)")
    args = parser.parse_args()
    missing = missing_tools()
    if missing:
        sys.exit(f"missing {', '.join(missing)}: run `make tools`, then `source ~/.cache/stackyard/env.sh`")
    addons = set(args.addons.split(",")) if args.addons else None

    charts = build_charts()
    work = Path(tempfile.mkdtemp(prefix="stackyard-bench-"))
    name = f"bench-{uuid.uuid4().hex[:6]}"
    stack_file = ROOT / "stacks" / f"Pulumi.{name}.yaml"
    # delete_on_destroy: every repeat starts from an empty cluster.
    stack_file.write_text(
        render_local(name, charts, work / "kubeconfig", addons, {"delete_on_destroy": True})
    )
    lc = plan(load_stack_file(stack_file), name)
    results: dict[str, list[float]] = {}
    objects = 0
    operators: StandInOperators | None = None
    try:
        up(lc, runtime="kwok")
        kc = lc.kubeconfig
        operators = StandInOperators(kc)
        operators.start()
        stack = PulumiStack(name, work / "backend")
        stack.init()
        crd_file, obj_file = peer_manifests(stack_file, work / "synth")
        objects = len(json.loads(obj_file.read_text())["items"])

        def apply() -> None:
            kubectl(kc, "apply", "--server-side", "--force-conflicts", "-f", str(crd_file), "-o", "name")
            kubectl(kc, "wait", "--for=condition=Established", "crd", "--all", "--timeout=120s")
            kubectl(kc, "apply", "--server-side", "--force-conflicts", "-f", str(obj_file), "-o", "name")

        def delete() -> None:
            # Waits until the namespaces are gone, as `pulumi destroy` does.
            for file in (obj_file, crd_file):
                kubectl(kc, "delete", "-f", str(file), "--ignore-not-found", "--timeout=600s", timeout=660)

        def record(step: str, fn: Any) -> None:
            results.setdefault(step, []).append(timed(fn))

        for i in range(args.repeat):
            record("kubectl apply (create)", apply)
            record("kubectl apply (no-op)", apply)
            record("kubectl delete", delete)
            record("pulumi preview", stack.preview)
            record("pulumi up (create)", stack.up)
            record("pulumi up (no-op)", lambda: stack.up("--expect-no-changes"))
            record("pulumi destroy", lambda: stack.run("destroy", "--yes", "--stack", name, label="destroy"))
            latest = {step: round(values[-1], 1) for step, values in results.items()}
            print(
                f"repeat {i + 1}/{args.repeat}: {json.dumps(latest)}",
                file=sys.stderr,
                flush=True,
            )
    finally:
        if operators is not None:
            operators.stop()
        down(lc)
        stack_file.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)

    # Each Pulumi step against the kubectl step a user would run instead.
    peers = {
        "pulumi preview": "kubectl apply (create)",
        "pulumi up (create)": "kubectl apply (create)",
        "pulumi up (no-op)": "kubectl apply (no-op)",
        "pulumi destroy": "kubectl delete",
    }
    medians = {step: statistics.median(values) for step, values in results.items()}
    print(
        f"\nengine benchmark: stack {name}, {args.repeat} repeat(s), {objects} Stackyard objects + chart CRDs"
    )
    print(f"| {'step':<24} | median s | {'kubectl peer':<24} | median s | ratio |")
    print(f"| {'-' * 24} | -------- | {'-' * 24} | -------- | ----- |")
    for step, peer in peers.items():
        if step in medians and peer in medians:
            mine, theirs = medians[step], medians[peer]
            print(f"| {step:<24} | {mine:>8.1f} | {peer:<24} | {theirs:>8.1f} | {mine / theirs:>5.1f} |")


if __name__ == "__main__":
    main()
