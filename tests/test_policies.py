"""The policy pack: every rule passes a good resource and fails a bad one; every blueprint is clean."""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from policies import rules
from policies.rules import Resource, evaluate
from tests.policy_support import (
    BLUEPRINTS,
    blueprint_config,
    blueprint_synthesis,
    run_program,
    synth_resources,
)

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
GOOD_CONTAINER: dict[str, Any] = {
    "name": "app",
    "image": "ghcr.io/acme/app:1.2.3",
    "resources": {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "128Mi"},
    },
    "securityContext": {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    },
}


def deployment(
    namespace: str = "ml",
    name: str = "app",
    container: dict[str, Any] | None = None,
    kind: str = DEPLOYMENT,
    **pod: Any,
) -> Resource:
    spec = {"containers": [container or copy.deepcopy(GOOD_CONTAINER)], **pod}
    body: dict[str, Any] = {"template": {"spec": spec}}
    if kind == "kubernetes:batch/v1:CronJob":
        body = {"jobTemplate": {"spec": body}}
    if kind == "kubernetes:core/v1:Pod":
        body = spec
    props = {"kind": kind.rsplit(":", 1)[1], "metadata": {"name": name, "namespace": namespace}, "spec": body}
    return Resource(type=kind, name=name, props=props)


def container(**changes: Any) -> dict[str, Any]:
    c = copy.deepcopy(GOOD_CONTAINER)
    for path, value in changes.items():
        target = c
        keys = path.split("__")
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        if value is None:
            target.pop(keys[-1], None)
        else:
            target[keys[-1]] = value
    return c


def messages(rule: rules.Check, res: Resource, **config: Any) -> list[str]:
    return rule(res, config)


# ---------------------------------------------------------------- Pod Security restricted
@pytest.mark.parametrize(
    "kind",
    [
        DEPLOYMENT,
        "kubernetes:apps/v1:StatefulSet",
        "kubernetes:apps/v1:DaemonSet",
        "kubernetes:batch/v1:Job",
        "kubernetes:batch/v1:CronJob",
        "kubernetes:core/v1:Pod",
    ],
)
def test_pod_security_every_workload_kind(kind: str) -> None:
    assert messages(rules.check_pod_security, deployment(kind=kind)) == []
    bad = deployment(kind=kind, container=container(securityContext__allowPrivilegeEscalation=None))
    assert messages(rules.check_pod_security, bad) == [
        "container 'app': allowPrivilegeEscalation must be false"
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"securityContext__runAsNonRoot": None}, "runAsNonRoot must be true"),
        ({"securityContext__capabilities": {"drop": ["NET_RAW"]}}, "capabilities must drop ALL"),
        ({"securityContext__capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}}, "capabilities.add"),
        (
            {"securityContext__seccompProfile": {"type": "Unconfined"}},
            "seccompProfile must be RuntimeDefault",
        ),
        ({"securityContext__privileged": True}, "privileged is not allowed"),
        ({"ports": [{"containerPort": 80, "hostPort": 80}]}, "hostPort is not allowed"),
    ],
)
def test_pod_security_container_failures(change: dict[str, Any], expected: str) -> None:
    found = messages(rules.check_pod_security, deployment(container=container(**change)))
    assert any(expected in m for m in found), found


def test_pod_security_pod_level_settings_count() -> None:
    c = container(securityContext__runAsNonRoot=None, securityContext__seccompProfile=None)
    pod_sc = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert messages(rules.check_pod_security, deployment(container=c, securityContext=pod_sc)) == []


@pytest.mark.parametrize("flag", ["hostNetwork", "hostPID", "hostIPC"])
def test_pod_security_host_namespaces(flag: str) -> None:
    assert messages(rules.check_pod_security, deployment(**{flag: True})) == [f"{flag} is not allowed"]


def test_pod_security_host_path() -> None:
    vol = {"name": "logs", "hostPath": {"path": "/var/log"}}
    found = messages(rules.check_pod_security, deployment(volumes=[vol]))
    assert found == ["hostPath volume 'logs' (/var/log) is not allowed"]


def test_exemptions_are_documented_and_narrow() -> None:
    assert set(rules.PRIVILEGED_EXEMPTIONS) == {
        "gpu-operator",
        "stackyard-logshipper",
        "stackyard-monitoring",
    }
    for ex in rules.PRIVILEGED_EXEMPTIONS.values():
        assert len(ex.reason) > 40
    assert all(len(reason) > 10 for reason in rules.SYSTEM_NAMESPACES.values())


