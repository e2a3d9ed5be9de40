"""A regional GKE cluster with one node pool per config pool, GPU pools from the accelerator catalogue.

Secure defaults:
- Private nodes (no external IPs), egress through Cloud NAT; the control-plane endpoint is private
  unless ``endpoint_public``.
- Workload Identity (``<project>.svc.id.goog``) and the GKE metadata server on every node, so pods
  never see the node's credentials; nodes run as a dedicated service account holding only
  logging.logWriter, monitoring.metricWriter and artifactregistry.reader.
- Shielded nodes (secure boot, integrity monitoring); Dataplane V2 enforces NetworkPolicies.
- Kubernetes Secrets encrypted at the application layer with a Cloud KMS key (90-day rotation).
- ``deletion_protection`` on the cluster.

Adoption: with ``existing_cluster`` the cluster is *read* (``gcp.container.Cluster.get``) to build
the kubeconfig (the one live read here, only then); its network, KMS and settings stay as they
are, and the node pools are created in it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp as gcp

from components.base import ClusterContext
from components.catalog import Offer, load_catalogue
from components.settings import GcpProvider, NodePool

TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
}
NODE_ROLES = ("roles/artifactregistry.reader", "roles/logging.logWriter", "roles/monitoring.metricWriter")
KMS_ROTATION = "7776000s"  # 90 days
SUBNET_CIDR = "10.128.0.0/20"
PODS_RANGE = ("pods", "10.132.0.0/14")
SERVICES_RANGE = ("services", "10.136.0.0/20")
# GKE installs the NVIDIA driver itself. "DEFAULT" is the driver version GKE pairs with the node's
# GKE version (so it moves only with node upgrades, through the release channel); "LATEST" would
# follow whatever NVIDIA/GKE ship next and is never used.
GPU_DRIVER_VERSION = "DEFAULT"


@dataclass(frozen=True)
class GkeClusterArgs:
    context: ClusterContext
    provider: GcpProvider
    node_pools: tuple[NodePool, ...]
    platform: str

    def __post_init__(self) -> None:
        p = self.provider
        if (p.network is None) != (p.subnetwork is None):
            raise ValueError("bring-your-own network needs both network and subnetwork")
        for pool in self.node_pools:
            machine(self.provider, pool)

    @property
    def cluster_name(self) -> str:
        return self.provider.existing_cluster or f"{self.platform}-{self.context.name}"


def gpu_offer(provider: GcpProvider, pool: NodePool) -> Offer | None:
    if pool.gpu is None:
        return None
    offer = load_catalogue().find("gcp", pool.gpu.accelerator, pool.gpu.count, provider.region)
    if offer is None:
        raise ValueError(
            f"pool {pool.name!r}: gcp {provider.region} has no "
            f"{pool.gpu.count} x {pool.gpu.accelerator} offer"
        )
    return offer


def machine(provider: GcpProvider, pool: NodePool) -> str:
    offer = gpu_offer(provider, pool)
    if offer is not None:
        return offer.machine_type
    if pool.machine_type is None:
        raise ValueError(f"CPU pool {pool.name!r} needs a machine_type")
    return pool.machine_type


def guest_accelerator(offer: Offer, pool: NodePool) -> dict[str, Any]:
    """The pool's guest_accelerators entry: type and count from the catalogue, sharing from the pool."""
    gpu = pool.gpu
    assert gpu is not None
    entry: dict[str, Any] = {
        "type": offer.accelerator_type,
        "count": gpu.count,
        "gpu_driver_installation_config": {"gpu_driver_version": GPU_DRIVER_VERSION},
    }
    if gpu.sharing == "time-slicing":
        entry["gpu_sharing_config"] = {
            "gpu_sharing_strategy": "TIME_SHARING",
            "max_shared_clients_per_gpu": gpu.time_slicing_replicas,
        }
    elif gpu.sharing == "mig" and gpu.mig_profile.startswith("all-") and gpu.mig_profile[4:5].isdigit():
        entry["gpu_partition_size"] = gpu.mig_profile.removeprefix("all-")
    return entry


