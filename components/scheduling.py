"""Where GPU work may run: the taint, labels and tolerations shared by node pools and workloads.

One source of truth: node pools put these labels and taints on their nodes, and every add-on's GPU
workload derives its toleration and node selector from the same functions, so the two can never
drift apart. Plain data, no Pulumi.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

GPU_RESOURCE = "nvidia.com/gpu"
GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_TAINT_VALUE = "present"
GPU_TAINT_EFFECT = "NoSchedule"

POOL_LABEL = "stackyard.io/node-pool"
ACCELERATOR_LABEL = "stackyard.io/accelerator"
GPU_COUNT_LABEL = "stackyard.io/gpu-count"
GPU_PRESENT_LABEL = "nvidia.com/gpu.present"


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str

    def as_k8s(self) -> dict[str, str]:
        return {"key": self.key, "value": self.value, "effect": self.effect}


DEFAULT_GPU_TAINT = Taint(GPU_TAINT_KEY, GPU_TAINT_VALUE, GPU_TAINT_EFFECT)


@dataclass(frozen=True)
class PoolPlacement:
    """What a node pool stamps on its nodes, and so what a workload needs to land there."""

    cluster: str
    pool: str
    labels: Mapping[str, str]
    taints: Sequence[Taint] = ()
    accelerator: str | None = None
    gpus_per_node: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_gpu(self) -> bool:
        return self.accelerator is not None

    def node_selector(self) -> dict[str, str]:
        """Select exactly this pool's nodes."""
        return {POOL_LABEL: self.pool}

    def tolerations(self) -> list[dict[str, str]]:
        """Tolerate exactly this pool's taints (equality match, never a blanket toleration)."""
        return [
            {"key": t.key, "operator": "Equal", "value": t.value, "effect": t.effect} for t in self.taints
        ]


def pool_labels(
    pool: str, user_labels: Mapping[str, str], accelerator: str | None, gpus: int
) -> dict[str, str]:
    """The labels a pool's nodes carry: the user's, plus the pool name and its accelerator."""
    labels = dict(user_labels)
    labels[POOL_LABEL] = pool
    if accelerator is not None:
        labels[ACCELERATOR_LABEL] = accelerator
        labels[GPU_COUNT_LABEL] = str(gpus)
        labels[GPU_PRESENT_LABEL] = "true"
    return dict(sorted(labels.items()))
