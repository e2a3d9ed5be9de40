"""The real thing: Pulumi engine + Kubernetes provider + kube-apiserver (kwok), offline.

One module-scoped platform: the `local` blueprint rendered with the offline chart directory
(tests/e2e/charts.py) into a temporary stack file, a kwok cluster of its own, a file backend in a
temporary directory. The tests run in order and build on each other:

preview → up → preview/refresh/up with no changes → kubectl checks (nodes, tenancy, custom
resources, GPU placement) → a one-field config change previews as one update → a bad kubeconfig
fails cleanly and creates nothing → destroy keeps protected data and says so.

A missing toolchain fails (never skips), naming `make tools`. STACKYARD_E2E_ADDONS=a,b limits the
enabled add-ons (default: every add-on of the blueprint).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from components.scheduling import GPU_RESOURCE, GPU_TAINT_KEY, POOL_LABEL
from tests.e2e.harness import PROJECT_ROOT, PulumiStack, custom_resources, kubectl, kubectl_json, wait_for
from tests.e2e.localplatform import Platform, addons_from_env, open_platform

GENERATED_SECRET_TYPE = "pulumi-python:dynamic:Resource"
POLICIES = str(PROJECT_ROOT / "policies")

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with open_platform(tmp_path_factory.mktemp("e2e"), addons=addons_from_env()) as p:
        yield p


def _gpu_nodes(p: Platform) -> set[str]:
    return {n.name for n in p.cluster.nodes if n.gpus}


# --------------------------------------------------------------------------------- lifecycle --


def test_preview_up_then_nothing_to_do(platform: Platform) -> None:
    stack = platform.stack
    preview = stack.preview(label="preview-cold")
    assert "create" in preview.stdout
    stack.up(label="up-create")
    # Idempotence, three ways: the program, the live objects, and a second update.
    stack.preview("--expect-no-changes", label="preview-noop")
    stack.run("refresh", "--yes", "--stack", stack.name, "--expect-no-changes", label="refresh")
    stack.up("--expect-no-changes", label="up-noop")


def test_pool_labels_and_taints_come_from_pulumi(platform: Platform) -> None:
    nodes = {n["metadata"]["name"]: n for n in kubectl_json(platform.kubeconfig, "get", "nodes")["items"]}
    for node in platform.cluster.nodes:
        live = nodes[node.name]
        assert live["metadata"]["labels"][POOL_LABEL] == node.pool
        taints = {(t["key"], t["effect"]) for t in live["spec"].get("taints", [])}
        if node.gpus:
            assert (GPU_TAINT_KEY, "NoSchedule") in taints
            assert live["status"]["allocatable"][GPU_RESOURCE] == str(node.gpus)
        else:
            assert (GPU_TAINT_KEY, "NoSchedule") not in taints


def test_team_tenancy_is_live(platform: Platform) -> None:
    kc = platform.kubeconfig
    for team in platform.cfg.teams:
        ns = kubectl_json(kc, "get", "namespace", team.name)
        labels = ns["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
        quota = kubectl_json(kc, "-n", team.name, "get", "resourcequota", "team-quota")
        assert quota["spec"]["hard"][f"requests.{GPU_RESOURCE}"] == str(team.quota.gpu)
        bindings = {
            b["metadata"]["name"]: b
            for b in kubectl_json(kc, "-n", team.name, "get", "rolebindings")["items"]
        }
        edit = bindings["team-edit"]
        assert edit["roleRef"]["name"] == "edit"
        assert sorted(s["name"] for s in edit["subjects"] if s["kind"] == "Group") == sorted(team.groups)
        policies = {
            p["metadata"]["name"]
            for p in kubectl_json(kc, "-n", team.name, "get", "networkpolicies")["items"]
        }
        assert {"default-deny", "allow-same-namespace", "allow-dns"} <= policies


def test_every_custom_resource_is_on_the_api_server(platform: Platform) -> None:
    state = platform.stack.export()
    crs = custom_resources(state)
    missing = []
    for res in crs:
        group_version, kind = res["type"].split(":")[1:]
        group, version = group_version.split("/")
        meta = (res.get("outputs") or {}).get("metadata") or {}
        args = ["get", f"{kind.lower()}.{version}.{group}", meta.get("name", "")]
        if meta.get("namespace"):
            args += ["-n", meta["namespace"]]
        if not kubectl(platform.kubeconfig, *args, "-o", "name", check=False).strip():
            missing.append(f"{kind} {meta.get('namespace', '')}/{meta.get('name')}")
    assert not missing, f"custom resources in the state but not on the API server: {missing}"
    kinds = sorted({r["type"].split(":")[2] for r in crs})
    print(f"\n{len(crs)} custom resources live, kinds: {', '.join(kinds) or '-'}")


# ------------------------------------------------------------------------------ GPU placement --


def _gpu_job(p: Platform, name: str, namespace: str) -> dict[str, Any]:
    from stacks.program import context_of

    cluster = next(c for c in p.cfg.clusters if c.name == p.cluster.cluster)
    context = context_of(p.cfg, cluster)
    placement = context.gpu_placements()[0]
    try:
        from components.argo import training_job
    except ImportError:  # the Argo family is optional here; the placement rules are not
        from components.base import gpu_placement_rules, resources, restricted_security_context

        return {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "backoffLimit": 0,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "securityContext": {
                            "runAsNonRoot": True,
                            "runAsUser": 65532,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        **gpu_placement_rules(placement),
                        "containers": [
                            {
                                "name": "main",
                                "image": "registry.k8s.io/pause:3.10",
                                "resources": resources("1", "1Gi", gpu=1),
                                "securityContext": restricted_security_context(),
                            }
                        ],
                    }
                },
            },
        }
    return training_job(name, namespace, placement, context=context)


def _pods(p: Platform, namespace: str, selector: str) -> list[dict[str, Any]]:
    return list(kubectl_json(p.kubeconfig, "-n", namespace, "get", "pods", "-l", selector)["items"])


def test_gpu_training_job_runs_on_a_gpu_node(platform: Platform) -> None:
    team = next(t for t in platform.cfg.teams if t.quota.gpu > 0)
    job = _gpu_job(platform, "e2e-train", team.name)
    kubectl(platform.kubeconfig, "apply", "--server-side", "-f", "-", stdin=json.dumps(job))

    def placed() -> list[dict[str, Any]]:
        pods = _pods(platform, team.name, "batch.kubernetes.io/job-name=e2e-train")
        return [p for p in pods if p["status"].get("phase") in ("Running", "Succeeded")]

    pods = wait_for(placed, 90, "the training job's pod to run")
    assert pods[0]["spec"]["nodeName"] in _gpu_nodes(platform)
    kubectl(platform.kubeconfig, "-n", team.name, "delete", "job", "e2e-train", "--wait=false")


def test_cpu_work_never_lands_on_gpu_nodes(platform: Platform) -> None:
    team = platform.cfg.teams[0].name
    from components.base import restricted_pod_security_context, restricted_security_context

    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "e2e-cpu", "namespace": team},
        "spec": {
            "replicas": 6,
            "selector": {"matchLabels": {"app": "e2e-cpu"}},
            "template": {
                "metadata": {"labels": {"app": "e2e-cpu"}},
                "spec": {
                    "securityContext": restricted_pod_security_context(),
                    "containers": [
                        {
                            "name": "main",
                            "image": "registry.k8s.io/pause:3.10",
                            "resources": {
                                "requests": {"cpu": "50m", "memory": "32Mi"},
                                "limits": {"cpu": "50m", "memory": "32Mi"},
                            },
                            "securityContext": restricted_security_context(),
                        }
                    ],
                },
            },
        },
    }
    kubectl(platform.kubeconfig, "apply", "--server-side", "-f", "-", stdin=json.dumps(deployment))

    def running() -> list[dict[str, Any]]:
        pods = [p for p in _pods(platform, team, "app=e2e-cpu") if p["status"].get("phase") == "Running"]
        return pods if len(pods) == 6 else []

    pods = wait_for(running, 90, "6 CPU pods to run")
    assert {p["spec"]["nodeName"] for p in pods}.isdisjoint(_gpu_nodes(platform))
    kubectl(platform.kubeconfig, "-n", team, "delete", "deployment", "e2e-cpu", "--wait=false")


# ---------------------------------------------------------------------- change and failure --


def _set_team_gpus(p: Platform, index: int, gpus: int) -> None:
    p.stack.run(
        "config",
        "set",
        "--stack",
        p.stack.name,
        "--path",
        f"stackyard:platform.teams[{index}].quota.gpu",
        str(gpus),
        label="config",
    )
    p.reload()


def test_quota_change_previews_as_one_update(platform: Platform) -> None:
    index = next(i for i, t in enumerate(platform.cfg.teams) if t.quota.gpu > 0)
    before = platform.cfg.teams[index].quota.gpu
    _set_team_gpus(platform, index, before + 1)
    steps = platform.stack.preview_steps()
    changed = [s for s in steps if s.get("op") not in ("same", "read")]
    assert len(changed) == 1, [(s.get("op"), s.get("urn")) for s in changed]
    step = changed[0]
    assert step["op"] == "update"
    assert step["urn"].split("::")[-2].endswith("kubernetes:core/v1:ResourceQuota")
    assert any(
        "requests.nvidia.com/gpu" in d for d in step.get("diffs", []) + list(step.get("detailedDiff") or {})
    )


def test_bad_kubeconfig_fails_cleanly_and_creates_nothing(platform: Platform) -> None:
    """With the quota change pending: an unreachable cluster fails the update before any write."""
    kc = platform.kubeconfig
    good = kc.read_text()
    team = next(t for t in platform.cfg.teams if t.quota.gpu > 0)
    urns_before = {r["urn"] for r in platform.stack.export()}
    bad = yaml.safe_load(good)
    for cluster in bad["clusters"]:
        cluster["cluster"]["server"] = "https://127.0.0.1:1"
    kc.write_text(yaml.safe_dump(bad))
    try:
        run = platform.stack.up(check=False, label="up-bad-kubeconfig")
        assert run.returncode != 0
        assert "127.0.0.1:1" in run.output or "unreachable" in run.output, run.output[-2000:]
        assert "Traceback" not in run.output
    finally:
        kc.write_text(good)
    assert {r["urn"] for r in platform.stack.export()} == urns_before
    live = kubectl_json(kc, "-n", team.name, "get", "resourcequota", "team-quota")
    assert live["spec"]["hard"][f"requests.{GPU_RESOURCE}"] == str(team.quota.gpu - 1)
    # Restored: the pending change goes through, and then there is nothing left to do.
    platform.stack.up(label="up-change")
    live = kubectl_json(kc, "-n", team.name, "get", "resourcequota", "team-quota")
    assert live["spec"]["hard"][f"requests.{GPU_RESOURCE}"] == str(team.quota.gpu)
    platform.stack.preview("--expect-no-changes", label="preview-noop")


# ------------------------------------------------------------------------- safety rails, live --


def test_policy_pack_passes_on_the_real_preview(platform: Platform) -> None:
    """The policy pack, run by the real engine on every resource of the live platform."""
    run = platform.stack.preview("--policy-pack", POLICIES, "--expect-no-changes", label="preview-policy")
    assert "stackyard@v0.1.0" in run.output, run.output[-3000:]  # the pack ran and reported itself
    assert "mandatory" not in run.output, run.output[-3000:]


def test_policy_pack_refuses_a_bad_program(platform: Platform) -> None:
    """The same pack and engine refuse a deliberately bad program, naming each broken rule."""
    bad = PulumiStack(
        f"{platform.stack.name}-bad",
        platform.stack.backend,
        cwd=PROJECT_ROOT / "tests" / "e2e" / "policy_violation",
        extra_env={"KUBECONFIG": str(platform.kubeconfig)},
    )
    bad.init()
    try:
        run = bad.preview("--policy-pack", POLICIES, check=False, label="preview-bad")
        assert run.returncode != 0, run.output[-3000:]
        assert "mandatory" in run.output, run.output[-3000:]
        for rule in (
            "pod-security-restricted",
            "container-resources",
            "image-pinned-tag",
            "no-public-exposure",
        ):
            assert rule in run.output, f"{rule} not reported:\n{run.output[-3000:]}"
    finally:
        bad.run("stack", "rm", "--yes", "--force", "--stack", bad.name, check=False, label="stack-rm")


def _plaintext(value: Any) -> str:
    """A value of `pulumi stack export --show-secrets`: secrets stay wrapped, with `plaintext` JSON."""
    if isinstance(value, dict) and "plaintext" in value:
        return str(json.loads(value["plaintext"]))
    return str(value)


def test_generated_credentials_never_appear_in_plaintext(platform: Platform) -> None:
    """Every generated credential: a Pulumi secret in the state, real in the cluster, nowhere else."""
    stack = platform.stack
    revealed = json.loads(stack.run("stack", "export", "--show-secrets", label="export-secrets").stdout)
    stack.transcript.pop()  # the one output that is meant to show them
    values = {
        _plaintext((res.get("outputs") or {}).get("result"))
        for res in revealed["deployment"]["resources"]
        if res["type"] == GENERATED_SECRET_TYPE
    }
    assert len(values) >= 3, f"expected generated credentials (MinIO, Grafana, ...), found {len(values)}"
    assert all(len(v) >= 16 for v in values)
    state_text = stack.run("stack", "export", label="export").stdout
    leaks = [v[:4] + "..." for v in values if v in state_text]
    assert not leaks, f"generated credentials in plaintext in the state: {leaks}"
    output_leaks = [v[:4] + "..." for v in values if any(v in text for text in stack.transcript)]
    assert not output_leaks, f"generated credentials in plaintext in pulumi's output: {output_leaks}"
    # They did reach the workloads, as Kubernetes Secrets.
    live: set[str] = set()
    for item in kubectl_json(platform.kubeconfig, "get", "secrets", "-A")["items"]:
        for encoded in (item.get("data") or {}).values():
            live.add(base64.b64decode(encoded).decode("utf-8", "replace"))
    delivered = [v for v in values if any(v in text for text in live)]
    assert len(delivered) == len(values), f"{len(values) - len(delivered)} credential(s) not in any Secret"


def test_drift_is_detected_and_repaired(platform: Platform) -> None:
    """A hand edit in the cluster: the nightly drift check fails on it; `up --refresh` repairs it."""
    stack = platform.stack
    team = platform.cfg.teams[-1]
    kc = platform.kubeconfig
    patch = json.dumps({"spec": {"hard": {"limits.cpu": "999"}}})
    kubectl(kc, "-n", team.name, "patch", "resourcequota", "team-quota", "--type=merge", "-p", patch)
    drift = stack.run(
        "refresh", "--preview-only", "--expect-no-changes", "--diff", "--stack", stack.name,
        check=False, label="refresh-drift",
    )  # fmt: skip
    assert drift.returncode != 0, drift.output[-2000:]
    assert "no changes were expected" in drift.output, drift.output[-2000:]
    assert "team-quota" in drift.output or "ResourceQuota" in drift.output, drift.output[-2000:]
    stack.up("--refresh", label="up-repair")
    live = kubectl_json(kc, "-n", team.name, "get", "resourcequota", "team-quota")
    assert live["spec"]["hard"].get("limits.cpu") != "999"
    stack.run(
        "refresh", "--preview-only", "--expect-no-changes", "--stack", stack.name, label="refresh-clean"
    )


# ------------------------------------------------------------------------------------ destroy --


def test_destroy_keeps_protected_data_and_says_so(platform: Platform) -> None:
    stack = platform.stack
    protected = [r for r in stack.export() if r.get("protect")]
    if protected:
        refused = stack.run("destroy", "--yes", "--stack", stack.name, check=False, label="destroy-refused")
        assert refused.returncode != 0
        assert "protect" in refused.output
    stack.run("destroy", "--yes", "--stack", stack.name, "--exclude-protected", label="destroy")
    left = stack.export()
    kept = [r for r in left if r.get("protect")]
    assert {r["urn"] for r in kept} == {r["urn"] for r in protected}
    for res in kept:
        meta = (res.get("outputs") or {}).get("metadata") or {}
        if res["type"].startswith("kubernetes:") and meta.get("name"):
            group_version, kind = res["type"].split(":")[1:]
            gv = group_version.split("/")
            resource = kind.lower() if gv[0] == "core" else f"{kind.lower()}.{gv[1]}.{gv[0]}"
            args = ["get", resource, meta["name"], "-o", "name"]
            if meta.get("namespace"):
                args += ["-n", meta["namespace"]]
            assert kubectl(platform.kubeconfig, *args, check=False).strip(), f"{kind} {meta['name']} is gone"
    unprotected_k8s = [r for r in left if r["type"].startswith("kubernetes:") and not r.get("protect")]
    print(
        f"\ndestroy kept {len(kept)} protected resource(s): {[r['urn'].split('::')[-1] for r in kept]}; "
        f"other Kubernetes resources left in the state: {[r['urn'].split('::')[-1] for r in unprotected_k8s]}"
    )
