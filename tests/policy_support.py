"""Test helpers shared by the policy and checkov tests: blueprints synthesized once per session.

``stacks.synth`` records each resource's inputs, ``protect`` and dependencies: what the rules need.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import yaml

from blueprints import all_blueprints
from policies.rules import Resource
from stacks import synth
from stacks.config import PlatformConfig
from stacks.loader import CONFIG_KEY, parse_platform

BLUEPRINTS = sorted(all_blueprints())


def blueprint_config(name: str) -> PlatformConfig:
    data = yaml.safe_load(all_blueprints()[name].render("golden"))
    return parse_platform(data["config"][CONFIG_KEY], name)


def to_resources(result: synth.Synthesis) -> list[Resource]:
    return [
        Resource(
            type=r.type,
            name=r.name,
            props=synth.redact(r.inputs),
            protect=r.protect,
            urn=r.urn,
            dependencies=r.dependencies,
        )
        for r in result.resources
    ]


def synth_resources(cfg: PlatformConfig) -> tuple[synth.Synthesis, list[Resource]]:
    """Synthesize ``cfg`` and return the resources as the policy engine would see them."""
    result = synth.synthesize(cfg, "golden")
    return result, to_resources(result)


def run_program(program: Callable[[], None]) -> list[Resource]:
    """Run an arbitrary Pulumi program under the synth mocks; return what it declares."""
    return to_resources(synth.run_program(program, "policy"))


@functools.cache
def blueprint_synthesis(name: str) -> tuple[synth.Synthesis, list[Resource]]:
    """Each blueprint is synthesized once per test session (synthesis is deterministic)."""
    return synth_resources(blueprint_config(name))


def write_blueprint_manifests(root: Path) -> dict[str, Path]:
    """``stackyard synth`` output of every blueprint under ``root/<blueprint>``."""
    out = {}
    for name in BLUEPRINTS:
        synth.write_output(blueprint_synthesis(name)[0], root / name)
        out[name] = root / name / "manifests"
    return out
