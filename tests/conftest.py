"""Shared test helpers: build configs from plain data and synthesize them under Pulumi mocks."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stacks.config import PlatformConfig
from stacks.loader import parse_platform
from stacks.synth import Synthesis, synthesize

LOCAL: dict[str, Any] = {
    "name": "t",
    "clusters": [
        {
            "name": "local",
            "provider": {"kind": "onprem", "kubeconfig": "kc"},
            "node_pools": [
                {"name": "cpu", "nodes": ["cpu-0"]},
                {"name": "gpu", "nodes": ["gpu-0"], "gpu": {"accelerator": "nvidia-t4", "count": 1}},
            ],
        }
    ],
    "teams": [{"name": "ml", "groups": ["ml-eng"], "admins": ["leads"], "quota": {"gpu": 2}}],
}


def platform(data: dict[str, Any] | None = None, **overrides: Any) -> PlatformConfig:
    merged = copy.deepcopy(data if data is not None else LOCAL)
    merged.update(overrides)
    return parse_platform(merged, "test")


@pytest.fixture
def local_data() -> dict[str, Any]:
    return copy.deepcopy(LOCAL)


def synth(data: dict[str, Any] | None = None, **overrides: Any) -> Synthesis:
    return synthesize(platform(data, **overrides))
