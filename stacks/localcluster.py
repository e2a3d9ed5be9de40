"""A local cluster for a stack: kind when a Docker engine answers, else kwok with our own binaries.

``stackyard cluster up --stack ENV`` reads ``stacks/Pulumi.ENV.yaml``, takes its first on-prem
cluster and makes a Kubernetes API for it:

- **kwok** (no Docker): ``kwokctl create cluster --runtime binary`` with the toolchain's
  kube-apiserver, kube-controller-manager, kube-scheduler, etcd and kwok controller (from
  ``KWOK_*_BINARY``, set by ``make tools``' env.sh, else ``$STACKYARD_CACHE/bin``). Every binary is
  passed explicitly and kwokctl runs behind a dead HTTP(S) proxy, so nothing can be downloaded: a
  missing binary fails instead of fetching one.
- **kind** (Docker answers): ``kind create cluster``.

The kubeconfig goes where the stack's ``provider.kubeconfig`` says (relative to the project root).
Then one fake Node per name in each pool's ``nodes`` list: kwok-managed (annotation
``kwok.x-k8s.io/node: fake``), 16 CPUs, 64Gi, 110 pods, and ``nvidia.com/gpu`` for GPU pools. The
pools' labels and taints are *not* put on the nodes: Stackyard's ``OnPremNodePools`` applies them
during ``pulumi up``, the same path as on a real cluster. ``up`` on a healthy cluster only creates
missing nodes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from components.settings import OnPremProvider
from stacks.config import PlatformConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"
NODE_CPU = "16"
NODE_MEMORY = "64Gi"
NODE_PODS = "110"
FIELD_MANAGER = "stackyard-cluster"
# Any download attempt goes to this proxy and fails (local API traffic is exempt via NO_PROXY).
DEAD_PROXY = "http://127.0.0.1:9"

Runtime = Literal["kwok", "kind"]

# binary -> environment variable naming it (tools/build.sh writes these into env.sh)
KWOK_BINARIES: Mapping[str, str] = {
    "kube-apiserver": "KWOK_KUBE_APISERVER_BINARY",
    "kube-controller-manager": "KWOK_KUBE_CONTROLLER_MANAGER_BINARY",
    "kube-scheduler": "KWOK_KUBE_SCHEDULER_BINARY",
    "kwok": "KWOK_KWOK_CONTROLLER_BINARY",
    "etcd": "KWOK_ETCD_BINARY",
}


class LocalClusterError(RuntimeError):
    """The local cluster cannot be made or reached; the message says what to do."""


@dataclass(frozen=True)
class FakeNode:
    name: str
    pool: str
    gpus: int = 0


@dataclass(frozen=True)
class LocalCluster:
    """What ``cluster up`` makes for one stack."""

    stack: str
    cluster: str
    """The platform's cluster name (from the config)."""
    name: str
    """The kwok/kind cluster name."""
    kubeconfig: Path
    nodes: tuple[FakeNode, ...]


def cache_dir() -> Path:
    return Path(os.environ.get("STACKYARD_CACHE") or Path.home() / ".cache" / "stackyard")


def cluster_name(stack: str) -> str:
    """A DNS-label cluster name for a stack: ``stackyard-<stack>``."""
    slug = re.sub(r"[^a-z0-9-]+", "-", stack.lower()).strip("-") or "stack"
    return f"stackyard-{slug}"[:50].rstrip("-")


def plan(cfg: PlatformConfig, stack: str, root: Path = PROJECT_ROOT) -> LocalCluster:
    """The local cluster of a stack: its first on-prem cluster, kubeconfig path and named nodes."""
    onprem = [c for c in cfg.clusters if isinstance(c.provider, OnPremProvider)]
    if not onprem:
        raise LocalClusterError(f"stack {stack!r} has no on-prem cluster: a local cluster stands in for one")
    cluster = onprem[0]
    provider = cluster.provider
    assert isinstance(provider, OnPremProvider)
    if not provider.kubeconfig:
        raise LocalClusterError(
            f"stack {stack!r}: clusters[{cfg.clusters.index(cluster)}].provider.kubeconfig is not set; "
            "name the file `stackyard cluster up` should write (e.g. .stackyard/kubeconfig)"
        )
    kubeconfig = Path(provider.kubeconfig)
    if not kubeconfig.is_absolute():
        kubeconfig = root / kubeconfig
    nodes = [
        FakeNode(node, pool.name, pool.gpu.count if pool.gpu else 0)
        for pool in cluster.node_pools
        for node in pool.nodes or []
    ]
    return LocalCluster(stack, cluster.name, cluster_name(stack), kubeconfig, tuple(nodes))


