"""Running the real Pulumi CLI against a local cluster: environment, runs, state, previews.

The environment matches scripts/pulumi-env.sh: a file backend, an isolated PULUMI_HOME, a fixed
passphrase, no update checks and no plugin downloads (plugins come from PATH: `make tools`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacks.localcluster import KWOK_BINARIES, cache_dir, find_binary

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REQUIRED = (
    "pulumi",
    "pulumi-language-python",
    "pulumi-resource-kubernetes",
    "kubectl",
    "kwokctl",
    "helm",
    *KWOK_BINARIES,
)


def missing_tools() -> list[str]:
    """Toolchain binaries not found (env.sh's PATH/KWOK_* first, then the cache's bin)."""
    env_of = dict(KWOK_BINARIES.items())
    return [name for name in REQUIRED if find_binary(name, env_of.get(name)) is None]


def toolchain_path() -> str:
    """PATH with the toolchain's bin directory first (when env.sh was not sourced)."""
    path = os.environ.get("PATH", "")
    bin_dir = str(cache_dir() / "bin")
    return path if bin_dir in path.split(os.pathsep) else os.pathsep.join([bin_dir, path])


@dataclass
class Run:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class PulumiStack:
    """One stack of this project on a private file backend."""

    name: str
    backend: Path
    passphrase: str = "stackyard-e2e"
    cwd: Path = PROJECT_ROOT
    """The Pulumi project directory (this project unless a test brings its own program)."""
    extra_env: dict[str, str] = field(default_factory=dict)
    timings: dict[str, list[float]] = field(default_factory=dict)
    transcript: list[str] = field(default_factory=list)
    """Everything every command printed, for the secrets check."""

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PATH=toolchain_path(),
            PULUMI_BACKEND_URL=f"file://{self.backend}",
            PULUMI_HOME=str(self.backend / "home"),
            PULUMI_CONFIG_PASSPHRASE=self.passphrase,
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK="true",
            PULUMI_COLOR="never",
        )
        env.update(self.extra_env)
        env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
        env.pop("PULUMI_ACCESS_TOKEN", None)
        return env

    def run(self, *args: str, check: bool = True, timeout: float = 900, label: str | None = None) -> Run:
        """``pulumi ARGS --non-interactive``; its duration is recorded under ``label`` (or ARGS[0])."""
        run = self._execute(self._pulumi(*args), self.cwd, timeout, check)
        self.timings.setdefault(label or args[0], []).append(run.seconds)
        return run

    def start(self, *args: str, log: Path) -> subprocess.Popen[bytes]:
        """``pulumi ARGS`` in the background, in a process group of its own, output to ``log``."""
        with log.open("wb") as handle:
            return subprocess.Popen(
                self._pulumi(*args),
                cwd=self.cwd,
                env=self.env(),
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stackyard(self, *args: str, check: bool = True) -> Run:
        """The ``stackyard`` CLI with this stack's Pulumi environment."""
        cmd = [str(PROJECT_ROOT / ".venv" / "bin" / "stackyard"), *args]
        return self._execute(cmd, PROJECT_ROOT, 1800, check)

    def _pulumi(self, *args: str) -> list[str]:
        return [shutil.which("pulumi", path=toolchain_path()) or "pulumi", *args, "--non-interactive"]

    def _execute(self, cmd: list[str], cwd: Path, timeout: float, check: bool) -> Run:
        start = time.monotonic()
        result = subprocess.run(
            cmd, cwd=cwd, env=self.env(), capture_output=True, text=True, timeout=timeout, check=False
        )
        run = Run(cmd, result.returncode, result.stdout, result.stderr, time.monotonic() - start)
        self.transcript.append(run.output)
        if check and run.returncode != 0:
            shown = " ".join([Path(cmd[0]).name, *cmd[1:]])
            raise AssertionError(
                f"`{shown}` failed (exit {run.returncode}) after {run.seconds:.0f}s:\n{_tail(run.output, 60)}"
            )
        return run

    def init(self) -> None:
        self.backend.mkdir(parents=True, exist_ok=True)
        (self.backend / "home").mkdir(exist_ok=True)
        self.run("stack", "select", "--create", self.name, label="init")

    def up(self, *extra: str, check: bool = True, label: str = "up") -> Run:
        return self.run(
            "up", "--yes", "--stack", self.name, "--skip-preview", *extra, check=check, label=label
        )

    def preview(self, *extra: str, check: bool = True, label: str = "preview") -> Run:
        return self.run("preview", "--stack", self.name, *extra, check=check, label=label)

    def preview_steps(self) -> list[dict[str, Any]]:
        """The steps of `pulumi preview --json` (op, urn, type, diffs)."""
        run = self.run("preview", "--stack", self.name, "--json", label="preview-json")
        data = json.loads(run.stdout)
        return list(data.get("steps") or [])

    def export(self) -> list[dict[str, Any]]:
        run = self.run("stack", "export", "--stack", self.name, label="export")
        return list(json.loads(run.stdout).get("deployment", {}).get("resources") or [])

    def outputs(self) -> dict[str, Any]:
        run = self.run("stack", "output", "--stack", self.name, "--json", label="output")
        return dict(json.loads(run.stdout))


def _tail(text: str, lines: int) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def kubectl(
    kubeconfig: Path, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 120
) -> str:
    binary = find_binary("kubectl", "KWOK_KUBECTL_BINARY") or "kubectl"
    result = subprocess.run(
        [binary, "--kubeconfig", str(kubeconfig), *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def kubectl_json(kubeconfig: Path, *args: str) -> Any:
    return json.loads(kubectl(kubeconfig, *args, "-o", "json"))


def wait_for(predicate: Any, timeout: float, what: str, interval: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


def custom_resources(state: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Resources of the state whose type is a Kubernetes custom resource (group with a dot)."""
    found = []
    for res in state:
        t = res.get("type", "")
        if not t.startswith("kubernetes:") or t.count(":") != 2:
            continue
        group = t.split(":")[1].split("/")[0]
        builtin = group.endswith(".k8s.io") and not group.endswith("x-k8s.io")
        if "." in group and not builtin and group != "helm.sh":
            found.append(res)
    return found
