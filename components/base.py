"""What every add-on component shares: the cluster it runs on, mirrors, charts, namespaces, defaults.

An add-on component receives a :class:`ClusterContext` (plain data: the cluster's name and kind,
its node pools, the air-gap mirrors and the data policy) and a ``kubernetes.Provider`` through
its resource options. It knows nothing of the config file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from components.scheduling import PoolPlacement
from components.versions import ChartPin

ClusterKind = Literal["onprem", "aws", "gcp"]

# Registries that upstream images come from; a mirror replaces all of them.
UPSTREAM_REGISTRIES = (
    "docker.io",
    "quay.io",
    "ghcr.io",
    "gcr.io",
    "registry.k8s.io",
    "nvcr.io",
    "docker.elastic.co",
    "public.ecr.aws",
)


@dataclass(frozen=True)
class Mirror:
    """Air-gap settings: one image registry mirror and one chart source for every add-on.

    ``chart_kind`` ``directory`` expects ``helm package`` archives named ``<chart>-<version>.tgz``;
    ``oci`` expects ``<url>/<chart>``; ``http`` is a classic chart repository.
    """

    image_registry: str | None = None
    chart_kind: Literal["oci", "http", "directory"] | None = None
    chart_url: str | None = None

    def image(self, reference: str) -> str:
        """Rewrite an image reference to the mirror, keeping its path and tag."""
        if self.image_registry is None:
            return reference
        first, _, rest = reference.partition("/")
        if "." in first or ":" in first or first == "localhost":
            path = rest
        else:  # Docker Hub shorthand: "nginx:1" or "library/nginx:1"
            path = reference if "/" in reference else f"library/{reference}"
        return f"{self.image_registry}/{path}"

    def registry(self, upstream: str) -> str:
        """The registry to put in a chart's ``image.registry`` value."""
        return self.image_registry or upstream


@dataclass(frozen=True)
class ClusterContext:
    """The cluster an add-on is installed on, as plain data."""

    name: str
    kind: ClusterKind
    placements: tuple[PoolPlacement, ...] = ()
    mirror: Mirror = field(default_factory=Mirror)
    storage_class: str | None = None
    delete_data_on_destroy: bool = False

    def gpu_placements(self) -> list[PoolPlacement]:
        return [p for p in self.placements if p.is_gpu]

    def cpu_placements(self) -> list[PoolPlacement]:
        return [p for p in self.placements if not p.is_gpu]

    @property
    def has_gpus(self) -> bool:
        return bool(self.gpu_placements())


def chart_reference(pin: ChartPin, mirror: Mirror) -> dict[str, Any]:
    """``chart``/``version``/``repository_opts`` arguments for a helm.v4.Chart, mirror applied."""
    if mirror.chart_kind == "directory":
        return {"chart": f"{mirror.chart_url}/{pin.name}-{pin.version}.tgz"}
    if mirror.chart_kind == "oci":
        return {"chart": f"{str(mirror.chart_url).rstrip('/')}/{pin.name}", "version": pin.version}
    if mirror.chart_kind == "http":
        return {
            "chart": pin.name,
            "version": pin.version,
            "repository_opts": k8s.helm.v4.RepositoryOptsArgs(repo=mirror.chart_url),
        }
    if pin.is_oci:
        return {"chart": f"{pin.repo}/{pin.name}", "version": pin.version}
    return {
        "chart": pin.name,
        "version": pin.version,
        "repository_opts": k8s.helm.v4.RepositoryOptsArgs(repo=pin.repo),
    }


def helm_chart(
    name: str,
    pin: ChartPin,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    mirror: Mirror,
    opts: pulumi.ResourceOptions,
    *,
    skip_crds: bool = False,
) -> k8s.helm.v4.Chart:
    """A helm.v4.Chart at the pinned version, from the mirror when one is set.

    Helm values must never carry secrets (Helm values lose secretness): pass Secret names.
    """
    if len(name) > 53:
        raise ValueError(f"Helm release name {name!r} is longer than 53 characters")
    return k8s.helm.v4.Chart(
        name,
        k8s.helm.v4.ChartArgs(
            namespace=namespace,
            values=dict(values),
            skip_crds=skip_crds,
            **chart_reference(pin, mirror),
        ),
        opts=opts,
    )


def namespace(
    name: str,
    parent: pulumi.Resource,
    *,
    pod_security: Literal["restricted", "baseline", "privileged"] = "restricted",
    labels: Mapping[str, str] | None = None,
) -> k8s.core.v1.Namespace:
    """A namespace with a pinned name and Pod Security Admission enforced (restricted by default)."""
    all_labels = {
        "app.kubernetes.io/managed-by": "stackyard",
        "pod-security.kubernetes.io/enforce": pod_security,
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
        **(labels or {}),
    }
    return k8s.core.v1.Namespace(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, labels=dict(sorted(all_labels.items()))),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def stateful_options(
    context: ClusterContext, parent: pulumi.Resource, **extra: Any
) -> pulumi.ResourceOptions:
    """Options for anything that holds data: protected and retained unless the config says otherwise."""
    keep = not context.delete_data_on_destroy
    return pulumi.ResourceOptions(parent=parent, protect=keep, retain_on_delete=keep, **extra)


def restricted_security_context() -> dict[str, Any]:
    """Container security context that Pod Security 'restricted' admits."""
    return {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def restricted_pod_security_context(uid: int = 65532) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def resources(cpu: str, memory: str, *, gpu: int = 0, cpu_limit: str | None = None) -> dict[str, Any]:
    """Requests and limits; GPUs are requested and limited alike (extended resources must be)."""
    requests: dict[str, Any] = {"cpu": cpu, "memory": memory}
    limits: dict[str, Any] = {"cpu": cpu_limit or cpu, "memory": memory}
    if gpu:
        requests["nvidia.com/gpu"] = str(gpu)
        limits["nvidia.com/gpu"] = str(gpu)
    return {"requests": requests, "limits": limits}


def cpu_placement_rules(context: ClusterContext) -> dict[str, Any]:
    """Keep CPU work off GPU nodes: never tolerate the GPU taint, and avoid GPU pools by affinity."""
    gpu_pools = sorted(p.pool for p in context.gpu_placements())
    if not gpu_pools:
        return {}
    return {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": "stackyard.io/node-pool",
                                    "operator": "NotIn",
                                    "values": gpu_pools,
                                }
                            ]
                        }
                    ]
                }
            }
        }
    }


def gpu_placement_rules(placement: PoolPlacement) -> dict[str, Any]:
    """Pod spec fields that put a GPU workload on exactly this pool."""
    return {"nodeSelector": placement.node_selector(), "tolerations": placement.tolerations()}


def first_gpu_placement(context: ClusterContext) -> PoolPlacement | None:
    pools = context.gpu_placements()
    return pools[0] if pools else None


def secret_ref(name: str, key: str) -> dict[str, Any]:
    return {"secretKeyRef": {"name": name, "key": key}}


def labels_for(component: str, part: str | None = None) -> dict[str, str]:
    labels = {"app.kubernetes.io/managed-by": "stackyard", "app.kubernetes.io/part-of": component}
    if part:
        labels["app.kubernetes.io/component"] = part
    return labels


def sorted_list(values: Sequence[str]) -> list[str]:
    return sorted(set(values))
