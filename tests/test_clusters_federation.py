"""Cloud clusters, GPU node pools, federation and the cost report, as properties under mocks."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import pytest

from components.catalog import load_catalogue
from components.eks import EKS_OIDC_THUMBPRINT
from components.federation import RankedCluster, placement_spec
from components.versions import (
    EKS_ADDON_COREDNS,
    EKS_ADDON_EBS_CSI,
    EKS_ADDON_KUBE_PROXY,
    EKS_ADDON_VPC_CNI,
    KARMADA,
    KARMADA_AGENT_IMAGE,
)
from stacks.cost import HOURS_PER_MONTH, burst_ranking, cost_report, render
from stacks.synth import Declared, Synthesis, inventory
from tests.conftest import platform, synth
from tests.crd_schema import validate_custom_resource

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}

# gcp hosts Karmada; members: an on-prem cluster (pull), two AWS clusters (push).
FED: dict[str, Any] = {
    "name": "acme",
    "clusters": [
        {
            "name": "dc",
            "provider": {
                "kind": "onprem",
                "kubeconfig": "dc.yaml",
                "gpu_hourly_cost": 0.5,
                "storage_class": "ceph",
            },
            "node_pools": [
                {"name": "a100", "nodes": ["gpu-0"], "gpu": {"accelerator": "nvidia-a100-80gb", "count": 8}}
            ],
        },
        {
            "name": "east",
            "provider": {"kind": "aws", "region": "us-east-1"},
            "node_pools": [
                {"name": "cpu", "machine_type": "m6i.xlarge"},
                {"name": "a10g", "min_size": 2, "max_size": 4, "gpu": {"accelerator": "nvidia-a10g"}},
            ],
        },
        {
            "name": "west",
            "provider": {
                "kind": "aws",
                "region": "eu-west-1",
                "endpoint_public": True,
                "public_access_cidrs": ["203.0.113.0/24"],
            },
            "node_pools": [
                {
                    "name": "a10g",
                    "min_size": 0,
                    "max_size": 2,
                    "spot": True,
                    "gpu": {"accelerator": "nvidia-a10g"},
                }
            ],
        },
        {
            "name": "ml",
            "provider": {
                "kind": "gcp",
                "project": "acme-ml-prod",
                "region": "us-central1",
                "zones": ["us-central1-a", "us-central1-b"],
            },
            "node_pools": [
                {
                    "name": "l4",
                    "spot": True,
                    "max_size": 3,
                    "gpu": {
                        "accelerator": "nvidia-l4",
                        "sharing": "time-slicing",
                        "time_slicing_replicas": 4,
                    },
                }
            ],
        },
    ],
    "teams": [{"name": "vision", "quota": {"gpu": 4}}, {"name": "nlp"}],
    "federation": {"host": "ml", "members": [{"cluster": "east"}, {"cluster": "dc"}, {"cluster": "west"}]},
}


@functools.cache
def fed_synth() -> Synthesis:
    return synth(copy.deepcopy(FED))


def one(result: Synthesis, type_: str, name: str) -> dict[str, Any]:
    return result.one(type_, name).inputs


def k8s(result: Synthesis, kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [(c, o) for c, o in result.k8s_objects() if o["kind"] == kind]


def karmada_objects(result: Synthesis) -> list[dict[str, Any]]:
    return [o for _, o in result.k8s_objects() if o.get("apiVersion", "").endswith("karmada.io/v1alpha1")]


def rpc_unwrap(value: Any) -> Any:
    from pulumi.runtime import rpc

    return rpc.unwrap_rpc_secret(value) if rpc.is_rpc_secret(value) else value


# --- EKS ---------------------------------------------------------------------------------------


def test_eks_gpu_node_group_from_catalogue_tainted_and_labelled() -> None:
    group = one(fed_synth(), "aws:eks/nodeGroup:NodeGroup", "east-a10g")
    offer = load_catalogue().find("aws", "nvidia-a10g", 1, "us-east-1")
    assert offer is not None
    assert group["amiType"] == "AL2023_x86_64_NVIDIA"
    assert group["instanceTypes"] == [offer.machine_type] == ["g5.xlarge"]
    assert group["capacityType"] == "ON_DEMAND"
    assert group["taints"] == [GPU_TAINT]
    assert group["labels"]["stackyard.io/accelerator"] == "nvidia-a10g"
    assert group["labels"]["stackyard.io/node-pool"] == "a10g"
    assert group["scalingConfig"] == {"minSize": 2, "maxSize": 4, "desiredSize": 2}
    assert group["diskSize"] == 100
    # Private subnets only.
    private = {r.urn for r in fed_synth().resources if r.name.startswith("east-private-")}
    assert len(group["subnetIds"]) == 3
    assert all(s.startswith("east-private-") for s in group["subnetIds"]) and private
    spot = one(fed_synth(), "aws:eks/nodeGroup:NodeGroup", "west-a10g")
    assert spot["capacityType"] == "SPOT"


def test_eks_cpu_pool_is_standard_and_untainted() -> None:
    group = one(fed_synth(), "aws:eks/nodeGroup:NodeGroup", "east-cpu")
    assert group["amiType"] == "AL2023_x86_64_STANDARD"
    assert group["instanceTypes"] == ["m6i.xlarge"]
    assert not group.get("taints")
    assert "stackyard.io/accelerator" not in group["labels"]


def test_eks_private_endpoint_kms_and_api_auth() -> None:
    east = one(fed_synth(), "aws:eks/cluster:Cluster", "east-eks")
    assert east["vpcConfig"]["endpointPrivateAccess"] is True
    assert east["vpcConfig"]["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in east["vpcConfig"]
    assert east["encryptionConfig"]["resources"] == ["secrets"]
    assert east["encryptionConfig"]["provider"]["keyArn"] == "arn:synth:east-secrets-key"
    assert east["accessConfig"]["authenticationMode"] == "API"
    assert east["version"] == "1.34"
    assert one(fed_synth(), "aws:kms/key:Key", "east-secrets-key")["enableKeyRotation"] is True
    west = one(fed_synth(), "aws:eks/cluster:Cluster", "west-eks")
    assert west["vpcConfig"]["endpointPublicAccess"] is True
    assert west["vpcConfig"]["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_eks_network_zones_named_and_no_public_ips() -> None:
    subnets = [r.inputs for r in fed_synth().by_type("aws:ec2/subnet:Subnet") if r.name.startswith("east-")]
    assert sorted({s["availabilityZone"] for s in subnets}) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert all(s["mapPublicIpOnLaunch"] is False for s in subnets)


def test_eks_oidc_addons_and_least_privilege_roles() -> None:
    oidc = one(fed_synth(), "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "east-oidc")
    assert oidc["thumbprintLists"] == [EKS_OIDC_THUMBPRINT]
    assert oidc["clientIdLists"] == ["sts.amazonaws.com"]
    addons = {
        r.inputs["addonName"]: r.inputs
        for r in fed_synth().by_type("aws:eks/addon:Addon")
        if r.name.startswith("east-")
    }
    assert {k: v["addonVersion"] for k, v in addons.items()} == {
        "vpc-cni": EKS_ADDON_VPC_CNI,
        "coredns": EKS_ADDON_COREDNS,
        "kube-proxy": EKS_ADDON_KUBE_PROXY["1.34"],
        "aws-ebs-csi-driver": EKS_ADDON_EBS_CSI,
    }
    assert (
        addons["aws-ebs-csi-driver"]["serviceAccountRoleArn"] == "arn:aws:iam::000000000000:role/east-ebs-csi"
    )
    assert json.loads(addons["vpc-cni"]["configurationValues"]) == {"enableNetworkPolicy": "true"}
    policies = sorted(
        r.inputs["policyArn"].rsplit("/", 1)[-1]
        for r in fed_synth().by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.name.startswith("east-")
    )
    assert policies == [
        "AmazonEBSCSIDriverPolicy",
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonEKSClusterPolicy",
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
    ]


def test_kubeconfigs_are_secret_and_exec_based() -> None:
    inv = inventory(fed_synth())
    providers = {r["name"]: r["inputs"] for r in inv if r["type"] == "pulumi:providers:kubernetes"}
    assert providers["east-k8s"]["kubeconfig"] == "[secret]"
    assert providers["ml-k8s"]["kubeconfig"] == "[secret]"
    from components.eks import kubeconfig_document

    doc = json.loads(kubeconfig_document("c", "https://x", "Y2E=", "us-east-1"))
    assert doc["users"][0]["user"]["exec"]["command"] == "aws"
    assert doc["users"][0]["user"]["exec"]["args"][:2] == ["eks", "get-token"]
    assert kubeconfig_document("c", "https://x", "Y2E=", "us-east-1") == kubeconfig_document(
        "c", "https://x", "Y2E=", "us-east-1"
    )


# --- GKE ---------------------------------------------------------------------------------------


def test_gke_gpu_node_pool() -> None:
    pool = one(fed_synth(), "gcp:container/nodePool:NodePool", "ml-l4")
    node = pool["nodeConfig"]
    offer = load_catalogue().find("gcp", "nvidia-l4", 1, "us-central1")
    assert offer is not None
    assert node["machineType"] == offer.machine_type == "g2-standard-8"
    assert node["guestAccelerators"] == [
        {
            "type": "nvidia-l4",
            "count": 1,
            "gpuDriverInstallationConfig": {"gpuDriverVersion": "DEFAULT"},
            "gpuSharingConfig": {"gpuSharingStrategy": "TIME_SHARING", "maxSharedClientsPerGpu": 4},
        }
    ]
    assert node["spot"] is True
    assert node["taints"] == [GPU_TAINT]
    assert node["labels"]["stackyard.io/accelerator"] == "nvidia-l4"
    assert node["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert node["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
    assert pool["autoscaling"]["totalMinNodeCount"] == 1 and pool["autoscaling"]["totalMaxNodeCount"] == 3
    assert pool["nodeLocations"] == ["us-central1-a", "us-central1-b"]


def test_gke_mig_partition() -> None:
    data = copy.deepcopy(FED)
    data.pop("federation")
    data["clusters"] = [data["clusters"][3]]
    data["clusters"][0]["node_pools"] = [
        {
            "name": "a100",
            "gpu": {"accelerator": "nvidia-a100-40gb", "sharing": "mig", "mig_profile": "all-1g.5gb"},
        }
    ]
    accel = one(synth(data), "gcp:container/nodePool:NodePool", "ml-a100")["nodeConfig"]["guestAccelerators"][
        0
    ]
    assert accel["type"] == "nvidia-tesla-a100"
    assert accel["gpuPartitionSize"] == "1g.5gb"
    assert "gpuSharingConfig" not in accel


def test_gke_private_nodes_workload_identity_encryption() -> None:
    cluster = one(fed_synth(), "gcp:container/cluster:Cluster", "ml-gke")
    assert cluster["privateClusterConfig"]["enablePrivateNodes"] is True
    assert cluster["privateClusterConfig"]["enablePrivateEndpoint"] is True
    assert cluster["workloadIdentityConfig"] == {"workloadPool": "acme-ml-prod.svc.id.goog"}
    assert cluster["databaseEncryption"]["state"] == "ENCRYPTED"
    assert cluster["removeDefaultNodePool"] is True and cluster["initialNodeCount"] == 1
    assert cluster["deletionProtection"] is True
    assert cluster["releaseChannel"] == {"channel": "REGULAR"}
    assert cluster["minMasterVersion"] == "1.34"
    assert one(fed_synth(), "gcp:kms/cryptoKey:CryptoKey", "ml-secrets-key")["rotationPeriod"] == "7776000s"
    roles = sorted(r.inputs["role"] for r in fed_synth().by_type("gcp:projects/iAMMember:IAMMember"))
    assert roles == [
        "roles/artifactregistry.reader",
        "roles/logging.logWriter",
        "roles/monitoring.metricWriter",
    ]


# --- On-prem -----------------------------------------------------------------------------------


def test_onprem_node_patch_labels_and_taints() -> None:
    patch = one(fed_synth(), "kubernetes:core/v1:NodePatch", "dc-nodes-a100-gpu-0")
    assert patch["metadata"]["name"] == "gpu-0"
    assert patch["metadata"]["labels"]["stackyard.io/accelerator"] == "nvidia-a100-80gb"
    assert patch["metadata"]["labels"]["stackyard.io/gpu-count"] == "8"
    assert patch["spec"]["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]


# --- Federation --------------------------------------------------------------------------------


def test_karmada_chart_pinned_on_host() -> None:
    release: Declared = fed_synth().one("kubernetes:helm.sh/v3:Release", "ml-federation-karmada")
    assert release.inputs["chart"] == KARMADA.name
    assert release.inputs["version"] == KARMADA.version
    assert release.inputs["repositoryOpts"]["repo"] == KARMADA.repo
    assert release.inputs["values"]["installMode"] == "host"
    assert release.inputs["values"]["etcd"]["internal"]["storageType"] == "pvc"
    assert release.provider.startswith("urn:pulumi:synth::stackyard::") and "ml-k8s" in release.provider


def test_karmada_objects_validate_against_crds() -> None:
    objs = [o for o in karmada_objects(fed_synth()) if o["kind"] != "Cluster"]
    assert {o["kind"] for o in objs} == {"PropagationPolicy", "OverridePolicy", "ClusterPropagationPolicy"}
    for obj in objs:
        assert validate_custom_resource(obj) == [], obj["metadata"]


def test_burst_order_is_the_cost_ranking() -> None:
    ranking = burst_ranking(platform(copy.deepcopy(FED)))
    # dc is on-prem; west's spot A10G ($0.4523/GPU-h) beats east's on-demand ($1.006).
    assert [r.cluster for r in ranking] == ["dc", "west", "east"]
    assert ranking[1].gpu_hour == pytest.approx(0.4523)
    assert "spot g5.xlarge" in ranking[1].reason
    policies = [o for _, o in k8s(fed_synth(), "PropagationPolicy")]
    assert {p["metadata"]["namespace"] for p in policies} == {"vision", "nlp"}
    placement = policies[0]["spec"]["placement"]
    groups = [g["clusterNames"] for g in placement["clusterAffinities"]]
    assert groups == [["dc"], ["dc", "west"], ["dc", "west", "east"]]
    weights = {
        w["targetCluster"]["clusterNames"][0]: w["weight"]
        for w in placement["replicaScheduling"]["weightPreference"]["staticWeightList"]
    }
    assert weights["dc"] > weights["west"] > weights["east"]
    assert placement["replicaScheduling"]["replicaDivisionPreference"] == "Weighted"


def test_replicate_and_failover_placements() -> None:
    ranking = [
        RankedCluster("a", "onprem", 1, 0.0, ""),
        RankedCluster("c", "aws", 3, 2.0, ""),
        RankedCluster("b", "gcp", 2, 1.0, ""),
    ]
    rep = placement_spec("replicate", ranking)
    assert rep["replicaScheduling"] == {"replicaSchedulingType": "Duplicated"}
    assert rep["clusterAffinity"]["clusterNames"] == ["a", "b", "c"]
    fail = placement_spec("failover", ranking)
    assert [g["clusterNames"] for g in fail["clusterAffinities"]] == [["a"], ["b"], ["c"]]


def test_override_policies_per_member() -> None:
    data = copy.deepcopy(FED)
    data["airgap"] = {"image_registry": "registry.corp:5000/mirror"}
    result = synth(data)
    overrides = {
        (o["metadata"]["namespace"], o["metadata"]["name"]): o["spec"]
        for _, o in k8s(result, "OverridePolicy")
    }
    gpu = overrides[("vision", "dc-gpu")]["overrideRules"][0]
    assert gpu["targetCluster"] == {"clusterNames": ["dc"]}
    plain = {p["path"]: p["value"] for p in gpu["overriders"]["plaintext"]}
    assert plain["/spec/template/spec/nodeSelector"] == {"stackyard.io/node-pool": "a100"}
    assert plain["/spec/template/spec/tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
    ]
    storage = overrides[("vision", "dc-storage")]["overrideRules"][0]["overriders"]["plaintext"][0]
    assert storage == {"path": "/spec/storageClassName", "operator": "add", "value": "ceph"}
    mirror = overrides[("nlp", "east-mirror")]["overrideRules"][0]["overriders"]["imageOverrider"]
    assert mirror == [{"component": "Registry", "operator": "replace", "value": "registry.corp:5000/mirror"}]
    for obj in karmada_objects(result):
        if obj["kind"] != "Cluster":
            assert validate_custom_resource(obj) == []
    release = one(result, "kubernetes:helm.sh/v3:Release", "ml-federation-karmada")
    assert release["values"]["global"]["imageRegistry"] == "registry.corp:5000/mirror"
    agent = next(
        o for c, o in k8s(result, "Deployment") if c == "dc" and o["metadata"]["name"] == "karmada-agent"
    )
    assert agent["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "registry.corp:5000/mirror/karmada/karmada-agent:" + KARMADA_AGENT_IMAGE.rsplit(":", 1)[1]
    )


def test_push_members_register_with_secret_credentials() -> None:
    result = fed_synth()
    clusters = {o["metadata"]["name"]: o for o in karmada_objects(result) if o["kind"] == "Cluster"}
    assert sorted(clusters) == ["east", "west"]  # dc is on-prem: pull
    east = clusters["east"]["spec"]
    assert east["syncMode"] == "Push"
    assert east["apiEndpoint"] == "https://east-eks.eks.example.invalid"
    assert east["secretRef"] == {"namespace": "karmada-cluster", "name": "east-credentials"}
    creds = {r["name"]: r["inputs"] for r in inventory(result) if r["type"] == "kubernetes:core/v1:Secret"}
    assert creds["ml-federation-east-credentials"]["data"] == "[secret]"
    raw = fed_synth().one("kubernetes:core/v1:Secret", "ml-federation-east-credentials").inputs["data"]
    assert sorted(rpc_unwrap(raw)) == ["caBundle", "token"]
    token = creds["ml-federation-east-token"]
    assert token["type"] == "kubernetes.io/service-account-token"
    # The token secret lives on the member; the credentials on the Karmada API.
    decl = {r.name: r.provider for r in result.resources}
    assert "east-k8s" in decl["ml-federation-east-token"]
    assert "ml-federation-karmada-api" in decl["ml-federation-east-credentials"]


def test_pull_agent_restricted_and_waits_for_out_of_band_secret() -> None:
    result = fed_synth()
    agents = [(c, o) for c, o in k8s(result, "Deployment") if o["metadata"]["name"] == "karmada-agent"]
    assert [c for c, _ in agents] == ["dc"]
    agent = agents[0][1]
    container = agent["spec"]["template"]["spec"]["containers"][0]
    assert container["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["resources"]["limits"]["memory"] == "256Mi"
    assert "--cluster-name=dc" in container["command"]
    assert (
        agent["spec"]["template"]["spec"]["volumes"][0]["secret"]["secretName"] == "karmada-agent-kubeconfig"
    )
    # No control-plane kubeconfig in config: no Secret with an empty kubeconfig, and `up` does not block.
    assert agent["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
    assert not [o for c, o in k8s(result, "Secret") if o["metadata"]["name"] == "karmada-agent-kubeconfig"]


def test_on_prem_push_is_rejected() -> None:
    data = copy.deepcopy(FED)
    data["federation"]["members"][1]["mode"] = "push"
    with pytest.raises(Exception, match="pull mode"):
        synth(data)


# --- Cost --------------------------------------------------------------------------------------


def test_cost_figures_match_the_catalogue() -> None:
    report = cost_report(platform(copy.deepcopy(FED)))
    east = report.pool("east", "a10g")
    assert east.machine_type == "g5.xlarge" and east.capacity == "on-demand"
    assert east.on_demand.hourly_min == pytest.approx(2 * 1.006)
    assert east.on_demand.hourly_max == pytest.approx(4 * 1.006)
    assert east.on_demand.monthly_max == pytest.approx(4 * 1.006 * 730)
    assert east.spot is not None and east.spot.hourly_min == pytest.approx(2 * 0.4523)
    assert east.chosen == east.on_demand
    west = report.pool("west", "a10g")
    assert west.capacity == "spot" and west.chosen.hourly_max == pytest.approx(2 * 0.4523)
    assert west.chosen.hourly_min == 0
    ml = report.pool("ml", "l4")
    assert ml.chosen.hourly_min == pytest.approx(0.3416) and ml.chosen.hourly_max == pytest.approx(3 * 0.3416)
    dc = report.pool("dc", "a100")
    assert dc.capacity == "owned" and dc.spot is None
    assert dc.chosen.hourly_min == pytest.approx(8 * 0.5)
    assert [p.pool for c in report.clusters for p in c.pools] == ["a100", "a10g", "a10g", "l4"]
    assert report.total.hourly_min == pytest.approx(4.0 + 2.012 + 0 + 0.3416)
    assert HOURS_PER_MONTH == 730
    text = render(report)
    assert "g5.xlarge" in text and "2.01-4.02 *" in text and "730 hours" in text


def test_catalogue_validates() -> None:
    catalogue = load_catalogue()
    assert catalogue.version == 1
    for provider in ("aws", "gcp"):
        assert all(o.spot < o.on_demand for o in catalogue.providers[provider].offers)  # type: ignore[index]


def test_adopted_clusters_get_node_pools_but_no_new_control_plane() -> None:
    data = copy.deepcopy(FED)
    data.pop("federation")
    east, ml = data["clusters"][1], data["clusters"][3]
    east["provider"].update(
        existing_cluster="legacy",
        network={
            "vpc_id": "vpc-0123456789abcdef0",
            "private_subnet_ids": ["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
        },
    )
    ml["provider"]["existing_cluster"] = "legacy-gke"
    data["clusters"] = [east, ml]
    result = synth(data)
    assert not result.by_type("aws:eks/cluster:Cluster") and not result.by_type("aws:ec2/vpc:Vpc")
    assert not result.by_type("gcp:container/cluster:Cluster")
    group = one(result, "aws:eks/nodeGroup:NodeGroup", "east-a10g")
    assert group["subnetIds"] == ["subnet-0a1b2c3d", "subnet-0e1f2a3b"]
    assert group["clusterName"] == "legacy"
    assert one(result, "gcp:container/nodePool:NodePool", "ml-l4")["cluster"] == "legacy-gke"
    providers = {
        r["name"]: r["inputs"] for r in inventory(result) if r["type"] == "pulumi:providers:kubernetes"
    }
    assert providers["east-k8s"]["kubeconfig"] == "[secret]"


def test_onprem_kubeconfig_path_is_made_absolute_for_the_provider(tmp_path: Path, monkeypatch: Any) -> None:
    # The program runs in stacks/ and the provider plugin elsewhere: a relative path is the
    # project root's (where Pulumi.yaml is), as for `stackyard cluster up`.
    import pulumi

    from components.onprem import _absolute

    monkeypatch.setattr(pulumi, "get_root_directory", lambda: str(tmp_path / "project"))
    assert _absolute(".stackyard/kubeconfig") == str(tmp_path / "project" / ".stackyard" / "kubeconfig")
    assert _absolute("/etc/k8s/admin.conf") == "/etc/k8s/admin.conf"
    assert _absolute("~/.kube/config") == "~/.kube/config"
    assert _absolute("") == ""
    monkeypatch.setattr(pulumi, "get_root_directory", lambda: None)
    monkeypatch.chdir(tmp_path)
    assert _absolute("kc") == str(tmp_path / "kc")
