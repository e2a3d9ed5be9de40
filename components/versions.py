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
# The sidecar the operator injects into tenant pods (chart value operator.sidecarImage).
# renovate: datasource=docker depName=quay.io/minio/operator-sidecar
MINIO_SIDECAR_IMAGE = "quay.io/minio/operator-sidecar:v7.1.1"
# NATS JetStream of the Argo Events EventBus (chart value configs.jetstream.versions).
# renovate: datasource=docker depName=docker.io/library/nats
NATS_VERSION = "2.10.10"
# renovate: datasource=docker depName=docker.io/natsio/prometheus-nats-exporter
NATS_EXPORTER_IMAGE = "docker.io/natsio/prometheus-nats-exporter:0.14.0"
# renovate: datasource=docker depName=docker.io/natsio/nats-server-config-reloader
NATS_RELOADER_IMAGE = "docker.io/natsio/nats-server-config-reloader:0.14.0"

# renovate: datasource=helm depName=eck-operator registryUrl=https://helm.elastic.co
ECK_OPERATOR = ChartPin("eck-operator", "3.5.0", "https://helm.elastic.co")
# renovate: datasource=docker depName=docker.elastic.co/elasticsearch/elasticsearch
ELASTIC_STACK_VERSION = "9.4.3"

# 88.3.0 is the newest chart release that ships prometheus-operator v0.93.0 (the CRDs we validate against).
# renovate: datasource=helm depName=kube-prometheus-stack registryUrl=https://prometheus-community.github.io/helm-charts
KUBE_PROMETHEUS_STACK = ChartPin(
    "kube-prometheus-stack", "88.3.0", "https://prometheus-community.github.io/helm-charts"
)
# renovate: datasource=helm depName=dcgm-exporter registryUrl=https://nvidia.github.io/dcgm-exporter/helm-charts
DCGM_EXPORTER = ChartPin("dcgm-exporter", "4.8.2", "https://nvidia.github.io/dcgm-exporter/helm-charts")
# renovate: datasource=helm depName=gpu-operator registryUrl=https://helm.ngc.nvidia.com/nvidia
GPU_OPERATOR = ChartPin("gpu-operator", "v26.7.0", "https://helm.ngc.nvidia.com/nvidia")

# Chart 2.0.1 ships app v4.1.1 (release notes); the CRD test data is v4.1.2, same minor.
# renovate: datasource=helm depName=argo-workflows registryUrl=https://argoproj.github.io/argo-helm
ARGO_WORKFLOWS = ChartPin("argo-workflows", "2.0.1", "https://argoproj.github.io/argo-helm")
# Chart 2.4.23 ships app v1.9.11.
# renovate: datasource=helm depName=argo-events registryUrl=https://argoproj.github.io/argo-helm
ARGO_EVENTS = ChartPin("argo-events", "2.4.23", "https://argoproj.github.io/argo-helm")
# Chart 10.3.3 ships app v3.5.1.
# renovate: datasource=helm depName=argo-cd registryUrl=https://argoproj.github.io/argo-helm
ARGO_CD = ChartPin("argo-cd", "10.3.3", "https://argoproj.github.io/argo-helm")
# Chart 2.41.1 ships app v1.9.1.
# renovate: datasource=helm depName=argo-rollouts registryUrl=https://argoproj.github.io/argo-helm
ARGO_ROLLOUTS = ChartPin("argo-rollouts", "2.41.1", "https://argoproj.github.io/argo-helm")

