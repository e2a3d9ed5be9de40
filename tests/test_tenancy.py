"""Team tenancy under mocks: namespace security, quotas, RBAC and networking as properties."""

from __future__ import annotations

import copy
from typing import Any

from tests.conftest import LOCAL, synth


def objects(kind: str, data: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for _, o in synth(data).k8s_objects() if o["kind"] == kind}


def test_team_namespace_enforces_restricted_pod_security() -> None:
    ns = objects("Namespace")["ml"]
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert ns["metadata"]["labels"]["stackyard.io/team"] == "ml"


def test_quota_carries_gpu_and_forbids_load_balancers() -> None:
    hard = objects("ResourceQuota")["team-quota"]["spec"]["hard"]
    assert hard["requests.nvidia.com/gpu"] == "2"
    assert hard["services.loadbalancers"] == "0"
    assert hard["requests.cpu"] == "16" and hard["limits.memory"] == "64Gi"


def test_rbac_binds_groups_to_edit_and_admins_to_admin() -> None:
    bindings = objects("RoleBinding")
    edit, admin = bindings["team-edit"], bindings["team-admin"]
    assert edit["roleRef"]["name"] == "edit"
    assert edit["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "ml-eng"}]
    assert admin["roleRef"]["name"] == "admin"
    assert [s["name"] for s in admin["subjects"]] == ["leads"]


def test_default_deny_then_only_platform_allowances() -> None:
    data = copy.deepcopy(LOCAL)
    data["addons"] = {"knative": {"enabled": True}, "object_store": {"enabled": True}}
    policies = objects("NetworkPolicy", data)
    deny = policies["default-deny"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = policies["allow-dns"]["spec"]["egress"][0]
    assert {p["port"] for p in dns["ports"]} == {53}
    ingress_from = policies["allow-from-ingress"]["spec"]["ingress"][0]["from"]
    assert {f["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for f in ingress_from} == {
        "knative-serving",
        "kourier-system",
    }
    assert "allow-to-object-store" in policies
    assert "allow-from-monitoring" not in policies  # monitoring is off


def test_team_limited_to_some_clusters_is_only_there() -> None:
    data = copy.deepcopy(LOCAL)
    data["clusters"].append({"name": "edge", "provider": {"kind": "onprem", "kubeconfig": "edge"}})
    data["teams"][0]["clusters"] = ["local"]
    clusters = {
        c for c, o in synth(data).k8s_objects() if o["kind"] == "Namespace" and o["metadata"]["name"] == "ml"
    }
    assert clusters == {"local"}


def test_onprem_gpu_nodes_get_pool_labels_and_taint() -> None:
    result = synth()
    patch = result.one("kubernetes:core/v1:NodePatch", "local-nodes-gpu-gpu-0")
    assert patch.inputs["metadata"]["labels"]["stackyard.io/accelerator"] == "nvidia-t4"
    assert patch.inputs["spec"]["taints"] == [
        {"effect": "NoSchedule", "key": "nvidia.com/gpu", "value": "present"}
    ]
    cpu = result.one("kubernetes:core/v1:NodePatch", "local-nodes-cpu-cpu-0")
    assert cpu.inputs["spec"]["taints"] == []
