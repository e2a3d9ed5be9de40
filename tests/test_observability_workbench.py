"""Logging (ECK), monitoring, GPU Operator and workbench: properties of what the program declares."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from components import versions
from components.base import UPSTREAM_REGISTRIES
from components.settings import NodePool
from stacks import synth as synth_module
from stacks.synth import SECRET, Synthesis, inventory
from tests.conftest import LOCAL, platform
from tests.crd_schema import validate_custom_resource

MIRROR = "registry.corp:5000/mirror"
CHART_MIRROR = "oci://charts.corp/stackyard"
OUR_CHARTS = {
    "eck-operator": versions.ECK_OPERATOR,
    "kube-prometheus-stack": versions.KUBE_PROMETHEUS_STACK,
    "gpu-operator": versions.GPU_OPERATOR,
    "jupyterhub": versions.JUPYTERHUB,
    "dcgm-exporter": versions.DCGM_EXPORTER,
}
OUR_COMPONENTS = (
    "stackyard:logging:Elk",
    "stackyard:monitoring:Monitoring",
    "stackyard:gpu:GpuOperator",
    "stackyard:workbench:JupyterHub",
)


def config(sharing: dict[str, Any] | None = None, **addons: Any) -> dict[str, Any]:
    data = copy.deepcopy(LOCAL)
    gpu_pool = data["clusters"][0]["node_pools"][1]
    gpu_pool["gpu"].update(sharing or {"sharing": "time-slicing", "time_slicing_replicas": 6})
    data["addons"] = {
        "logging": {"enabled": True, "profile": "large", "retention_days": 14, "lineage_index": "lineage"},
        "monitoring": {"enabled": True, "gpu_saturation_threshold": 0.85, "storage_size": "80Gi"},
        "workbench": {
            "enabled": True,
            "profiles": [
                {"name": "cpu-small", "cpu": "500m", "memory": "2Gi"},
                {"name": "gpu", "cpu": "4", "memory": "16Gi", "gpu": 1},
            ],
        },
        "object_store": {"enabled": True},
        **addons,
    }
    return data


class Recorded:
    """A synthesis plus each resource's protect / retainOnDelete options."""

    def __init__(self, result: Synthesis, options: dict[str, tuple[bool, bool]]) -> None:
        self.result = result
        self.options = options


def run(data: dict[str, Any]) -> Recorded:
    options: dict[str, tuple[bool, bool]] = {}
    original = synth_module._RecordingMonitor.RegisterResource

    def recording(self: Any, request: Any) -> Any:
        options[request.name] = (bool(request.protect), bool(request.retainOnDelete))
        return original(self, request)

    synth_module._RecordingMonitor.RegisterResource = recording  # type: ignore[method-assign]
    try:
        result = synth_module.synthesize(platform(data))
    finally:
        synth_module._RecordingMonitor.RegisterResource = original  # type: ignore[method-assign]
    return Recorded(result, options)


@functools.cache
def time_sliced() -> Recorded:
    return run(config())


@functools.cache
def mirrored() -> Recorded:
    data = config(
        logging={"enabled": True, "shipper": "logstash"},
    )
    data["airgap"] = {"image_registry": MIRROR, "chart_source": {"kind": "oci", "url": CHART_MIRROR}}
    return run(data)


@functools.cache
def without_gpus() -> Recorded:
    data = config(workbench={"enabled": True, "profiles": [{"name": "cpu"}]})
    data["clusters"][0]["node_pools"] = [{"name": "cpu", "nodes": ["cpu-0"]}]
    data["teams"] = [{"name": "ml"}]
    return run(data)


def objects(result: Synthesis, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for _, o in result.k8s_objects() if o["kind"] == kind}


def charts(result: Synthesis) -> dict[str, dict[str, Any]]:
    """Our charts by chart name (the last path part of the chart reference)."""
    out = {}
    for r in result.by_type("kubernetes:helm.sh/v4:Chart"):
        chart_name = str(r.inputs["chart"]).rsplit("/", 1)[-1]
        if chart_name in OUR_CHARTS:
            out[chart_name] = r.inputs
    return out


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, str):
        yield value


def gpu_placement() -> Any:
    pool = NodePool.model_validate(LOCAL["clusters"][0]["node_pools"][1])
    return pool.placement("local")


