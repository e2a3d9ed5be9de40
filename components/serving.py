"""KServe in Knative mode: CRDs, controller, model-server runtimes, and the InferenceService shape.

``inference_service()`` builds the plain InferenceService that the Argo assembly-line template
embeds, so every served model gets the platform's replica bounds, canary share, request logging
and GPU placement from one place.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import versions
from components.base import (
    ClusterContext,
    Mirror,
    gpu_placement_rules,
    helm_chart,
    labels_for,
    namespace,
    resources,
    restricted_security_context,
)
from components.knative import DEFAULT_BROKER, EVENTING_NAMESPACE, Knative
from components.scheduling import PoolPlacement
from components.settings import ServingAddon

NAMESPACE = "kserve"
DEPLOYMENT_MODE = "Knative"  # KServe v0.20's name for the serverless (Knative) mode
ISVC_CONFIG = "inferenceservice-config"
# Trace context headers (W3C and Zipkin B3) kept with every logged request and forwarded by
# InferenceGraph routers to each step.
TRACING_HEADERS = (
    "traceparent",
    "tracestate",
    "b3",
    "x-b3-traceid",
    "x-b3-spanid",
    "x-b3-parentspanid",
    "x-b3-sampled",
    "x-b3-flags",
    "x-request-id",
)
# KServe's own images (tag: the chart's kserve.version).
KSERVE_IMAGES = {
    "agent": "docker.io/kserve/agent",
    "router": "docker.io/kserve/router",
    "storage": "docker.io/kserve/storage-initializer",
    "controller": "docker.io/kserve/kserve-controller",
    "art": "docker.io/kserve/art-explainer",
}


@dataclass(frozen=True)
class Runtime:
    """A model server offered cluster-wide as a ClusterServingRuntime."""

    image: str
    formats: tuple[dict[str, Any], ...]
    protocols: tuple[str, ...]
    args: tuple[str, ...]
    metrics_port: int = 8080
    run_as_user: int | None = None
    env: dict[str, str] = field(default_factory=dict)


def _fmt(name: str, version: str, priority: int | None = 1) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "version": version}
    if priority is not None:
        out.update(autoSelect=True, priority=priority)
    return out


_TRITON_ARGS = (
    "tritonserver",
    "--model-store=/mnt/models",
    "--grpc-port=9000",
    "--http-port=8080",
    "--allow-grpc=true",
    "--allow-http=true",
)
_PYTHON_ARGS = ("--model_name={{.Name}}", "--model_dir=/mnt/models", "--http_port=8080")

RUNTIMES: dict[str, Runtime] = {
    # ONNX on Triton (as upstream's kserve-tritonserver serves onnx); preferred for onnx (priority 2).
    "onnx": Runtime(
        versions.TRITON_SERVER_IMAGE,
        (_fmt("onnx", "1", 2),),
        ("v2", "grpc-v2"),
        _TRITON_ARGS,
        metrics_port=8002,
        run_as_user=1000,
    ),
    "triton": Runtime(
        versions.TRITON_SERVER_IMAGE,
        (
            _fmt("onnx", "1", 1),
            _fmt("pytorch", "1", None),
            _fmt("tensorflow", "1"),
            _fmt("tensorflow", "2"),
            _fmt("tensorrt", "8"),
            _fmt("triton", "2"),
        ),
        ("v2", "grpc-v2"),
        _TRITON_ARGS,
        metrics_port=8002,
        run_as_user=1000,
    ),
    "sklearn": Runtime(versions.KSERVE_SKLEARN_IMAGE, (_fmt("sklearn", "1"),), ("v1", "v2"), _PYTHON_ARGS),
    "xgboost": Runtime(versions.KSERVE_XGBOOST_IMAGE, (_fmt("xgboost", "2"),), ("v1", "v2"), _PYTHON_ARGS),
    "pytorch": Runtime(
        versions.TORCHSERVE_IMAGE,
        (_fmt("pytorch", "1", 2),),
        ("v1", "v2", "grpc-v2"),
        (
            "torchserve",
            "--start",
            "--model-store=/mnt/models/model-store",
            "--ts-config=/mnt/models/config/config.properties",
        ),
        metrics_port=8082,
        run_as_user=1000,
    ),
    "huggingface": Runtime(
        versions.KSERVE_HUGGINGFACE_IMAGE,
        (_fmt("huggingface", "1"),),
        ("v2", "v1"),
        ("--model_name={{.Name}}",),
    ),
}


def runtime_name(runtime: str) -> str:
    return f"stackyard-{runtime}"


def cluster_serving_runtime_spec(runtime: Runtime, image: str) -> dict[str, Any]:
    """The ClusterServingRuntime spec of one model server (image already mirrored)."""
    security = {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if runtime.run_as_user is not None:
        security["runAsUser"] = runtime.run_as_user
    container: dict[str, Any] = {
        "name": "kserve-container",
        "image": image,
        "args": list(runtime.args),
        "securityContext": security,
        "resources": resources("1", "2Gi"),
    }
    if runtime.env:
        container["env"] = [{"name": k, "value": v} for k, v in sorted(runtime.env.items())]
    return {
        "annotations": {
            "prometheus.kserve.io/path": "/metrics",
            "prometheus.kserve.io/port": str(runtime.metrics_port),
        },
        "supportedModelFormats": [dict(f) for f in runtime.formats],
        "protocolVersions": list(runtime.protocols),
        "containers": [container],
    }


def broker_url(namespace_name: str, broker: str = DEFAULT_BROKER) -> str:
    """The in-cluster URL of a Knative Broker (multi-tenant broker ingress)."""
    return f"http://broker-ingress.{EVENTING_NAMESPACE}.svc.cluster.local/{namespace_name}/{broker}"


def inference_service(
    name: str,
    namespace: str,
    storage_uri: str,
    placement: PoolPlacement | None,
    settings: ServingAddon,
    *,
    logger_url: str | None = None,
) -> dict[str, Any]:
    """A plain ``InferenceService`` (serving.kserve.io/v1beta1) for an ONNX model.

    Replica bounds and canary share come from the platform's serving settings; with request logging
    on, every request and response goes as a CloudEvent to ``logger_url`` (default: the ``default``
    Broker of the namespace) with the trace headers attached. With a GPU pool, the predictor asks
    for one GPU and carries exactly that pool's node selector and tolerations.
    """
    gpus = 1 if placement is not None and placement.is_gpu else 0
    model: dict[str, Any] = {
        "modelFormat": {"name": "onnx"},
        "runtime": runtime_name("onnx"),
        "storageUri": storage_uri,
        "resources": resources("1", "2Gi", gpu=gpus),
        "securityContext": restricted_security_context(),
        # Read-only root filesystem: the model server gets a scratch /tmp.
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    predictor: dict[str, Any] = {
        "minReplicas": settings.min_replicas,
        "maxReplicas": settings.max_replicas,
        "canaryTrafficPercent": settings.canary_traffic_percent,
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "model": model,
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }
    if settings.request_logging:
        logger: dict[str, Any] = {"mode": "all", "url": logger_url or broker_url(namespace)}
        if settings.tracing:
            logger["metadataHeaders"] = list(TRACING_HEADERS)
        predictor["logger"] = logger
    if placement is not None:
        predictor.update(gpu_placement_rules(placement))
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": name, "namespace": namespace, "labels": labels_for("serving", "model")},
        "spec": {"predictor": predictor},
    }


def with_propagated_headers(router_config: str, headers: Sequence[str]) -> str | None:
    """The ``router`` entry of inferenceservice-config with ``headers.propagate`` extended.

    Returns None when the entry is not JSON (then it is left as the chart rendered it).
    """
    try:
        config = json.loads(router_config)
    except ValueError:
        return None
    if not isinstance(config, dict):
        return None
    current = (
        config.get("headers", {}).get("propagate", []) if isinstance(config.get("headers"), dict) else []
    )
    config["headers"] = {"propagate": sorted({*current, *headers})}
    return json.dumps(config, indent=4, sort_keys=True)


def _router_headers_transform(headers: Sequence[str]) -> pulumi.ResourceTransform:
    """Chart v0.20 renders the router config without ``headers``; add trace propagation to it."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ != "kubernetes:core/v1:ConfigMap":
            return None
        props = dict(args.props)
        metadata = props.get("metadata")
        data = props.get("data")
        if (
            not isinstance(metadata, dict)
            or metadata.get("name") != ISVC_CONFIG
            or not isinstance(data, dict)
        ):
            return None
        router = data.get("router")
        patched = with_propagated_headers(router, headers) if isinstance(router, str) else None
        if patched is None:
            return None
        props["data"] = {**data, "router": patched}
        return pulumi.ResourceTransformResult(props=props, opts=args.opts)

    return transform


