"""Logging: Elasticsearch, Kibana and log shipping, run by the Elastic Cloud on Kubernetes operator.

**Licence:** ECK (the operator and its CRDs) is under the Elastic License 2.0, which is not an
OSI open-source licence; Elasticsearch and Kibana are under Elastic's own licences. Stackyard uses
only features of the free ("basic") tier: no StackConfigPolicy (an enterprise feature), so the
index lifecycle policy is applied by a small Job through the Elasticsearch API instead.

Secure defaults:
- Elasticsearch ``logs`` has a pinned name, is protected and retained on ``pulumi destroy``
  (unless ``data.delete_on_destroy``), and its PersistentVolumeClaims are kept when the cluster
  is deleted (``volumeClaimDeletePolicy: DeleteOnScaledownOnly``).
- Credentials: ECK generates the ``elastic`` superuser password itself into the Secret
  ``logs-es-elastic-user``; shippers and Kibana get their own users through ECK associations.
  Stackyard never sees or writes a password; the ILM Job reads that Secret by name.
- Elasticsearch, Kibana, the events shipper, Logstash and the ILM Job run non-root with no
  privilege escalation, ``drop: [ALL]``, seccomp ``RuntimeDefault``, resource requests and limits
  and (all but Logstash, which writes below its home directory) a read-only root filesystem, in
  the namespace ``stackyard-logging`` (Pod Security ``restricted``).
- Elasticsearch wants ``vm.max_map_count >= 262144`` on the host; setting that needs a privileged
  init container (or node tuning outside Kubernetes). Stackyard sets ``node.store.allow_mmap:
  false`` instead, so Elasticsearch uses NIO rather than mmap for its index files and no
  privileged container is needed, at some cost in search speed on large indices.

Privileged exemption (documented, narrow): the Filebeat DaemonSet reads container logs from the
node (hostPath ``/var/log/containers`` and ``/var/log/pods``, both read-only, as uid 0 with every
capability dropped, because kubelet writes the files root-owned). hostPath volumes are refused by
Pod Security ``baseline``/``restricted``, so Filebeat alone lives in its own namespace
``stackyard-logshipper`` labelled ``privileged``. Its registry (read offsets) lives in an
``emptyDir``, not a writable hostPath: after a Filebeat restart some lines may be shipped twice.
It tolerates the GPU pools' taints because it must read the logs of every node.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from components import versions
from components.base import (
    ClusterContext,
    helm_chart,
    labels_for,
    namespace,
    resources,
    restricted_pod_security_context,
    restricted_security_context,
    stateful_options,
)
from components.settings import LoggingAddon

NAMESPACE = "stackyard-logging"
SHIPPER_NAMESPACE = "stackyard-logshipper"
ES_NAME = "logs"
KIBANA_NAME = "logs"
LOGSTASH_NAME = "logs"
CONTAINERS_BEAT = "containers"
EVENTS_BEAT = "events"
ILM_POLICY = "stackyard-retention"
CONTAINER_INDEX = "stackyard-logs-containers"
ELASTIC_USER_SECRET = f"{ES_NAME}-es-elastic-user"
"""Created by ECK: the ``elastic`` superuser's password under the key ``elastic``."""
HTTP_CA_SECRET = f"{ES_NAME}-es-http-certs-public"
"""Created by ECK: the CA of the Elasticsearch HTTP endpoint under ``ca.crt``."""
ELASTIC_UID = 1000  # the uid of the elasticsearch, kibana, beats and logstash images

ES_API = "elasticsearch.k8s.elastic.co/v1"
KIBANA_API = "kibana.k8s.elastic.co/v1"
BEAT_API = "beat.k8s.elastic.co/v1beta1"
LOGSTASH_API = "logstash.k8s.elastic.co/v1alpha1"


@dataclass(frozen=True)
class NodeSetSize:
    name: str
    count: int
    roles: tuple[str, ...]
    memory: str
    heap: str
    cpu: str
    storage: str