def node_manifest(node: FakeNode) -> dict[str, Any]:
    """A kwok-managed Node: capacity only; pool labels and taints come from ``pulumi up``."""
    capacity = {"cpu": NODE_CPU, "memory": NODE_MEMORY, "pods": NODE_PODS}
    if node.gpus:
        capacity["nvidia.com/gpu"] = str(node.gpus)
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": node.name,
            "annotations": {KWOK_NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "type": "kwok",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": node.name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/role": "agent",
                "node-role.kubernetes.io/agent": "",
            },
        },
        "spec": {},
        "status": {
            "allocatable": dict(capacity),
            "capacity": dict(capacity),
        },
    }


# ------------------------------------------------------------------------------------- binaries --


def find_binary(name: str, env_var: str | None = None) -> str | None:
    """$<env_var>, else PATH, else the toolchain cache's bin directory."""
    if env_var and os.environ.get(env_var) and os.access(os.environ[env_var], os.X_OK):
        return os.environ[env_var]
    found = shutil.which(name)
    if found:
        return found
    cached = cache_dir() / "bin" / name
    return str(cached) if os.access(cached, os.X_OK) else None


def _missing(what: Sequence[str]) -> LocalClusterError:
    return LocalClusterError(
        f"missing {', '.join(what)}: run `make tools` (builds the toolchain offline), then "
        f"`source {cache_dir() / 'env.sh'}`"
    )


def kwok_binaries() -> dict[str, str]:
    wanted = {"kwokctl": "", "kubectl": "KWOK_KUBECTL_BINARY", **KWOK_BINARIES}
    found = {name: find_binary(name, var or None) for name, var in wanted.items()}
    missing = sorted(name for name, path in found.items() if path is None)
    if missing:
        raise _missing(missing)
    return {name: str(path) for name, path in found.items()}


def docker_works() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        result = subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def detect_runtime() -> Runtime:
    return "kind" if docker_works() else "kwok"


def _offline_env() -> dict[str, str]:
    env = dict(os.environ)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env[var] = DEAD_PROXY
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost,::1"
    return env


def _run(
    args: Sequence[str],
    *,
    timeout: float = 300,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            list(args),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=dict(env) if env is not None else None,
            input=stdin,
        )
    except subprocess.TimeoutExpired as exc:
        raise LocalClusterError(f"`{' '.join(args[:4])} ...` did not finish within {timeout:.0f}s") from exc
    except OSError as exc:
        raise LocalClusterError(f"cannot run {args[0]}: {exc}") from exc


def _check(result: subprocess.CompletedProcess[str], what: str) -> str:
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise LocalClusterError(f"{what} failed (exit {result.returncode}):\n{tail}")
    return result.stdout


# --------------------------------------------------------------------------------------- kubectl --


def kubectl(
    lc: LocalCluster, *args: str, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    binary = find_binary("kubectl", "KWOK_KUBECTL_BINARY")
    if binary is None:
        raise _missing(["kubectl"])
    return _run([binary, "--kubeconfig", str(lc.kubeconfig), *args], stdin=stdin, timeout=timeout)


def api_answers(lc: LocalCluster) -> bool:
    if not lc.kubeconfig.is_file():
        return False
    try:
        return kubectl(lc, "get", "--raw", "/readyz", "--request-timeout=5s", timeout=15).returncode == 0
    except LocalClusterError:
        return False


def existing_nodes(lc: LocalCluster) -> dict[str, dict[str, Any]]:
    out = _check(kubectl(lc, "get", "nodes", "-o", "json"), "kubectl get nodes")
    return {item["metadata"]["name"]: item for item in json.loads(out)["items"]}


def ensure_nodes(lc: LocalCluster) -> list[str]:
    """Create the nodes that are missing; returns the names created."""
    have = existing_nodes(lc)
    missing = [n for n in lc.nodes if n.name not in have]
    if missing:
        docs = {"apiVersion": "v1", "kind": "List", "items": [node_manifest(n) for n in missing]}
        _check(kubectl(lc, "create", "-f", "-", stdin=json.dumps(docs)), "creating the fake nodes")
    return [n.name for n in missing]


# ------------------------------------------------------------------------------------- lifecycle --


def kwok_clusters() -> list[str]:
    binary = find_binary("kwokctl")
    if binary is None:
        return []
    result = _run([binary, "get", "clusters"], timeout=30)
    return result.stdout.split() if result.returncode == 0 else []


def _write_kubeconfig(lc: LocalCluster, text: str) -> None:
    lc.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=lc.kubeconfig.parent, prefix=".kubeconfig-")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, lc.kubeconfig)