CERT_MANAGER_NAMESPACE = "cert-manager"
CERT_MANAGER_IMAGES = {
    "image": "quay.io/jetstack/cert-manager-controller",
    "webhook": "quay.io/jetstack/cert-manager-webhook",
    "cainjector": "quay.io/jetstack/cert-manager-cainjector",
    "startupapicheck": "quay.io/jetstack/cert-manager-startupapicheck",
}


def _cert_manager(name: str, mirror: Mirror, parent: pulumi.Resource) -> k8s.helm.v4.Chart:
    """cert-manager with its CRDs kept on uninstall (certificates outlive a chart upgrade)."""
    ns = namespace(CERT_MANAGER_NAMESPACE, parent)
    values: dict[str, Any] = {"crds": {"enabled": True, "keep": True}}
    for key, repository in CERT_MANAGER_IMAGES.items():
        image = {"repository": mirror.image(repository)}
        if key == "image":
            values["image"] = image
        else:
            values[key] = {"image": image}
    return helm_chart(
        f"{name}-cert-manager",
        versions.CERT_MANAGER,
        ns.metadata.name,
        values,
        mirror,
        pulumi.ResourceOptions(parent=parent, depends_on=[ns]),
    )


@dataclass(frozen=True)
class KServeArgs:
    context: ClusterContext
    settings: ServingAddon
    knative: Knative