# --- Logging ---------------------------------------------------------------------------------


def test_elasticsearch_is_pinned_protected_and_keeps_its_volumes() -> None:
    rec = time_sliced()
    es = objects(rec.result, "Elasticsearch")
    assert list(es) == ["logs"]
    obj = es["logs"]
    assert obj["apiVersion"] == "elasticsearch.k8s.elastic.co/v1"
    assert obj["metadata"]["namespace"] == "stackyard-logging"
    assert obj["spec"]["version"] == versions.ELASTIC_STACK_VERSION
    assert obj["spec"]["volumeClaimDeletePolicy"] == "DeleteOnScaledownOnly"
    assert rec.options["local-logging-elasticsearch"] == (True, True)
    # profile large: 3 dedicated masters and data nodes, no mmap (no privileged sysctl container)
    node_sets = {n["name"]: n for n in obj["spec"]["nodeSets"]}
    assert node_sets["master"]["count"] == 3 and node_sets["master"]["config"]["node.roles"] == ["master"]
    assert "data" in node_sets["data"]["config"]["node.roles"]
    for n in node_sets.values():
        assert n["config"]["node.store.allow_mmap"] is False
        pod = n["podTemplate"]["spec"]
        assert not any(c.get("securityContext", {}).get("privileged") for c in pod["containers"])
        assert "initContainers" not in pod
        assert pod["containers"][0]["securityContext"]["runAsNonRoot"] is True
        assert pod["containers"][0]["resources"]["limits"]["memory"]


def test_delete_on_destroy_lifts_protection() -> None:
    data = config()
    data["data"] = {"delete_on_destroy": True}
    rec = run(data)
    assert rec.options["local-logging-elasticsearch"] == (False, False)


