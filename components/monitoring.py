"""Monitoring: Prometheus, Alertmanager and Grafana (kube-prometheus-stack), GPU metrics, platform alerts.

Secure defaults:
- Everything but the node exporter and the cloud DCGM exporter runs in ``stackyard-monitoring``
  under Pod Security ``restricted`` (the chart's pods run non-root with seccomp ``RuntimeDefault``).
- Prometheus keeps its TSDB on a PersistentVolumeClaim that is retained when the StatefulSet is
  deleted or scaled down (``persistentVolumeClaimRetentionPolicy: Retain/Retain``).
- The Grafana admin password is generated (``GeneratedSecret``), stays a secret Output and reaches
  Grafana as the Secret ``grafana-admin`` referenced by name (``grafana.admin.existingSecret``);
  it is never a Helm value.
- Every image comes from the air-gap mirror when one is set (``global.imageRegistry`` reaches
  the operator, Prometheus, Alertmanager, kube-state-metrics and the node exporter; Grafana's
  images are set explicitly).

Privileged exemptions (documented, narrow):
- The node exporter reads the node's ``/``, ``/proc`` and ``/sys`` through read-only hostPath
  mounts, which Pod Security ``baseline``/``restricted`` refuse. It runs alone in
  ``stackyard-node-exporter`` (labelled ``privileged``) with ``hostNetwork`` and ``hostPID`` off:
  node network counters then describe the exporter's own network namespace, the price of not
  sharing the host's network.
- On AWS/GCP, NVIDIA's DCGM exporter (GPU metrics) runs as root with ``SYS_ADMIN`` (profiling
  counters) and a hostPath to kubelet's pod-resources socket; it runs alone in ``stackyard-dcgm``
  (``privileged``), only on the GPU pools. On-prem, DCGM comes with the GPU Operator instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import versions
from components.base import ClusterContext, helm_chart, labels_for, namespace, resources
from components.credentials import GeneratedSecret
from components.settings import MonitoringAddon

NAMESPACE = "stackyard-monitoring"
NODE_EXPORTER_NAMESPACE = "stackyard-node-exporter"
DCGM_NAMESPACE = "stackyard-dcgm"
GRAFANA_ADMIN_SECRET = "grafana-admin"
RELEASE = "stackyard"
"""``fullnameOverride`` of the chart: object names do not depend on the Pulumi resource name."""

MONITORING_API = "monitoring.coreos.com/v1"

# Ports that add-ons name their metrics ports, scraped by the generic ServiceMonitors.
METRICS_PORTS = ("http-metrics", "metrics")


@dataclass(frozen=True)
class MonitoringArgs:
    context: ClusterContext
    settings: MonitoringAddon
    gpu_metrics: bool = False
    scrape_targets: Mapping[str, str] = field(default_factory=dict)
    """Add-on name → its namespace: each gets a ServiceMonitor."""


def _threshold_percent(fraction: float) -> str:
    return f"{fraction * 100:g}"


def platform_rules(
    settings: MonitoringAddon, gpu_metrics: bool, targets: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The PrometheusRule groups for what this cluster runs."""
    groups: list[dict[str, Any]] = []
    if gpu_metrics:
        threshold = _threshold_percent(settings.gpu_saturation_threshold)
        groups.append(
            {
                "name": "stackyard-gpu",
                "rules": [
                    {
                        "alert": "GpuSaturated",
                        "expr": f"avg(DCGM_FI_DEV_GPU_UTIL) > {threshold}",
                        "for": "15m",
                        "labels": {"severity": "warning"},
                        "annotations": {
                            "summary": f"Average GPU utilisation above {threshold}% for 15 minutes",
                            "description": "GPU pools are saturated: add GPU nodes or burst elsewhere.",
                        },
                    }
                ],
            }
        )
    if "knative" in targets or "serving" in targets:
        by = "namespace, configuration_name"
        groups.append(
            {
                "name": "stackyard-serving",
                "rules": [
                    {
                        "alert": "ServingErrorRateHigh",
                        "expr": (
                            f"sum by ({by})"
                            ' (rate(revision_app_request_count{response_code_class="5xx"}[5m]))'
                            f" / sum by ({by}) (rate(revision_app_request_count[5m])) > 0.05"
                        ),
                        "for": "10m",
                        "labels": {"severity": "warning"},
                        "annotations": {
                            "summary": "More than 5% of requests to {{ $labels.configuration_name }} fail"
                        },
                    },
                    {
                        "alert": "ServingLatencyP95High",
                        "expr": (
                            "histogram_quantile(0.95, sum by ("
                            f"{by}, le) (rate(revision_app_request_latencies_bucket[5m]))) > 1000"
                        ),
                        "for": "10m",
                        "labels": {"severity": "warning"},
                        "annotations": {
                            "summary": "p95 latency of {{ $labels.configuration_name }} above 1 s"
                        },
                    },
                ],
            }
        )
    if "object_store" in targets:
        groups.append(
            {
                "name": "stackyard-object-store",
                "rules": [
                    {
                        "alert": "ObjectStoreAlmostFull",
                        "expr": (
                            "minio_cluster_capacity_usable_free_bytes"
                            " / minio_cluster_capacity_usable_total_bytes < 0.10"
                        ),
                        "for": "15m",
                        "labels": {"severity": "critical"},
                        "annotations": {"summary": "Less than 10% of the object store's capacity is free"},
                    }
                ],
            }
        )
    return groups


