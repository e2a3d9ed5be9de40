"""`stackyard recover`'s decisions, against a scripted `pulumi` on PATH that records its calls.

The real engine runs recover in tests/e2e/test_faults.py (file backend). These cover the branches
that need another backend or a failing command.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from stacks.recover import RecoverError, recover

FAKE_PULUMI = """#!{python}
import json, os, pathlib, sys
args = [a for a in sys.argv[1:] if a != "--non-interactive"]
state = pathlib.Path(os.environ["FAKE_STATE"])
with (state / "calls").open("a") as calls:
    calls.write(" ".join(args[:2]) + "\\n")
if args[:2] == ["stack", "export"]:
    pending = json.loads((state / "pending.json").read_text())
    print(json.dumps({{"deployment": {{"pending_operations": pending}}}}))
elif args[0] == "cancel":
    (state / "lock").unlink(missing_ok=True)
elif args[0] == "refresh":
    if (state / "lock").exists():
        print("error: the stack is currently locked by 1 lock(s)", file=sys.stderr)
        sys.exit(255)
    if (state / "refresh-fails").exists():
        print("error: configured Kubernetes cluster is unreachable", file=sys.stderr)
        sys.exit(255)
"""

PENDING = [
    {
        "type": "creating",
        "resource": {"type": "kubernetes:core/v1:Namespace", "urn": "urn:pulumi:dev::stackyard::x::team-a"},
    }
]


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: Any) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "pulumi"
    script.write_text(FAKE_PULUMI.format(python=sys.executable))
    script.chmod(0o755)
    state = tmp_path / "state"
    state.mkdir()
    (state / "pending.json").write_text("[]")
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_STATE", str(state))
    monkeypatch.setenv("PULUMI_BACKEND_URL", "s3://bucket/state")
    monkeypatch.chdir(tmp_path)
    return state


def calls(state: Path) -> list[str]:
    return (state / "calls").read_text().splitlines()


def test_nothing_wrong_reads_only(fake: Path) -> None:
    rec = recover("dev")
    assert not rec.needed and rec.actions == []
    assert calls(fake) == ["stack export"]


def test_stale_lock_on_another_backend_is_found_by_the_refresh(fake: Path) -> None:
    (fake / "pending.json").write_text(json.dumps(PENDING))
    (fake / "lock").touch()
    rec = recover("dev")
    assert rec.locked
    assert rec.pending == ["kubernetes:core/v1:Namespace team-a (creating)"]
    assert calls(fake) == ["stack export", "refresh --yes", "cancel --yes", "refresh --yes"]
    assert len(rec.actions) == 2 and "pulumi cancel" in rec.actions[0]


def test_file_backend_lock_is_cancelled_without_a_refresh(fake: Path, monkeypatch: Any) -> None:
    backend = fake.parent / "backend"
    lock = backend / ".pulumi" / "locks" / "organization" / "stackyard" / "dev" / "l.json"
    lock.parent.mkdir(parents=True)
    lock.write_text("{}")
    (fake.parent / "Pulumi.yaml").write_text("name: stackyard\n")
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{backend}")
    (fake / "lock").touch()
    rec = recover("dev")
    assert rec.locked and rec.pending == []
    assert calls(fake) == ["stack export", "cancel --yes"]


def test_a_failing_refresh_is_reported_once_with_its_output(fake: Path) -> None:
    (fake / "pending.json").write_text(json.dumps(PENDING))
    (fake / "refresh-fails").touch()
    with pytest.raises(RecoverError, match="cluster is unreachable"):
        recover("dev")
    assert calls(fake) == ["stack export", "refresh --yes"]
