"""The typed platform config: one file per environment describes clusters, add-ons, teams, federation.

Read from the structured stack config key ``stackyard:platform``. Every model forbids unknown keys
(with a "did you mean" hint); rules that span fields live in :func:`check_platform`, which reports
each problem with its exact field path. This module knows nothing of Pulumi.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import (
    Field,
)

from components.catalog import load_catalogue
from components.settings import (
    AddonSettings,
    ArgoAddon,
    AwsProvider,
    Cluster,
    Federation,
    FederationMember,
    GcpProvider,
    KnativeAddon,
    LoggingAddon,
    MonitoringAddon,
    ObjectStoreAddon,
    OnPremProvider,
    ResourceName,
    ServingAddon,
    StrictModel,
    Team,
    WorkbenchAddon,
)

RESERVED_NAMESPACES = frozenset(
    {"default", "kube-system", "kube-public", "kube-node-lease", "karmada-system"}
)
MIG_CAPABLE = frozenset({"nvidia-a100-40gb", "nvidia-a100-80gb", "nvidia-h100", "nvidia-h200"})


class Addons(StrictModel):
    knative: KnativeAddon = Field(default_factory=KnativeAddon)
    object_store: ObjectStoreAddon = Field(default_factory=ObjectStoreAddon)
    logging: LoggingAddon = Field(default_factory=LoggingAddon)
    monitoring: MonitoringAddon = Field(default_factory=MonitoringAddon)
    argo: ArgoAddon = Field(default_factory=ArgoAddon)
    serving: ServingAddon = Field(default_factory=ServingAddon)
    workbench: WorkbenchAddon = Field(default_factory=WorkbenchAddon)

    def items(self) -> Iterator[tuple[str, AddonSettings]]:
        for name in type(self).model_fields:
            yield name, getattr(self, name)

    def enabled_on(self, name: str, cluster: str) -> bool:
        addon: AddonSettings = getattr(self, name)
        return addon.enabled and (addon.clusters is None or cluster in addon.clusters)


# ---------------------------------------------------------------------------------------------
# Teams, federation, air gap
# ---------------------------------------------------------------------------------------------


class ChartSource(StrictModel):
    kind: Literal["oci", "http", "directory"]
    url: str = Field(min_length=1, description="oci://host/path, https://host/path or a directory.")


class Airgap(StrictModel):
    image_registry: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._/-]+)?$",
        description="Mirror that replaces every image registry, e.g. registry.corp:5000/mirror.",
    )
    chart_source: ChartSource | None = None


class DataPolicy(StrictModel):
    delete_on_destroy: bool = Field(
        default=False,
        description="Allow `pulumi destroy` to delete data volumes. Off: they are retained.",
    )


class PlatformConfig(StrictModel):
    """The whole platform of one environment."""

    name: ResourceName = "stackyard"
    clusters: list[Cluster] = Field(min_length=1)
    addons: Addons = Field(default_factory=Addons)
    teams: list[Team] = Field(default_factory=list)
    federation: Federation | None = None
    airgap: Airgap = Field(default_factory=Airgap)
    data: DataPolicy = Field(default_factory=DataPolicy)

    def cluster(self, name: str) -> Cluster:
        return next(c for c in self.clusters if c.name == name)

    def teams_on(self, cluster: str) -> list[Team]:
        return [t for t in self.teams if t.clusters is None or cluster in t.clusters]

    def member_mode(self, member: FederationMember) -> str:
        if member.mode is not None:
            return member.mode
        return "pull" if self.cluster(member.cluster).kind == "onprem" else "push"

    def gpu_metrics_on(self, cluster: Cluster) -> bool:
        setting = self.addons.monitoring.gpu_metrics
        return bool(cluster.gpu_pools()) if setting is None else setting


# ---------------------------------------------------------------------------------------------
# Rules across fields
# ---------------------------------------------------------------------------------------------

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config: where, what was given, and what is allowed."""

    path: Path
    message: str
    value: Any = None
    has_value: bool = True


def _duplicates(names: list[str]) -> list[int]:
    seen: set[str] = set()
    dupes = []
    for i, name in enumerate(names):
        if name in seen:
            dupes.append(i)
        seen.add(name)
    return dupes