def test_only_the_shipper_namespace_is_privileged() -> None:
    result = time_sliced().result
    namespaces = objects(result, "Namespace")
    enforce = {
        n: o["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] for n, o in namespaces.items()
    }
    assert enforce["stackyard-logging"] == "restricted"
    assert enforce["stackyard-logshipper"] == "privileged"
    assert enforce["stackyard-monitoring"] == "restricted"
    assert enforce["stackyard-workbench"] == "restricted"
    assert enforce["gpu-operator"] == "privileged"
    beats = objects(result, "Beat")
    filebeat = beats["containers"]
    assert filebeat["metadata"]["namespace"] == "stackyard-logshipper"
    pod = filebeat["spec"]["daemonSet"]["podTemplate"]["spec"]
    host_paths = [v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v]
    assert sorted(host_paths) == ["/var/log/containers", "/var/log/pods"]
    assert all(m["readOnly"] for m in pod["containers"][0]["volumeMounts"])
    assert pod["containers"][0]["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert pod["tolerations"] == gpu_placement().tolerations()
    # Kubernetes events go to the lineage index, from the restricted namespace.
    events = beats["events"]
    assert events["metadata"]["namespace"] == "stackyard-logging"
    assert events["spec"]["config"]["output.elasticsearch"]["index"] == "lineage"


def test_ilm_job_sets_the_retention_and_reads_the_eck_secret_by_name() -> None:
    result = time_sliced().result
    jobs = [o for n, o in objects(result, "Job").items() if n.startswith("logs-ilm-")]
    assert len(jobs) == 1
    container = jobs[0]["spec"]["template"]["spec"]["containers"][0]
    script = container["command"][-1]
    assert '"min_age": "14d"' in script
    assert "env" not in container  # the password is a mounted file, not an environment variable
    volumes = {v["name"]: v for v in jobs[0]["spec"]["template"]["spec"]["volumes"]}
    assert volumes["user"]["secret"]["secretName"] == "logs-es-elastic-user"
    assert "$(cat /etc/es-user/password)" in script
    assert container["image"] == versions.CURL_IMAGE
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_logstash_shipper_sits_between_filebeat_and_elasticsearch() -> None:
    result = mirrored().result
    logstash = objects(result, "Logstash")["logs"]
    assert logstash["spec"]["elasticsearchRefs"][0]["name"] == "logs"
    filebeat = objects(result, "Beat")["containers"]
    assert "elasticsearchRef" not in filebeat["spec"]
    assert filebeat["spec"]["config"]["output.logstash"]["hosts"] == [
        "logs-ls-beats.stackyard-logging.svc:5044"
    ]


# --- Monitoring ------------------------------------------------------------------------------


def rules(result: Synthesis) -> dict[str, dict[str, Any]]:
    rule_objs = objects(result, "PrometheusRule")
    return {
        r.get("alert", r.get("record")): r
        for obj in rule_objs.values()
        for group in obj["spec"]["groups"]
        for r in group["rules"]
    }


def test_gpu_saturation_rule_uses_the_configured_threshold_when_gpus_exist() -> None:
    gpu_rule = rules(time_sliced().result)["GpuSaturated"]
    assert gpu_rule["expr"] == "avg(DCGM_FI_DEV_GPU_UTIL) > 85"
    assert gpu_rule["for"] == "15m"
    assert "GpuSaturated" not in rules(without_gpus().result)


def test_object_store_capacity_rule_and_scrape_targets() -> None:
    result = time_sliced().result
    capacity = rules(result)["ObjectStoreAlmostFull"]["expr"]
    assert "minio_cluster_capacity_usable_free_bytes" in capacity and "< 0.10" in capacity
    monitors = objects(result, "ServiceMonitor")
    namespaces = {n: o["spec"]["namespaceSelector"]["matchNames"] for n, o in monitors.items()}
    assert namespaces == {
        "stackyard-logging": ["stackyard-logging"],
        "stackyard-object-store": ["stackyard-objectstore"],
        "stackyard-workbench": ["stackyard-workbench"],
    }


def test_serving_rules_follow_knative() -> None:
    data = config(knative={"enabled": True})
    result = run(data).result
    found = rules(result)
    assert "revision_app_request_count" in found["ServingErrorRateHigh"]["expr"]
    assert "revision_app_request_latencies_bucket" in found["ServingLatencyP95High"]["expr"]
    assert "ServingErrorRateHigh" not in rules(time_sliced().result)


def test_prometheus_keeps_its_tsdb_and_grafana_password_is_a_secret() -> None:
    result = time_sliced().result
    kps = charts(result)["kube-prometheus-stack"]
    spec = kps["values"]["prometheus"]["prometheusSpec"]
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    assert spec["storageSpec"]["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"] == "80Gi"
    grafana = kps["values"]["grafana"]
    assert grafana["admin"]["existingSecret"] == "grafana-admin"
    assert "adminPassword" not in grafana
    secret = objects(result, "Secret")["grafana-admin"]
    assert secret["stringData"] == SECRET
    dumped = json.dumps(inventory(result))
    assert "synth-local-monitoring-grafana-admin" not in dumped
    assert "synth-" not in json.dumps(synth_module.redact(kps["values"]))
    # node exporter: own privileged namespace, no host network or PID
    exporter = kps["values"]["prometheus-node-exporter"]
    assert exporter["namespaceOverride"] == "stackyard-node-exporter"
    assert exporter["hostNetwork"] is False and exporter["hostPID"] is False


def test_dcgm_exporter_chart_on_cloud_gpu_pools() -> None:
    data = {
        "name": "t",
        "clusters": [
            {
                "name": "cloud",
                "provider": {"kind": "aws", "region": "us-east-1"},
                "node_pools": [
                    {"name": "cpu", "machine_type": "m6i.xlarge"},
                    {"name": "a10g", "gpu": {"accelerator": "nvidia-a10g"}},
                ],
            }
        ],
        "addons": {"monitoring": {"enabled": True}},
    }
    result = run(data).result
    dcgm = charts(result)["dcgm-exporter"]
    assert dcgm["version"] == versions.DCGM_EXPORTER.version
    pool = NodePool.model_validate(data["clusters"][0]["node_pools"][1]).placement("cloud")  # type: ignore[index]
    assert dcgm["values"]["tolerations"] == pool.tolerations()
    term = dcgm["values"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["nodeSelectorTerms"][0]["matchExpressions"] == [
        {"key": "stackyard.io/node-pool", "operator": "In", "values": ["a10g"]}
    ]
    assert "gpu-operator" not in charts(result)
    # and on-prem, DCGM comes with the GPU Operator instead
    assert "dcgm-exporter" not in charts(time_sliced().result)


# --- GPU Operator ----------------------------------------------------------------------------


def test_gpu_operator_time_slicing_matches_the_pool() -> None:
    result = time_sliced().result
    cm = objects(result, "ConfigMap")["stackyard-device-plugin"]
    assert cm["metadata"]["namespace"] == "gpu-operator"
    cfg = yaml.safe_load(cm["data"]["gpu"])
    assert cfg["sharing"]["timeSlicing"]["resources"] == [{"name": "nvidia.com/gpu", "replicas": 6}]
    values = charts(result)["gpu-operator"]["values"]
    assert values["devicePlugin"]["config"] == {
        "create": False,
        "name": "stackyard-device-plugin",
        "default": "gpu",
    }
    assert values["daemonsets"]["tolerations"] == gpu_placement().tolerations()
    assert values["driver"]["enabled"] is False  # the on-prem default: the OS has a driver
    assert values["dcgmExporter"] == {
        "repository": "nvcr.io/nvidia/k8s",
        "enabled": True,
        "serviceMonitor": {"enabled": True},
    }
    assert values["migManager"]["enabled"] is False


def test_gpu_operator_mig_matches_the_pool() -> None:
    data = config(sharing={"accelerator": "nvidia-a100-80gb", "sharing": "mig", "mig_strategy": "mixed"})
    data["clusters"][0]["provider"]["gpu_driver"] = True
    result = run(data).result
    values = charts(result)["gpu-operator"]["values"]
    assert values["mig"] == {"strategy": "mixed"}
    assert values["migManager"]["enabled"] is True
    assert values["migManager"]["config"] == {"default": "all-1g.10gb"}
    assert values["driver"]["enabled"] is True
    cm = objects(result, "ConfigMap")["stackyard-device-plugin"]
    assert yaml.safe_load(cm["data"]["gpu"]) == {"version": "v1", "flags": {"migStrategy": "mixed"}}


# --- Workbench -------------------------------------------------------------------------------


def profiles(result: Synthesis) -> dict[str, dict[str, Any]]:
    values = charts(result)["jupyterhub"]["values"]
    return {p["slug"]: p["kubespawner_override"] for p in values["singleuser"]["profileList"]}


def test_workbench_gpu_profile_lands_on_the_gpu_pool_and_cpu_profiles_do_not() -> None:
    found = profiles(time_sliced().result)
    placement = gpu_placement()
    gpu = found["gpu"]
    assert gpu["tolerations"] == placement.tolerations()
    assert gpu["node_selector"] == placement.node_selector()
    assert gpu["extra_resource_limits"] == {"nvidia.com/gpu": "1"}
    cpu = found["cpu-small"]
    assert "tolerations" not in cpu and "node_selector" not in cpu
    assert cpu["node_affinity_required"][0]["matchExpressions"][0]["operator"] == "NotIn"
    assert cpu["cpu_limit"] == 0.5 and cpu["mem_limit"] == "2G"


def test_workbench_secrets_are_referenced_by_name() -> None:
    result = time_sliced().result
    values = charts(result)["jupyterhub"]["values"]
    assert values["hub"]["existingSecret"] == "workbench-hub-secret"
    assert values["proxy"]["service"]["type"] == "ClusterIP"
    assert values["singleuser"]["storage"]["capacity"] == "10Gi"
    assert values["singleuser"]["cloudMetadata"]["blockWithIptables"] is False
    secret = objects(result, "Secret")["workbench-hub-secret"]
    assert secret["stringData"] == SECRET
    assert "cookieSecret" not in values["hub"] and "secretToken" not in values["proxy"]
    assert "synth-" not in json.dumps(inventory(result))


def test_workbench_oidc_client_secret_comes_from_config_as_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi

    data = config(
        workbench={
            "enabled": True,
            "profiles": [{"name": "cpu"}],
            "auth": {
                "kind": "oidc",
                "issuer_url": "https://sso.corp/realms/ai",
                "client_id": "jupyterhub",
                "client_secret_key": "workbenchClientSecret",
                "allowed_groups": ["ml-eng"],
            },
        }
    )
    monkeypatch.setattr(
        pulumi.Config,
        "require_secret",
        lambda self, key: pulumi.Output.secret(f"synth-{key}"),
    )
    result = run(data).result
    values = charts(result)["jupyterhub"]["values"]
    generic = values["hub"]["config"]["GenericOAuthenticator"]
    assert generic["token_url"] == "https://sso.corp/realms/ai/protocol/openid-connect/token"
    assert generic["allowed_groups"] == ["ml-eng"]
    assert values["hub"]["extraEnv"]["OAUTH_CLIENT_SECRET"] == {
        "valueFrom": {"secretKeyRef": {"name": "workbench-oauth", "key": "client-secret"}}
    }
    assert objects(result, "Secret")["workbench-oauth"]["stringData"] == SECRET
    assert "synth-workbenchClientSecret" not in json.dumps(inventory(result))


# --- Across the four components --------------------------------------------------------------


def test_charts_are_pinned_and_mirrored() -> None:
    found = charts(mirrored().result)
    assert set(found) == {"eck-operator", "kube-prometheus-stack", "gpu-operator", "jupyterhub"}
    for chart_name, inputs in found.items():
        pin = OUR_CHARTS[chart_name]
        assert inputs["chart"] == f"{CHART_MIRROR}/{pin.name}"
        assert inputs["version"] == pin.version
        for text in strings(inputs["values"]):
            assert not text.startswith(UPSTREAM_REGISTRIES), (chart_name, text)
            assert text != "traefik"
    values = {n: i["values"] for n, i in found.items()}
    assert values["kube-prometheus-stack"]["global"]["imageRegistry"] == MIRROR
    assert values["kube-prometheus-stack"]["grafana"]["image"]["registry"] == MIRROR
    assert values["eck-operator"]["config"]["containerRegistry"] == MIRROR
    assert values["gpu-operator"]["devicePlugin"]["repository"] == f"{MIRROR}/nvidia"
    assert values["jupyterhub"]["hub"]["image"]["name"] == f"{MIRROR}/jupyterhub/k8s-hub"
    # Images of the ECK resources too
    result = mirrored().result
    for kind in ("Elasticsearch", "Kibana", "Beat", "Logstash"):
        for obj in objects(result, kind).values():
            assert obj["spec"]["image"].startswith(f"{MIRROR}/"), kind
    for job in objects(result, "Job").values():
        for container in job["spec"]["template"]["spec"]["containers"]:
            assert container["image"].startswith(f"{MIRROR}/")


def test_unmirrored_charts_use_the_pinned_upstream_versions() -> None:
    found = charts(time_sliced().result)
    for chart_name, inputs in found.items():
        pin = OUR_CHARTS[chart_name]
        assert (inputs["chart"], inputs["version"], inputs["repositoryOpts"]["repo"]) == (
            pin.name,
            pin.version,
            pin.repo,
        )


def test_custom_resources_match_upstream_crds() -> None:
    checked: set[str] = set()
    for rec in (time_sliced(), mirrored(), without_gpus()):
        ours = {r.urn for r in rec.result.resources if r.type in OUR_COMPONENTS}
        for r in rec.result.resources:
            group = r.type.split(":")[1] if r.type.startswith("kubernetes:") else ""
            api_group = group.split("/")[0]
            core = api_group.endswith(".k8s.io") or api_group == "helm.sh"
            if r.parent_urn not in ours or "." not in api_group or core or "kind" not in r.inputs:
                continue
            obj = synth_module.redact(r.inputs)
            assert validate_custom_resource(obj) == [], obj["kind"]
            assert obj["metadata"]["namespace"] not in ("", "default")
            checked.add(obj["kind"])
    assert checked >= {"Elasticsearch", "Kibana", "Beat", "Logstash", "ServiceMonitor", "PrometheusRule"}


def test_gpu_profile_without_gpu_pool_is_a_config_error() -> None:
    from stacks.loader import ConfigError

    data = config()
    data["clusters"][0]["node_pools"] = [{"name": "cpu", "nodes": ["cpu-0"]}]
    data["teams"] = [{"name": "ml"}]
    data["addons"]["monitoring"] = {"enabled": True}
    with pytest.raises(ConfigError, match="a GPU profile needs a GPU node pool"):
        platform(data)
