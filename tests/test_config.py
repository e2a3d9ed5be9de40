"""The typed config: defaults, derived placement, and one test per cross-field rule."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.scheduling import ACCELERATOR_LABEL, DEFAULT_GPU_TAINT, POOL_LABEL
from stacks.loader import ConfigError, parse_platform
from tests.conftest import LOCAL, platform


def errors(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_platform(data, "stack.yaml")
    return [p.render() for p in info.value.problems]


def test_gpu_pool_gets_standard_taint_and_labels() -> None:
    pool = platform().clusters[0].node_pools[1]
    placement = pool.placement("local")
    assert list(placement.taints) == [DEFAULT_GPU_TAINT]
    assert placement.labels[ACCELERATOR_LABEL] == "nvidia-t4"
    assert placement.labels[POOL_LABEL] == "gpu"
    assert placement.tolerations() == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
    ]


def test_explicit_empty_taints_are_respected() -> None:
    data = copy.deepcopy(LOCAL)
    data["clusters"][0]["node_pools"][1]["taints"] = []
    assert platform(data).clusters[0].node_pools[1].effective_taints() == []


def test_cpu_pool_has_no_taint_and_desired_defaults_to_min() -> None:
    pool = platform().clusters[0].node_pools[0]
    assert pool.effective_taints() == []
    assert pool.desired == pool.min_size


def test_member_mode_defaults_pull_for_onprem_push_for_cloud() -> None:
    data = copy.deepcopy(LOCAL)
    data["clusters"].append(
        {
            "name": "cloud",
            "provider": {"kind": "aws", "region": "us-east-1"},
            "node_pools": [{"name": "g", "gpu": {"accelerator": "nvidia-l4", "count": 1}}],
        }
    )
    data["clusters"].append({"name": "edge", "provider": {"kind": "onprem"}})
    data["federation"] = {"host": "local", "members": [{"cluster": "cloud"}, {"cluster": "edge"}]}
    cfg = platform(data)
    assert cfg.federation is not None
    assert [cfg.member_mode(m) for m in cfg.federation.members] == ["push", "pull"]


def test_every_problem_is_reported_with_file_path_value_and_rule() -> None:
    data = copy.deepcopy(LOCAL)
    data["clusters"][0]["node_pools"][0].update(min_size=4, max_size=2)
    data["teams"].append({"name": "ml"})
    found = errors(data)
    assert "stack.yaml: clusters[0].node_pools[0].min_size: must be <= max_size (2) (got 4)" in found
    assert 'stack.yaml: teams[1].name: team names must be unique (got "ml")' in found
    assert len(found) == 2


def test_unknown_key_suggests_the_right_one() -> None:
    data = copy.deepcopy(LOCAL)
    data["clusters"][0]["node_pols"] = []
    (message,) = errors(data)
    assert "clusters[0].node_pols: unknown setting 'node_pols' (did you mean 'node_pools'?)" in message
    assert "allowed: name, node_pools, provider" in message


def test_union_tag_is_not_part_of_the_path() -> None:
    data = copy.deepcopy(LOCAL)
    data["clusters"][0]["provider"] = {"kind": "aws", "region": "us-east-1", "kubernetes_version": "1.x"}
    (message,) = errors(data)
    assert "clusters[0].provider.kubernetes_version: must be a Kubernetes minor version" in message


def test_gpu_offer_must_exist_in_the_region() -> None:
    data = copy.deepcopy(LOCAL)
    data["clusters"][0]["provider"] = {"kind": "gcp", "project": "acme-ml", "region": "europe-west1"}
    data["clusters"][0]["node_pools"] = [
        {"name": "g", "gpu": {"accelerator": "nvidia-h100", "count": 8}},
    ]
    (message,) = errors(data)
    assert "clusters[0].node_pools[0].gpu.accelerator: not offered in gcp region europe-west1" in message
    assert "us-central1" in message


def test_team_gpu_quota_needs_a_gpu_pool() -> None:
    data = copy.deepcopy(LOCAL)
    data["clusters"][0]["node_pools"].pop(1)
    (message,) = errors(data)
    assert (
        "teams[0].quota.gpu: asks for GPUs but none of the team's clusters has a GPU node pool (got 2)"
        in message
    )


def test_addon_dependencies_name_what_to_enable() -> None:
    data = copy.deepcopy(LOCAL)
    data["addons"] = {"serving": {"enabled": True}}
    (message,) = errors(data)
    assert "enable addons.knative on cluster 'local'" in message


def test_addon_restricted_to_some_clusters_checks_dependencies_there_only() -> None:
    data = copy.deepcopy(LOCAL)
    data["clusters"].append({"name": "edge", "provider": {"kind": "onprem"}})
    data["addons"] = {
        "serving": {"enabled": True, "clusters": ["local"]},
        "knative": {"enabled": True, "clusters": ["local"]},
    }
    cfg = platform(data)
    assert cfg.addons.enabled_on("serving", "local")
    assert not cfg.addons.enabled_on("serving", "edge")


def test_gpu_metrics_default_follows_gpu_pools() -> None:
    cfg = platform()
    assert cfg.gpu_metrics_on(cfg.clusters[0])
    data = copy.deepcopy(LOCAL)
    data["clusters"][0]["node_pools"].pop(1)
    data["teams"] = []
    cfg = platform(data)
    assert not cfg.gpu_metrics_on(cfg.clusters[0])


def test_line_numbers_point_at_the_field(tmp_path: Any) -> None:
    from stacks.loader import load_stack_file

    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_text(
        "config:\n"
        "  stackyard:platform:\n"
        "    clusters:\n"
        "      - name: a\n"
        "        provider: {kind: onprem}\n"
        "        node_pools:\n"
        "          - name: g\n"
        "            gpu: {accelerator: nvidia-t4, count: 0}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_stack_file(stack)
    assert info.value.render() == (f"{stack}:8: clusters[0].node_pools[0].gpu.count: must be >= 1 (got 0)")


def test_catalogue_validates_and_prices_are_consistent() -> None:
    from components.catalog import load_catalogue

    catalogue = load_catalogue()
    assert catalogue.price_date
    for provider in catalogue.providers.values():
        for offer in provider.offers:
            assert offer.spot < offer.on_demand
            assert offer.accelerator in catalogue.accelerators