def test_gpu_operator_is_exempt_but_only_there() -> None:
    c = container(securityContext={"privileged": True})
    assert messages(rules.check_pod_security, deployment("gpu-operator", container=c)) == []
    assert messages(rules.check_pod_security, deployment("ml", container=c))


def test_logshipper_reads_var_log_read_only_only() -> None:
    c = container(
        securityContext__runAsNonRoot=None,
        securityContext__runAsUser=0,
        volumeMounts=[{"name": "logs", "mountPath": "/var/log", "readOnly": True}],
    )
    vol = [{"name": "logs", "hostPath": {"path": "/var/log/pods"}}]
    ds = "kubernetes:apps/v1:DaemonSet"
    assert (
        messages(
            rules.check_pod_security, deployment("stackyard-logshipper", container=c, kind=ds, volumes=vol)
        )
        == []
    )
    writable = container(volumeMounts=[{"name": "logs", "mountPath": "/var/log"}])
    found = messages(
        rules.check_pod_security, deployment("stackyard-logshipper", container=writable, volumes=vol)
    )
    assert found == ["hostPath volume 'logs' must be mounted read-only"]
    etc = [{"name": "logs", "hostPath": {"path": "/etc"}}]
    found = messages(rules.check_pod_security, deployment("stackyard-logshipper", container=c, volumes=etc))
    assert found and "outside the exemption" in found[0]
    # Still no host network for the shipper.
    assert messages(rules.check_pod_security, deployment("stackyard-logshipper", hostNetwork=True))


def test_node_exporter_exemption_covers_node_exporter_only() -> None:
    c = container(ports=[{"containerPort": 9100, "hostPort": 9100}])
    ne = deployment("stackyard-monitoring", "kps-prometheus-node-exporter", c, hostNetwork=True, hostPID=True)
    assert messages(rules.check_pod_security, ne) == []
    grafana = deployment("stackyard-monitoring", "grafana", c, hostNetwork=True)
    assert len(messages(rules.check_pod_security, grafana)) == 2


def test_system_namespaces_are_not_workload_namespaces() -> None:
    c = container(securityContext={"privileged": True}, resources=None)
    assert messages(rules.check_pod_security, deployment("kube-system", container=c)) == []
    assert messages(rules.check_resources, deployment("kube-system", container=c)) == []


# ---------------------------------------------------------------- resources and images
def test_resources() -> None:
    assert messages(rules.check_resources, deployment()) == []
    found = messages(rules.check_resources, deployment(container=container(resources__limits=None)))
    assert found == ["container 'app': missing resources limits.cpu, limits.memory"]
    init = {**copy.deepcopy(GOOD_CONTAINER), "name": "init", "resources": {}}
    found = messages(rules.check_resources, deployment(initContainers=[init]))
    assert found == [
        "container 'init': missing resources requests.cpu, requests.memory, limits.cpu, limits.memory"
    ]


@pytest.mark.parametrize(
    ("image", "ok"),
    [
        ("ghcr.io/acme/app:1.2.3", True),
        ("registry.corp:5000/mirror/acme/app:v1", True),
        ("nginx@sha256:" + "a" * 64, True),
        ("nginx", False),
        ("nginx:latest", False),
        ("registry.corp:5000/nginx", False),
    ],
)
def test_image_pinned_by_tag(image: str, ok: bool) -> None:
    found = messages(rules.check_image_tag, deployment(container=container(image=image)))
    assert (found == []) is ok, found


def test_image_digest_is_advisory() -> None:
    assert (
        messages(rules.check_image_digest, deployment(container=container(image="a@sha256:" + "b" * 64)))
        == []
    )
    assert messages(rules.check_image_digest, deployment())
    levels = {r.name: r.level for r in rules.RULES}
    assert levels["image-pinned-digest"] == "advisory"
    assert levels["image-pinned-tag"] == "mandatory"


# ---------------------------------------------------------------- exposure and namespaces
def service(type_: str, annotations: dict[str, str] | None = None) -> Resource:
    meta = {"name": "web", "namespace": "ml", "annotations": annotations or {}}
    props = {"kind": "Service", "metadata": meta, "spec": {"type": type_}}
    return Resource("kubernetes:core/v1:Service", "web", props)


def ingress(annotations: dict[str, str], klass: str | None = None) -> Resource:
    spec = {"ingressClassName": klass} if klass else {}
    props = {
        "kind": "Ingress",
        "metadata": {"name": "w", "namespace": "ml", "annotations": annotations},
        "spec": spec,
    }
    return Resource("kubernetes:networking.k8s.io/v1:Ingress", "w", props)


