"""The bad-input corpus: every malformed config exits 2 with file and field path, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stacks.cli import app

CORPUS = sorted((Path(__file__).parent / "bad_configs").glob("*.yaml"))


def expected(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name}: first line must be '# expect: ...'"
    return first.removeprefix("# expect: ")


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_bad_config_is_rejected_precisely(path: Path) -> None:
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert str(path) in result.output
    assert expected(path) in result.output


def test_real_process_exit_code_and_no_traceback() -> None:
    """One run through the installed console entry point, as a user would."""
    paths = [str(p) for p in CORPUS[:3]]
    run = subprocess.run(
        [sys.executable, "-c", "from stacks.cli import main; main()", "validate", *paths],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr + run.stdout
    for path in paths:
        assert path in run.stderr
