"""Knative Serving and Eventing through the Knative Operator, with typed event sources.

The operator chart installs the ``KnativeServing``/``KnativeEventing`` CRDs; the two custom resources
then ask the operator for Serving (Kourier ingress) and Eventing (multi-tenant channel-based
broker). Event sources from the config become typed source objects, each sending to a Knative
Service or a Broker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlparse

import pulumi
import pulumi_kubernetes as k8s

from components import versions
from components.base import ClusterContext, helm_chart, labels_for, namespace
from components.settings import (
    ApiServerSourceSpec,
    AwsSqsSourceSpec,
    CloudSchedulerSourceSpec,
    EventSource,
    GcpPubSubSourceSpec,
    GcsSourceSpec,
    GitHubSourceSpec,
    GitLabSourceSpec,
    KnativeAddon,
    PingSourceSpec,
    Sink,
)

OPERATOR_NAMESPACE = "knative-operator"
SERVING_NAMESPACE = "knative-serving"
EVENTING_NAMESPACE = "knative-eventing"
INGRESS_CLASS = "kourier.ingress.networking.knative.dev"
BROKER_CLASS = "MTChannelBasedBroker"
DEFAULT_BROKER = "default"
OPERATOR_IMAGES = {
    "knative_operator": "gcr.io/knative-releases/knative.dev/operator/cmd/operator",
    "operator_webhook": "gcr.io/knative-releases/knative.dev/operator/cmd/webhook",
}
# Pulumi waits until the operator reports the install Ready before creating what depends on it
# (the CRDs of Knative's own kinds exist only then).
WAIT_READY = {"pulumi.com/waitFor": "condition=Ready"}
# Sources whose upstream controllers (eventing-github / eventing-gitlab, installed by the operator via
# spec.source) declare no securityContext at all; Pod Security "restricted" would reject them.
_UNRESTRICTED_SOURCES = (GitHubSourceSpec, GitLabSourceSpec)
_GOOGLE_SECRET_KEY = "key.json"
_OPERATOR_SOURCES = ("ceph", "github", "gitlab", "kafka", "rabbitmq", "redis")
# The whole default-br-config (the key is replaced, not merged): upstream's default, class stated.
_BROKER_DEFAULTS = f"""clusterDefault:
  brokerClass: {BROKER_CLASS}
  apiVersion: v1
  kind: ConfigMap
  name: config-br-default-channel
  namespace: {EVENTING_NAMESPACE}
  delivery:
    retry: 10
    backoffPolicy: exponential
    backoffDelay: PT0.2S
