"""Every upstream chart and image Stackyard installs, pinned in one place.

Each pin carries a Renovate comment so version bumps arrive as reviewed pull requests. Never
"latest": a pin changes only here, and the change shows in every stack's preview.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartPin:
    """A Helm chart at an exact version, and where upstream publishes it."""

    name: str
    version: str
    repo: str

    @property
    def is_oci(self) -> bool:
        return self.repo.startswith("oci://")


# renovate: datasource=helm depName=knative-operator registryUrl=https://knative.github.io/operator
KNATIVE_OPERATOR = ChartPin("knative-operator", "v1.23.0", "https://knative.github.io/operator")
# Knative releases the operator installs (KnativeServing/KnativeEventing spec.version).
# renovate: datasource=github-releases depName=knative/serving extractVersion=^knative-v(?<version>\d+\.\d+)
KNATIVE_SERVING_VERSION = "1.23"
# renovate: datasource=github-releases depName=knative/eventing extractVersion=^knative-v(?<version>\d+\.\d+)
KNATIVE_EVENTING_VERSION = "1.22"

# renovate: datasource=helm depName=operator registryUrl=https://operator.min.io
MINIO_OPERATOR = ChartPin("operator", "7.1.1", "https://operator.min.io")
# renovate: datasource=docker depName=quay.io/minio/minio
MINIO_IMAGE = "quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z"

# renovate: datasource=helm depName=eck-operator registryUrl=https://helm.elastic.co
ECK_OPERATOR = ChartPin("eck-operator", "3.5.0", "https://helm.elastic.co")
# renovate: datasource=docker depName=docker.elastic.co/elasticsearch/elasticsearch
ELASTIC_STACK_VERSION = "9.2.1"

# renovate: datasource=helm depName=kube-prometheus-stack registryUrl=https://prometheus-community.github.io/helm-charts
KUBE_PROMETHEUS_STACK = ChartPin(
    "kube-prometheus-stack", "84.3.0", "https://prometheus-community.github.io/helm-charts"
)
# renovate: datasource=helm depName=dcgm-exporter registryUrl=https://nvidia.github.io/dcgm-exporter/helm-charts
DCGM_EXPORTER = ChartPin("dcgm-exporter", "4.6.0", "https://nvidia.github.io/dcgm-exporter/helm-charts")
# renovate: datasource=helm depName=gpu-operator registryUrl=https://helm.ngc.nvidia.com/nvidia
GPU_OPERATOR = ChartPin("gpu-operator", "v26.7.0", "https://helm.ngc.nvidia.com/nvidia")

# renovate: datasource=helm depName=argo-workflows registryUrl=https://argoproj.github.io/argo-helm
ARGO_WORKFLOWS = ChartPin("argo-workflows", "1.0.6", "https://argoproj.github.io/argo-helm")
# renovate: datasource=helm depName=argo-events registryUrl=https://argoproj.github.io/argo-helm
ARGO_EVENTS = ChartPin("argo-events", "2.4.19", "https://argoproj.github.io/argo-helm")
# renovate: datasource=helm depName=argo-cd registryUrl=https://argoproj.github.io/argo-helm
ARGO_CD = ChartPin("argo-cd", "9.5.4", "https://argoproj.github.io/argo-helm")
# renovate: datasource=helm depName=argo-rollouts registryUrl=https://argoproj.github.io/argo-helm
ARGO_ROLLOUTS = ChartPin("argo-rollouts", "2.41.2", "https://argoproj.github.io/argo-helm")

# renovate: datasource=docker depName=ghcr.io/kserve/charts/kserve-crd
KSERVE_CRD = ChartPin("kserve-crd", "v0.20.0", "oci://ghcr.io/kserve/charts")
# renovate: datasource=docker depName=ghcr.io/kserve/charts/kserve
KSERVE = ChartPin("kserve", "v0.20.0", "oci://ghcr.io/kserve/charts")

# renovate: datasource=helm depName=jupyterhub registryUrl=https://hub.jupyter.org/helm-chart/
JUPYTERHUB = ChartPin("jupyterhub", "4.3.1", "https://hub.jupyter.org/helm-chart/")

# renovate: datasource=helm depName=karmada registryUrl=https://raw.githubusercontent.com/karmada-io/karmada/master/charts
KARMADA = ChartPin("karmada", "v1.18.2", "https://raw.githubusercontent.com/karmada-io/karmada/master/charts")
# renovate: datasource=docker depName=registry.k8s.io/kueue/charts/kueue
KUEUE = ChartPin("kueue", "0.19.2", "oci://registry.k8s.io/kueue/charts")

# Images Stackyard's own objects run (templates, jobs), not installed by a chart.
# renovate: datasource=docker depName=docker.io/pytorch/pytorch
TRAINING_IMAGE = "docker.io/pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime"
# renovate: datasource=docker depName=quay.io/minio/mc
MINIO_CLIENT_IMAGE = "quay.io/minio/mc:RELEASE.2025-04-16T18-13-26Z"
# renovate: datasource=docker depName=docker.io/bitnami/kubectl
KUBECTL_IMAGE = "docker.io/bitnami/kubectl:1.34.2"

ALL_CHARTS: tuple[ChartPin, ...] = (
    KNATIVE_OPERATOR,
    MINIO_OPERATOR,
    ECK_OPERATOR,
    KUBE_PROMETHEUS_STACK,
    DCGM_EXPORTER,
    GPU_OPERATOR,
    ARGO_WORKFLOWS,
    ARGO_EVENTS,
    ARGO_CD,
    ARGO_ROLLOUTS,
    KSERVE_CRD,
    KSERVE,
    JUPYTERHUB,
    KARMADA,
    KUEUE,
)
