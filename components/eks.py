"""An Amazon EKS cluster with managed node groups, GPU pools tainted and labelled from one source of truth.

Secure defaults:
- Nodes run in private subnets only (no public IPs); egress through a NAT gateway.
- The API endpoint is private; public access only when ``endpoint_public`` is set, limited to
  ``public_access_cidrs`` when given (AWS allows 0.0.0.0/0 when the list is empty).
- Kubernetes Secrets are envelope-encrypted with a customer-managed KMS key (rotation on).
- Authentication mode ``API`` (access entries, no aws-auth ConfigMap); control-plane audit logs on.
- IAM roles carry only the AWS-managed policies EKS documents for their purpose; the EBS CSI
  driver gets its own IRSA role instead of node-wide permissions.
- The VPC CNI enforces NetworkPolicies (team namespaces rely on default-deny).

Adoption: with ``existing_cluster`` the cluster is *read* (``aws.eks.Cluster.get``) to build the
kubeconfig, which is the one live read this module makes, and only then; its network, encryption,
add-ons and IAM stay as they are. Node groups are created in it, in the bring-your-own subnets.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.base import ClusterContext
from components.catalog import load_catalogue
from components.settings import AwsProvider, NodePool
from components.versions import EKS_ADDON_COREDNS, EKS_ADDON_EBS_CSI, EKS_ADDON_KUBE_PROXY, EKS_ADDON_VPC_CNI

# IAM needs a thumbprint list for an OIDC provider. For EKS issuers AWS validates against its own
# trusted root CAs and ignores the value, so it is pinned (the Amazon/Starfield root CA thumbprint
# EKS documents) instead of fetched from the issuer at run time.
EKS_OIDC_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"

TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
}
GPU_AMI = "AL2023_x86_64_NVIDIA"
CPU_AMI = "AL2023_x86_64_STANDARD"
EBS_CSI_SERVICE_ACCOUNT = "system:serviceaccount:kube-system:ebs-csi-controller-sa"


@dataclass(frozen=True)
class EksClusterArgs:
    context: ClusterContext
    provider: AwsProvider
    node_pools: tuple[NodePool, ...]
    platform: str

    def __post_init__(self) -> None:
        net = self.provider.network
        if (net.vpc_id is None) != (not net.private_subnet_ids):
            raise ValueError(
                "bring-your-own network needs both network.vpc_id and network.private_subnet_ids"
            )
        if net.vpc_id is not None and len(net.private_subnet_ids) < 2:
            raise ValueError("EKS needs private subnets in at least two availability zones")
        if self.provider.existing_cluster and net.vpc_id is None:
            raise ValueError(
                "adopting an existing cluster needs its network: network.vpc_id and private_subnet_ids"
            )
        if (
            self.provider.existing_cluster is None
            and self.provider.kubernetes_version not in EKS_ADDON_KUBE_PROXY
        ):
            raise ValueError(
                f"no pinned kube-proxy add-on for Kubernetes {self.provider.kubernetes_version}; "
                f"pinned: {', '.join(sorted(EKS_ADDON_KUBE_PROXY))}"
            )
        for pool in self.node_pools:
            instance_type(self.provider, pool)

    @property
    def cluster_name(self) -> str:
        return self.provider.existing_cluster or f"{self.platform}-{self.context.name}"


def instance_type(provider: AwsProvider, pool: NodePool) -> str:
    """The pool's instance type: from the accelerator catalogue for GPU pools."""
    if pool.gpu is None:
        if pool.machine_type is None:
            raise ValueError(f"CPU pool {pool.name!r} needs a machine_type")
        return pool.machine_type
    offer = load_catalogue().find("aws", pool.gpu.accelerator, pool.gpu.count, provider.region)
    if offer is None:
        raise ValueError(
            f"pool {pool.name!r}: aws {provider.region} has no "
            f"{pool.gpu.count} x {pool.gpu.accelerator} offer"
        )
    return offer.machine_type


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if "-gov-" in region else "aws"


