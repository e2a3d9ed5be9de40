"""Knative (operator, Serving, Eventing, event sources) and KServe under mocks, as properties."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from components import versions
from components.knative import INGRESS_CLASS
from components.scheduling import DEFAULT_GPU_TAINT, PoolPlacement
from components.serving import TRACING_HEADERS, inference_service, with_propagated_headers
from components.settings import ServingAddon
from stacks import synth as synth_module
from stacks.loader import ConfigError
from stacks.synth import Synthesis
from tests.conftest import LOCAL, platform, synth
from tests.crd_schema import has_crd, validate_custom_resource

EVENT_NS = "stackyard-events"
SOURCES: list[dict[str, Any]] = [
    {"type": "ping", "name": "tick", "schedule": "*/5 * * * *", "data": '{"hello": 1}'},
    {
        "type": "apiserver",
        "name": "watch",
        "resources": [
            {"api_version": "v1", "kind": "Event"},
            {"api_version": "apps/v1", "kind": "Deployment"},
        ],
    },
    {
        "type": "aws-sqs",
        "name": "jobs",
        "queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs",
        "region": "eu-west-1",
        "secret_name": "aws-creds",
    },
    {
        "type": "github",
        "name": "repo",
        "namespace": "git-events",
        "repository": "acme/models",
        "secret_name": "gh",
    },
    {"type": "gcs", "name": "bucket", "project": "acme", "bucket": "raw", "secret_name": "gcp-key"},
]


def config(**addons: Any) -> dict[str, Any]:
    data = copy.deepcopy(LOCAL)
    # CPU-only cluster: the GPU add-on belongs to another component family.
    data["clusters"][0]["node_pools"] = [{"name": "cpu", "nodes": ["cpu-0"]}]
    data["teams"][0]["quota"] = {"gpu": 0}
    data["addons"] = {
        "knative": {
            "enabled": True,
            "scale_to_zero": False,
            "scale_to_zero_grace_period": "45s",
            "target_concurrency": 25,
            "event_sources": SOURCES,
        },
        "serving": {"enabled": True, "runtimes": ["onnx", "sklearn"]},
        **addons,
    }
    return data


@functools.cache
def synthesized() -> Synthesis:
    return synth(config())


def objects(result: Synthesis, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for _, o in result.k8s_objects() if o["kind"] == kind}


def custom_resources(result: Synthesis) -> Iterator[dict[str, Any]]:
    for r in result.resources:
        if (
            r.type.startswith("kubernetes:")
            and "/" in r.type
            and "kind" in r.inputs
            and "." in r.type.split(":")[1]
        ):
            yield synth_module.redact(r.inputs)


def test_operator_and_kserve_charts_are_pinned() -> None:
    result = synthesized()
    operator = result.one("kubernetes:helm.sh/v4:Chart", "local-knative-operator").inputs
    assert (operator["chart"], operator["version"]) == (
        versions.KNATIVE_OPERATOR.name,
        versions.KNATIVE_OPERATOR.version,
    )
    assert operator["repositoryOpts"]["repo"] == versions.KNATIVE_OPERATOR.repo
    assert operator["namespace"] == "knative-operator"
    crds = result.one("kubernetes:helm.sh/v4:Chart", "local-serving-crd").inputs
    kserve = result.one("kubernetes:helm.sh/v4:Chart", "local-serving").inputs
    assert crds["chart"] == f"{versions.KSERVE_CRD.repo}/{versions.KSERVE_CRD.name}"
    assert kserve["chart"] == f"{versions.KSERVE.repo}/{versions.KSERVE.name}"
    assert crds["version"] == kserve["version"] == versions.KSERVE.version
    assert kserve["values"]["kserve"]["controller"]["deploymentMode"] == "Knative"


def test_knative_serving_uses_kourier_and_the_configured_autoscaling() -> None:
    serving = objects(synthesized(), "KnativeServing")["knative-serving"]
    spec = serving["spec"]
    assert serving["metadata"]["namespace"] == "knative-serving"
    assert spec["version"] == versions.KNATIVE_SERVING_VERSION
    assert spec["ingress"]["kourier"] == {"enabled": True, "service-type": "ClusterIP"}
    assert spec["config"]["network"]["ingress-class"] == INGRESS_CLASS
    assert spec["config"]["autoscaler"] == {
        "container-concurrency-target-default": "25",
        "enable-scale-to-zero": "false",
        "scale-to-zero-grace-period": "45s",
    }
    assert "registry" not in spec  # no mirror configured
    eventing = objects(synthesized(), "KnativeEventing")["knative-eventing"]["spec"]
    assert eventing["version"] == versions.KNATIVE_EVENTING_VERSION
    assert (
        "brokerClass: MTChannelBasedBroker" in eventing["config"]["config-br-defaults"]["default-br-config"]
    )
    assert {k for k, v in eventing["source"].items() if v["enabled"]} == {"github"}


def test_public_ingress_and_tls_are_opt_in() -> None:
    data = config()
    data["addons"]["knative"].update(
        public=True, tls=True, tls_cluster_issuer="corp-ca", domain="ai.example.com"
    )
    spec = objects(synth(data), "KnativeServing")["knative-serving"]["spec"]
    assert spec["ingress"]["kourier"]["service-type"] == "LoadBalancer"
    assert spec["config"]["network"]["external-domain-tls"] == "Enabled"
    assert "name: corp-ca" in spec["config"]["certmanager"]["issuerRef"]
    assert spec["config"]["domain"] == {"ai.example.com": ""}


def test_ping_source_has_the_schedule_and_sends_to_the_broker() -> None:
    result = synthesized()
    ping = objects(result, "PingSource")["tick"]
    assert ping["metadata"]["namespace"] == EVENT_NS
    assert ping["spec"]["schedule"] == "*/5 * * * *"
    assert ping["spec"]["data"] == '{"hello": 1}'
    assert ping["spec"]["sink"] == {
        "ref": {
            "apiVersion": "eventing.knative.dev/v1",
            "kind": "Broker",
            "name": "default",
            "namespace": EVENT_NS,
        }
    }
    brokers = [o for _, o in result.k8s_objects() if o["kind"] == "Broker"]
    assert sorted((b["metadata"]["namespace"], b["metadata"]["name"]) for b in brokers) == [
        ("git-events", "default"),
        (EVENT_NS, "default"),
    ]


def test_apiserver_source_rbac_is_least_privilege() -> None:
    result = synthesized()
    source = objects(result, "ApiServerSource")["watch"]
    account = source["spec"]["serviceAccountName"]
    role = next(
        o for o in objects(result, "ClusterRole").values() if "apiserversource" in o["metadata"]["name"]
    )
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["events"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch"]},
    ]
    binding = objects(result, "RoleBinding")[account]
    assert binding["metadata"]["namespace"] == EVENT_NS  # namespaced grant, not cluster-wide
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": role["metadata"]["name"],
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account, "namespace": EVENT_NS}]
    assert objects(result, "ServiceAccount")[account]["metadata"]["namespace"] == EVENT_NS
    assert not [b for b in objects(result, "ClusterRoleBinding") if "apiserversource" in b]


def test_sources_reference_secrets_by_name_only() -> None:
    result = synthesized()
    sqs = objects(result, "IntegrationSource")["jobs"]["spec"]["aws"]
    assert sqs["sqs"]["region"] == "eu-west-1" and sqs["sqs"]["arn"] == "jobs"
    assert sqs["auth"] == {"secret": {"ref": {"name": "aws-creds"}}}
    github = objects(result, "GitHubSource")["repo"]["spec"]
    assert github["accessToken"]["secretKeyRef"]["name"] == "gh"
    gcs = objects(result, "CloudStorageSource")["bucket"]
    assert gcs["apiVersion"] == "events.cloud.google.com/v1"
    assert gcs["spec"]["secret"] == {"name": "gcp-key", "key": "key.json"}


def test_pod_security_is_restricted_except_for_git_sources() -> None:
    namespaces = objects(synthesized(), "Namespace")
    enforce = {
        n: o["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] for n, o in namespaces.items()
    }
    for name in ("knative-operator", "knative-serving", EVENT_NS, "kserve"):
        assert enforce[name] == "restricted"
    # The upstream GitHub source controller and adapters declare no securityContext.
    assert enforce["knative-eventing"] == enforce["git-events"] == "baseline"
    data = config()
    data["addons"]["knative"]["event_sources"] = SOURCES[:1]
    namespaces = objects(synth(data), "Namespace")
    assert (
        namespaces["knative-eventing"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        == "restricted"
    )


def test_onnx_runtime_serves_onnx_on_triton() -> None:
    runtimes = objects(synthesized(), "ClusterServingRuntime")
    assert set(runtimes) == {"stackyard-onnx", "stackyard-sklearn"}
    onnx = runtimes["stackyard-onnx"]["spec"]
    assert [f["name"] for f in onnx["supportedModelFormats"]] == ["onnx"]
    container = onnx["containers"][0]
    assert container["image"] == versions.TRITON_SERVER_IMAGE
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["resources"]["limits"]["memory"] == "2Gi"


def test_kserve_chart_waits_for_the_knative_operator_resources(monkeypatch: pytest.MonkeyPatch) -> None:
    dependencies: dict[str, list[str]] = {}
    original = synth_module._RecordingMonitor.RegisterResource

    def recording(self: Any, request: Any) -> Any:
        dependencies[request.name] = list(request.dependencies)
        return original(self, request)

    monkeypatch.setattr(synth_module._RecordingMonitor, "RegisterResource", recording)
    result = synth(config())
    urn = {r.name: r.urn for r in result.resources}
    chart_deps = set(dependencies["local-serving"])
    assert {
        urn["local-knative-serving"],
        urn["local-knative-eventing"],
        urn["local-serving-crd"],
    } <= chart_deps
    runtime_deps = set(dependencies["local-serving-onnx"])
    assert {urn["local-serving-crd"], urn["local-serving"]} <= runtime_deps
    # The Knative operator CRs wait for the operator chart (their CRDs) and report readiness.
    assert urn["local-knative-operator"] in dependencies["local-knative-serving"]
    serving = objects(result, "KnativeServing")["knative-serving"]
    assert serving["metadata"]["annotations"]["pulumi.com/waitFor"] == "condition=Ready"


def test_serving_without_knative_is_a_config_error() -> None:
    data = config()
    data["addons"]["knative"] = {"enabled": False}
    with pytest.raises(ConfigError) as err:
        platform(data)
    assert "KServe runs in Knative mode: enable addons.knative on cluster 'local' too" in str(err.value)


def test_custom_resources_match_upstream_crds() -> None:
    result = synthesized()
    checked = set()
    for obj in custom_resources(result):
        if not has_crd(obj["apiVersion"], obj["kind"]):
            continue  # GitHubSource, Google sources: no upstream CRD among the test schemas
        assert validate_custom_resource(obj) == [], obj["kind"]
        checked.add(obj["kind"])
    assert checked >= {
        "KnativeServing",
        "KnativeEventing",
        "PingSource",
        "ApiServerSource",
        "IntegrationSource",
        "Broker",
        "ClusterServingRuntime",
    }


GPU_POOL = PoolPlacement(
    cluster="local",
    pool="gpu",
    labels={"stackyard.io/node-pool": "gpu"},
    taints=(DEFAULT_GPU_TAINT,),
    accelerator="nvidia-t4",
    gpus_per_node=1,
)


def test_inference_service_carries_defaults_logging_and_gpu_placement() -> None:
    settings = ServingAddon(enabled=True, min_replicas=1, max_replicas=5, canary_traffic_percent=20)
    isvc = inference_service("churn", "ml", "s3://models/churn", GPU_POOL, settings)
    assert validate_custom_resource(isvc) == []
    predictor = isvc["spec"]["predictor"]
    assert (predictor["minReplicas"], predictor["maxReplicas"], predictor["canaryTrafficPercent"]) == (
        1,
        5,
        20,
    )
    assert predictor["model"]["modelFormat"] == {"name": "onnx"}
    assert predictor["model"]["runtime"] == "stackyard-onnx"
    assert predictor["nodeSelector"] == GPU_POOL.node_selector()
    assert predictor["tolerations"] == GPU_POOL.tolerations()
    assert predictor["model"]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert predictor["logger"]["url"].endswith("/ml/default")
    assert "traceparent" in predictor["logger"]["metadataHeaders"]
    cpu = inference_service("churn", "ml", "s3://models/churn", None, ServingAddon(request_logging=False))
    assert validate_custom_resource(cpu) == []
    assert "tolerations" not in cpu["spec"]["predictor"] and "logger" not in cpu["spec"]["predictor"]


def test_router_config_gets_trace_headers() -> None:
    router = json.dumps({"image": "kserve/router:v0.20.0", "headers": {"propagate": ["Authorization"]}})
    patched = with_propagated_headers(router, TRACING_HEADERS)
    assert patched is not None
    propagate = json.loads(patched)["headers"]["propagate"]
    assert {"Authorization", "traceparent", "b3"} <= set(propagate)
    assert with_propagated_headers("not json", TRACING_HEADERS) is None


def test_mirror_applies_to_charts_images_and_operator_registry() -> None:
    data = config()
    data["airgap"] = {
        "image_registry": "registry.corp:5000/mirror",
        "chart_source": {"kind": "oci", "url": "oci://charts.corp/stackyard"},
    }
    result = synth(data)
    mirror = "registry.corp:5000/mirror/"
    for name in ("local-knative-operator", "local-serving-crd", "local-serving"):
        assert (
            result.one("kubernetes:helm.sh/v4:Chart", name)
            .inputs["chart"]
            .startswith("oci://charts.corp/stackyard/")
        )
    operator_values = result.one("kubernetes:helm.sh/v4:Chart", "local-knative-operator").inputs["values"]
    assert all(v["image"].startswith(mirror) for v in operator_values["knative_operator"].values())
    kserve = result.one("kubernetes:helm.sh/v4:Chart", "local-serving").inputs["values"]["kserve"]
    images = [kserve[k]["image"] for k in ("agent", "router", "storage", "controller")]
    images += [kserve["controller"]["rbacProxyImage"], kserve["servingruntime"]["art"]["image"]]
    assert all(i.startswith(mirror) for i in images), images
    for kind in ("KnativeServing", "KnativeEventing"):
        (cr,) = objects(result, kind).values()
        assert cr["spec"]["registry"]["default"].startswith(mirror)
        assert "${NAME}" in cr["spec"]["registry"]["default"]
    for runtime in objects(result, "ClusterServingRuntime").values():
        assert runtime["spec"]["containers"][0]["image"].startswith(mirror)