PROFILES: dict[str, tuple[NodeSetSize, ...]] = {
    "small": (NodeSetSize("default", 1, ("master", "data", "ingest"), "4Gi", "2g", "1", "50Gi"),),
    "medium": (NodeSetSize("default", 3, ("master", "data", "ingest"), "8Gi", "4g", "2", "200Gi"),),
    "large": (
        NodeSetSize("master", 3, ("master",), "4Gi", "2g", "1", "20Gi"),
        NodeSetSize("data", 3, ("data", "ingest"), "16Gi", "8g", "4", "500Gi"),
    ),
}
"""Node sets per ``settings.profile``; the JVM heap is half the container memory."""


@dataclass(frozen=True)
class ElkArgs:
    context: ClusterContext
    settings: LoggingAddon


def _pod_security(uid: int = ELASTIC_UID) -> dict[str, Any]:
    return restricted_pod_security_context(uid)


def _container(name: str, cpu: str, memory: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "securityContext": restricted_security_context(),
        "resources": resources(cpu, memory),
        **extra,
    }


def ilm_policy(retention_days: int) -> dict[str, Any]:
    """Roll over daily (or at 50 GB per primary shard); delete ``retention_days`` after rollover."""
    return {
        "policy": {
            "phases": {
                "hot": {"actions": {"rollover": {"max_age": "1d", "max_primary_shard_size": "50gb"}}},
                "delete": {"min_age": f"{retention_days}d", "actions": {"delete": {}}},
            }
        }
    }


def index_template(lineage_index: str) -> dict[str, Any]:
    """Data streams for container logs and cluster events, under the retention policy."""
    return {
        "index_patterns": [f"{CONTAINER_INDEX}*", f"{lineage_index}*"],
        "data_stream": {},
        "priority": 500,
        "composed_of": ["ecs@mappings"],
        "template": {"settings": {"index.lifecycle.name": ILM_POLICY}},
    }


def ilm_script(settings: LoggingAddon) -> str:
    """Shell for the ILM Job: wait for Elasticsearch, then PUT the policy and the index template.

    The password comes from the environment into a netrc file in an emptyDir, so it never shows
    in a process's arguments.
    """
    host = f"{ES_NAME}-es-http.{NAMESPACE}.svc"
    policy = json.dumps(ilm_policy(settings.retention_days), sort_keys=True)
    template = json.dumps(index_template(settings.lineage_index), sort_keys=True)
    curl = "curl -sSf --netrc-file /tmp/netrc --cacert /etc/es-ca/ca.crt -H 'Content-Type: application/json'"
    return "\n".join(
        [
            "set -eu",
            f"printf 'machine {host} login elastic password %s\\n' "
            '"$(cat /etc/es-user/password)" > /tmp/netrc',
            f"ES=https://{host}:9200",
            f'until {curl} "$ES/_cluster/health?wait_for_status=yellow&timeout=60s" >/dev/null; do',
            "  echo waiting for Elasticsearch; sleep 10",
            "done",
            f"{curl} -X PUT \"$ES/_ilm/policy/{ILM_POLICY}\" -d '{policy}'",
            f"{curl} -X PUT \"$ES/_index_template/stackyard-logs\" -d '{template}'",
        ]
    )


