"""Synthesis benchmark: time per resource for each blueprint and for generated 1/5/20/50-cluster platforms.

For each case the same resources are also declared by a flat Pulumi program (one
``CustomResource``/``ComponentResource`` call per resource, no config model, no components),
so the ratio shows what Stackyard's layers cost. Medians over ``--repeat`` runs; no assertions.

    .venv/bin/python bench/synth.py [--repeat 5] [--clusters 1,5,20,50]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from blueprints import all_blueprints
from stacks.config import PlatformConfig
from stacks.loader import CONFIG_KEY, parse_platform
from stacks.synth import Synthesis, _Mocks, redact, synthesize


def generated(clusters: int) -> PlatformConfig:
    names = [f"c{i:02d}" for i in range(clusters)]
    data: dict[str, Any] = {
        "name": "bench",
        "clusters": [
            {
                "name": n,
                "provider": {"kind": "onprem", "kubeconfig": "kc"},
                "node_pools": [
                    {"name": "cpu", "nodes": ["cpu-0", "cpu-1"]},
                    {"name": "gpu", "nodes": ["gpu-0"], "gpu": {"accelerator": "nvidia-l4", "count": 4}},
                ],
            }
            for n in names
        ],
        "addons": {
            "knative": {"enabled": True},
            "object_store": {"enabled": True},
            "logging": {"enabled": True},
            "monitoring": {"enabled": True},
            "argo": {"enabled": True},
            "serving": {"enabled": True},
            "workbench": {"enabled": True},
        },
        "teams": [{"name": f"team-{i}", "groups": [f"g{i}"], "quota": {"gpu": 4}} for i in range(3)],
    }
    return parse_platform(data, f"generated-{clusters}")


def flat_program(recorded: Synthesis) -> Callable[[], None]:
    """The same resources, declared directly: no config model, no components, no helpers."""
    resources = list(recorded.resources)

    def program() -> None:
        for r in resources:
            inputs = {k: v for k, v in redact(r.inputs).items()}
            if r.custom:
                pulumi.CustomResource(r.type, r.name, inputs)
            else:
                pulumi.ComponentResource(r.type, r.name, None)

    return program


def run_flat(program: Callable[[], None]) -> None:
    mocks = _Mocks()
    pulumi_mocks.set_mocks(mocks, project="stackyard", stack="bench", preview=False)
    _sync_await(run_pulumi_func(program))


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(label: str, cfg: PlatformConfig, repeat: int) -> dict[str, Any]:
    recorded = synthesize(cfg)
    count = len(recorded.resources)
    ours = median_seconds(lambda: synthesize(cfg), repeat)
    flat = median_seconds(lambda: run_flat(flat_program(recorded)), repeat)
    return {
        "case": label,
        "resources": count,
        "stackyard_ms_per_resource": 1000 * ours / count,
        "flat_ms_per_resource": 1000 * flat / count,
        "ratio": ours / flat,
        "stackyard_s": ours,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--clusters", default="1,5,20,50")
    args = parser.parse_args()
    rows = []
    for name, bp in all_blueprints().items():
        data = yaml.safe_load(bp.render("bench"))
        cfg = parse_platform(data["config"][CONFIG_KEY], name)
        rows.append(measure(f"blueprint {name}", cfg, args.repeat))
    for n in (int(x) for x in args.clusters.split(",")):
        rows.append(measure(f"generated {n} cluster(s)", generated(n), max(1, args.repeat if n < 20 else 3)))
    header = f"{'case':34} {'resources':>9} {'ms/res':>8} {'flat ms/res':>11} {'ratio':>6} {'total s':>8}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['case']:34} {r['resources']:>9} {r['stackyard_ms_per_resource']:>8.3f} "
            f"{r['flat_ms_per_resource']:>11.3f} {r['ratio']:>6.2f} {r['stackyard_s']:>8.2f}"
        )
    gen = [r for r in rows if r["case"].startswith("generated")]
    if len(gen) >= 2:
        first, last = gen[0], gen[-1]
        growth = last["stackyard_ms_per_resource"] / first["stackyard_ms_per_resource"]
        print(
            f"\nper-resource time from {first['case']} to {last['case']}: x{growth:.2f} "
            f"({first['resources']} -> {last['resources']} resources)"
        )


if __name__ == "__main__":
    main()