def test_public_exposure() -> None:
    assert messages(rules.check_public_exposure, service("ClusterIP")) == []
    assert messages(rules.check_public_exposure, service("LoadBalancer"))
    assert (
        messages(rules.check_public_exposure, service("LoadBalancer", {"stackyard.io/public": "true"})) == []
    )
    assert messages(rules.check_public_exposure, ingress({}, "nginx")) == []
    assert messages(
        rules.check_public_exposure, ingress({"alb.ingress.kubernetes.io/scheme": "internet-facing"})
    )
    assert messages(rules.check_public_exposure, ingress({}, "gce"))
    assert messages(rules.check_public_exposure, ingress({"stackyard.io/public": "true"}, "gce")) == []


def test_default_namespace() -> None:
    assert messages(rules.check_default_namespace, deployment("ml")) == []
    assert messages(rules.check_default_namespace, deployment("default")) == [
        "resource is in the default namespace"
    ]
    unnamed = Resource("kubernetes:core/v1:ConfigMap", "c", {"kind": "ConfigMap", "metadata": {"name": "c"}})
    assert messages(rules.check_default_namespace, unnamed)
    cluster_scoped = Resource(
        "kubernetes:core/v1:Namespace", "n", {"kind": "Namespace", "metadata": {"name": "n"}}
    )
    assert messages(rules.check_default_namespace, cluster_scoped) == []


# ---------------------------------------------------------------- data
@pytest.mark.parametrize(
    "type_",
    [
        "kubernetes:minio.min.io/v2:Tenant",
        "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch",
        "kubernetes:core/v1:PersistentVolumeClaim",
        "aws:s3/bucket:Bucket",
        "gcp:storage/bucket:Bucket",
    ],
)
def test_stateful_protected(type_: str) -> None:
    assert messages(rules.check_protected, Resource(type_, "x", {}, protect=True)) == []
    assert messages(rules.check_protected, Resource(type_, "x", {}, protect=False))
    assert messages(rules.check_protected, Resource(type_, "x", {}), allowUnprotected=True) == []


def test_prometheus_needs_protect_only_with_storage() -> None:
    prom = "kubernetes:monitoring.coreos.com/v1:Prometheus"
    assert messages(rules.check_protected, Resource(prom, "p", {"spec": {}})) == []
    assert messages(
        rules.check_protected, Resource(prom, "p", {"spec": {"storage": {"volumeClaimTemplate": {}}}})
    )


# ---------------------------------------------------------------- GPU placement
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}


def test_gpu_placement() -> None:
    gpu = container(resources__limits={"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": "1"})
    assert messages(rules.check_gpu_placement, deployment(container=gpu, tolerations=[GPU_TOLERATION])) == []
    assert messages(rules.check_gpu_placement, deployment(container=gpu)) == [
        "requests nvidia.com/gpu but does not tolerate the nvidia.com/gpu taint"
    ]
    assert messages(rules.check_gpu_placement, deployment()) == []
    assert messages(rules.check_gpu_placement, deployment(tolerations=[GPU_TOLERATION]))
    assert messages(rules.check_gpu_placement, deployment(tolerations=[{"operator": "Exists"}]))
    # Node agents (DaemonSets) and the GPU operator run on GPU nodes without requesting GPUs.
    ds = deployment(kind="kubernetes:apps/v1:DaemonSet", tolerations=[{"operator": "Exists"}])
    assert messages(rules.check_gpu_placement, ds) == []
    assert messages(rules.check_gpu_placement, deployment("gpu-operator", tolerations=[GPU_TOLERATION])) == []


# ---------------------------------------------------------------- cloud
def eks(**props: Any) -> Resource:
    base = {
        "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False},
        "encryptionConfig": {"provider": {"keyArn": "arn:k"}, "resources": ["secrets"]},
    }
    return Resource("aws:eks/cluster:Cluster", "c", {**base, **props})


def test_eks_cluster() -> None:
    assert messages(rules.check_eks_cluster, eks()) == []
    public = eks(vpcConfig={"endpointPublicAccess": True})
    assert messages(rules.check_eks_cluster, public)
    assert messages(rules.check_eks_cluster, eks(vpcConfig={}))  # AWS defaults to public
    assert messages(rules.check_eks_cluster, public, allowPublicEndpoint=True) == []
    tagged = eks(vpcConfig={"endpointPublicAccess": True}, tags={"stackyard.io/public-endpoint": "true"})
    assert messages(rules.check_eks_cluster, tagged) == []
    assert messages(rules.check_eks_cluster, eks(encryptionConfig=None)) == [
        "encryptionConfig with resources [secrets] is required"
    ]