def kubeconfig_document(name: str, endpoint: str, ca_data: str) -> str:
    """An exec-based kubeconfig (gke-gcloud-auth-plugin): no long-lived credential inside."""
    user = f"{name}-gcp"
    document: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {"server": f"https://{endpoint}", "certificate-authority-data": ca_data},
            }
        ],
        "contexts": [{"name": name, "context": {"cluster": name, "user": user}}],
        "current-context": name,
        "users": [
            {
                "name": user,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "gke-gcloud-auth-plugin",
                        "installHint": "Install gke-gcloud-auth-plugin: gcloud components install "
                        "gke-gcloud-auth-plugin",
                        "provideClusterInfo": True,
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
    }
    return json.dumps(document, sort_keys=True, indent=2)


class GkeCluster(pulumi.ComponentResource):
    """A GKE cluster (or an adopted one) and its node pools."""

    kubeconfig: pulumi.Output[str]
    """Exec-based kubeconfig (secret), deterministic JSON."""
    context_name: str | None = None
    """The kubeconfig's context; None: its current context."""
    cluster_name: pulumi.Output[str]
    """The GKE cluster name."""
    node_service_account: pulumi.Output[str]
    """Email of the nodes' service account."""

    def __init__(self, name: str, args: GkeClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("stackyard:cluster:GkeCluster", name, None, opts)
        p = args.provider
        child = pulumi.ResourceOptions(parent=self)
        labels = {"stackyard-platform": args.platform, "stackyard-cluster": args.context.name}

        # Nodes' service account, least privilege.
        account = gcp.serviceaccount.Account(
            f"{name}-nodes",
            account_id=f"{args.context.name[:20]}-nodes",
            display_name=f"GKE nodes of {args.cluster_name}",
            project=p.project,
            opts=child,
        )
        member = account.email.apply(lambda e: f"serviceAccount:{e}")
        for role in NODE_ROLES:
            gcp.projects.IAMMember(
                f"{name}-nodes-{role.split('/')[-1]}", project=p.project, role=role, member=member, opts=child
            )

        cluster: gcp.container.Cluster
        if p.existing_cluster is not None:
            cluster = gcp.container.Cluster.get(
                f"{name}-gke",
                f"projects/{p.project}/locations/{p.region}/clusters/{p.existing_cluster}",
                opts=child,
            )
        else:
            cluster = self._cluster(name, args, labels)

        # The name is known from the config; deriving it from the id keeps the dependency on the
        # cluster (created or read) without relying on what a read returns.
        self._cluster_name: pulumi.Output[str] = cluster.id.apply(lambda _: args.cluster_name)
        for pool in args.node_pools:
            self._node_pool(name, args, pool, cluster, account.email)

        self.cluster_name = self._cluster_name
        self.node_service_account = account.email
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(
                self._cluster_name, cluster.endpoint, cluster.master_auth.cluster_ca_certificate
            ).apply(lambda v: kubeconfig_document(str(v[0]), str(v[1]), str(v[2])))
        )
        self.register_outputs(
            {
                "kubeconfig": self.kubeconfig,
                "cluster_name": self.cluster_name,
                "node_service_account": self.node_service_account,
            }
        )

    def _cluster(self, name: str, args: GkeClusterArgs, labels: dict[str, str]) -> gcp.container.Cluster:
        p = args.provider
        child = pulumi.ResourceOptions(parent=self)
        network: pulumi.Input[str]
        subnetwork: pulumi.Input[str]
        if p.network is not None and p.subnetwork is not None:
            network, subnetwork = p.network, p.subnetwork
        else:
            net = gcp.compute.Network(
                f"{name}-net",
                name=args.cluster_name,
                project=p.project,
                auto_create_subnetworks=False,
                routing_mode="REGIONAL",
                opts=child,
            )
            sub = gcp.compute.Subnetwork(
                f"{name}-subnet",
                name=f"{args.cluster_name}-nodes",
                project=p.project,
                region=p.region,
                network=net.id,
                ip_cidr_range=SUBNET_CIDR,
                private_ip_google_access=True,
                secondary_ip_ranges=[
                    gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=n, ip_cidr_range=c)
                    for n, c in (PODS_RANGE, SERVICES_RANGE)
                ],
                opts=child,
            )
            router = gcp.compute.Router(
                f"{name}-router",
                name=args.cluster_name,
                project=p.project,
                region=p.region,
                network=net.id,
                opts=child,
            )
            gcp.compute.RouterNat(
                f"{name}-nat",
                name=args.cluster_name,
                project=p.project,
                region=p.region,
                router=router.name,
                nat_ip_allocate_option="AUTO_ONLY",
                source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
                opts=child,
            )
            network, subnetwork = net.id, sub.id

        ring = gcp.kms.KeyRing(
            f"{name}-keyring", name=args.cluster_name, project=p.project, location=p.region, opts=child
        )
        key = gcp.kms.CryptoKey(
            f"{name}-secrets-key",
            name="gke-secrets",
            key_ring=ring.id,
            purpose="ENCRYPT_DECRYPT",
            rotation_period=KMS_ROTATION,
            labels=labels,
            opts=child,
        )
        # The GKE service agent (created by this resource, not looked up) encrypts with the key.
        agent = gcp.projects.ServiceIdentity(
            f"{name}-gke-agent", project=p.project, service="container.googleapis.com", opts=child
        )
        grant = gcp.kms.CryptoKeyIAMMember(
            f"{name}-gke-agent-kms",
            crypto_key_id=key.id,
            role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
            member=agent.email.apply(lambda e: f"serviceAccount:{e}"),
            opts=child,
        )
        return gcp.container.Cluster(
            f"{name}-gke",
            name=args.cluster_name,
            project=p.project,
            location=p.region,
            node_locations=sorted(p.zones) or None,
            network=network,
            subnetwork=subnetwork,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=PODS_RANGE[0] if p.network is None else None,
                services_secondary_range_name=SERVICES_RANGE[0] if p.network is None else None,
            ),
            remove_default_node_pool=True,
            initial_node_count=1,
            min_master_version=p.kubernetes_version,
            release_channel=gcp.container.ClusterReleaseChannelArgs(channel=p.release_channel),
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(
                workload_pool=f"{p.project}.svc.id.goog"
            ),
            private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True,
                enable_private_endpoint=not p.endpoint_public,
                master_ipv4_cidr_block=p.master_ipv4_cidr,
            ),
            enable_shielded_nodes=True,
            datapath_provider="ADVANCED_DATAPATH",
            database_encryption=gcp.container.ClusterDatabaseEncryptionArgs(
                state="ENCRYPTED", key_name=key.id
            ),
            deletion_protection=True,
            resource_labels=labels,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[grant]),
        )

    def _node_pool(
        self,
        name: str,
        args: GkeClusterArgs,
        pool: NodePool,
        cluster: gcp.container.Cluster,
        account_email: pulumi.Output[str],
    ) -> gcp.container.NodePool:
        p = args.provider
        placement = pool.placement(args.context.name)
        offer = gpu_offer(p, pool)
        return gcp.container.NodePool(
            f"{name}-{pool.name}",
            name=pool.name,
            project=p.project,
            location=p.region,
            cluster=self._cluster_name,
            node_locations=sorted(p.zones) or None,
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                # Totals across zones, as the config means min_size/max_size.
                total_min_node_count=pool.min_size,
                total_max_node_count=pool.max_size,
                location_policy="ANY" if pool.spot or pool.gpu else "BALANCED",
            ),
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
            node_config=gcp.container.NodePoolNodeConfigArgs(
                machine_type=machine(p, pool),
                spot=pool.spot,
                disk_size_gb=pool.disk_size_gib,
                labels=dict(sorted(placement.labels.items())),
                taints=[
                    gcp.container.NodePoolNodeConfigTaintArgs(
                        key=t.key, value=t.value, effect=TAINT_EFFECTS[t.effect]
                    )
                    for t in placement.taints
                ],
                guest_accelerators=[guest_accelerator(offer, pool)] if offer is not None else None,
                service_account=account_email,
                oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
                shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
                workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(
                    mode="GKE_METADATA"
                ),
                metadata={"disable-legacy-endpoints": "true"},
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