class KServe(pulumi.ComponentResource):
    """KServe (Knative deployment mode) with the configured model-server runtimes.

    Secure defaults:
    - Pod Security ``restricted`` on the ``kserve`` namespace (the controller and its metrics proxy
      run non-root, read-only, all capabilities dropped, seccomp RuntimeDefault).
    - Every runtime container: non-root, no privilege escalation, ``drop: [ALL]``, seccomp
      RuntimeDefault, requests and limits. InferenceServices from :func:`inference_service` add a
      read-only root filesystem.
    - Installed only after Knative Serving reports Ready (``depends_on`` the Knative operator CRs).

    cert-manager (which issues the webhook certificate) is installed too, unless
    ``settings.cert_manager`` is off because the cluster already runs one.
    """

    namespace: pulumi.Output[str]
    """Namespace of the KServe controller."""
    runtimes: pulumi.Output[list[str]]
    """Names of the ClusterServingRuntimes declared."""
    default_min_replicas: pulumi.Output[int]
    """Default predictor minReplicas (0 lets Knative scale to zero)."""
    default_max_replicas: pulumi.Output[int]
    """Default predictor maxReplicas."""
    canary_traffic_percent: pulumi.Output[int]
    """Default share of traffic a new model revision gets."""

    def __init__(self, name: str, args: KServeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("stackyard:serving:KServe", name, None, opts)
        settings, mirror = args.settings, args.context.mirror
        ns = namespace(NAMESPACE, self)
        prerequisites: list[pulumi.Resource] = [ns]
        if settings.cert_manager:
            prerequisites.append(_cert_manager(name, mirror, self))
        crds = helm_chart(
            f"{name}-crd",
            versions.KSERVE_CRD,
            ns.metadata.name,
            {},
            mirror,
            pulumi.ResourceOptions(parent=self, depends_on=[ns]),
        )
        values: dict[str, Any] = {
            "kserve": {
                "version": versions.KSERVE.version,
                "agent": {"image": mirror.image(KSERVE_IMAGES["agent"])},
                "router": {"image": mirror.image(KSERVE_IMAGES["router"])},
                "storage": {"image": mirror.image(KSERVE_IMAGES["storage"])},
                "servingruntime": {"art": {"image": mirror.image(KSERVE_IMAGES["art"])}},
                "controller": {
                    "deploymentMode": DEPLOYMENT_MODE,
                    "image": mirror.image(KSERVE_IMAGES["controller"]),
                    "rbacProxyImage": mirror.image(versions.KUBE_RBAC_PROXY_IMAGE),
                    "gateway": {
                        "domain": args.knative.domain,
                        "urlScheme": args.knative.url_scheme,
                        # Kourier, not Istio: no VirtualServices.
                        "disableIstioVirtualHost": True,
                    },
                },
            }
        }
        transforms = [_router_headers_transform(TRACING_HEADERS)] if settings.tracing else []
        controller = helm_chart(
            name,
            versions.KSERVE,
            ns.metadata.name,
            values,
            mirror,
            pulumi.ResourceOptions(
                parent=self, depends_on=[*prerequisites, crds, *args.knative.ready], transforms=transforms
            ),
        )
        declared = []
        for runtime in sorted(set(settings.runtimes)):
            spec = RUNTIMES[runtime]
            k8s.apiextensions.CustomResource(
                f"{name}-{runtime}",
                api_version="serving.kserve.io/v1alpha1",
                kind="ClusterServingRuntime",
                metadata={"name": runtime_name(runtime), "labels": labels_for("serving", "runtime")},
                spec=cluster_serving_runtime_spec(spec, mirror.image(spec.image)),
                # The controller's webhook validates runtimes: it must be up first.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[crds, controller]),
            )
            declared.append(runtime_name(runtime))

        self.namespace = ns.metadata.name
        self.runtimes = pulumi.Output.from_input(declared)
        self.default_min_replicas = pulumi.Output.from_input(settings.min_replicas)
        self.default_max_replicas = pulumi.Output.from_input(settings.max_replicas)
        self.canary_traffic_percent = pulumi.Output.from_input(settings.canary_traffic_percent)
        self.register_outputs(
            {
                "namespace": self.namespace,
                "runtimes": self.runtimes,
                "default_min_replicas": self.default_min_replicas,
                "default_max_replicas": self.default_max_replicas,
                "canary_traffic_percent": self.canary_traffic_percent,
            }
        )
