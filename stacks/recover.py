"""Recovery after an interrupted ``pulumi up`` (Ctrl-C, a killed CI job, a lost machine).

Pulumi leaves two kinds of debris when an update dies before it finishes:

- a **lock** on the stack (the DIY backend's ``.pulumi/locks/...`` file): every later update
  fails with "the stack is currently locked". ``pulumi cancel`` removes it.
- **pending operations** in the checkpoint: resources whose create/update/delete was sent but
  never confirmed. ``pulumi refresh --clear-pending-creates`` reads every resource back from the
  cluster and forgets the unconfirmed creates; the next ``pulumi up`` declares them again, and the
  Kubernetes provider's server-side apply takes over an object that did reach the API server
  instead of creating a duplicate.

``recover`` does exactly those steps, only when they are needed, and reports each one. It never
deletes a cloud or cluster resource. A lock is found from its file on a file:// backend, and on
other backends when the refresh meets it. It must only run when no other update of the stack is in
progress: a lock can also belong to a live run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml


class RecoverError(RuntimeError):
    """A Pulumi command failed; the message carries its output."""


@dataclass
class Recovery:
    """What ``recover`` found and did."""

    stack: str
    locked: bool = False
    pending: list[str] = field(default_factory=list)
    """``<type> <name> (<operation>)`` of every pending operation found."""
    actions: list[str] = field(default_factory=list)

    @property
    def needed(self) -> bool:
        return self.locked or bool(self.pending)


def _pulumi(args: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("pulumi")
    if binary is None:
        raise RecoverError("pulumi is not on PATH: run `make tools`, then source the toolchain's env.sh")
    try:
        return subprocess.run(
            [binary, *args, "--non-interactive"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=dict(os.environ),
        )
    except subprocess.TimeoutExpired as exc:
        raise RecoverError(f"`pulumi {' '.join(args)}` did not finish within {timeout:.0f}s") from exc


def _raise_on_failure(args: Sequence[str], result: subprocess.CompletedProcess[str]) -> None:
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-20:])
        raise RecoverError(f"`pulumi {' '.join(args)}` failed (exit {result.returncode}):\n{tail}")


def _checked(args: Sequence[str], timeout: float) -> str:
    result = _pulumi(args, timeout)
    _raise_on_failure(args, result)
    return result.stdout


LOCKED = "currently locked"


def pending_operations(stack: str) -> list[str]:
    exported = json.loads(_checked(["stack", "export", "--stack", stack], timeout=120))
    deployment = exported.get("deployment", {})
    found = []
    for op in deployment.get("pending_operations") or []:
        res = op.get("resource") or {}
        name = str(res.get("urn", "")).rsplit("::", 1)[-1]
        found.append(f"{res.get('type', '?')} {name} ({op.get('type', '?')})")
    return found


def _file_backend_locks(stack: str) -> list[Path]:
    """Lock files of ``stack`` on a file:// (DIY) backend; empty for other backends.

    Only a locking command would reveal a lock otherwise, and every locking command changes state.
    """
    url = os.environ.get("PULUMI_BACKEND_URL", "")
    project_file = Path("Pulumi.yaml")
    if not url.startswith("file://") or not project_file.is_file():
        return []
    project = (yaml.safe_load(project_file.read_text()) or {}).get("name", "")
    root = Path(url.removeprefix("file://").split("?", 1)[0])
    return sorted(root.glob(f".pulumi/locks/*/{project}/{stack}/*.json"))


def recover(stack: str, *, timeout: float = 1800) -> Recovery:
    """Make ``stack`` updatable again after an interrupted update; see the module docstring."""
    rec = Recovery(stack)
    rec.pending = pending_operations(stack)  # `stack export` reads without locking
    rec.locked = bool(_file_backend_locks(stack))
    refresh = ["refresh", "--yes", "--clear-pending-creates", "--stack", stack]
    if rec.pending and not rec.locked:
        # On other backends a stale lock shows only now, when the refresh asks for it.
        result = _pulumi(refresh, timeout)
        rec.locked = LOCKED in result.stdout + result.stderr
        if not rec.locked:
            _raise_on_failure(refresh, result)
        refreshed = not rec.locked
    else:
        refreshed = False
    if rec.locked:
        _checked(["cancel", "--yes", "--stack", stack], timeout=120)
        rec.actions.append("removed the stale lock (pulumi cancel)")
    if rec.pending and not refreshed:
        _checked(refresh, timeout)
    if rec.pending:
        rec.actions.append(
            f"refreshed the state from the cluster and cleared {len(rec.pending)} pending operation(s) "
            "(pulumi refresh --clear-pending-creates)"
        )
    return rec
