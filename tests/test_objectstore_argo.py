"""Object store (MinIO / S3 / GCS) and Argo under mocks, as properties."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from typing import Any, Literal

import pulumi
import pytest
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components import versions
from components.argo import ASSEMBLY_LINE, WORKFLOWS_NAMESPACE, Argo, ArgoArgs, training_job
from components.base import ClusterContext, Mirror
from components.objectstore import (
    CREDENTIALS_SECRET_NAME,
    NAMESPACE,
    ROOT_SECRET_NAME,
    TEAM_SECRET_NAME,
    TENANT_NAME,
    ObjectStore,
    ObjectStoreArgs,
)
from components.scheduling import DEFAULT_GPU_TAINT, GPU_RESOURCE
from components.settings import ArgoAddon, NodePool, ObjectStoreAddon
from stacks import synth as synth_module
from stacks.synth import SECRET, Synthesis, inventory
from tests.conftest import LOCAL, platform
from tests.crd_schema import validate_custom_resource

MIRROR = "registry.corp:5000/mirror"
CHARTS = "oci://charts.corp/stackyard"
ARGO_CHARTS = {
    "lab-argo-workflows": versions.ARGO_WORKFLOWS,
    "lab-argo-events": versions.ARGO_EVENTS,
    "lab-argo-cd": versions.ARGO_CD,
    "lab-argo-rollouts": versions.ARGO_ROLLOUTS,
}


def data(*, gpu: bool = True, **extra: Any) -> dict[str, Any]:
    d = copy.deepcopy(LOCAL)
    cluster = d["clusters"][0]
    cluster["name"] = "lab"
    if not gpu:
        cluster["node_pools"] = [{"name": "cpu", "nodes": ["cpu-0"]}]
        d["teams"][0]["quota"] = {"gpu": 0}
    d["teams"] = [
        {
            "name": "ml",
            "groups": ["ml-eng"],
            "quota": {"gpu": 2 if gpu else 0},
            "buckets": ["ml-data", "ml-models"],
        },
        {"name": "vision", "buckets": ["vision-raw"]},
    ]
    d["addons"] = {
        "object_store": {"enabled": True},
        "knative": {"enabled": True},
        "serving": {"enabled": True},
        "argo": {"enabled": True, "gitops_repo": "https://github.com/acme/platform.git"},
    }
    d.update(extra)
    return d


class Run:
    def __init__(self, result: Synthesis, options: dict[str, tuple[bool, bool]]) -> None:
        self.result = result
        self.options = options

    def obj(self, type_: str, name: str) -> dict[str, Any]:
        return self.result.one(type_, name).inputs

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [r.inputs for r in self.result.by_type(type_)]


def _recording(fn: Callable[[], Synthesis]) -> Run:
    options: dict[str, tuple[bool, bool]] = {}
    original = synth_module._RecordingMonitor.RegisterResource

    def recording(self: Any, request: Any) -> Any:
        options[request.name] = (bool(request.protect), bool(request.retainOnDelete))
        return original(self, request)

    synth_module._RecordingMonitor.RegisterResource = recording  # type: ignore[method-assign]
    try:
        result = fn()
    finally:
        synth_module._RecordingMonitor.RegisterResource = original  # type: ignore[method-assign]
    return Run(result, options)


def run(d: dict[str, Any]) -> Run:
    """The whole program on a config (slow-ish: every add-on): used once, for the on-prem platform."""
    return _recording(lambda: synth_module.synthesize(platform(d)))


GPU_POOL = NodePool(name="gpu", gpu={"accelerator": "nvidia-l4"})  # type: ignore[arg-type]
CPU_POOL = NodePool(name="cpu")


def components(
    *,
    kind: Literal["onprem", "aws", "gcp"] = "onprem",
    gpu: bool = True,
    mirror: Mirror | None = None,
    delete_data: bool = False,
) -> Run:
    """Only the ObjectStore and Argo components, under the same mocks as the program (fast)."""
    pools = [CPU_POOL, GPU_POOL] if gpu else [CPU_POOL]
    context = ClusterContext(
        name="lab",
        kind=kind,
        placements=tuple(p.placement("lab") for p in pools),
        mirror=mirror or Mirror(),
        delete_data_on_destroy=delete_data,
    )
    backend: Literal["minio", "s3", "gcs"] = {"onprem": "minio", "aws": "s3", "gcp": "gcs"}[kind]  # type: ignore[assignment]

    def program() -> None:
        namespaces = {t: pulumi.Output.from_input(t) for t in ("ml", "vision")}
        store = ObjectStore(
            "lab-objectstore",
            ObjectStoreArgs(
                context=context,
                settings=ObjectStoreAddon(enabled=True),
                backend=backend,
                platform="t",
                team_buckets={"ml": ["ml-data", "ml-models"], "vision": ["vision-raw"]},
                team_namespaces=namespaces,
                region={"onprem": None, "aws": "eu-west-1", "gcp": "europe-west4"}[kind],
                project="acme-ml-prod" if kind == "gcp" else None,
            ),
        )
        Argo(
            "lab-argo",
            ArgoArgs(
                context=context,
                settings=ArgoAddon(enabled=True, gitops_repo="https://github.com/acme/platform.git"),
                artifacts=store.ref("artifacts"),
                serving=True,
                team_namespaces=namespaces,
            ),
        )

    def synthesize() -> Synthesis:
        result = Synthesis()
        mocks = synth_module._Mocks()
        pulumi_mocks.set_mocks(
            mocks,
            project="stackyard",
            stack="t",
            preview=False,
            monitor=synth_module._RecordingMonitor(mocks, result),
        )
        _sync_await(run_pulumi_func(program))
        result.resources.sort(key=lambda r: r.urn)
        return result

    return _recording(synthesize)


@functools.cache
def onprem() -> Run:
    return run(data())


@functools.cache
def onprem_cpu() -> Run:
    return components(gpu=False)


@functools.cache
def airgapped() -> Run:
    return components(mirror=Mirror(image_registry=MIRROR, chart_kind="oci", chart_url=CHARTS))


@functools.cache
def aws() -> Run:
    return components(kind="aws")


@functools.cache
def gcp() -> Run:
    return components(kind="gcp")


def unsecret(value: Any) -> Any:
    return value["value"] if rpc.is_rpc_secret(value) else value


def secret_field(string_data: Any, key: str) -> Any:
    """A redacted field: the whole map is "[secret]" when Pulumi marks all of it secret."""
    return string_data if string_data == SECRET else string_data[key]


def tenant(r: Run) -> dict[str, Any]:
    return r.obj("kubernetes:minio.min.io/v2:Tenant", "lab-objectstore-tenant")


def workflow_template(r: Run) -> dict[str, Any]:
    return r.obj("kubernetes:argoproj.io/v1alpha1:WorkflowTemplate", "lab-argo-assembly-line")


def train_template(r: Run) -> dict[str, Any]:
    return next(t for t in workflow_template(r)["spec"]["templates"] if t["name"] == "train")


# ---------------------------------------------------------------------------------------------
# MinIO
# ---------------------------------------------------------------------------------------------


def test_tenant_is_pinned_protected_and_retained() -> None:
    r = onprem()
    t = tenant(r)
    assert t["metadata"]["name"] == TENANT_NAME
    assert t["metadata"]["namespace"] == NAMESPACE
    assert r.options["lab-objectstore-tenant"] == (True, True)
    spec = t["spec"]
    assert spec["podManagementPolicy"] == "Parallel"
    pool = spec["pools"][0]
    assert pool["servers"] == 4 and pool["volumesPerServer"] == 4
    assert pool["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"] == "100Gi"
    ctx = pool["containerSecurityContext"]
    assert (
        ctx["runAsNonRoot"] and not ctx["allowPrivilegeEscalation"] and ctx["capabilities"]["drop"] == ["ALL"]
    )
    assert pool["resources"]["limits"]["memory"] == pool["resources"]["requests"]["memory"]
    # MinIO never lands on (or tolerates) the GPU pool.
    assert "tolerations" not in pool
    terms = pool["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"][0]["matchExpressions"][0]["values"] == ["gpu"]


def test_delete_on_destroy_lifts_tenant_protection() -> None:
    r = components(delete_data=True)
    assert r.options["lab-objectstore-tenant"] == (False, False)


def test_root_credentials_are_secret_and_referenced_by_name() -> None:
    r = onprem()
    root = r.obj("kubernetes:core/v1:Secret", "lab-objectstore-root")
    assert root["metadata"]["name"] == ROOT_SECRET_NAME
    assert tenant(r)["spec"]["configuration"] == {"name": ROOT_SECRET_NAME}
    inv = inventory(r.result)
    root_inv = next(i for i in inv if i["name"] == "lab-objectstore-root")
    assert secret_field(root_inv["inputs"]["stringData"], "config.env") == SECRET
    dumped = json.dumps(inv)
    for password in (
        "lab-objectstore-root-user",
        "lab-objectstore-root-password",
        "lab-objectstore-platform-secret",
    ):
        assert f"synth-{password}" not in dumped
    # The operator's format: shell exports of the generated user and password.
    config_env = unsecret(unsecret(root["stringData"])["config.env"])
    assert config_env == (
        'export MINIO_ROOT_USER="synth-lab-objectstore-root-user"\n'
        'export MINIO_ROOT_PASSWORD="synth-lab-objectstore-root-password"\n'
    )


def test_buckets_cover_platform_and_team_buckets() -> None:
    names = [b["name"] for b in tenant(onprem())["spec"]["buckets"]]
    assert names == sorted(["artifacts", "datasets", "models", "ml-data", "ml-models", "vision-raw"])


def test_setup_job_enables_versioning_and_scopes_team_policies() -> None:
    r = onprem()
    config = r.obj("kubernetes:core/v1:ConfigMap", "lab-objectstore-setup")["data"]
    script = config["setup.sh"]
    for bucket in ("artifacts", "ml-data", "vision-raw"):
        assert f"mc version enable store/{bucket}" in script
    policy = json.loads(config["policy-team-ml.json"])
    resources = policy["Statement"][0]["Resource"]
    assert resources == [
        "arn:aws:s3:::ml-data",
        "arn:aws:s3:::ml-data/*",
        "arn:aws:s3:::ml-models",
        "arn:aws:s3:::ml-models/*",
    ]
    assert "synth-" not in script
    job = r.obj("kubernetes:batch/v1:Job", "lab-objectstore-setup-job")
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert container["image"] == versions.MINIO_CLIENT_IMAGE
    assert {"name": "config", "secret": {"secretName": ROOT_SECRET_NAME}} in pod["volumes"]


def test_team_credentials_land_in_the_team_namespace() -> None:
    r = onprem()
    inv = {i["name"]: i for i in inventory(r.result)}
    for team in ("ml", "vision"):
        secret = inv[f"lab-objectstore-{team}-credentials"]["inputs"]
        assert secret["metadata"]["name"] == TEAM_SECRET_NAME
        assert secret["metadata"]["namespace"] == team
        assert secret_field(secret["stringData"], "secretkey") == SECRET
        raw = unsecret(
            r.obj("kubernetes:core/v1:Secret", f"lab-objectstore-{team}-credentials")["stringData"]
        )
        assert unsecret(raw["accesskey"]) == f"team-{team}"
    assert "synth-lab-objectstore-team-ml-secret" not in json.dumps(list(inv.values()))


def test_dvc_remotes_and_outputs() -> None:
    # The registered outputs are recorded on the component: read them through the ObjectStore class.
    seen: dict[str, Any] = {}
    original = ObjectStore.register_outputs

    def capture(self: Any, outputs: Any) -> None:
        for key, value in outputs.items():
            value.apply(lambda v, k=key: seen.__setitem__(k, v))
        original(self, outputs)

    ObjectStore.register_outputs = capture  # type: ignore[method-assign]
    try:
        components()
    finally:
        ObjectStore.register_outputs = original  # type: ignore[method-assign]
    url = f"http://minio.{NAMESPACE}.svc.cluster.local:80"
    assert seen["dvc_remotes"]["ml-data"] == {"url": "s3://ml-data", "endpointurl": url}
    assert seen["endpoint"] == url
    assert seen["credentials_secret_name"] == CREDENTIALS_SECRET_NAME
    assert seen["namespace"] == NAMESPACE
    assert "synth-" not in json.dumps(seen["dvc_remotes"])


def test_program_namespace_constant_comes_from_the_component() -> None:
    from stacks import program

    assert program.OBJECT_STORE_NAMESPACE == NAMESPACE


# ---------------------------------------------------------------------------------------------
# S3 and GCS
# ---------------------------------------------------------------------------------------------


def test_s3_buckets_are_versioned_encrypted_private_and_kept() -> None:
    r = aws()
    buckets = {b.name: b.inputs for b in r.result.by_type("aws:s3/bucket:Bucket")}
    assert set(buckets) == {
        f"lab-objectstore-{b}"
        for b in ("artifacts", "datasets", "models", "ml-data", "ml-models", "vision-raw")
    }
    assert buckets["lab-objectstore-ml-data"]["bucket"] == "t-lab-ml-data"
    for name in buckets:
        assert r.options[name] == (True, True)
    versioning = r.of_type("aws:s3/bucketVersioning:BucketVersioning")
    assert len(versioning) == 6
    assert all(v["versioningConfiguration"]["status"] == "Enabled" for v in versioning)
    sse = r.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert len(sse) == 6
    assert all(s["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms" for s in sse)
    blocks = r.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert len(blocks) == 6
    for b in blocks:
        assert b["blockPublicAcls"] and b["blockPublicPolicy"] and b["ignorePublicAcls"]
        assert b["restrictPublicBuckets"]
    policy = json.loads(r.obj("aws:iam/policy:Policy", "lab-objectstore-ml-policy")["policy"])
    arns = {a for s in policy["Statement"] for a in s["Resource"]}
    assert arns == {
        "arn:aws:s3:::t-lab-ml-data",
        "arn:aws:s3:::t-lab-ml-data/*",
        "arn:aws:s3:::t-lab-ml-models",
        "arn:aws:s3:::t-lab-ml-models/*",
    }
    assert all(a != "*" for s in policy["Statement"] for a in s["Action"])
    assert not r.result.by_type("kubernetes:minio.min.io/v2:Tenant")


def test_gcs_buckets_uniform_private_versioned_and_team_scoped() -> None:
    r = gcp()
    buckets = {b.name: b.inputs for b in r.result.by_type("gcp:storage/bucket:Bucket")}
    assert len(buckets) == 6
    for name, b in buckets.items():
        assert b["uniformBucketLevelAccess"] is True
        assert b["publicAccessPrevention"] == "enforced"
        assert b["versioning"] == {"enabled": True}
        assert b["location"] == "EUROPE-WEST4"
        assert r.options[name] == (True, True)
    members = r.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
    assert {m["role"] for m in members} == {"roles/storage.objectAdmin"}
    assert len(members) == 3  # ml: 2 buckets, vision: 1
    ksa = r.obj("kubernetes:core/v1:ServiceAccount", "lab-objectstore-ml-ksa")
    assert ksa["metadata"]["namespace"] == "ml"


# ---------------------------------------------------------------------------------------------
# Argo
# ---------------------------------------------------------------------------------------------


def test_train_step_runs_on_the_gpu_pool() -> None:
    r = onprem()
    cluster = platform(data()).clusters[0]
    placement = cluster.gpu_pools()[0].placement(cluster.name)
    train = train_template(r)
    assert train["nodeSelector"] == placement.node_selector()
    assert train["tolerations"] == placement.tolerations()
    res = train["container"]["resources"]
    assert res["requests"][GPU_RESOURCE] == "1" and res["limits"][GPU_RESOURCE] == "1"
    ctx = train["container"]["securityContext"]
    assert ctx["readOnlyRootFilesystem"] and not ctx["allowPrivilegeEscalation"]
    # The model goes to the artifact repository under the agreed key, unarchived.
    artifact = train["outputs"]["artifacts"][0]
    assert artifact["s3"] == {"key": "models/{{workflow.name}}/model.onnx"}
    wt = workflow_template(r)
    assert wt["metadata"] == {
        "name": ASSEMBLY_LINE,
        "namespace": WORKFLOWS_NAMESPACE,
        "labels": wt["metadata"]["labels"],
    }
    params = {p["name"]: p["value"] for p in wt["spec"]["arguments"]["parameters"]}
    assert params["training-image"] == versions.TRAINING_IMAGE
    assert params["canary-percent"] == "10"


def test_deploy_step_applies_an_inference_service_with_a_canary() -> None:
    deploy = next(t for t in workflow_template(onprem())["spec"]["templates"] if t["name"] == "deploy")
    manifest = deploy["resource"]["manifest"].replace("{{workflow.parameters.canary-percent}}", "25")
    isvc = yaml.safe_load(manifest)
    assert isvc["kind"] == "InferenceService"
    assert isvc["spec"]["predictor"]["canaryTrafficPercent"] == 25
    assert isvc["spec"]["predictor"]["model"]["storageUri"] == "s3://artifacts/models/{{workflow.name}}"


def test_cpu_cluster_trains_without_gpu_or_gpu_toleration() -> None:
    train = train_template(onprem_cpu())
    assert GPU_RESOURCE not in train["container"]["resources"]["requests"]
    assert GPU_RESOURCE not in train["container"]["resources"]["limits"]
    assert not any(t.get("key") == DEFAULT_GPU_TAINT.key for t in train.get("tolerations", []))
    assert "nodeSelector" not in train


def test_training_job_matches_the_train_step() -> None:
    cluster = platform(data()).clusters[0]
    placement = cluster.gpu_pools()[0].placement(cluster.name)
    job = training_job("gpu-check", "ml", placement)
    pod = job["spec"]["template"]["spec"]
    train = train_template(onprem())
    assert pod["nodeSelector"] == train["nodeSelector"]
    assert pod["tolerations"] == train["tolerations"]
    assert pod["containers"][0]["resources"] == train["container"]["resources"]
    cpu_job = training_job("cpu-check", "ml", None, context=ClusterContext(name="x", kind="onprem"))
    cpu_pod = cpu_job["spec"]["template"]["spec"]
    assert "tolerations" not in cpu_pod
    assert GPU_RESOURCE not in cpu_pod["containers"][0]["resources"]["limits"]


def test_artifact_repository_references_a_secret_by_name() -> None:
    r = onprem()
    values = r.obj("kubernetes:helm.sh/v4:Chart", "lab-argo-workflows")["values"]
    s3 = values["artifactRepository"]["s3"]
    assert s3["bucket"] == "artifacts" and s3["insecure"] is True
    assert s3["endpoint"] == f"minio.{NAMESPACE}.svc.cluster.local:80"
    assert s3["accessKeySecret"] == {"name": "artifact-repository", "key": "accesskey"}
    assert s3["secretKeySecret"] == {"name": "artifact-repository", "key": "secretkey"}
    inv = {i["name"]: i for i in inventory(r.result)}
    secret = inv["lab-argo-artifact-credentials"]["inputs"]
    assert secret["metadata"]["namespace"] == WORKFLOWS_NAMESPACE
    assert secret_field(secret["stringData"], "secretkey") == SECRET
    assert "synth-" not in json.dumps(inv["lab-argo-workflows"])


def test_workflow_rbac_is_narrow() -> None:
    role = onprem().obj("kubernetes:rbac.authorization.k8s.io/v1:Role", "lab-argo-assembly-line-role")
    rules = {(r["apiGroups"][0], r["resources"][0]): sorted(r["verbs"]) for r in role["rules"]}
    assert rules[("serving.kserve.io", "inferenceservices")] == ["create", "get", "patch"]
    assert ("argoproj.io", "workflowtaskresults") in rules


def test_events_cd_and_rollouts_objects() -> None:
    r = onprem()
    sensor = r.obj("kubernetes:argoproj.io/v1alpha1:Sensor", "lab-argo-sensor")
    trigger = sensor["spec"]["triggers"][0]["template"]
    assert trigger["argoWorkflow"]["source"]["resource"]["spec"]["workflowTemplateRef"] == {
        "name": ASSEMBLY_LINE
    }
    assert {d["name"] for d in sensor["spec"]["dependencies"]} == {"webhook", "github"}
    github = r.obj("kubernetes:argoproj.io/v1alpha1:EventSource", "lab-argo-github-source")
    assert github["spec"]["github"]["push"]["repositories"] == [{"owner": "acme", "names": ["platform"]}]
    bus = r.obj("kubernetes:argoproj.io/v1alpha1:EventBus", "lab-argo-eventbus")
    assert bus["spec"]["jetstream"]["version"] == versions.NATS_VERSION
    app = r.obj("kubernetes:argoproj.io/v1alpha1:Application", "lab-argo-app-of-apps")
    assert app["spec"]["source"] == {
        "repoURL": "https://github.com/acme/platform.git",
        "targetRevision": "main",
        "path": "apps",
    }
    assert app["spec"]["syncPolicy"]["automated"]["prune"] is False
    analysis = r.obj("kubernetes:argoproj.io/v1alpha1:AnalysisTemplate", "lab-argo-success-rate")
    assert "prometheus" in analysis["spec"]["metrics"][0]["provider"]


def test_chart_versions_come_from_versions_module() -> None:
    r = onprem()
    for name, pin in ARGO_CHARTS.items():
        chart = r.obj("kubernetes:helm.sh/v4:Chart", name)
        assert chart["chart"] == pin.name and chart["version"] == pin.version
    operator = r.obj("kubernetes:helm.sh/v4:Chart", "lab-objectstore-operator")
    assert (operator["chart"], operator["version"]) == (
        versions.MINIO_OPERATOR.name,
        versions.MINIO_OPERATOR.version,
    )


def test_mirror_applies_to_every_chart_and_image() -> None:
    r = airgapped()
    names = [*ARGO_CHARTS, "lab-objectstore-operator"]
    pins = {**ARGO_CHARTS, "lab-objectstore-operator": versions.MINIO_OPERATOR}
    for name in names:
        chart = r.obj("kubernetes:helm.sh/v4:Chart", name)
        assert chart["chart"] == f"{CHARTS}/{pins[name].name}"
        dumped = json.dumps(chart["values"])
        for upstream in ("quay.io", "ghcr.io", "docker.io", "registry.k8s.io", "ecr-public"):
            assert f'"{upstream}' not in dumped, (name, upstream)
    wf = r.obj("kubernetes:helm.sh/v4:Chart", "lab-argo-workflows")["values"]
    assert wf["controller"]["image"]["registry"] == MIRROR
    assert wf["executor"]["image"]["registry"] == MIRROR
    assert tenant(r)["spec"]["image"].startswith(f"{MIRROR}/minio/minio:")
    job = r.obj("kubernetes:batch/v1:Job", "lab-objectstore-setup-job")
    assert job["spec"]["template"]["spec"]["containers"][0]["image"].startswith(f"{MIRROR}/minio/mc:")
    params = {p["name"]: p["value"] for p in workflow_template(r)["spec"]["arguments"]["parameters"]}
    assert params["training-image"].startswith(f"{MIRROR}/pytorch/pytorch:")


@pytest.mark.parametrize("which", ["onprem", "aws", "gcp"])
def test_custom_resources_validate_against_upstream_crds(which: str) -> None:
    r = {"onprem": onprem, "aws": aws, "gcp": gcp}[which]()
    kinds = set()
    for cluster, obj in r.result.k8s_objects():
        if obj["apiVersion"].split("/")[0] not in ("minio.min.io", "argoproj.io"):
            continue
        kinds.add(obj["kind"])
        assert validate_custom_resource(obj) == [], (cluster, obj["kind"])
    expected = {"WorkflowTemplate", "EventBus", "EventSource", "Sensor", "Application", "AnalysisTemplate"}
    assert expected <= kinds
    if which == "onprem":
        assert "Tenant" in kinds


def test_argo_without_object_store_is_a_config_error() -> None:
    from stacks.loader import ConfigError

    d = data()
    d["addons"]["object_store"] = {"enabled": False}
    d["teams"] = [{"name": "ml"}]
    with pytest.raises(ConfigError, match="object_store"):
        platform(d)
