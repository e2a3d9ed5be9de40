"""On-prem GPU support: the NVIDIA GPU Operator (driver, container toolkit, device plugin, DCGM).

**The privileged exemption.** The GPU Operator's operands load kernel modules (driver), rewrite
the container runtime's configuration (toolkit), register devices with kubelet (device plugin)
and partition GPUs (MIG manager): they need privileged containers and host paths. They run in
their own namespace ``gpu-operator`` labelled Pod Security ``privileged``, and nowhere else; the
namespace holds nothing but the operator and its operands.

Secure defaults otherwise:
- The operands run only on GPU nodes: the operator schedules them on nodes labelled
  ``nvidia.com/gpu.present=true`` (our GPU pools stamp that label) and they tolerate exactly the
  GPU pools' taints (no blanket toleration).
- The driver is installed only when asked (``install_driver``; default off: the OS has one).
- GPU sharing follows each pool's ``gpu.sharing``: a device-plugin ConfigMap (time-slicing
  replicas or MIG strategy) and the MIG manager's profile.
- DCGM exporter with its ServiceMonitor when GPU metrics are on.
- Every image from the air-gap mirror when one is set.

Per-pool sharing: the device plugin reads the ConfigMap key named by a node's
``nvidia.com/device-plugin.config`` label, else the default key. Each GPU pool has its own key
(the pool's name); the default is the first GPU pool's, so pools that differ need that label on
their nodes. Likewise the MIG manager applies ``nvidia.com/mig.config`` or the default profile, so
all MIG pools share one profile.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components import versions
from components.base import ClusterContext, helm_chart, labels_for, namespace
from components.scheduling import GPU_RESOURCE
from components.settings import GpuSettings, NodePool

NAMESPACE = "gpu-operator"
DEVICE_PLUGIN_CONFIG = "stackyard-device-plugin"

# Chart values key → upstream image repository, for every image the chart can deploy.
_IMAGE_REPOSITORIES = {
    "operator": "nvcr.io/nvidia",
    "validator": "nvcr.io/nvidia",
    "driver": "nvcr.io/nvidia",
    "toolkit": "nvcr.io/nvidia/k8s",
    "devicePlugin": "nvcr.io/nvidia",
    "dcgm": "nvcr.io/nvidia/cloud-native",
    "dcgmExporter": "nvcr.io/nvidia/k8s",
    "gfd": "nvcr.io/nvidia",
    "migManager": "nvcr.io/nvidia/cloud-native",
    "nodeStatusExporter": "nvcr.io/nvidia",
    "gds": "nvcr.io/nvidia/cloud-native",
    "gdrcopy": "nvcr.io/nvidia/cloud-native",
    "vgpuDeviceManager": "nvcr.io/nvidia/cloud-native",
    "vfioManager": "nvcr.io/nvidia/cloud-native",
    "sandboxDevicePlugin": "nvcr.io/nvidia",
    "kataSandboxDevicePlugin": "nvcr.io/nvidia/cloud-native",
    "ccManager": "nvcr.io/nvidia/cloud-native",
    "draDriver": "nvcr.io/nvidia",
}


@dataclass(frozen=True)
class GpuOperatorArgs:
    context: ClusterContext
    pools: tuple[NodePool, ...]
    install_driver: bool = False
    dcgm_exporter: bool = True

    def __post_init__(self) -> None:
        gpu_pools = [p for p in self.pools if p.gpu is not None]
        if not gpu_pools:
            raise ValueError("the GPU Operator needs at least one GPU node pool")
        mig = {(p.gpu.mig_strategy, p.gpu.mig_profile) for p in gpu_pools if p.gpu and p.gpu.sharing == "mig"}
        if len(mig) > 1:
            raise ValueError(
                "MIG pools of one cluster must share mig_strategy and mig_profile (the MIG manager "
                f"applies one default profile); got {sorted(mig)}"
            )


def device_plugin_config(gpu: GpuSettings) -> dict[str, Any]:
    """The NVIDIA device plugin's config for one pool's ``gpu.sharing``."""
    if gpu.sharing == "time-slicing":
        return {
            "version": "v1",
            "flags": {"migStrategy": "none"},
            "sharing": {
                "timeSlicing": {"resources": [{"name": GPU_RESOURCE, "replicas": gpu.time_slicing_replicas}]}
            },
        }
    if gpu.sharing == "mig":
        return {"version": "v1", "flags": {"migStrategy": gpu.mig_strategy}}
    return {"version": "v1", "flags": {"migStrategy": "none"}}


class GpuOperator(pulumi.ComponentResource):
    """The NVIDIA GPU Operator in ``gpu-operator``: THE documented privileged exemption (see module)."""

    namespace: pulumi.Output[str]
    """The operator's namespace."""
    device_plugin_config: pulumi.Output[str]
    """Name of the device-plugin ConfigMap (one key per GPU pool)."""

    def __init__(self, name: str, args: GpuOperatorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("stackyard:gpu:GpuOperator", name, None, opts)
        mirror = args.context.mirror
        gpu_pools = [p for p in args.pools if p.gpu is not None]
        placements = [p.placement(args.context.name) for p in gpu_pools]

        ns = namespace(NAMESPACE, self, pod_security="privileged")

        configs = {p.name: device_plugin_config(p.gpu) for p in gpu_pools if p.gpu is not None}
        default_key = gpu_pools[0].name
        config_map = k8s.core.v1.ConfigMap(
            f"{name}-device-plugin",
            metadata={"name": DEVICE_PLUGIN_CONFIG, "namespace": NAMESPACE, "labels": labels_for("gpu")},
            data={key: yaml.safe_dump(cfg, sort_keys=True) for key, cfg in sorted(configs.items())},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ns]),
        )

        tolerations = sorted({json.dumps(t, sort_keys=True) for p in placements for t in p.tolerations()})
        mig_pools = [p.gpu for p in gpu_pools if p.gpu is not None and p.gpu.sharing == "mig"]
        values: dict[str, Any] = {
            key: {"repository": mirror.image(repo)} for key, repo in _IMAGE_REPOSITORIES.items()
        }
        values["node-feature-discovery"] = {
            "image": {"repository": mirror.image("registry.k8s.io/nfd/node-feature-discovery")}
        }
        values["daemonsets"] = {"tolerations": [json.loads(t) for t in tolerations]}
        values["driver"]["enabled"] = args.install_driver
        values["toolkit"]["enabled"] = True
        values["devicePlugin"].update(
            enabled=True, config={"create": False, "name": DEVICE_PLUGIN_CONFIG, "default": default_key}
        )
        values["mig"] = {"strategy": mig_pools[0].mig_strategy if mig_pools else "single"}
        values["migManager"].update(
            enabled=bool(mig_pools),
            config={"default": mig_pools[0].mig_profile if mig_pools else "all-disabled"},
        )
        values["dcgmExporter"].update(
            enabled=args.dcgm_exporter, serviceMonitor={"enabled": args.dcgm_exporter}
        )
        values["sandboxWorkloads"] = {"enabled": False}

        helm_chart(
            f"{name}-operator",
            versions.GPU_OPERATOR,
            NAMESPACE,
            values,
            mirror,
            pulumi.ResourceOptions(parent=self, depends_on=[ns, config_map]),
        )

        self.namespace = ns.metadata.name
        self.device_plugin_config = config_map.metadata.name
        self.register_outputs(
            {"namespace": self.namespace, "device_plugin_config": self.device_plugin_config}
        )
