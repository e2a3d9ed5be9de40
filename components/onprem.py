"""An existing on-prem cluster, reached by kubeconfig, whose GPU nodes Stackyard labels and taints.

Nothing is created outside the cluster. For each node pool that names its nodes, the pool's
labels (pool name, accelerator, GPU count) and taints are applied to those nodes with
server-side apply patches, so removing the pool from the config removes exactly those fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

from components.base import ClusterContext
from components.settings import NodePool, OnPremProvider


@dataclass(frozen=True)
class OnPremClusterArgs:
    context: ClusterContext
    provider: OnPremProvider
    node_pools: tuple[NodePool, ...] = ()


class OnPremCluster(pulumi.ComponentResource):
    """An existing cluster; exposes its kubeconfig (as a secret) for the platform's provider."""

    kubeconfig: pulumi.Output[str]
    """The kubeconfig path given in the config, or "" for the provider's default (secret:
    kubeconfigs carry credentials). A relative path is made absolute against the project root
    (where Pulumi.yaml is): the program and the provider plugin each run in other directories."""
    context_name: str | None
    """The kubeconfig context to use, or None for the current one."""

    def __init__(
        self, name: str, args: OnPremClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("stackyard:cluster:OnPremCluster", name, None, opts)
        self.kubeconfig = pulumi.Output.secret(_absolute(args.provider.kubeconfig or ""))
        self.context_name = args.provider.context
        self.register_outputs({"kubeconfig": self.kubeconfig})


def _absolute(kubeconfig: str) -> str:
    """A relative kubeconfig path made absolute against the project root (the working directory
    when no engine says, as under mocks); "" and ~-paths as given (the provider expands ~)."""
    if not kubeconfig or kubeconfig.startswith("~") or Path(kubeconfig).is_absolute():
        return kubeconfig
    root = pulumi.get_root_directory() or str(Path.cwd())
    return str(Path(root) / kubeconfig)


@dataclass(frozen=True)
class OnPremNodePoolsArgs:
    cluster: str
    node_pools: tuple[NodePool, ...]


class OnPremNodePools(pulumi.ComponentResource):
    """Labels and taints of the on-prem pools' existing nodes (one source of truth for GPU placement)."""

    nodes: pulumi.Output[list[str]]
    """The nodes patched."""

    def __init__(
        self, name: str, args: OnPremNodePoolsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("stackyard:cluster:OnPremNodePools", name, None, opts)
        patched = []
        for pool in args.node_pools:
            placement = pool.placement(args.cluster)
            for node in pool.nodes or []:
                k8s.core.v1.NodePatch(
                    f"{name}-{pool.name}-{node}",
                    metadata=k8s.meta.v1.ObjectMetaPatchArgs(
                        name=node,
                        labels=dict(placement.labels),
                        # The node belongs to kubelet and the installer; force only our own fields.
                        annotations={"pulumi.com/patchForce": "true"},
                    ),
                    spec=k8s.core.v1.NodeSpecPatchArgs(
                        taints=[
                            k8s.core.v1.TaintPatchArgs(key=t.key, value=t.value, effect=t.effect)
                            for t in placement.taints
                        ]
                    ),
                    opts=pulumi.ResourceOptions(parent=self),
                )
                patched.append(node)
        self.nodes = pulumi.Output.from_input(sorted(patched))
        self.register_outputs({"nodes": self.nodes})