def check_platform(cfg: PlatformConfig) -> list[Problem]:
    """Rules that span fields. Each problem names the exact field path."""
    problems: list[Problem] = []
    add = problems.append
    cluster_names = [c.name for c in cfg.clusters]
    catalogue = load_catalogue()

    for i in _duplicates(cluster_names):
        add(Problem(("clusters", i, "name"), "cluster names must be unique", cluster_names[i]))

    for ci, cluster in enumerate(cfg.clusters):
        pool_names = [p.name for p in cluster.node_pools]
        for i in _duplicates(pool_names):
            add(
                Problem(
                    ("clusters", ci, "node_pools", i, "name"),
                    f"node pool names must be unique within cluster {cluster.name!r}",
                    pool_names[i],
                )
            )
        provider = cluster.provider
        for pi, pool in enumerate(cluster.node_pools):
            here: Path = ("clusters", ci, "node_pools", pi)
            if pool.min_size > pool.max_size:
                add(
                    Problem(
                        (*here, "min_size"),
                        f"must be <= max_size ({pool.max_size})",
                        pool.min_size,
                    )
                )
            if pool.desired_size is not None and not (pool.min_size <= pool.desired_size <= pool.max_size):
                add(
                    Problem(
                        (*here, "desired_size"),
                        f"must be between min_size ({pool.min_size}) and max_size ({pool.max_size})",
                        pool.desired_size,
                    )
                )
            if isinstance(provider, OnPremProvider):
                if pool.spot:
                    add(Problem((*here, "spot"), "spot capacity exists only on aws and gcp", True))
            else:
                if pool.nodes is not None:
                    add(
                        Problem(
                            (*here, "nodes"),
                            "only on-prem pools name existing nodes; cloud pools create them",
                            pool.nodes,
                        )
                    )
                if pool.node_selector is not None:
                    add(
                        Problem(
                            (*here, "node_selector"),
                            "only on-prem pools select existing nodes; cloud pools create them",
                            pool.node_selector,
                        )
                    )
                if pool.gpu is None and pool.machine_type is None:
                    add(
                        Problem(
                            (*here, "machine_type"),
                            f"a CPU pool on {provider.kind} needs a machine_type",
                            None,
                        )
                    )
            gpu = pool.gpu
            if gpu is None:
                continue
            if gpu.sharing == "mig" and gpu.accelerator not in MIG_CAPABLE:
                add(
                    Problem(
                        (*here, "gpu", "sharing"),
                        f"{gpu.accelerator} does not support MIG; MIG-capable: "
                        + ", ".join(sorted(MIG_CAPABLE)),
                        gpu.sharing,
                    )
                )
            if isinstance(provider, AwsProvider | GcpProvider):
                offer = catalogue.find(provider.kind, gpu.accelerator, gpu.count, provider.region)
                offers = catalogue.offers_for(provider.kind, gpu.accelerator)
                if not offers:
                    offered = sorted({o.accelerator for o in catalogue.providers[provider.kind].offers})
                    add(
                        Problem(
                            (*here, "gpu", "accelerator"),
                            f"{provider.kind} does not offer this accelerator; "
                            f"it offers: {', '.join(offered)}",
                            gpu.accelerator,
                        )
                    )
                elif offer is None:
                    in_region = sorted(o.gpus for o in offers if provider.region in o.regions)
                    if in_region:
                        add(
                            Problem(
                                (*here, "gpu", "count"),
                                f"{provider.kind} {provider.region} offers {gpu.accelerator} with "
                                f"{', '.join(map(str, in_region))} GPUs per node",
                                gpu.count,
                            )
                        )
                    else:
                        regions = sorted({r for o in offers for r in o.regions})
                        add(
                            Problem(
                                (*here, "gpu", "accelerator"),
                                f"not offered in {provider.kind} region {provider.region}; "
                                f"regions with it: {', '.join(regions)}",
                                gpu.accelerator,
                            )
                        )
                elif pool.machine_type is not None and pool.machine_type != offer.machine_type:
                    add(
                        Problem(
                            (*here, "machine_type"),
                            f"{gpu.count} x {gpu.accelerator} on {provider.kind} comes on "
                            f"{offer.machine_type}; leave machine_type out or set it to that",
                            pool.machine_type,
                        )
                    )

    all_gpu_pools = [p for c in cfg.clusters for p in c.gpu_pools()]

    # Add-ons: cluster references and what each one needs.
    for name, addon in cfg.addons.items():
        for i, ref in enumerate(addon.clusters or []):
            if ref not in cluster_names:
                add(
                    Problem(
                        ("addons", name, "clusters", i),
                        f"not a declared cluster; declared: {', '.join(cluster_names)}",
                        ref,
                    )
                )
    addons = cfg.addons
    for cluster in cfg.clusters:
        on = cluster.name

        def needs(addon: str, needed: str, why: str, cluster: str = on) -> None:
            if addons.enabled_on(addon, cluster) and not addons.enabled_on(needed, cluster):
                add(
                    Problem(
                        ("addons", addon, "enabled"),
                        f"{why}: enable addons.{needed} on cluster {cluster!r} too",
                        True,
                    )
                )

        needs("serving", "knative", "KServe runs in Knative mode")
        if addons.argo.workflows:
            needs("argo", "object_store", "Argo Workflows keeps artifacts in the object store")
        if addons.argo.assembly_line:
            needs("argo", "serving", "the assembly-line template deploys to KServe")
    if addons.monitoring.enabled and addons.monitoring.gpu_metrics and not all_gpu_pools:
        add(
            Problem(
                ("addons", "monitoring", "gpu_metrics"),
                "DCGM GPU metrics need a GPU node pool; declare one or set gpu_metrics: false",
                True,
            )
        )
    if addons.workbench.enabled and not all_gpu_pools:
        for i, profile in enumerate(addons.workbench.profiles):
            if profile.gpu:
                add(
                    Problem(
                        ("addons", "workbench", "profiles", i, "gpu"),
                        "a GPU profile needs a GPU node pool; declare one or set gpu: 0",
                        profile.gpu,
                    )
                )
    auth = addons.workbench.auth
    if auth.kind == "oidc" and (auth.issuer_url is None or auth.client_id is None):
        add(
            Problem(
                ("addons", "workbench", "auth"),
                "oidc needs issuer_url and client_id",
                auth.model_dump(exclude_defaults=True),
            )
        )
    source_names = [f"{s.namespace}/{s.name}" for s in addons.knative.event_sources]
    for i in _duplicates(source_names):
        add(
            Problem(
                ("addons", "knative", "event_sources", i, "name"),
                "event source names must be unique per namespace",
                addons.knative.event_sources[i].name,
            )
        )
    if addons.knative.tls and not addons.knative.tls_cluster_issuer:
        add(
            Problem(
                ("addons", "knative", "tls_cluster_issuer"),
                "tls needs the name of a cert-manager ClusterIssuer",
                None,
            )
        )
    if addons.serving.min_replicas > addons.serving.max_replicas:
        add(
            Problem(
                ("addons", "serving", "min_replicas"),
                f"must be <= max_replicas ({addons.serving.max_replicas})",
                addons.serving.min_replicas,
            )
        )

    # Teams.
    team_names = [t.name for t in cfg.teams]
    for i in _duplicates(team_names):
        add(Problem(("teams", i, "name"), "team names must be unique", team_names[i]))
    bucket_owner: dict[str, str] = {b: "addons.object_store.buckets" for b in addons.object_store.buckets}
    for ti, team in enumerate(cfg.teams):
        if team.name in RESERVED_NAMESPACES or team.name.startswith(("kube-", "stackyard-")):
            add(
                Problem(
                    ("teams", ti, "name"),
                    "reserved namespace name; pick another (not default, kube-*, stackyard-*)",
                    team.name,
                )
            )
        for i, ref in enumerate(team.clusters or []):
            if ref not in cluster_names:
                add(
                    Problem(
                        ("teams", ti, "clusters", i),
                        f"not a declared cluster; declared: {', '.join(cluster_names)}",
                        ref,
                    )
                )
        team_clusters = [c for c in cfg.clusters if team.clusters is None or c.name in team.clusters]
        if team.quota.gpu > 0 and not any(c.gpu_pools() for c in team_clusters):
            add(
                Problem(
                    ("teams", ti, "quota", "gpu"),
                    "asks for GPUs but none of the team's clusters has a GPU node pool",
                    team.quota.gpu,
                )
            )
        if team.buckets and not addons.object_store.enabled:
            add(
                Problem(
                    ("teams", ti, "buckets"),
                    "team buckets need the object store: enable addons.object_store",
                    team.buckets,
                )
            )
        for bi, bucket in enumerate(team.buckets):
            if bucket in bucket_owner:
                add(
                    Problem(
                        ("teams", ti, "buckets", bi),
                        f"bucket name already used by {bucket_owner[bucket]}",
                        bucket,
                    )
                )
            bucket_owner[bucket] = f"teams[{ti}]"

    # Federation.
    fed = cfg.federation
    if fed is not None:
        if fed.host not in cluster_names:
            add(
                Problem(
                    ("federation", "host"),
                    f"not a declared cluster; declared: {', '.join(cluster_names)}",
                    fed.host,
                )
            )
        member_names = [m.cluster for m in fed.members]
        for i, member in enumerate(fed.members):
            if member.cluster not in cluster_names:
                add(
                    Problem(
                        ("federation", "members", i, "cluster"),
                        f"federation members must be declared clusters; declared: {', '.join(cluster_names)}",
                        member.cluster,
                    )
                )
            elif member.cluster == fed.host:
                add(
                    Problem(
                        ("federation", "members", i, "cluster"),
                        "the host runs the Karmada control plane; it is not also a member",
                        member.cluster,
                    )
                )
        for i in _duplicates(member_names):
            add(
                Problem(
                    ("federation", "members", i, "cluster"),
                    "listed twice",
                    member_names[i],
                )
            )
        if fed.policy == "burst" and not all_gpu_pools:
            add(
                Problem(
                    ("federation", "policy"),
                    "burst moves GPU work between clusters; declare GPU node pools or use replicate",
                    fed.policy,
                )
            )
        known_ns = set(team_names)
        for i, ns in enumerate(fed.namespaces or []):
            if ns not in known_ns:
                add(
                    Problem(
                        ("federation", "namespaces", i),
                        f"not a team namespace; teams: {', '.join(team_names) or '(none)'}",
                        ns,
                    )
                )
    return problems
