"""Offline synthesis: run the platform program under Pulumi mocks and write what it declares.

No engine, no cloud credentials, no network. Writes ``inventory.json`` (one object per resource,
secrets shown as ``"[secret]"``) and ``manifests/<cluster>/*.yaml`` (every Kubernetes object the
program declares). The same config gives byte-identical output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.sync_await import _ensure_event_loop

from stacks.config import PlatformConfig

SECRET = "[secret]"
DYNAMIC = "pulumi-python:dynamic:Resource"
PROJECT = "stackyard"
K8S_PROVIDER = "pulumi:providers:kubernetes"
# Kubernetes types that are not whole objects: components rendered by the provider, and patches.
NOT_OBJECTS = re.compile(r"^kubernetes:(helm\.sh/|yaml/|kustomize/)|Patch$|^kubernetes:.*List$")


@dataclass
class Declared:
    urn: str
    type: str
    name: str
    parent_urn: str
    provider: str
    custom: bool
    inputs: dict[str, Any]
    protect: bool = False
    retain_on_delete: bool = False
    dependencies: frozenset[str] = frozenset()


@dataclass
class Synthesis:
    resources: list[Declared] = field(default_factory=list)

    def by_type(self, type_: str) -> list[Declared]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str) -> Declared:
        return next(r for r in self.resources if r.type == type_ and r.name == name)

    def k8s_objects(self) -> list[tuple[str, dict[str, Any]]]:
        """(cluster, object) for every whole Kubernetes object declared, secrets redacted."""
        clusters = {r.urn: r.name.removesuffix("-k8s") for r in self.resources if r.type == K8S_PROVIDER}
        out = []
        for r in self.resources:
            if not r.type.startswith("kubernetes:") or NOT_OBJECTS.search(r.type):
                continue
            if "kind" not in r.inputs:
                continue
            cluster = clusters.get(r.provider.rsplit("::", 1)[0], "_unknown")
            obj = redact(r.inputs)
            obj.setdefault("metadata", {})
            obj["metadata"].setdefault("name", r.name)
            out.append((cluster, obj))
        return out


def redact(value: Any) -> Any:
    """Replace every secret with "[secret]" (inputs keep Pulumi's secret markers).

    A dynamic resource's serialized provider code is left out: it is code, not configuration.
    """
    if rpc.is_rpc_secret(value):
        return SECRET
    if isinstance(value, Mapping):
        return {str(k): redact(v) for k, v in value.items() if k != "__provider"}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, pulumi.Resource):
        return "[resource]"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _type_of(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1]


def _parent_type(parent_urn: str) -> str | None:
    if not parent_urn or _type_of(parent_urn) == "pulumi:pulumi:Stack":
        return None
    return _type_of(parent_urn)


class _Mocks(pulumi_mocks.Mocks):
    """Deterministic fake outputs for the few resources whose outputs the program reads."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ == DYNAMIC:
            state.pop("__provider", None)
            state["result"] = rpc.wrap_rpc_secret(f"synth-{args.name}")
        elif args.typ == "aws:eks/cluster:Cluster":
            state.update(
                endpoint=f"https://{args.name}.eks.example.invalid",
                arn=f"arn:aws:eks:synth:000000000000:cluster/{args.name}",
                certificateAuthority={"data": "c3ludGg="},
                identities=[{"oidcs": [{"issuer": f"https://oidc.eks.example.invalid/id/{args.name}"}]}],
            )
        elif args.typ == "gcp:container/cluster:Cluster":
            state.update(
                endpoint="10.0.0.2", masterAuth={"clusterCaCertificate": "c3ludGg="}, selfLink=args.name
            )
        elif args.typ.endswith(":Role") and args.typ.startswith("aws:iam"):
            state["arn"] = f"arn:aws:iam::000000000000:role/{args.name}"
        state.setdefault("arn", f"arn:synth:{args.name}")
        return f"{args.name}-id", state

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        raise RuntimeError(
            f"the program called {args.token}: Stackyard programs make no live reads at synthesis time"
        )


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi_mocks.Mocks, sink: Synthesis) -> None:
        super().__init__(mocks)
        self._sink = sink

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]  # untyped in the SDK
        if request.type != "pulumi:pulumi:Stack":
            _ensure_event_loop()  # type: ignore[no-untyped-call]  # untyped in the SDK
            inputs = rpc.deserialize_properties(request.object)
            self._sink.resources.append(
                Declared(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent_urn=request.parent,
                    provider=request.provider,
                    custom=bool(request.custom),
                    inputs=dict(inputs),
                    protect=bool(request.protect),
                    retain_on_delete=bool(request.retainOnDelete),
                    dependencies=frozenset(
                        {*request.dependencies}
                        | {urn for group in request.propertyDependencies.values() for urn in group.urns}
                    ),
                )
            )
        return response


def run_program(program: Callable[[], object], stack: str = "synth") -> Synthesis:
    """Run any Pulumi program under the synthesis mocks; return every resource it declares."""
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    result = Synthesis()
    mocks = _Mocks()
    pulumi_mocks.set_mocks(
        mocks, project=PROJECT, stack=stack, preview=False, monitor=_RecordingMonitor(mocks, result)
    )

    def run() -> None:
        program()

    _sync_await(run_pulumi_func(run))
    result.resources.sort(key=lambda r: r.urn)
    return result


def synthesize(cfg: PlatformConfig, stack: str = "synth") -> Synthesis:
    """Run the platform program under mocks and return every resource it declares."""
    from stacks.program import build_platform

    return run_program(lambda: build_platform(cfg), stack)


def inventory(result: Synthesis) -> list[dict[str, Any]]:
    return [
        {
            "type": r.type,
            "name": r.name,
            "parent": _parent_type(r.parent_urn),
            "inputs": redact(r.inputs),
        }
        for r in result.resources
    ]


def _file_name(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata", {})
    parts = [str(obj["kind"]).lower(), meta.get("namespace") or "_cluster", str(meta.get("name"))]
    return "_".join(re.sub(r"[^a-z0-9.-]", "-", p.lower()) for p in parts) + ".yaml"


def dump_yaml(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=True, default_flow_style=False, allow_unicode=True)


def write_output(result: Synthesis, out: Path) -> dict[str, int]:
    """Write inventory.json and manifests/; return counts. Stale files from earlier runs are removed."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "inventory.json").write_text(json.dumps(inventory(result), indent=2, sort_keys=True) + "\n")
    manifests = out / "manifests"
    if manifests.exists():
        for old in sorted(manifests.rglob("*.yaml")):
            old.unlink()
    count = 0
    for cluster, obj in result.k8s_objects():
        target = manifests / cluster / _file_name(obj)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump_yaml(obj))
        count += 1
    return {"resources": len(result.resources), "manifests": count}