"""


@dataclass(frozen=True)
class KnativeArgs:
    context: ClusterContext
    settings: KnativeAddon


def sink_ref(sink: Sink, source_namespace: str) -> dict[str, Any]:
    """A Destination (``spec.sink``) pointing at a Knative Service or a Broker."""
    if sink.kind == "service":
        api_version, kind = "serving.knative.dev/v1", "Service"
    else:
        api_version, kind = "eventing.knative.dev/v1", "Broker"
    return {
        "ref": {
            "apiVersion": api_version,
            "kind": kind,
            "name": sink.name,
            "namespace": sink.namespace or source_namespace,
        }
    }


def _plural(kind: str) -> str:
    """The resource (plural) of a kind, following the Kubernetes naming conventions."""
    lower = kind.lower()
    if lower.endswith(("s", "x", "ch", "sh")):
        return lower if lower == "endpoints" else f"{lower}es"
    if lower.endswith("y") and lower[-2:-1] not in "aeiou":
        return f"{lower[:-1]}ies"
    return f"{lower}s"


def apiserver_rules(resources: Sequence[Mapping[Any, str]]) -> list[dict[str, Any]]:
    """Least privilege for an ApiServerSource: get/list/watch on exactly the kinds it watches."""
    by_group: dict[str, set[str]] = {}
    for res in resources:
        api_version = res["api_version"]
        group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
        by_group.setdefault(group, set()).add(_plural(res["kind"]))
    return [
        {"apiGroups": [group], "resources": sorted(plurals), "verbs": ["get", "list", "watch"]}
        for group, plurals in sorted(by_group.items())
    ]


def serving_spec(context: ClusterContext, settings: KnativeAddon) -> dict[str, Any]:
    """The KnativeServing spec: Kourier, autoscaling, domain, TLS and the image mirror."""
    config: dict[str, dict[str, str]] = {
        "autoscaler": {
            "container-concurrency-target-default": str(settings.target_concurrency),
            "enable-scale-to-zero": "true" if settings.scale_to_zero else "false",
            "scale-to-zero-grace-period": settings.scale_to_zero_grace_period,
        },
        "domain": {settings.domain: ""},
        "network": {
            "ingress-class": INGRESS_CLASS,
            "external-domain-tls": "Enabled" if settings.tls else "Disabled",
        },
    }
    if settings.tls and settings.tls_cluster_issuer:
        # Serving's built-in cert-manager integration (config-certmanager) issues the certificates.
        config["certmanager"] = {"issuerRef": f"kind: ClusterIssuer\nname: {settings.tls_cluster_issuer}\n"}
    spec: dict[str, Any] = {
        "version": versions.KNATIVE_SERVING_VERSION,
        "ingress": {
            "kourier": {
                "enabled": True,
                # Private by default: a LoadBalancer only when the config says public.
                "service-type": "LoadBalancer" if settings.public else "ClusterIP",
            }
        },
        "config": {k: dict(sorted(v.items())) for k, v in sorted(config.items())},
    }
    registry = _registry(context, "knative-serving", versions.KNATIVE_SERVING_VERSION)
    if registry:
        spec["registry"] = registry
    return spec


def eventing_spec(context: ClusterContext, settings: KnativeAddon) -> dict[str, Any]:
    """The KnativeEventing spec: version, default broker class and the source controllers needed."""
    spec: dict[str, Any] = {
        "version": versions.KNATIVE_EVENTING_VERSION,
        "defaultBrokerClass": BROKER_CLASS,
        "config": {"config-br-defaults": {"default-br-config": _BROKER_DEFAULTS}},
    }
    types = {s.type for s in settings.event_sources}
    if types & {"github", "gitlab"}:
        # The CRD requires every optional source controller to be stated; only the needed ones are on.
        spec["source"] = {name: {"enabled": name in types} for name in _OPERATOR_SOURCES}
    registry = _registry(context, "knative-eventing", versions.KNATIVE_EVENTING_VERSION)
    if registry:
        spec["registry"] = registry
    return spec


def _registry(context: ClusterContext, path: str, version: str) -> dict[str, Any] | None:
    """The operator's image template for the mirror: ``<mirror>/<path>/${NAME}:<version>``.

    The operator replaces ``${NAME}`` with each container's name, so the mirror must hold the
    Knative images under those names (``knative-serving/controller:1.23``, ...).
    """
    if context.mirror.image_registry is None:
        return None
    return {"default": f"{context.mirror.image_registry}/{path}/${{NAME}}:{version}"}


class Knative(pulumi.ComponentResource):
    """Knative Serving (Kourier) and Eventing, installed and upgraded by the Knative Operator.

    Secure defaults:
    - The Kourier gateway Service is ``ClusterIP`` unless ``public`` is set.
    - Pod Security ``restricted`` is enforced on the operator, Serving and Eventing namespaces (the
      operator's pods get seccomp RuntimeDefault at pod level; the other upstream pods already comply).
      Exemption: when GitHub/GitLab sources are configured, ``knative-eventing`` and the namespaces
      holding those sources enforce ``baseline`` instead, because the upstream eventing-github and
      eventing-gitlab controllers and receive adapters declare no securityContext at all.
    - ApiServerSources run as their own ServiceAccount, bound in their namespace only to
      get/list/watch on exactly the kinds they watch.
    - Source credentials are referenced by Secret name; no secret appears in a spec.
    - External TLS (cert-manager ClusterIssuer) when ``tls`` is set.
    """

    serving_namespace: pulumi.Output[str]
    """Namespace of Knative Serving (and, with the operator, of the Kourier gateway)."""
    eventing_namespace: pulumi.Output[str]
    """Namespace of Knative Eventing."""
    ingress_class: pulumi.Output[str]
    """The Knative ingress class in use (Kourier)."""
    domain: pulumi.Output[str]
    """The domain Knative Services are served under."""
    url_scheme: pulumi.Output[str]
    """``https`` when external TLS is on, else ``http``."""
    ready: list[pulumi.Resource]
    """The KnativeServing and KnativeEventing resources: ``depends_on`` these to run after Knative."""

    def __init__(self, name: str, args: KnativeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("stackyard:knative:Knative", name, None, opts)
        context, settings = args.context, args.settings
        has_git_sources = any(isinstance(s, _UNRESTRICTED_SOURCES) for s in settings.event_sources)

        operator_ns = namespace(OPERATOR_NAMESPACE, self)
        serving_ns = namespace(SERVING_NAMESPACE, self)
        eventing_ns = namespace(
            EVENTING_NAMESPACE, self, pod_security="baseline" if has_git_sources else "restricted"
        )

        operator_values = {
            "knative_operator": {
                part: {
                    "image": context.mirror.image(image),
                    # The chart sets no pod securityContext and its container context lacks seccomp.
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                }
                for part, image in sorted(OPERATOR_IMAGES.items())
            }
        }
        operator = helm_chart(
            f"{name}-operator",
            versions.KNATIVE_OPERATOR,
            operator_ns.metadata.name,
            operator_values,
            context.mirror,
            pulumi.ResourceOptions(parent=self, depends_on=[operator_ns]),
        )

        def operator_cr(kind: str, ns: k8s.core.v1.Namespace, spec: dict[str, Any]) -> pulumi.Resource:
            resource_name = kind.removeprefix("Knative").lower()
            return k8s.apiextensions.CustomResource(
                f"{name}-{resource_name}",
                api_version="operator.knative.dev/v1beta1",
                kind=kind,
                metadata={
                    "name": f"knative-{resource_name}",
                    "namespace": ns.metadata.name,
                    "labels": labels_for("knative"),
                    "annotations": WAIT_READY,
                },
                spec=spec,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[operator, ns]),
            )

        serving = operator_cr("KnativeServing", serving_ns, serving_spec(context, settings))
        eventing = operator_cr("KnativeEventing", eventing_ns, eventing_spec(context, settings))
        self.ready = [serving, eventing]

        self._event_sources(name, settings, serving, eventing)

        self.serving_namespace = serving_ns.metadata.name
        self.eventing_namespace = eventing_ns.metadata.name
        self.ingress_class = pulumi.Output.from_input(INGRESS_CLASS)
        self.domain = pulumi.Output.from_input(settings.domain)
        self.url_scheme = pulumi.Output.from_input("https" if settings.tls else "http")
        self.register_outputs(
            {
                "serving_namespace": self.serving_namespace,
                "eventing_namespace": self.eventing_namespace,
                "ingress_class": self.ingress_class,
                "domain": self.domain,
                "url_scheme": self.url_scheme,
            }
        )

    def _event_sources(
        self, name: str, settings: KnativeAddon, serving: pulumi.Resource, eventing: pulumi.Resource
    ) -> None:
        sources = settings.event_sources
        namespaces: dict[str, k8s.core.v1.Namespace] = {}
        for ns_name in sorted({s.namespace for s in sources}):
            git = any(isinstance(s, _UNRESTRICTED_SOURCES) and s.namespace == ns_name for s in sources)
            pod_security: Literal["restricted", "baseline"] = "baseline" if git else "restricted"
            namespaces[ns_name] = namespace(ns_name, self, pod_security=pod_security)
        brokers: dict[str, pulumi.Resource] = {}
        if settings.default_broker:
            for ns_name, ns in namespaces.items():
                brokers[ns_name] = k8s.apiextensions.CustomResource(
                    f"{name}-{ns_name}-broker",
                    api_version="eventing.knative.dev/v1",
                    kind="Broker",
                    metadata={
                        "name": DEFAULT_BROKER,
                        "namespace": ns.metadata.name,
                        "labels": labels_for("knative", "broker"),
                        "annotations": {"eventing.knative.dev/broker.class": BROKER_CLASS},
                    },
                    spec={},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[eventing, ns]),
                )
        for source in sources:
            ns = namespaces[source.namespace]
            deps: list[pulumi.Resource] = [eventing, ns]
            sink_ns = source.sink.namespace or source.namespace
            if source.sink.kind == "broker" and source.sink.name == DEFAULT_BROKER and sink_ns in brokers:
                deps.append(brokers[sink_ns])
            if isinstance(source, GitHubSourceSpec | GitLabSourceSpec):
                deps.append(serving)  # their receive adapters are Knative Services
            self._source(name, source, ns, deps)

    def _source(
        self, name: str, source: EventSource, ns: k8s.core.v1.Namespace, deps: list[pulumi.Resource]
    ) -> None:
        prefix = f"{name}-{source.namespace}-{source.name}"
        sink = sink_ref(source.sink, source.namespace)
        api_version, kind, spec = _source_object(source, sink)
        if isinstance(source, ApiServerSourceSpec):
            deps = [*deps, self._apiserver_rbac(prefix, source, ns)]
        k8s.apiextensions.CustomResource(
            prefix,
            api_version=api_version,
            kind=kind,
            metadata={
                "name": source.name,
                "namespace": ns.metadata.name,
                "labels": labels_for("knative", "event-source"),
            },
            spec=spec,
            opts=pulumi.ResourceOptions(parent=self, depends_on=deps),
        )

    def _apiserver_rbac(
        self, prefix: str, source: ApiServerSourceSpec, ns: k8s.core.v1.Namespace
    ) -> pulumi.Resource:
        """ServiceAccount, ClusterRole (get/list/watch on the watched kinds) and a namespaced binding."""
        opts = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        account = k8s.core.v1.ServiceAccount(
            f"{prefix}-sa",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=apiserver_account(source), namespace=ns.metadata.name, labels=labels_for("knative")
            ),
            opts=opts,
        )
        role_name = f"stackyard-apiserversource-{source.namespace}-{source.name}"
        role = k8s.rbac.v1.ClusterRole(
            f"{prefix}-role",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=role_name, labels=labels_for("knative")),
            rules=[
                k8s.rbac.v1.PolicyRuleArgs(
                    api_groups=r["apiGroups"], resources=r["resources"], verbs=r["verbs"]
                )
                for r in apiserver_rules(source.resources)
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        # A RoleBinding, not a ClusterRoleBinding: the source sees its own namespace only.
        return k8s.rbac.v1.RoleBinding(
            f"{prefix}-binding",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=apiserver_account(source), namespace=ns.metadata.name, labels=labels_for("knative")
            ),
            role_ref=k8s.rbac.v1.RoleRefArgs(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role_name
            ),
            subjects=[
                k8s.rbac.v1.SubjectArgs(
                    kind="ServiceAccount", name=apiserver_account(source), namespace=source.namespace
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ns, account, role]),
        )


def apiserver_account(source: ApiServerSourceSpec) -> str:
    """The ServiceAccount an ApiServerSource runs as (a DNS-1123 label, at most 63 characters)."""
    return f"{source.name[:55]}-watcher"


def _source_object(source: EventSource, sink: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(apiVersion, kind, spec) of the Knative object for one configured event source."""
    if isinstance(source, PingSourceSpec):
        return (
            "sources.knative.dev/v1",
            "PingSource",
            {
                "schedule": source.schedule,
                "timezone": source.timezone,
                "contentType": "application/json",
                "data": source.data,
                "sink": sink,
            },
        )
    if isinstance(source, ApiServerSourceSpec):
        return (
            "sources.knative.dev/v1",
            "ApiServerSource",
            {
                "mode": source.mode,
                "resources": [{"apiVersion": r["api_version"], "kind": r["kind"]} for r in source.resources],
                "serviceAccountName": apiserver_account(source),
                "sink": sink,
            },
        )
    if isinstance(source, AwsSqsSourceSpec):
        # Core eventing's IntegrationSource (Apache Camel Kamelet aws-sqs-source). The Secret holds the
        # keys aws.accessKey and aws.secretKey.
        queue = urlparse(source.queue_url).path.rstrip("/").rsplit("/", 1)[-1]
        return (
            "sources.knative.dev/v1alpha1",
            "IntegrationSource",
            {
                "aws": {
                    "sqs": {"arn": queue, "queueURL": source.queue_url, "region": source.region},
                    "auth": {"secret": {"ref": {"name": source.secret_name}}},
                },
                "sink": sink,
            },
        )
    if isinstance(source, GitHubSourceSpec):
        # knative-extensions/eventing-github GitHubSource; no CRD of it is among our test schemas, so this
        # follows the upstream CRD (githubsources.sources.knative.dev v1alpha1, shipped by the operator for
        # spec.source.github): ownerAndRepository, eventTypes, accessToken/secretToken secretKeyRefs, sink.
        return (
            "sources.knative.dev/v1alpha1",
            "GitHubSource",
            {
                "ownerAndRepository": source.repository,
                "eventTypes": sorted(source.events),
                "accessToken": {"secretKeyRef": {"name": source.secret_name, "key": "accessToken"}},
                "secretToken": {"secretKeyRef": {"name": source.secret_name, "key": "secretToken"}},
                "sink": sink,
            },
        )
    if isinstance(source, GitLabSourceSpec):
        # knative-extensions/eventing-gitlab GitLabSource; schema from the upstream CRD
        # (gitlabsources.sources.knative.dev v1alpha1): projectUrl, eventTypes, accessToken, secretToken.
        return (
            "sources.knative.dev/v1alpha1",
            "GitLabSource",
            {
                "projectUrl": source.project_url,
                "eventTypes": sorted(source.events),
                "accessToken": {"secretKeyRef": {"name": source.secret_name, "key": "accessToken"}},
                "secretToken": {"secretKeyRef": {"name": source.secret_name, "key": "secretToken"}},
                "sink": sink,
            },
        )
    # Google Cloud sources. knative-gcp is archived; these kinds (events.cloud.google.com/v1) are served by
    # Google's Knative-compatible events controller (Events for Cloud Run for Anthos), which Stackyard does
    # not install: it must be present on the cluster. The Secret holds a service-account key as key.json.
    secret = {"name": source.secret_name, "key": _GOOGLE_SECRET_KEY}
    if isinstance(source, GcpPubSubSourceSpec):
        spec: dict[str, Any] = {"project": source.project, "topic": source.topic}
        kind = "CloudPubSubSource"
    elif isinstance(source, GcsSourceSpec):
        spec = {"project": source.project, "bucket": source.bucket}
        kind = "CloudStorageSource"
    else:
        assert isinstance(source, CloudSchedulerSourceSpec)
        spec = {
            "project": source.project,
            "location": source.location,
            "schedule": source.schedule,
            "data": source.data,
        }
        kind = "CloudSchedulerSource"
    return "events.cloud.google.com/v1", kind, {**spec, "secret": secret, "sink": sink}