def gke(**props: Any) -> Resource:
    base = {
        "privateClusterConfig": {"enablePrivateNodes": True, "enablePrivateEndpoint": True},
        "databaseEncryption": {"state": "ENCRYPTED", "keyName": "k"},
    }
    return Resource("gcp:container/cluster:Cluster", "c", {**base, **props})


def test_gke_cluster() -> None:
    assert messages(rules.check_gke_cluster, gke()) == []
    assert messages(rules.check_gke_cluster, gke(databaseEncryption={"state": "DECRYPTED"}))
    assert len(messages(rules.check_gke_cluster, gke(privateClusterConfig={}))) == 2
    semi = gke(privateClusterConfig={"enablePrivateNodes": True, "enablePrivateEndpoint": False})
    assert messages(rules.check_gke_cluster, semi, allowPublicEndpoint=True) == []


def test_nodes_without_public_ips() -> None:
    ng = "aws:eks/nodeGroup:NodeGroup"
    assert messages(rules.check_node_public_ips, Resource(ng, "n", {"subnetIds": ["s"]})) == []
    assert messages(rules.check_node_public_ips, Resource(ng, "n", {"remoteAccess": {"ec2SshKey": "k"}}))
    lt = "aws:ec2/launchTemplate:LaunchTemplate"
    assert messages(rules.check_node_public_ips, Resource(lt, "l", {"networkInterfaces": [{}]})) == []
    bad_lt = {"networkInterfaces": [{"associatePublicIpAddress": "true"}]}
    assert messages(rules.check_node_public_ips, Resource(lt, "l", bad_lt))
    sub = "aws:ec2/subnet:Subnet"
    assert messages(rules.check_node_public_ips, Resource(sub, "s", {"mapPublicIpOnLaunch": False})) == []
    assert messages(rules.check_node_public_ips, Resource(sub, "s", {"mapPublicIpOnLaunch": True}))
    pool = "gcp:container/nodePool:NodePool"
    assert messages(rules.check_node_public_ips, Resource(pool, "p", {})) == []
    assert messages(
        rules.check_node_public_ips, Resource(pool, "p", {"networkConfig": {"enablePrivateNodes": False}})
    )


def test_buckets_not_public() -> None:
    pab = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
    keys = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert messages(rules.check_bucket_public, Resource(pab, "p", dict.fromkeys(keys, True))) == []
    assert messages(
        rules.check_bucket_public,
        Resource(pab, "p", {**dict.fromkeys(keys, True), "blockPublicPolicy": False}),
    )
    gcs = "gcp:storage/bucket:Bucket"
    assert (
        messages(rules.check_bucket_public, Resource(gcs, "b", {"publicAccessPrevention": "enforced"})) == []
    )
    assert messages(rules.check_bucket_public, Resource(gcs, "b", {"publicAccessPrevention": "inherited"}))
    assert messages(rules.check_bucket_public, Resource("aws:s3/bucket:Bucket", "b", {"acl": "public-read"}))


def test_s3_encryption_config() -> None:
    sse = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    good = {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]}
    assert messages(rules.check_sse_config, Resource(sse, "e", good)) == []
    assert messages(rules.check_sse_config, Resource(sse, "e", {"rules": [{}]}))


def test_every_s3_bucket_is_guarded() -> None:
    bucket = Resource("aws:s3/bucket:Bucket", "b", {"bucket": "data"}, urn="urn:b")
    pab = Resource(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "p", {}, dependencies=frozenset({"urn:b"})
    )
    sse = Resource(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "e",
        {"bucket": "b-id"},
    )
    assert rules.check_s3_guarded([bucket, pab, sse], {}) == []
    found = rules.check_s3_guarded([bucket], {})
    assert [m for _, m in found] == [
        "S3 bucket has no BucketPublicAccessBlock",
        "S3 bucket has no server-side encryption configuration",
    ]


