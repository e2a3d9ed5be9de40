"""The Pulumi program: compose the whole platform from a validated PlatformConfig.

For each cluster: its cluster component → its kubeconfig → a ``kubernetes.Provider`` → GPU
support → team tenancy → add-ons on that provider; then federation across clusters. Every
component gets plain typed args and the provider through its options; nothing here talks to a
network or a cloud API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.base import ClusterContext, Mirror
from components.settings import AwsProvider, Cluster, GcpProvider, OnPremProvider
from stacks.config import PlatformConfig


@dataclass
class ClusterBuild:
    """What the program made for one cluster, for later steps (federation, outputs)."""

    cluster: Cluster
    context: ClusterContext
    component: pulumi.ComponentResource
    kubeconfig: pulumi.Output[str]
    provider: k8s.Provider
    addons: dict[str, pulumi.ComponentResource] = field(default_factory=dict)


def mirror_of(cfg: PlatformConfig) -> Mirror:
    source = cfg.airgap.chart_source
    return Mirror(
        image_registry=cfg.airgap.image_registry,
        chart_kind=source.kind if source else None,
        chart_url=source.url if source else None,
    )


def context_of(cfg: PlatformConfig, cluster: Cluster) -> ClusterContext:
    storage_class = cluster.provider.storage_class if isinstance(cluster.provider, OnPremProvider) else None
    return ClusterContext(
        name=cluster.name,
        kind=cluster.provider.kind,
        placements=tuple(cluster.placements()),
        mirror=mirror_of(cfg),
        storage_class=storage_class,
        delete_data_on_destroy=cfg.data.delete_on_destroy,
    )


def build_cluster(cfg: PlatformConfig, cluster: Cluster) -> ClusterBuild:
    """The cluster component (and its node pools), and a Kubernetes provider for it."""
    context = context_of(cfg, cluster)
    provider_cfg = cluster.provider
    component: Any
    if isinstance(provider_cfg, OnPremProvider):
        from components.onprem import OnPremCluster, OnPremClusterArgs

        component = OnPremCluster(
            cluster.name,
            OnPremClusterArgs(context=context, provider=provider_cfg, node_pools=tuple(cluster.node_pools)),
        )
    elif isinstance(provider_cfg, AwsProvider):
        from components.eks import EksCluster, EksClusterArgs

        component = EksCluster(
            cluster.name,
            EksClusterArgs(
                context=context,
                provider=provider_cfg,
                node_pools=tuple(cluster.node_pools),
                platform=cfg.name,
            ),
        )
    else:
        assert isinstance(provider_cfg, GcpProvider)
        from components.gke import GkeCluster, GkeClusterArgs

        component = GkeCluster(
            cluster.name,
            GkeClusterArgs(
                context=context,
                provider=provider_cfg,
                node_pools=tuple(cluster.node_pools),
                platform=cfg.name,
            ),
        )
    kubeconfig: pulumi.Output[str] = component.kubeconfig
    provider = k8s.Provider(
        f"{cluster.name}-k8s",
        kubeconfig=kubeconfig,
        context=getattr(component, "context_name", None),
        # Server-side apply keeps field ownership exact, so a second `up` is a no-op.
        enable_server_side_apply=True,
        opts=pulumi.ResourceOptions(parent=component),
    )
    return ClusterBuild(cluster, context, component, kubeconfig, provider)


def install_addons(cfg: PlatformConfig, build: ClusterBuild) -> None:
    """GPU support, tenancy and every enabled add-on on one cluster, in dependency order."""
    name = build.cluster.name
    addons = cfg.addons
    on = lambda addon: addons.enabled_on(addon, name)  # noqa: E731
    opts = pulumi.ResourceOptions(provider=build.provider)
    context = build.context

    if isinstance(build.cluster.provider, OnPremProvider) and any(p.nodes for p in build.cluster.node_pools):
        from components.onprem import OnPremNodePools, OnPremNodePoolsArgs

        build.addons["nodes"] = OnPremNodePools(
            f"{name}-nodes",
            OnPremNodePoolsArgs(cluster=name, node_pools=tuple(build.cluster.node_pools)),
            opts=opts,
        )

    # --- GPU support (on-prem GPU Operator; managed drivers on EKS/GKE) ---
    if isinstance(build.cluster.provider, OnPremProvider) and build.cluster.gpu_pools():
        from components.gpu import GpuOperator, GpuOperatorArgs

        build.addons["gpu"] = GpuOperator(
            f"{name}-gpu",
            GpuOperatorArgs(
                context=context,
                pools=tuple(build.cluster.gpu_pools()),
                install_driver=build.cluster.provider.gpu_driver,
                dcgm_exporter=cfg.gpu_metrics_on(build.cluster) and on("monitoring"),
            ),
            opts=opts,
        )

    # --- Team tenancy: namespaces first, every team-scoped object lands in them ---
    from components.tenancy import Team, TeamArgs

    teams = {
        team.name: Team(
            f"{name}-{team.name}",
            TeamArgs(
                context=context,
                team=team,
                object_store_namespace=OBJECT_STORE_NAMESPACE if on("object_store") else None,
                ingress_namespaces=KNATIVE_INGRESS_NAMESPACES if on("knative") else (),
                monitoring_namespace=MONITORING_NAMESPACE if on("monitoring") else None,
            ),
            opts=opts,
        )
        for team in cfg.teams_on(name)
    }
    build.addons.update({f"team-{k}": v for k, v in teams.items()})

    # --- Add-ons, in dependency order. Each block belongs to one component family. ---
    # [addon:object_store]
    # [addon:knative]
    # [addon:serving]
    # [addon:argo]
    # [addon:logging]
    # [addon:monitoring]
    # [addon:workbench]


OBJECT_STORE_NAMESPACE = "stackyard-objectstore"
MONITORING_NAMESPACE = "stackyard-monitoring"
KNATIVE_INGRESS_NAMESPACES = ("knative-serving", "kourier-system")


def build_platform(cfg: PlatformConfig) -> list[ClusterBuild]:
    builds = [build_cluster(cfg, cluster) for cluster in cfg.clusters]
    for build in builds:
        install_addons(cfg, build)
    if cfg.federation is not None:
        install_federation(cfg, builds)
    for build in builds:
        pulumi.export(f"{build.cluster.name}.kind", build.cluster.provider.kind)
        pulumi.export(f"{build.cluster.name}.kubeconfig", pulumi.Output.secret(build.kubeconfig))
    return builds


def install_federation(cfg: PlatformConfig, builds: list[ClusterBuild]) -> None:
    # [federation: Karmada control plane on the host, members, policies; see components/federation.py]
    pass
