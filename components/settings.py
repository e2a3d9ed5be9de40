"""Typed settings of every add-on, and the strict base model all config models share.

Plain pydantic, no Pulumi: the config layer composes these into the platform config, and each
add-on component takes its own settings as typed args.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from components.catalog import load_catalogue
from components.scheduling import DEFAULT_GPU_TAINT, PoolPlacement, Taint, pool_labels

DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
QUANTITY = r"^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti|P|Pi)?$"
LABEL_KEY = r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"

# Names become prefixes of Kubernetes, Helm and cloud names, so they are shorter than 63.
ClusterName = Annotated[str, StringConstraints(pattern=DNS1123_LABEL, min_length=1, max_length=30)]
PoolName = Annotated[str, StringConstraints(pattern=DNS1123_LABEL, min_length=1, max_length=30)]
TeamName = Annotated[str, StringConstraints(pattern=DNS1123_LABEL, min_length=1, max_length=40)]
ResourceName = Annotated[str, StringConstraints(pattern=DNS1123_LABEL, min_length=1, max_length=63)]
BucketName = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", min_length=3, max_length=63)
]
Quantity = Annotated[str, StringConstraints(pattern=QUANTITY)]
Duration = Annotated[str, StringConstraints(pattern=r"^[0-9]+(s|m|h|d|w|y)$")]
LabelKey = Annotated[str, StringConstraints(pattern=LABEL_KEY, max_length=316)]
LabelValue = Annotated[str, StringConstraints(pattern=LABEL_VALUE, max_length=63)]
K8sVersion = Annotated[str, StringConstraints(pattern=r"^1\.[0-9]{2}$")]


class StrictModel(BaseModel):
    """Base of every config model: unknown keys are errors that name what is allowed."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        allowed = sorted(
            {name for name in cls.model_fields} | {f.alias for f in cls.model_fields.values() if f.alias}
        )
        unknown = sorted(str(k) for k in data if k not in allowed)
        if unknown:
            hint = difflib.get_close_matches(unknown[0], allowed, n=1)
            raise PydanticCustomError(
                "unknown_setting",
                "unknown setting {quoted}{hint}; allowed: {allowed}",
                {
                    "key": unknown[0],
                    "quoted": repr(unknown[0]),
                    "keys": unknown,
                    "hint": f" (did you mean {hint[0]!r}?)" if hint else "",
                    "allowed": ", ".join(allowed),
                },
            )
        return data


class AddonSettings(StrictModel):
    enabled: bool = False
    clusters: list[str] | None = Field(
        default=None, description="Clusters that get this add-on; default every cluster."
    )


class Sink(StrictModel):
    """Where events go: a Knative Service or a Broker."""

    kind: Literal["service", "broker"] = "broker"
    name: ResourceName = "default"
    namespace: ResourceName | None = Field(default=None, description="Default: the event source's namespace.")


class _Source(StrictModel):
    name: ResourceName
    namespace: ResourceName = "stackyard-events"
    sink: Sink = Field(default_factory=Sink)


class PingSourceSpec(_Source):
    type: Literal["ping"]
    schedule: str = Field(pattern=r"^(\S+\s+){4}\S+$", description="Cron, five fields.")
    data: str = "{}"
    timezone: str = "UTC"


ApiResource = dict[Literal["api_version", "kind"], str]
Runtime = Literal["onnx", "triton", "sklearn", "xgboost", "pytorch", "huggingface"]


def _kubernetes_events() -> list[ApiResource]:
    return [{"api_version": "v1", "kind": "Event"}]


def _default_runtimes() -> list[Runtime]:
    return ["onnx", "triton"]


class ApiServerSourceSpec(_Source):
    type: Literal["apiserver"]
    resources: list[ApiResource] = Field(default_factory=_kubernetes_events)
    mode: Literal["Reference", "Resource"] = "Reference"


class GitHubSourceSpec(_Source):
    type: Literal["github"]
    repository: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    events: list[str] = Field(default_factory=lambda: ["push", "pull_request"])
    secret_name: ResourceName = Field(description="Secret with the webhook secret and API token.")


class GitLabSourceSpec(_Source):
    type: Literal["gitlab"]
    project_url: str = Field(pattern=r"^https://")
    events: list[str] = Field(default_factory=lambda: ["push_events", "merge_requests_events"])
    secret_name: ResourceName


