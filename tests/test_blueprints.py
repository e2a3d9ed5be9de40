"""Every blueprint renders, validates, synthesizes deterministically and matches its golden output.

Regenerate the golden files after an intended change with:
    STACKYARD_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_blueprints.py
and review the diff like any other change.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from blueprints import all_blueprints
from stacks.loader import CONFIG_KEY, parse_platform
from stacks.synth import synthesize, write_output

GOLDEN = Path(__file__).parent / "golden"
NAMES = sorted(all_blueprints())


def render(name: str) -> str:
    return all_blueprints()[name].render("golden")


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", NAMES)
def test_rendering_is_deterministic_and_valid(name: str) -> None:
    assert render(name) == render(name)
    data = yaml.safe_load(render(name))
    cfg = parse_platform(data["config"][CONFIG_KEY], name)
    assert cfg.clusters


@pytest.mark.parametrize("name", NAMES)
def test_synth_matches_golden_and_is_byte_identical(name: str, tmp_path: Path) -> None:
    cfg = parse_platform(yaml.safe_load(render(name))["config"][CONFIG_KEY], name)
    first, second = tmp_path / "a", tmp_path / "b"
    write_output(synthesize(cfg, "golden"), first)
    write_output(synthesize(cfg, "golden"), second)
    assert files_of(first) == files_of(second), "synth output must be byte-identical run to run"

    golden = GOLDEN / name
    if os.environ.get("STACKYARD_UPDATE_GOLDEN"):
        shutil.rmtree(golden, ignore_errors=True)
        shutil.copytree(first, golden)
    assert golden.exists(), f"no golden output for {name}: run with STACKYARD_UPDATE_GOLDEN=1"
    expected, actual = files_of(golden), files_of(first)
    assert sorted(actual) == sorted(expected), "the set of synthesized files changed"
    for path, content in expected.items():
        assert actual[path] == content, f"{name}/{path} differs from the golden file"


@pytest.mark.parametrize("name", NAMES)
def test_no_plaintext_secret_in_synth_output(name: str, tmp_path: Path) -> None:
    cfg = parse_platform(yaml.safe_load(render(name))["config"][CONFIG_KEY], name)
    result = synthesize(cfg, "golden")
    write_output(result, tmp_path)
    text = "\n".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    # The mocks give every generated password the value synth-<resource name>.
    passwords = [r.name for r in result.by_type("pulumi-python:dynamic:Resource")]
    assert passwords or name in ("aws-training", "gcp-serving"), "no generated credential in this blueprint"
    for name_ in passwords:
        assert f"synth-{name_}" not in text
    inventory = json.loads((tmp_path / "inventory.json").read_text())
    for entry in inventory:
        if entry["type"] == "pulumi-python:dynamic:Resource":
            assert entry["inputs"].get("result") in (None, "[secret]")