class Elk(pulumi.ComponentResource):
    """ECK operator, Elasticsearch ``logs``, optional Kibana, Filebeat/Logstash shipping, ILM retention.

    See the module docstring for the licence note, the secure defaults and the one privileged
    exemption (the Filebeat DaemonSet in ``stackyard-logshipper``).
    """

    namespace: pulumi.Output[str]
    """The logging namespace (Elasticsearch, Kibana, operator)."""
    elasticsearch_name: pulumi.Output[str]
    """The Elasticsearch resource's name; its HTTP service is ``<name>-es-http``."""
    elastic_user_secret: pulumi.Output[str]
    """Name of the ECK-generated Secret with the ``elastic`` user's password (key ``elastic``)."""
    kibana_name: pulumi.Output[str | None]
    """The Kibana resource's name, or None when Kibana is off."""

    def __init__(self, name: str, args: ElkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("stackyard:logging:Elk", name, None, opts)
        context, settings = args.context, args.settings
        mirror = context.mirror
        self._mirror = mirror
        version = versions.ELASTIC_STACK_VERSION

        ns = namespace(NAMESPACE, self)
        shipper_ns = namespace(SHIPPER_NAMESPACE, self, pod_security="privileged")

        operator = helm_chart(
            f"{name}-eck",
            versions.ECK_OPERATOR,
            NAMESPACE,
            {
                "image": {"repository": mirror.image("docker.elastic.co/eck/eck-operator")},
                "config": {"containerRegistry": mirror.registry("docker.elastic.co")},
                "installCRDs": True,
                "managedNamespaces": sorted([NAMESPACE, SHIPPER_NAMESPACE]),
                "podSecurityContext": restricted_pod_security_context(),
                "securityContext": restricted_security_context(),
                "resources": resources("100m", "256Mi", cpu_limit="1"),
                # No telemetry upload: air-gapped clusters have nowhere to send it.
                "telemetry": {"disabled": True},
            },
            mirror,
            pulumi.ResourceOptions(parent=self, depends_on=[ns, shipper_ns]),
        )
        after_crds: list[pulumi.Resource] = [operator]

        # --- Elasticsearch ---
        storage_class = settings.storage_class or context.storage_class
        node_sets = []
        for size in PROFILES[settings.profile]:
            claim_spec: dict[str, Any] = {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": size.storage}},
            }
            if storage_class:
                claim_spec["storageClassName"] = storage_class
            node_sets.append(
                {
                    "name": size.name,
                    "count": size.count,
                    "config": {
                        "node.roles": list(size.roles),
                        # Instead of a privileged init container raising vm.max_map_count.
                        "node.store.allow_mmap": False,
                    },
                    "podTemplate": {
                        "metadata": {"labels": labels_for("logging", "elasticsearch")},
                        "spec": {
                            "securityContext": _pod_security(),
                            "automountServiceAccountToken": False,
                            "containers": [
                                _container(
                                    "elasticsearch",
                                    size.cpu,
                                    size.memory,
                                    env=[
                                        {"name": "ES_JAVA_OPTS", "value": f"-Xms{size.heap} -Xmx{size.heap}"}
                                    ],
                                )
                            ],
                        },
                    },
                    "volumeClaimTemplates": [
                        {"metadata": {"name": "elasticsearch-data"}, "spec": claim_spec}
                    ],
                }
            )
        elasticsearch = k8s.apiextensions.CustomResource(
            f"{name}-elasticsearch",
            api_version=ES_API,
            kind="Elasticsearch",
            metadata={"name": ES_NAME, "namespace": NAMESPACE, "labels": labels_for("logging")},
            spec={
                "version": version,
                "image": mirror.image(f"docker.elastic.co/elasticsearch/elasticsearch:{version}"),
                # Keep the data volumes when the Elasticsearch resource is deleted.
                "volumeClaimDeletePolicy": "DeleteOnScaledownOnly",
                "nodeSets": node_sets,
            },
            opts=stateful_options(context, self, depends_on=after_crds),
        )
        es_ref = {"name": ES_NAME, "namespace": NAMESPACE}

        # --- Kibana ---
        kibana: k8s.apiextensions.CustomResource | None = None
        if settings.kibana:
            kibana = k8s.apiextensions.CustomResource(
                f"{name}-kibana",
                api_version=KIBANA_API,
                kind="Kibana",
                metadata={"name": KIBANA_NAME, "namespace": NAMESPACE, "labels": labels_for("logging")},
                spec={
                    "version": version,
                    "image": mirror.image(f"docker.elastic.co/kibana/kibana:{version}"),
                    "count": 1,
                    "elasticsearchRef": es_ref,
                    "podTemplate": {
                        "spec": {
                            "securityContext": _pod_security(),
                            "automountServiceAccountToken": False,
                            "containers": [_container("kibana", "500m", "1Gi")],
                        }
                    },
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=after_crds),
            )

        # --- Shipping: Filebeat on every node, to Elasticsearch or through Logstash ---
        if settings.shipper == "logstash":
            self._logstash(name, context, settings, storage_class, after_crds)
            output: dict[str, Any] = {
                "output.logstash": {"hosts": [f"{LOGSTASH_NAME}-ls-beats.{NAMESPACE}.svc:5044"]}
            }
        else:
            output = {"output.elasticsearch": {"index": CONTAINER_INDEX}}
        self._filebeat(name, context, settings, output, after_crds)
        self._events_beat(name, settings, es_ref, after_crds)
        self._ilm_job(name, settings, [elasticsearch])

        self.namespace = ns.metadata.name
        self.elasticsearch_name = pulumi.Output.from_input(ES_NAME)
        self.elastic_user_secret = pulumi.Output.from_input(ELASTIC_USER_SECRET)
        self.kibana_name = pulumi.Output.from_input(KIBANA_NAME if kibana is not None else None)
        self.register_outputs(
            {
                "namespace": self.namespace,
                "elasticsearch_name": self.elasticsearch_name,
                "elastic_user_secret": self.elastic_user_secret,
                "kibana_name": self.kibana_name,
            }
        )

    def _reader_role(self, name: str, sa: str, ns: str, rules: list[dict[str, Any]]) -> None:
        """A ServiceAccount with read-only cluster access (metadata enrichment, event watching)."""
        opts = pulumi.ResourceOptions(parent=self)
        k8s.core.v1.ServiceAccount(
            f"{name}-{sa}-sa", metadata=k8s.meta.v1.ObjectMetaArgs(name=sa, namespace=ns), opts=opts
        )
        role = f"stackyard-{sa}"
        k8s.rbac.v1.ClusterRole(
            f"{name}-{sa}-role",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=role),
            rules=[
                k8s.rbac.v1.PolicyRuleArgs(
                    api_groups=r["apiGroups"], resources=r["resources"], verbs=r["verbs"]
                )
                for r in rules
            ],
            opts=opts,
        )
        k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-{sa}-binding",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=role),
            role_ref=k8s.rbac.v1.RoleRefArgs(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role
            ),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=sa, namespace=ns)],
            opts=opts,
        )

    def _filebeat(
        self,
        name: str,
        context: ClusterContext,
        settings: LoggingAddon,
        output: dict[str, Any],
        after: list[pulumi.Resource],
    ) -> None:
        sa = "filebeat"
        self._reader_role(
            name,
            sa,
            SHIPPER_NAMESPACE,
            [
                {
                    "apiGroups": [""],
                    "resources": ["namespaces", "nodes", "pods"],
                    "verbs": ["get", "list", "watch"],
                },
                {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": ["get", "list", "watch"]},
                {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "watch"]},
            ],
        )
        tolerations = sorted(
            {json.dumps(t, sort_keys=True) for p in context.gpu_placements() for t in p.tolerations()}
        )
        version = versions.ELASTIC_STACK_VERSION
        spec: dict[str, Any] = {
            "type": "filebeat",
            "version": version,
            "image": context.mirror.image(f"docker.elastic.co/beats/filebeat:{version}"),
            "config": {
                "filebeat.inputs": [
                    {
                        "type": "filestream",
                        "id": "kubernetes-containers",
                        "paths": ["/var/log/containers/*.log"],
                        "prospector.scanner.symlinks": True,
                        "parsers": [{"container": {}}],
                        "processors": [
                            {
                                "add_kubernetes_metadata": {
                                    "host": "${NODE_NAME}",
                                    "matchers": [{"logs_path": {"logs_path": "/var/log/containers/"}}],
                                }
                            }
                        ],
                    }
                ],
                # Index templates and the lifecycle policy come from the ILM Job.
                "setup.ilm.enabled": False,
                "setup.template.enabled": False,
                "setup.template.name": CONTAINER_INDEX,
                "setup.template.pattern": f"{CONTAINER_INDEX}*",
                **output,
            },
            "daemonSet": {
                "podTemplate": {
                    "metadata": {"labels": labels_for("logging", "filebeat")},
                    "spec": {
                        "serviceAccountName": sa,
                        "automountServiceAccountToken": True,
                        "securityContext": {
                            # kubelet writes the log files root-owned: read them as uid 0, no capabilities.
                            "runAsUser": 0,
                            "runAsNonRoot": False,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "tolerations": [json.loads(t) for t in tolerations],
                        "containers": [
                            {
                                "name": "filebeat",
                                "securityContext": {
                                    "runAsUser": 0,
                                    "runAsNonRoot": False,
                                    "allowPrivilegeEscalation": False,
                                    "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]},
                                    "seccompProfile": {"type": "RuntimeDefault"},
                                },
                                "resources": resources("100m", "256Mi", cpu_limit="500m"),
                                "env": [
                                    {
                                        "name": "NODE_NAME",
                                        "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}},
                                    }
                                ],
                                "volumeMounts": [
                                    {
                                        "name": "varlogcontainers",
                                        "mountPath": "/var/log/containers",
                                        "readOnly": True,
                                    },
                                    {"name": "varlogpods", "mountPath": "/var/log/pods", "readOnly": True},
                                ],
                            }
                        ],
                        "volumes": [
                            # Replaces ECK's default writable hostPath for the registry.
                            {"name": "beat-data", "emptyDir": {}},
                            {
                                "name": "varlogcontainers",
                                "hostPath": {"path": "/var/log/containers", "type": "Directory"},
                            },
                            {
                                "name": "varlogpods",
                                "hostPath": {"path": "/var/log/pods", "type": "Directory"},
                            },
                        ],
                    },
                }
            },
        }
        if settings.shipper == "beat":
            spec["elasticsearchRef"] = {"name": ES_NAME, "namespace": NAMESPACE}
        k8s.apiextensions.CustomResource(
            f"{name}-filebeat",
            api_version=BEAT_API,
            kind="Beat",
            metadata={
                "name": CONTAINERS_BEAT,
                "namespace": SHIPPER_NAMESPACE,
                "labels": labels_for("logging"),
            },
            spec=spec,
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )

    def _events_beat(
        self, name: str, settings: LoggingAddon, es_ref: dict[str, str], after: list[pulumi.Resource]
    ) -> None:
        """Kubernetes events (the platform's lineage trail) into ``settings.lineage_index``."""
        sa = "events-beat"
        self._reader_role(
            name,
            sa,
            NAMESPACE,
            [
                {
                    "apiGroups": [""],
                    "resources": ["events", "namespaces", "nodes", "pods"],
                    "verbs": ["get", "list", "watch"],
                }
            ],
        )
        version = versions.ELASTIC_STACK_VERSION
        index = settings.lineage_index
        k8s.apiextensions.CustomResource(
            f"{name}-events",
            api_version=BEAT_API,
            kind="Beat",
            metadata={"name": EVENTS_BEAT, "namespace": NAMESPACE, "labels": labels_for("logging")},
            spec={
                "type": "metricbeat",
                "version": version,
                "image": self._mirror.image(f"docker.elastic.co/beats/metricbeat:{version}"),
                "elasticsearchRef": es_ref,
                "config": {
                    "metricbeat.modules": [
                        {"module": "kubernetes", "metricsets": ["event"], "period": "10s"}
                    ],
                    "output.elasticsearch": {"index": index},
                    "setup.ilm.enabled": False,
                    "setup.template.enabled": False,
                    "setup.template.name": index,
                    "setup.template.pattern": f"{index}*",
                },
                "deployment": {
                    "replicas": 1,
                    "podTemplate": {
                        "metadata": {"labels": labels_for("logging", "events")},
                        "spec": {
                            "serviceAccountName": sa,
                            "automountServiceAccountToken": True,
                            "securityContext": _pod_security(),
                            "containers": [_container("metricbeat", "100m", "256Mi")],
                        },
                    },
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )

    def _logstash(
        self,
        name: str,
        context: ClusterContext,
        settings: LoggingAddon,
        storage_class: str | None,
        after: list[pulumi.Resource],
    ) -> None:
        """Logstash between Filebeat and Elasticsearch (``shipper: logstash``)."""
        version = versions.ELASTIC_STACK_VERSION
        env = "LOGS_ES"  # ECK's variables for the elasticsearchRefs entry with clusterName "logs"
        pipeline = (
            "input { beats { port => 5044 } }\n"
            "output { elasticsearch {\n"
            f'  hosts => ["${{{env}_HOSTS}}"]\n'
            f'  user => "${{{env}_USER}}"\n'
            f'  password => "${{{env}_PASSWORD}}"\n'
            f'  ssl_certificate_authorities => "${{{env}_SSL_CERTIFICATE_AUTHORITY}}"\n'
            f'  index => "{CONTAINER_INDEX}"\n'
            '  action => "create"\n'
            "  data_stream => false\n"
            "  manage_template => false\n"
            "  ilm_enabled => false\n"
            "} }\n"
        )
        claim_spec: dict[str, Any] = {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "2Gi"}},
        }
        if storage_class:
            claim_spec["storageClassName"] = storage_class
        k8s.apiextensions.CustomResource(
            f"{name}-logstash",
            api_version=LOGSTASH_API,
            kind="Logstash",
            metadata={"name": LOGSTASH_NAME, "namespace": NAMESPACE, "labels": labels_for("logging")},
            spec={
                "version": version,
                "image": context.mirror.image(f"docker.elastic.co/logstash/logstash:{version}"),
                "count": 1,
                "elasticsearchRefs": [{"name": ES_NAME, "namespace": NAMESPACE, "clusterName": "logs"}],
                "pipelines": [{"pipeline.id": "main", "config.string": pipeline}],
                "services": [
                    {
                        "name": "beats",
                        "service": {
                            "spec": {
                                "type": "ClusterIP",
                                "ports": [
                                    {"name": "beats", "port": 5044, "protocol": "TCP", "targetPort": 5044}
                                ],
                            }
                        },
                    }
                ],
                # The persistent queue: buffered events, not the log store (that is Elasticsearch).
                "volumeClaimTemplates": [{"metadata": {"name": "logstash-data"}, "spec": claim_spec}],
                "podTemplate": {
                    "metadata": {"labels": labels_for("logging", "logstash")},
                    "spec": {
                        "securityContext": _pod_security(),
                        "automountServiceAccountToken": False,
                        # Logstash writes below its home directory (JRuby, plugins): no read-only root.
                        "containers": [
                            {
                                **_container("logstash", "500m", "2Gi"),
                                "securityContext": {
                                    **restricted_security_context(),
                                    "readOnlyRootFilesystem": False,
                                },
                            }
                        ],
                    },
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )

    def _ilm_job(self, name: str, settings: LoggingAddon, after: list[pulumi.Resource]) -> None:
        """A Job that PUTs the retention policy and index template (ECK has no free declarative ILM).

        The Job's name carries a hash of its script: a changed retention gives a new Job (Job
        templates are immutable), and an unchanged config keeps the finished one.
        """
        script = ilm_script(settings)
        digest = hashlib.sha256(script.encode()).hexdigest()[:8]
        k8s.batch.v1.Job(
            f"{name}-ilm",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"logs-ilm-{digest}", namespace=NAMESPACE, labels=labels_for("logging", "ilm")
            ),
            spec=cast(
                Any,
                {
                    "backoffLimit": 20,
                    "template": {
                        "metadata": {"labels": labels_for("logging", "ilm")},
                        "spec": {
                            "restartPolicy": "OnFailure",
                            "automountServiceAccountToken": False,
                            "securityContext": restricted_pod_security_context(),
                            "containers": [
                                _container(
                                    "ilm",
                                    "50m",
                                    "64Mi",
                                    image=self._mirror.image(versions.CURL_IMAGE),
                                    command=["/bin/sh", "-c", script],
                                    # The password is a mounted file, never an environment variable.
                                    volumeMounts=[
                                        {"name": "ca", "mountPath": "/etc/es-ca", "readOnly": True},
                                        {"name": "user", "mountPath": "/etc/es-user", "readOnly": True},
                                        {"name": "tmp", "mountPath": "/tmp"},
                                    ],
                                )
                            ],
                            "volumes": [
                                {"name": "ca", "secret": {"secretName": HTTP_CA_SECRET}},
                                {
                                    "name": "user",
                                    "secret": {
                                        "secretName": ELASTIC_USER_SECRET,
                                        "items": [{"key": "elastic", "path": "password"}],
                                    },
                                },
                                {"name": "tmp", "emptyDir": {"sizeLimit": "1Mi"}},
                            ],
                        },
                    },
                },
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