class AwsSqsSourceSpec(_Source):
    type: Literal["aws-sqs"]
    queue_url: str = Field(pattern=r"^https://sqs\.")
    region: str
    secret_name: ResourceName = Field(description="Secret with AWS access key id and secret key.")


class GcpPubSubSourceSpec(_Source):
    type: Literal["gcp-pubsub"]
    project: str
    topic: str
    secret_name: ResourceName


class GcsSourceSpec(_Source):
    type: Literal["gcs"]
    bucket: str
    project: str
    secret_name: ResourceName


class CloudSchedulerSourceSpec(_Source):
    type: Literal["cloud-scheduler"]
    project: str
    location: str
    schedule: str = Field(pattern=r"^(\S+\s+){4}\S+$")
    data: str = "{}"
    secret_name: ResourceName


EventSource = Annotated[
    PingSourceSpec
    | ApiServerSourceSpec
    | GitHubSourceSpec
    | GitLabSourceSpec
    | AwsSqsSourceSpec
    | GcpPubSubSourceSpec
    | GcsSourceSpec
    | CloudSchedulerSourceSpec,
    Field(discriminator="type"),
]


class KnativeAddon(AddonSettings):
    ingress: Literal["kourier"] = "kourier"
    domain: str = Field(default="svc.cluster.local", pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    tls: bool = Field(default=False, description="Serve HTTPS (needs cert-manager's ClusterIssuer).")
    tls_cluster_issuer: str | None = None
    scale_to_zero: bool = True
    scale_to_zero_grace_period: Duration = "30s"
    target_concurrency: int = Field(default=100, ge=1, le=10000)
    default_broker: bool = True
    public: bool = Field(default=False, description="Expose the ingress through a LoadBalancer.")
    event_sources: list[EventSource] = Field(default_factory=list)


class MinioSettings(StrictModel):
    servers: int = Field(default=4, ge=1, le=64)
    volumes_per_server: int = Field(default=4, ge=1, le=32)
    volume_size: Quantity = "100Gi"
    storage_class: ResourceName | None = None


class ObjectStoreAddon(AddonSettings):
    backend: Literal["auto", "minio", "s3", "gcs"] = Field(
        default="auto", description="auto: MinIO on-prem, S3 on AWS, GCS on GCP."
    )
    buckets: list[BucketName] = Field(default_factory=lambda: ["datasets", "models", "artifacts"])
    versioning: bool = True
    minio: MinioSettings = Field(default_factory=MinioSettings)


class LoggingAddon(AddonSettings):
    profile: Literal["small", "medium", "large"] = "small"
    retention_days: int = Field(default=30, ge=1, le=3650)
    lineage_index: ResourceName = "lineage"
    kibana: bool = True
    shipper: Literal["beat", "logstash"] = "beat"
    storage_class: ResourceName | None = None


class MonitoringAddon(AddonSettings):
    retention: Duration = "15d"
    storage_size: Quantity = "50Gi"
    storage_class: ResourceName | None = None
    grafana: bool = True
    alertmanager: bool = True
    gpu_metrics: bool | None = Field(
        default=None, description="DCGM GPU metrics; default on for clusters with GPU pools."
    )
    gpu_saturation_threshold: float = Field(default=0.9, gt=0, le=1)


class ArgoAddon(AddonSettings):
    workflows: bool = True
    events: bool = True
    cd: bool = True
    rollouts: bool = True
    assembly_line: bool = Field(default=True, description="Ship the train→store→serve template.")
    gitops_repo: str | None = Field(default=None, description="Git URL for the app-of-apps.")
    gitops_revision: str = "main"


class ServingAddon(AddonSettings):
    runtimes: list[Runtime] = Field(default_factory=_default_runtimes, min_length=1)
    canary_traffic_percent: int = Field(default=10, ge=0, le=100)
    min_replicas: int = Field(default=0, ge=0, le=100)
    max_replicas: int = Field(default=3, ge=1, le=1000)
    request_logging: bool = True
    cert_manager: bool = Field(
        default=True,
        description="Install cert-manager (KServe's webhook certificate); off when the cluster has one.",
    )
    tracing: bool = True


class WorkbenchProfile(StrictModel):
    name: ResourceName
    cpu: Quantity = "2"
    memory: Quantity = "8Gi"
    gpu: int = Field(default=0, ge=0, le=16)


class WorkbenchAuth(StrictModel):
    kind: Literal["native", "oidc", "github"] = "native"
    issuer_url: str | None = None
    client_id: str | None = None
    client_secret_key: str | None = Field(
        default=None, description="Name of the Pulumi config secret holding the client secret."
    )
    allowed_groups: list[str] = Field(default_factory=list)


class WorkbenchAddon(AddonSettings):
    profiles: list[WorkbenchProfile] = Field(
        default_factory=lambda: [
            WorkbenchProfile(name="cpu-small"),
            WorkbenchProfile(name="gpu", cpu="4", memory="16Gi", gpu=1),
        ]
    )
    storage_size: Quantity = "10Gi"
    storage_class: ResourceName | None = None
    auth: WorkbenchAuth = Field(default_factory=WorkbenchAuth)


# ---------------------------------------------------------------------------------------------
# Clusters and node pools
# ---------------------------------------------------------------------------------------------


class TaintSpec(StrictModel):
    key: LabelKey
    value: LabelValue = ""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class GpuSettings(StrictModel):
    """The accelerators on each node of a pool."""

    accelerator: str = Field(description="An accelerator of the catalogue, e.g. nvidia-l4.")
    count: int = Field(default=1, ge=1, le=16, description="GPUs per node.")
    sharing: Literal["none", "time-slicing", "mig"] = "none"
    time_slicing_replicas: int = Field(
        default=4, ge=2, le=48, description="Pods sharing one GPU when sharing is time-slicing."
    )
    mig_strategy: Literal["single", "mixed"] = "single"
    mig_profile: str = Field(
        default="all-1g.10gb", pattern=r"^all-[0-9]g\.[0-9]+gb$|^all-balanced$|^all-disabled$"
    )

    @field_validator("accelerator")
    @classmethod
    def _known_accelerator(cls, value: str) -> str:
        names = load_catalogue().accelerator_names()
        if value not in names:
            raise PydanticCustomError(
                "unknown_accelerator",
                "unknown accelerator; allowed: {allowed}",
                {"allowed": ", ".join(names)},
            )
        return value


class NodePool(StrictModel):
    """A group of identical nodes. GPU pools are tainted and labelled so only GPU work lands there."""

    name: PoolName
    machine_type: str | None = Field(
        default=None,
        description="Instance/machine type. Derived from the accelerator catalogue for GPU pools.",
    )
    min_size: int = Field(default=1, ge=0, le=1000)
    max_size: int = Field(default=3, ge=1, le=1000)
    desired_size: int | None = Field(default=None, ge=0, le=1000)
    spot: bool = False
    disk_size_gib: int = Field(default=100, ge=20, le=16384)
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    taints: list[TaintSpec] | None = Field(
        default=None,
        description="None gives GPU pools the standard nvidia.com/gpu=present:NoSchedule taint; "
        "an explicit list (even empty) is taken as it is.",
    )
    gpu: GpuSettings | None = None
    nodes: list[ResourceName] | None = Field(
        default=None,
        description="On-prem only: the existing nodes of this pool; Stackyard applies the pool's "
        "labels and taints to them.",
    )
    node_selector: dict[LabelKey, LabelValue] | None = Field(
        default=None,
        description="On-prem only: labels that find this pool's existing nodes "
        "(default: stackyard.io/node-pool=<name>).",
    )

    @property
    def desired(self) -> int:
        return self.min_size if self.desired_size is None else self.desired_size

    def effective_taints(self) -> list[Taint]:
        if self.taints is None:
            return [DEFAULT_GPU_TAINT] if self.gpu else []
        return [Taint(t.key, t.value, t.effect) for t in self.taints]

    def placement(self, cluster: str) -> PoolPlacement:
        accelerator = self.gpu.accelerator if self.gpu else None
        gpus = self.gpu.count if self.gpu else 0
        return PoolPlacement(
            cluster=cluster,
            pool=self.name,
            labels=pool_labels(self.name, self.labels, accelerator, gpus),
            taints=tuple(self.effective_taints()),
            accelerator=accelerator,
            gpus_per_node=gpus,
        )


class OnPremProvider(StrictModel):
    """An existing cluster reached by kubeconfig; Stackyard labels and taints its GPU nodes."""

    kind: Literal["onprem"]
    kubeconfig: str | None = Field(
        default=None, description="Path to the kubeconfig; default $KUBECONFIG or ~/.kube/config."
    )
    context: str | None = None
    storage_class: ResourceName | None = None
    gpu_hourly_cost: float = Field(
        default=0.0, ge=0, description="Amortised cost of one GPU-hour, for burst ranking."
    )
    gpu_operator: bool = Field(default=True, description="Install the NVIDIA GPU Operator.")
    gpu_driver: bool = Field(
        default=False, description="Let the GPU Operator install the driver (off: the OS has one)."
    )


class AwsNetwork(StrictModel):
    """A new VPC (cidr), or bring your own (vpc_id and private_subnet_ids)."""

    cidr: str = Field(default="10.64.0.0/16", pattern=r"^\d+\.\d+\.\d+\.\d+/(1[6-9]|2[0-4])$")
    availability_zones: int = Field(default=3, ge=2, le=6)
    vpc_id: str | None = Field(default=None, pattern=r"^vpc-[0-9a-f]{8,17}$")
    private_subnet_ids: list[Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(
        default_factory=list
    )


class AwsProvider(StrictModel):
    kind: Literal["aws"]
    region: str = Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
    kubernetes_version: K8sVersion = "1.34"
    network: AwsNetwork = Field(default_factory=AwsNetwork)
    existing_cluster: str | None = Field(
        default=None, description="Adopt this existing EKS cluster instead of creating one."
    )
    endpoint_public: bool = Field(default=False, description="Expose the API endpoint publicly.")
    public_access_cidrs: list[str] = Field(default_factory=list)
    karpenter: bool = Field(default=False, description="Also create Karpenter GPU NodePools.")


class GcpProvider(StrictModel):
    kind: Literal["gcp"]
    project: str = Field(pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
    region: str = Field(pattern=r"^[a-z]+-[a-z]+[0-9]$")
    zones: list[str] = Field(
        default_factory=list, description="Node zones; empty means the region's default zones."
    )
    kubernetes_version: K8sVersion = "1.34"
    release_channel: Literal["RAPID", "REGULAR", "STABLE", "EXTENDED"] = "REGULAR"
    network: str | None = Field(default=None, description="Bring-your-own VPC network name.")
    subnetwork: str | None = None
    existing_cluster: str | None = Field(
        default=None, description="Adopt this existing GKE cluster instead of creating one."
    )
    endpoint_public: bool = False
    master_ipv4_cidr: str = Field(default="172.16.0.0/28", pattern=r"^\d+\.\d+\.\d+\.\d+/28$")


Provider = Annotated[OnPremProvider | AwsProvider | GcpProvider, Field(discriminator="kind")]


class Cluster(StrictModel):
    name: ClusterName
    provider: Provider
    node_pools: list[NodePool] = Field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.provider.kind

    def gpu_pools(self) -> list[NodePool]:
        return [p for p in self.node_pools if p.gpu is not None]

    def placements(self) -> list[PoolPlacement]:
        return [p.placement(self.name) for p in self.node_pools]


# ---------------------------------------------------------------------------------------------
# Add-ons
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Teams and federation
# ---------------------------------------------------------------------------------------------


class TeamQuota(StrictModel):
    cpu: Quantity = "16"
    memory: Quantity = "64Gi"
    gpu: int = Field(default=0, ge=0, le=4096, description="requests.nvidia.com/gpu")
    storage: Quantity = "500Gi"
    pods: int = Field(default=200, ge=1, le=100000)


class Team(StrictModel):
    name: TeamName
    groups: list[str] = Field(default_factory=list, description="Identity-provider groups.")
    members: list[str] = Field(default_factory=list)
    admins: list[str] = Field(default_factory=list, description="Groups with admin in the namespace.")
    quota: TeamQuota = Field(default_factory=TeamQuota)
    buckets: list[BucketName] = Field(default_factory=list)
    clusters: list[str] | None = Field(default=None, description="Default: every cluster.")


class FederationMember(StrictModel):
    cluster: str
    mode: Literal["push", "pull"] | None = Field(
        default=None, description="Default: pull for on-prem (behind NAT), push for cloud."
    )


class Federation(StrictModel):
    host: str
    members: list[FederationMember] = Field(min_length=1)
    policy: Literal["burst", "replicate", "failover"] = "burst"
    namespaces: list[str] | None = Field(
        default=None, description="Namespaces to propagate; default every team namespace."
    )
    multikueue: bool = False