# ---------------------------------------------------------------- the pack itself
def test_pack_wraps_every_rule_with_its_level() -> None:
    from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

    policies = rules.all_policies()
    names = [p.name for p in policies]
    assert len(names) == len(set(names)) == len(rules.RULES) + len(rules.STACK_RULES)
    for p in policies:
        assert isinstance(p, ResourceValidationPolicy | StackValidationPolicy)
    levels = {p.name: p.enforcement_level for p in policies}
    assert levels["image-pinned-digest"] == EnforcementLevel.ADVISORY
    assert all(v == EnforcementLevel.MANDATORY for k, v in levels.items() if k != "image-pinned-digest")


def test_pack_reports_through_the_sdk() -> None:
    """A policy object reports the pure function's messages through the SDK's callback."""
    from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs

    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    bad = service("LoadBalancer")
    args = ResourceValidationArgs(bad.type, bad.props, "urn:x", "web", opts, None)
    policy = next(p for p in rules.resource_policies() if p.name == "no-public-exposure")
    reported: list[str] = []
    policy.validate(args, lambda message, urn=None: reported.append(message))
    assert reported == ['Service type LoadBalancer needs the annotation stackyard.io/public: "true"']


def test_rules_read_the_sdks_proxied_properties() -> None:
    """The engine's properties arrive as the SDK's read-only Mapping/Sequence proxies, not dicts
    and lists: every nested rule must still see the containers inside them."""
    from pulumi_policy.proxy import unknown_checking_proxy

    bad = deployment(container=container(image="nginx:latest", resources=None))
    proxied = Resource(type=bad.type, name=bad.name, props=unknown_checking_proxy(dict(bad.props)))
    assert not isinstance(proxied.props["spec"]["template"]["spec"]["containers"], list)
    found = {v.rule for v in evaluate([proxied])}
    assert found == {v.rule for v in evaluate([bad])}
    assert {"container-resources", "image-pinned-tag"} <= found


# ---------------------------------------------------------------- real synthesized output
def mandatory(found: list[rules.Violation]) -> list[str]:
    return [f"{v.rule}: {v.resource}: {v.message}" for v in found if v.level == "mandatory"]


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_every_blueprint_passes_every_mandatory_rule(name: str) -> None:
    _, resources = blueprint_synthesis(name)
    assert resources
    assert mandatory(evaluate(resources)) == []


def test_blueprints_exercise_the_rules() -> None:
    """The zero-violation result above means something: the rules did see workloads and data."""
    seen = {r.type for name in BLUEPRINTS for r in blueprint_synthesis(name)[1]}
    assert seen & set(rules.WORKLOAD_TYPES)
    assert seen & rules.STATEFUL_TYPES


def test_bad_resources_fail() -> None:
    """A Deployment without limits in a team namespace and a LoadBalancer Service are refused."""

    def program() -> None:
        k8s.apps.v1.Deployment(
            "no-limits",
            metadata={"name": "no-limits", "namespace": "ml"},
            spec={
                "selector": {"matchLabels": {"app": "x"}},
                "template": {
                    "metadata": {"labels": {"app": "x"}},
                    "spec": {"containers": [{"name": "x", "image": "nginx"}]},
                },
            },
        )
        k8s.core.v1.Service(
            "lb",
            metadata={"name": "lb", "namespace": "ml"},
            spec={"type": "LoadBalancer", "ports": [{"port": 80}]},
        )
        k8s.core.v1.PersistentVolumeClaim(
            "data",
            metadata={"name": "data", "namespace": "ml"},
            spec={"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
            opts=pulumi.ResourceOptions(protect=False),
        )

    found = evaluate(run_program(program))
    failed = {(v.rule, v.resource.rsplit("::", 1)[1]) for v in found if v.level == "mandatory"}
    assert {
        ("container-resources", "no-limits"),
        ("pod-security-restricted", "no-limits"),
        ("image-pinned-tag", "no-limits"),
        ("no-public-exposure", "lb"),
        ("stateful-protected", "data"),
    } <= failed


def test_delete_on_destroy_config_fails_protection_unless_allowed() -> None:
    """A stack that allows deleting its data fails the protect rule unless the pack is told so."""
    cfg = blueprint_config("onprem-gpu")
    cfg = cfg.model_copy(update={"data": cfg.data.model_copy(update={"delete_on_destroy": True})})
    _, resources = synth_resources(cfg)
    unprotected = sorted(v.resource for v in evaluate(resources) if v.rule == "stateful-protected")
    stateful = sorted(f"{r.type}::{r.name}" for r in resources if r.type in rules.STATEFUL_TYPES)
    assert stateful and unprotected == stateful
    assert [
        v for v in evaluate(resources, {"allowUnprotected": True}) if v.rule == "stateful-protected"
    ] == []