def _kwok_up(lc: LocalCluster) -> None:
    bins = kwok_binaries()
    env = _offline_env()
    if lc.name not in kwok_clusters():
        args = [
            bins["kwokctl"],
            "create",
            "cluster",
            "--name",
            lc.name,
            "--runtime",
            "binary",
            "--kube-apiserver-binary",
            bins["kube-apiserver"],
            "--kube-controller-manager-binary",
            bins["kube-controller-manager"],
            "--kube-scheduler-binary",
            bins["kube-scheduler"],
            "--kwok-controller-binary",
            bins["kwok"],
            "--etcd-binary",
            bins["etcd"],
            # Never merge into ~/.kube/config: the stack's own kubeconfig is written below.
            "--kubeconfig",
            "",
            "--wait",
            "120s",
        ]
        # kwokctl reads KWOK_KUBE_VERSION (set by the toolchain's env.sh) itself.
        _check(_run(args, env=env, timeout=300), f"kwokctl create cluster --name {lc.name}")
    text = _check(
        _run([bins["kwokctl"], "get", "kubeconfig", "--name", lc.name], env=env, timeout=30),
        "kwokctl get kubeconfig",
    )
    _write_kubeconfig(lc, text)


def _kind_up(lc: LocalCluster) -> None:
    binary = shutil.which("kind")
    if binary is None:
        raise LocalClusterError(
            "a Docker engine answers but `kind` is not on PATH: install kind, or stop Docker to use kwok"
        )
    result = _run([binary, "get", "clusters"], timeout=30)
    if lc.stack not in result.stdout.split():
        _check(
            _run([binary, "create", "cluster", "--name", lc.stack, "--wait", "120s"], timeout=600),
            f"kind create cluster --name {lc.stack}",
        )
    text = _check(_run([binary, "get", "kubeconfig", "--name", lc.stack], timeout=30), "kind get kubeconfig")
    _write_kubeconfig(lc, text)


def up(lc: LocalCluster, runtime: Runtime | None = None) -> list[str]:
    """Make the cluster (if needed) and its nodes; returns what was done, one line each."""
    done: list[str] = []
    runtime = runtime or detect_runtime()
    if not api_answers(lc):
        if runtime == "kind":
            _kind_up(lc)
        else:
            _kwok_up(lc)
        done.append(f"{runtime} cluster {lc.name} is up; kubeconfig: {lc.kubeconfig}")
    for _ in range(30):
        if api_answers(lc):
            break
        time.sleep(1)
    else:
        raise LocalClusterError(f"cluster {lc.name}: the API server does not answer ({lc.kubeconfig})")
    created = ensure_nodes(lc)
    if created:
        done.append(f"created node(s): {', '.join(created)}")
    return done


def down(lc: LocalCluster) -> list[str]:
    done = []
    if lc.name in kwok_clusters():
        binary = find_binary("kwokctl")
        assert binary is not None
        _check(
            _run([binary, "delete", "cluster", "--name", lc.name], timeout=120),
            f"kwokctl delete cluster --name {lc.name}",
        )
        done.append(f"deleted kwok cluster {lc.name}")
    kind = shutil.which("kind")
    if kind and docker_works() and lc.stack in _run([kind, "get", "clusters"], timeout=30).stdout.split():
        _check(_run([kind, "delete", "cluster", "--name", lc.stack], timeout=300), "kind delete cluster")
        done.append(f"deleted kind cluster {lc.stack}")
    if lc.kubeconfig.is_file():
        lc.kubeconfig.unlink()
        done.append(f"removed {lc.kubeconfig}")
    return done or [f"no local cluster for stack {lc.stack}"]


def status(lc: LocalCluster) -> tuple[bool, list[str]]:
    """(API answers, one line per node: name, ready, pool label, taints, GPUs)."""
    if not api_answers(lc):
        return False, []
    lines = []
    for name, node in sorted(existing_nodes(lc).items()):
        labels = node["metadata"].get("labels", {})
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in node.get("status", {}).get("conditions", [])
        )
        taints = ",".join(
            f"{t['key']}={t.get('value', '')}:{t['effect']}" for t in node["spec"].get("taints", [])
        )
        gpus = node.get("status", {}).get("allocatable", {}).get("nvidia.com/gpu", "0")
        lines.append(
            f"{name:<12} {'Ready' if ready else 'NotReady':<9} "
            f"pool={labels.get('stackyard.io/node-pool', '-'):<6}"
            f" gpus={gpus:<3} taints={taints or '-'}"
        )
    return True, lines
