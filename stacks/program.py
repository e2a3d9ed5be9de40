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
from components.monitoring import NAMESPACE as MONITORING_NS
from components.objectstore import NAMESPACE as OBJECT_STORE_NS
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

    def on(addon: str) -> bool:
        return addons.enabled_on(addon, name)

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
    # [addon:object_store] MinIO on-prem, S3 on AWS, GCS on GCP (components/objectstore.py)
    if on("object_store"):
        from components.objectstore import ObjectStore, ObjectStoreArgs

        store_settings = addons.object_store
        provider_cfg = build.cluster.provider
        backend: Any = store_settings.backend
        if backend == "auto":
            backend = {"onprem": "minio", "aws": "s3", "gcp": "gcs"}[provider_cfg.kind]
        build.addons["object_store"] = ObjectStore(
            f"{name}-objectstore",
            ObjectStoreArgs(
                context=context,
                settings=store_settings,
                backend=backend,
                platform=cfg.name,
                team_buckets={t.name: tuple(t.buckets) for t in cfg.teams_on(name) if t.buckets},
                team_namespaces={k: v.namespace for k, v in teams.items()},
                region=None if isinstance(provider_cfg, OnPremProvider) else provider_cfg.region,
                project=provider_cfg.project if isinstance(provider_cfg, GcpProvider) else None,
            ),
            opts=opts,
        )
    # [addon:knative] Knative Operator → Serving (Kourier) + Eventing, event sources (components/knative.py)
    if on("knative"):
        from components.knative import Knative, KnativeArgs

        build.addons["knative"] = Knative(
            f"{name}-knative", KnativeArgs(context=context, settings=addons.knative), opts=opts
        )
    # [addon:serving] KServe in Knative mode + ClusterServingRuntimes (components/serving.py)
    if on("serving"):
        from components.knative import Knative
        from components.serving import KServe, KServeArgs

        knative = build.addons["knative"]  # check_platform guarantees knative wherever serving is on
        assert isinstance(knative, Knative)
        build.addons["serving"] = KServe(
            f"{name}-serving",
            KServeArgs(context=context, settings=addons.serving, knative=knative),
            opts=pulumi.ResourceOptions(provider=build.provider, depends_on=[knative]),
        )
    # [addon:argo] Workflows + assembly line, Events, CD, Rollouts (components/argo.py)
    if on("argo"):
        from components.argo import Argo, ArgoArgs
        from components.objectstore import ObjectStore

        store = build.addons.get("object_store")
        artifacts = None
        store_buckets = addons.object_store.buckets
        if isinstance(store, ObjectStore) and store_buckets:
            artifacts = store.ref("artifacts" if "artifacts" in store_buckets else store_buckets[0])
        build.addons["argo"] = Argo(
            f"{name}-argo",
            ArgoArgs(
                context=context,
                settings=addons.argo,
                artifacts=artifacts,
                serving=on("serving"),
                team_namespaces={k: v.namespace for k, v in teams.items()},
                serving_settings=addons.serving,
            ),
            opts=pulumi.ResourceOptions(provider=build.provider, depends_on=[store] if store else []),
        )
    # [addon:logging] ECK: Elasticsearch, Kibana, Filebeat/Logstash, ILM retention (components/elk.py)
    if on("logging"):
        from components.elk import Elk, ElkArgs

        build.addons["logging"] = Elk(
            f"{name}-logging", ElkArgs(context=context, settings=addons.logging), opts=opts
        )
    # [addon:monitoring] kube-prometheus-stack, ServiceMonitors, alert rules, DCGM (components/monitoring.py)
    if on("monitoring"):
        from components.monitoring import Monitoring, MonitoringArgs

        build.addons["monitoring"] = Monitoring(
            f"{name}-monitoring",
            MonitoringArgs(
                context=context,
                settings=addons.monitoring,
                gpu_metrics=cfg.gpu_metrics_on(build.cluster),
                scrape_targets=scrape_targets(cfg, build),
            ),
            opts=opts,
        )
    # [addon:workbench] JupyterHub with CPU/GPU profiles (components/workbench.py)
    if on("workbench"):
        from components.workbench import Workbench, WorkbenchArgs

        auth = addons.workbench.auth
        client_secret = None
        if auth.kind != "native":
            if auth.client_secret_key is None:
                raise ValueError(f"addons.workbench.auth: {auth.kind} needs client_secret_key")
            client_secret = pulumi.Config("stackyard").require_secret(auth.client_secret_key)
        build.addons["workbench"] = Workbench(
            f"{name}-workbench",
            WorkbenchArgs(context=context, settings=addons.workbench, client_secret=client_secret),
            opts=opts,
        )


def scrape_targets(cfg: PlatformConfig, build: ClusterBuild) -> dict[str, str]:
    """Enabled add-on → the namespace its metrics come from, for the monitoring ServiceMonitors."""
    from components import argo, elk, knative, serving, workbench

    def on(addon: str) -> bool:
        return cfg.addons.enabled_on(addon, build.cluster.name)

    targets: dict[str, str] = {}
    backend = cfg.addons.object_store.backend
    if on("object_store") and (backend == "minio" or (backend == "auto" and build.cluster.kind == "onprem")):
        targets["object_store"] = OBJECT_STORE_NAMESPACE
    if on("knative"):
        targets["knative"] = knative.SERVING_NAMESPACE
    if on("serving"):
        targets["serving"] = serving.NAMESPACE
    if on("argo"):
        targets["argo"] = argo.WORKFLOWS_NAMESPACE
    if on("logging"):
        targets["logging"] = elk.NAMESPACE
    if on("workbench"):
        targets["workbench"] = workbench.NAMESPACE
    return dict(sorted(targets.items()))


OBJECT_STORE_NAMESPACE = OBJECT_STORE_NS  # defined once, in components/objectstore.py
MONITORING_NAMESPACE = MONITORING_NS  # defined once, in components/monitoring.py
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
    """Karmada on the host, every member registered, team work placed by the cost ranking."""
    from components.federation import Federation, FederationArgs, MemberSpec
    from stacks.cost import burst_ranking

    fed = cfg.federation
    assert fed is not None
    by_name = {b.cluster.name: b for b in builds}
    host = by_name[fed.host]
    members = []
    for member in fed.members:
        build = by_name[member.cluster]
        provider_cfg = build.cluster.provider
        members.append(
            MemberSpec(
                cluster=member.cluster,
                mode="pull" if cfg.member_mode(member) == "pull" else "push",
                kind=provider_cfg.kind,
                kubeconfig=build.kubeconfig,
                gpu_pools=tuple(build.context.gpu_placements()),
                storage_class=build.context.storage_class,
                region=None if isinstance(provider_cfg, OnPremProvider) else provider_cfg.region,
            )
        )
    namespaces = fed.namespaces if fed.namespaces is not None else [t.name for t in cfg.teams]
    # The Karmada API server's kubeconfig, stored after the first `up` (see components/federation.py).
    control_plane = pulumi.Config("stackyard").get_secret("karmadaKubeconfig")
    host.addons["federation"] = Federation(
        f"{fed.host}-federation",
        FederationArgs(
            host=fed.host,
            members=members,
            policy=fed.policy,
            namespaces=sorted(namespaces),
            mirror=host.context.mirror,
            multikueue=fed.multikueue,
            ranking=burst_ranking(cfg),
            providers={m.cluster: by_name[m.cluster].provider for m in fed.members},
            control_plane_kubeconfig=control_plane,
            host_storage_class=host.context.storage_class,
        ),
        opts=pulumi.ResourceOptions(provider=host.provider),
    )