# KServe issues its webhook certificate with cert-manager.
# renovate: datasource=helm depName=cert-manager registryUrl=https://charts.jetstack.io
CERT_MANAGER = ChartPin("cert-manager", "v1.19.1", "https://charts.jetstack.io")
# renovate: datasource=docker depName=ghcr.io/kserve/charts/kserve-crd
KSERVE_CRD = ChartPin("kserve-crd", "v0.20.0", "oci://ghcr.io/kserve/charts")
# The KServe controller chart is published as "kserve-resources" (charts/kserve-resources at v0.20.0).
# renovate: datasource=docker depName=ghcr.io/kserve/charts/kserve-resources
KSERVE = ChartPin("kserve-resources", "v0.20.0", "oci://ghcr.io/kserve/charts")
# Model-server images of the ClusterServingRuntimes Stackyard declares (KServe's own follow its release).
# renovate: datasource=docker depName=nvcr.io/nvidia/tritonserver
TRITON_SERVER_IMAGE = "nvcr.io/nvidia/tritonserver:25.03-py3"
# renovate: datasource=docker depName=docker.io/kserve/sklearnserver
KSERVE_SKLEARN_IMAGE = "docker.io/kserve/sklearnserver:v0.20.0"
# renovate: datasource=docker depName=docker.io/kserve/xgbserver
KSERVE_XGBOOST_IMAGE = "docker.io/kserve/xgbserver:v0.20.0"
# renovate: datasource=docker depName=docker.io/kserve/huggingfaceserver
KSERVE_HUGGINGFACE_IMAGE = "docker.io/kserve/huggingfaceserver:v0.20.0"
# renovate: datasource=docker depName=docker.io/pytorch/torchserve-kfs
TORCHSERVE_IMAGE = "docker.io/pytorch/torchserve-kfs:0.9.0"
# The metrics proxy sidecar of the KServe controller (the chart's default, pinned here for the mirror).
# renovate: datasource=docker depName=quay.io/brancz/kube-rbac-proxy
KUBE_RBAC_PROXY_IMAGE = "quay.io/brancz/kube-rbac-proxy:v0.18.0"

# renovate: datasource=helm depName=jupyterhub registryUrl=https://hub.jupyter.org/helm-chart/
JUPYTERHUB = ChartPin("jupyterhub", "4.4.0", "https://hub.jupyter.org/helm-chart/")

# renovate: datasource=helm depName=karmada registryUrl=https://raw.githubusercontent.com/karmada-io/karmada/master/charts
# The chart index (charts/index.yaml) lists v1.18.1 as its newest release; the v1.18.2 tag has no chart
# entry yet, so the pin stays on the newest version the repository actually serves.
KARMADA = ChartPin("karmada", "v1.18.1", "https://raw.githubusercontent.com/karmada-io/karmada/master/charts")
# The karmada-agent image (pull-mode members), same release as the control-plane chart.
# renovate: datasource=docker depName=docker.io/karmada/karmada-agent
KARMADA_AGENT_IMAGE = "docker.io/karmada/karmada-agent:v1.18.1"
# renovate: datasource=docker depName=registry.k8s.io/kueue/charts/kueue
KUEUE = ChartPin("kueue", "0.19.2", "oci://registry.k8s.io/kueue/charts")

# Managed EKS add-ons, per Kubernetes minor where the add-on follows the cluster version. These come
# from the EKS add-on version tables; check with `aws eks describe-addon-versions --kubernetes-version`.
# renovate: datasource=aws-eks-addon depName=vpc-cni
EKS_ADDON_VPC_CNI = "v1.20.4-eksbuild.2"
# renovate: datasource=aws-eks-addon depName=coredns
EKS_ADDON_COREDNS = "v1.12.4-eksbuild.1"
# renovate: datasource=aws-eks-addon depName=aws-ebs-csi-driver
EKS_ADDON_EBS_CSI = "v1.51.1-eksbuild.1"
EKS_ADDON_KUBE_PROXY: dict[str, str] = {
    # renovate: datasource=aws-eks-addon depName=kube-proxy
    "1.32": "v1.32.9-eksbuild.2",
    # renovate: datasource=aws-eks-addon depName=kube-proxy
    "1.33": "v1.33.5-eksbuild.2",
    # renovate: datasource=aws-eks-addon depName=kube-proxy
    "1.34": "v1.34.1-eksbuild.2",
}

# Images Stackyard's own objects run (templates, jobs), not installed by a chart.
# renovate: datasource=docker depName=docker.io/pytorch/pytorch
TRAINING_IMAGE = "docker.io/pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime"
# renovate: datasource=docker depName=quay.io/minio/mc
MINIO_CLIENT_IMAGE = "quay.io/minio/mc:RELEASE.2025-04-16T18-13-26Z"
# Applies the logging ILM policy and index template (components/elk.py).
# renovate: datasource=docker depName=docker.io/curlimages/curl
CURL_IMAGE = "docker.io/curlimages/curl:8.17.0"
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
    CERT_MANAGER,
    KSERVE_CRD,
    KSERVE,
    JUPYTERHUB,
    KARMADA,
    KUEUE,
)