class Monitoring(pulumi.ComponentResource):
    """kube-prometheus-stack, ServiceMonitors for the add-ons, platform alert rules, GPU metrics.

    See the module docstring for the secure defaults and the two privileged exemptions.
    """

    namespace: pulumi.Output[str]
    """The monitoring namespace."""
    grafana_admin_secret: pulumi.Output[str]
    """Name of the Secret with Grafana's admin user (``admin-user``) and password (``admin-password``)."""
    grafana_admin_password: pulumi.Output[str]
    """Grafana's admin password (secret)."""

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("stackyard:monitoring:Monitoring", name, None, opts)
        context, settings = args.context, args.settings
        mirror = context.mirror
        child = pulumi.ResourceOptions(parent=self)

        ns = namespace(NAMESPACE, self)
        exporter_ns = namespace(NODE_EXPORTER_NAMESPACE, self, pod_security="privileged")

        password = GeneratedSecret(f"{name}-grafana-admin", length=32, opts=child)
        self.grafana_admin_password = pulumi.Output.secret(password.result)
        admin_secret = k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata={
                "name": GRAFANA_ADMIN_SECRET,
                "namespace": NAMESPACE,
                "labels": labels_for("monitoring"),
            },
            string_data={"admin-user": "admin", "admin-password": self.grafana_admin_password},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ns]),
        )

        storage_class = settings.storage_class or context.storage_class
        claim_spec: dict[str, Any] = {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": settings.storage_size}},
        }
        if storage_class:
            claim_spec["storageClassName"] = storage_class

        values: dict[str, Any] = {
            "fullnameOverride": RELEASE,
            "global": {"imageRegistry": mirror.image_registry or ""},
            "prometheusOperator": {"resources": resources("100m", "256Mi", cpu_limit="500m")},
            "prometheus": {
                "prometheusSpec": {
                    "retention": settings.retention,
                    "storageSpec": {"volumeClaimTemplate": {"spec": claim_spec}},
                    # The TSDB volume outlives the StatefulSet (deletion and scale-down).
                    "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
                    "resources": resources("500m", "2Gi", cpu_limit="2"),
                    # Select ServiceMonitors, PodMonitors and rules from every namespace, not only
                    # those carrying this Helm release's label.
                    "serviceMonitorSelectorNilUsesHelmValues": False,
                    "podMonitorSelectorNilUsesHelmValues": False,
                    "ruleSelectorNilUsesHelmValues": False,
                }
            },
            "alertmanager": {
                "enabled": settings.alertmanager,
                "alertmanagerSpec": {"resources": resources("50m", "128Mi", cpu_limit="200m")},
            },
            "grafana": {
                "enabled": settings.grafana,
                "admin": {
                    "existingSecret": GRAFANA_ADMIN_SECRET,
                    "userKey": "admin-user",
                    "passwordKey": "admin-password",
                },
                "image": {"registry": mirror.registry("docker.io")},
                "sidecar": {"image": {"registry": mirror.registry("quay.io")}},
                # The chown init container runs as root; the volume is not persistent anyway.
                "initChownData": {"enabled": False},
                "testFramework": {"enabled": False},
                "resources": resources("100m", "256Mi", cpu_limit="500m"),
            },
            "kube-state-metrics": {"resources": resources("50m", "128Mi", cpu_limit="200m")},
            "prometheus-node-exporter": {
                "namespaceOverride": NODE_EXPORTER_NAMESPACE,
                "hostNetwork": False,
                "hostPID": False,
                "resources": resources("50m", "64Mi", cpu_limit="200m"),
            },
        }
        stack = helm_chart(
            f"{name}-kps",
            versions.KUBE_PROMETHEUS_STACK,
            NAMESPACE,
            values,
            mirror,
            pulumi.ResourceOptions(parent=self, depends_on=[ns, exporter_ns, admin_secret]),
        )
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[stack])

        # --- ServiceMonitors for the add-ons ---
        for addon, addon_ns in sorted(args.scrape_targets.items()):
            monitor = addon.replace("_", "-")
            endpoints: list[dict[str, Any]] = [{"port": port, "interval": "30s"} for port in METRICS_PORTS]
            if addon == "object_store":
                endpoints.append(
                    {"port": "http-minio", "path": "/minio/v2/metrics/cluster", "interval": "60s"}
                )
            k8s.apiextensions.CustomResource(
                f"{name}-sm-{monitor}",
                api_version=MONITORING_API,
                kind="ServiceMonitor",
                metadata={
                    "name": f"stackyard-{monitor}",
                    "namespace": NAMESPACE,
                    "labels": labels_for("monitoring"),
                },
                spec={
                    "namespaceSelector": {"matchNames": [addon_ns]},
                    "selector": {},
                    "endpoints": endpoints,
                },
                opts=after_crds,
            )
        if "knative" in args.scrape_targets or "serving" in args.scrape_targets:
            # revision_app_request_* come from each revision's queue-proxy, in the team namespaces.
            k8s.apiextensions.CustomResource(
                f"{name}-pm-queue-proxy",
                api_version=MONITORING_API,
                kind="PodMonitor",
                metadata={
                    "name": "stackyard-queue-proxy",
                    "namespace": NAMESPACE,
                    "labels": labels_for("monitoring"),
                },
                spec={
                    "namespaceSelector": {"any": True},
                    "selector": {
                        "matchExpressions": [{"key": "serving.knative.dev/revision", "operator": "Exists"}]
                    },
                    "podMetricsEndpoints": [{"port": "http-usermetric", "interval": "30s"}],
                },
                opts=after_crds,
            )

        groups = platform_rules(settings, args.gpu_metrics, args.scrape_targets)
        if groups:
            k8s.apiextensions.CustomResource(
                f"{name}-rules",
                api_version=MONITORING_API,
                kind="PrometheusRule",
                metadata={
                    "name": "stackyard-platform",
                    "namespace": NAMESPACE,
                    "labels": labels_for("monitoring"),
                },
                spec={"groups": groups},
                opts=after_crds,
            )

        # --- DCGM exporter on cloud GPU pools (on-prem: the GPU Operator ships it) ---
        gpu_pools = context.gpu_placements()
        if args.gpu_metrics and context.kind in ("aws", "gcp") and gpu_pools:
            dcgm_ns = namespace(DCGM_NAMESPACE, self, pod_security="privileged")
            tolerations = sorted({json.dumps(t, sort_keys=True) for p in gpu_pools for t in p.tolerations()})
            helm_chart(
                f"{name}-dcgm",
                versions.DCGM_EXPORTER,
                DCGM_NAMESPACE,
                {
                    "image": {"repository": mirror.image("nvcr.io/nvidia/k8s/dcgm-exporter")},
                    "tolerations": [json.loads(t) for t in tolerations],
                    "affinity": {
                        "nodeAffinity": {
                            "requiredDuringSchedulingIgnoredDuringExecution": {
                                "nodeSelectorTerms": [
                                    {
                                        "matchExpressions": [
                                            {
                                                "key": key,
                                                "operator": "In",
                                                "values": sorted({p.node_selector()[key] for p in gpu_pools}),
                                            }
                                            for key in sorted(gpu_pools[0].node_selector())
                                        ]
                                    }
                                ]
                            }
                        }
                    },
                    "serviceMonitor": {"enabled": True},
                    "resources": resources("100m", "128Mi", cpu_limit="200m"),
                },
                mirror,
                pulumi.ResourceOptions(parent=self, depends_on=[dcgm_ns, stack]),
            )

        self.namespace = ns.metadata.name
        self.grafana_admin_secret = admin_secret.metadata.name
        self.register_outputs(
            {
                "namespace": self.namespace,
                "grafana_admin_secret": self.grafana_admin_secret,
                "grafana_admin_password": self.grafana_admin_password,
            }
        )