def availability_zones(provider: AwsProvider) -> list[str]:
    """``<region>a``, ``<region>b``, ...: named, not looked up (no cloud reads)."""
    return [f"{provider.region}{chr(ord('a') + i)}" for i in range(provider.network.availability_zones)]


def _assume(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": service}}],
        },
        sort_keys=True,
    )


def kubeconfig_document(name: str, endpoint: str, ca_data: str, region: str) -> str:
    """An exec-based kubeconfig (``aws eks get-token``): no long-lived credential inside."""
    user = f"{name}-aws"
    document: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": user}}],
        "current-context": name,
        "users": [
            {
                "name": user,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": [
                            "eks",
                            "get-token",
                            "--cluster-name",
                            name,
                            "--region",
                            region,
                            "--output",
                            "json",
                        ],
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
    }
    return json.dumps(document, sort_keys=True, indent=2)


class EksCluster(pulumi.ComponentResource):
    """An EKS cluster (or an adopted one) and one managed node group per node pool."""

    kubeconfig: pulumi.Output[str]
    """Exec-based kubeconfig (secret), deterministic JSON."""
    context_name: str | None = None
    """The kubeconfig's context; None: its current context."""
    cluster_name: pulumi.Output[str]
    """The EKS cluster name."""
    oidc_provider_arn: pulumi.Output[str] | None
    """The IRSA OIDC provider (None for an adopted cluster)."""

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("stackyard:cluster:EksCluster", name, None, opts)
        provider = args.provider
        child = pulumi.ResourceOptions(parent=self)
        part = partition(provider.region)

        def managed(policy: str) -> str:
            return f"arn:{part}:iam::aws:policy/{policy}"

        tags = {"stackyard.io/platform": args.platform, "stackyard.io/cluster": args.context.name}
        self.oidc_provider_arn = None

        # --- Network ---
        subnet_ids: list[pulumi.Input[str]]
        if provider.network.vpc_id is not None:
            subnet_ids = list(provider.network.private_subnet_ids)
        else:
            subnet_ids = self._network(name, provider, args.cluster_name, tags)

        # --- Control plane (or the adopted one) ---
        cluster: aws.eks.Cluster
        depends: list[pulumi.Resource] = []
        if provider.existing_cluster is not None:
            cluster = aws.eks.Cluster.get(f"{name}-eks", provider.existing_cluster, opts=child)
        else:
            key = aws.kms.Key(
                f"{name}-secrets-key",
                description=f"EKS secrets encryption for {args.cluster_name}",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                tags=tags,
                opts=child,
            )
            cluster_role = aws.iam.Role(
                f"{name}-cluster-role", assume_role_policy=_assume("eks.amazonaws.com"), tags=tags, opts=child
            )
            attach = aws.iam.RolePolicyAttachment(
                f"{name}-cluster-policy",
                role=cluster_role.name,
                policy_arn=managed("AmazonEKSClusterPolicy"),
                opts=child,
            )
            cluster = aws.eks.Cluster(
                f"{name}-eks",
                name=args.cluster_name,
                version=provider.kubernetes_version,
                role_arn=cluster_role.arn,
                vpc_config=aws.eks.ClusterVpcConfigArgs(
                    subnet_ids=subnet_ids,
                    endpoint_private_access=True,
                    endpoint_public_access=provider.endpoint_public,
                    public_access_cidrs=sorted(provider.public_access_cidrs)
                    if provider.endpoint_public and provider.public_access_cidrs
                    else None,
                ),
                encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                    provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn),
                    resources=["secrets"],
                ),
                access_config=aws.eks.ClusterAccessConfigArgs(
                    authentication_mode="API", bootstrap_cluster_creator_admin_permissions=True
                ),
                enabled_cluster_log_types=["api", "audit", "authenticator"],
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[attach]),
            )
            issuer = cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer)
            oidc = aws.iam.OpenIdConnectProvider(
                f"{name}-oidc",
                url=issuer,
                client_id_lists=["sts.amazonaws.com"],
                thumbprint_lists=[EKS_OIDC_THUMBPRINT],
                tags=tags,
                opts=child,
            )
            self.oidc_provider_arn = oidc.arn
            depends.append(cluster)

        # The name is known from the config; deriving it from the id keeps the dependency on the
        # cluster (created or read) without relying on what a read returns.
        self._cluster_name: pulumi.Output[str] = cluster.id.apply(lambda _: args.cluster_name)
        # --- Nodes ---
        node_role = aws.iam.Role(
            f"{name}-node-role", assume_role_policy=_assume("ec2.amazonaws.com"), tags=tags, opts=child
        )
        node_policies = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}", role=node_role.name, policy_arn=managed(policy), opts=child
            )
            for policy in (
                "AmazonEKSWorkerNodePolicy",
                "AmazonEC2ContainerRegistryReadOnly",
                "AmazonEKS_CNI_Policy",
            )
        ]
        groups = [
            self._node_group(name, args, pool, cluster, node_role, subnet_ids, tags, node_policies)
            for pool in args.node_pools
        ]

        if provider.existing_cluster is None:
            self._addons(name, args, cluster, tags, groups)

        self.cluster_name = self._cluster_name
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(self._cluster_name, cluster.endpoint, cluster.certificate_authority.data).apply(
                lambda v: kubeconfig_document(str(v[0]), str(v[1]), str(v[2]), provider.region)
            )
        )
        self.register_outputs({"kubeconfig": self.kubeconfig, "cluster_name": self.cluster_name})

    def _network(
        self, name: str, provider: AwsProvider, cluster_name: str, tags: dict[str, str]
    ) -> list[pulumi.Input[str]]:
        """A VPC with one private and one public (NAT only) subnet per zone; returns the private subnets."""
        child = pulumi.ResourceOptions(parent=self)
        net = ipaddress.ip_network(provider.network.cidr)
        blocks = list(net.subnets(prefixlen_diff=4))
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=provider.network.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={**tags, "Name": cluster_name},
            opts=child,
        )
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=tags, opts=child)
        public_rt = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags=tags,
            opts=child,
        )
        private_ids: list[pulumi.Input[str]] = []
        nat: aws.ec2.NatGateway | None = None
        private_rt: aws.ec2.RouteTable | None = None
        for i, zone in enumerate(availability_zones(provider)):
            public = aws.ec2.Subnet(
                f"{name}-public-{zone}",
                vpc_id=vpc.id,
                cidr_block=str(blocks[8 + i]),
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={**tags, "kubernetes.io/role/elb": "1"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{zone}", subnet_id=public.id, route_table_id=public_rt.id, opts=child
            )
            if nat is None:
                # One NAT gateway (in the first zone) keeps the bill down; nodes only need egress.
                eip = aws.ec2.Eip(f"{name}-nat", domain="vpc", tags=tags, opts=child)
                nat = aws.ec2.NatGateway(
                    f"{name}-nat", allocation_id=eip.id, subnet_id=public.id, tags=tags, opts=child
                )
                private_rt = aws.ec2.RouteTable(
                    f"{name}-private",
                    vpc_id=vpc.id,
                    routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                    tags=tags,
                    opts=child,
                )
            private = aws.ec2.Subnet(
                f"{name}-private-{zone}",
                vpc_id=vpc.id,
                cidr_block=str(blocks[i]),
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={**tags, "kubernetes.io/role/internal-elb": "1"},
                opts=child,
            )
            assert private_rt is not None
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone}", subnet_id=private.id, route_table_id=private_rt.id, opts=child
            )
            private_ids.append(private.id)
        return private_ids

    def _node_group(
        self,
        name: str,
        args: EksClusterArgs,
        pool: NodePool,
        cluster: aws.eks.Cluster,
        node_role: aws.iam.Role,
        subnet_ids: list[pulumi.Input[str]],
        tags: dict[str, str],
        node_policies: list[aws.iam.RolePolicyAttachment],
    ) -> aws.eks.NodeGroup:
        placement = pool.placement(args.context.name)
        return aws.eks.NodeGroup(
            f"{name}-{pool.name}",
            cluster_name=self._cluster_name,
            node_group_name=pool.name,
            node_role_arn=node_role.arn,
            subnet_ids=subnet_ids,
            ami_type=GPU_AMI if pool.gpu else CPU_AMI,
            instance_types=[instance_type(args.provider, pool)],
            capacity_type="SPOT" if pool.spot else "ON_DEMAND",
            disk_size=pool.disk_size_gib,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=pool.min_size, max_size=pool.max_size, desired_size=pool.desired
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            labels=dict(sorted(placement.labels.items())),
            taints=[
                aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value or None, effect=TAINT_EFFECTS[t.effect])
                for t in placement.taints
            ],
            tags={**tags, "stackyard.io/node-pool": pool.name},
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=node_policies,
                # The cluster autoscaler owns the current size between min and max; Pulumi would
                # otherwise reset it on every `up` (terraform-aws-eks does the same).
                ignore_changes=["scalingConfig.desiredSize"],
            ),
        )

    def _addons(
        self,
        name: str,
        args: EksClusterArgs,
        cluster: aws.eks.Cluster,
        tags: dict[str, str],
        groups: list[aws.eks.NodeGroup],
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        part = partition(args.provider.region)
        oidc_arn = self.oidc_provider_arn
        assert oidc_arn is not None
        issuer_host = cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer.removeprefix("https://"))
        trust = pulumi.Output.all(oidc_arn, issuer_host).apply(
            lambda v: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Action": "sts:AssumeRoleWithWebIdentity",
                            "Effect": "Allow",
                            "Principal": {"Federated": v[0]},
                            "Condition": {
                                "StringEquals": {
                                    f"{v[1]}:aud": "sts.amazonaws.com",
                                    f"{v[1]}:sub": EBS_CSI_SERVICE_ACCOUNT,
                                }
                            },
                        }
                    ],
                },
                sort_keys=True,
            )
        )
        ebs_role = aws.iam.Role(f"{name}-ebs-csi", assume_role_policy=trust, tags=tags, opts=child)
        ebs_policy = aws.iam.RolePolicyAttachment(
            f"{name}-ebs-csi",
            role=ebs_role.name,
            policy_arn=f"arn:{part}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
            opts=child,
        )
        addons: dict[str, dict[str, Any]] = {
            "vpc-cni": {
                "addon_version": EKS_ADDON_VPC_CNI,
                # Enforce NetworkPolicies (the team namespaces' default-deny relies on it).
                "configuration_values": json.dumps({"enableNetworkPolicy": "true"}, sort_keys=True),
            },
            "kube-proxy": {"addon_version": EKS_ADDON_KUBE_PROXY[args.provider.kubernetes_version]},
            "coredns": {"addon_version": EKS_ADDON_COREDNS, "_after_nodes": True},
            "aws-ebs-csi-driver": {
                "addon_version": EKS_ADDON_EBS_CSI,
                "service_account_role_arn": ebs_role.arn,
                "_after_nodes": True,
                "_depends": [ebs_policy],
            },
        }
        for addon, settings in addons.items():
            after_nodes = settings.pop("_after_nodes", False)
            extra = settings.pop("_depends", [])
            aws.eks.Addon(
                f"{name}-{addon}",
                cluster_name=self._cluster_name,
                addon_name=addon,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                tags=tags,
                # Deployments (coredns, the EBS CSI controller) need nodes to become ready.
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[*extra, *(groups if after_nodes else [])]
                ),
                **settings,
            )
