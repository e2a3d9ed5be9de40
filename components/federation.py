"""Federation across clusters with Karmada: one control plane on the host, members, and where work goes.

The Karmada control plane (chart ``karmada``, ``installMode: host``) runs on the host cluster. Its
own API server holds the federation objects, so the policies below go to a second provider, the
*Karmada API* provider. Its kubeconfig is ``control_plane_kubeconfig`` when given (the
``karmada-kubeconfig`` Secret the chart writes on the host, stored as a Pulumi config secret after
the first ``up``), else the operator's kubeconfig context ``karmada-apiserver`` (the name
``karmadactl`` uses). Nothing is read from a live cluster while the program runs.

Members:
- ``push``: Karmada reaches the member's API server. On the member, Stackyard creates a service
  account with a long-lived token Secret; its token and CA (outputs of that Secret, secret) go into
  a Secret in the Karmada API that the ``Cluster`` object references (Karmada reads ``token`` and
  ``caBundle`` from it: exec-based cloud kubeconfigs cannot be used by the controller).
- ``pull`` (default on-prem, behind NAT): a ``karmada-agent`` Deployment on the member dials out to
  the Karmada API with the kubeconfig in Secret ``karmada-agent-kubeconfig``.

Scheduling (one ordering, :func:`stacks.cost.burst_ranking`, shared with the cost report):
- ``burst``: ``clusterAffinities`` are ordered, cumulative groups: on-prem members first, then one
  more cloud cluster per group, cheapest GPU-hour first. Karmada tries the next group only when the
  current one cannot hold the replicas, which is exactly overflow. Replicas are Divided with static
  weights, highest for on-prem.
- ``replicate``: every member gets every replica (Duplicated).
- ``failover``: one cluster per group, in ranking order.
Per member, OverridePolicies put GPU work on that member's GPU pool (node selector and
tolerations from its PoolPlacement), point images at the air-gap mirror and set the member's
storage class on claims.

Privileged exemptions (narrow, documented):
- The ``karmada-system`` namespace on the host enforces Pod Security ``baseline``, not
  ``restricted``: the upstream chart sets no security contexts. Its etcd uses a PVC, not hostPath.
- Karmada needs full access to members (it creates any propagated kind): the push service account
  and the pull agent are bound to a ClusterRole with all verbs on all resources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from components.base import (
    Mirror,
    chart_reference,
    labels_for,
    namespace,
    resources,
    restricted_pod_security_context,
    restricted_security_context,
)
from components.scheduling import PoolPlacement
from components.versions import KARMADA, KARMADA_AGENT_IMAGE, ChartPin

ClusterKindName = Literal["onprem", "aws", "gcp"]

KARMADA_NAMESPACE = "karmada-system"
KARMADA_CLUSTER_NAMESPACE = "karmada-cluster"
KARMADA_CONTEXT = "karmada-apiserver"
POLICY_API = "policy.karmada.io/v1alpha1"
CLUSTER_API = "cluster.karmada.io/v1alpha1"
GPU_WORKLOAD_LABEL = "stackyard.io/gpu"
PUSH_ACCOUNT = "karmada-controller"
AGENT_NAME = "karmada-agent"
AGENT_SECRET = "karmada-agent-kubeconfig"

# Kinds federated from team namespaces.
WORKLOAD_SELECTORS: tuple[dict[str, str], ...] = (
    {"apiVersion": "apps/v1", "kind": "Deployment"},
    {"apiVersion": "batch/v1", "kind": "Job"},
    {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService"},
)


@dataclass(frozen=True)
class RankedCluster:
    """A member's place in the burst order (1 = first), with the reason it is there."""

    cluster: str
    kind: str
    rank: int
    gpu_hour: float | None
    reason: str


@dataclass(frozen=True)
class MemberSpec:
    """A member cluster as the federation needs it."""

    cluster: str
    mode: Literal["push", "pull"]
    kind: ClusterKindName
    kubeconfig: pulumi.Output[str]
    """The member's kubeconfig (secret). Push mode reads its API server address from it."""
    gpu_pools: tuple[PoolPlacement, ...] = ()
    storage_class: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class FederationArgs:
    host: str
    members: Sequence[MemberSpec]
    policy: Literal["burst", "replicate", "failover"]
    namespaces: Sequence[str]
    mirror: Mirror
    multikueue: bool
    ranking: Sequence[RankedCluster]
    providers: Mapping[str, k8s.Provider] = field(default_factory=dict)
    """Kubernetes providers of the members (push credentials, pull agents)."""
    control_plane_kubeconfig: pulumi.Input[str] | None = None
    """Kubeconfig of the Karmada API server (secret); None: the operator's ``karmada-apiserver`` context."""
    host_storage_class: str | None = None

    def __post_init__(self) -> None:
        names = [m.cluster for m in self.members]
        if not names:
            raise ValueError("a federation needs at least one member")
        if len(set(names)) != len(names):
            raise ValueError(f"federation members listed twice: {names}")
        if self.host in names:
            raise ValueError(f"the host {self.host!r} is not also a member")
        missing = sorted(set(names) - set(self.providers))
        if missing:
            raise ValueError(f"no Kubernetes provider for members {missing}")
        ranked = [r.cluster for r in self.ranking]
        if sorted(ranked) != sorted(names):
            raise ValueError(f"the ranking {ranked} must list exactly the members {sorted(names)}")
        for member in self.members:
            if member.mode == "push" and member.kind == "onprem":
                raise ValueError(
                    f"member {member.cluster!r}: on-prem members join in pull mode "
                    "(their kubeconfig is a local file Stackyard does not read)"
                )

    def ordered_members(self) -> list[MemberSpec]:
        by_name = {m.cluster: m for m in self.members}
        return [by_name[r.cluster] for r in sorted(self.ranking, key=lambda r: r.rank)]


def _kubeconfig_server(kubeconfig: str) -> str:
    """The API server of the kubeconfig's current context (kubeconfigs here are JSON or YAML)."""
    import yaml

    data = yaml.safe_load(kubeconfig) if kubeconfig else None
    if not isinstance(data, dict):
        return ""
    current = data.get("current-context")
    contexts = {c["name"]: c["context"] for c in data.get("contexts", [])}
    cluster_name = contexts.get(current, {}).get("cluster") if current else None
    for cluster in data.get("clusters", []):
        if cluster_name is None or cluster["name"] == cluster_name:
            return str(cluster["cluster"].get("server", ""))
    return ""


def placement_spec(policy: str, ranking: Sequence[RankedCluster]) -> dict[str, Any]:
    """The ``placement`` of the team PropagationPolicies for a federation policy and burst order."""
    ordered = sorted(ranking, key=lambda r: r.rank)
    names = [r.cluster for r in ordered]
    if policy == "replicate":
        return {
            "clusterAffinity": {"clusterNames": sorted(names)},
            "replicaScheduling": {"replicaSchedulingType": "Duplicated"},
        }
    if policy == "failover":
        return {
            "clusterAffinities": [
                {"affinityName": f"{i}-{r.cluster}", "clusterNames": [r.cluster]}
                for i, r in enumerate(ordered, start=1)
            ],
            "replicaScheduling": {"replicaSchedulingType": "Duplicated"},
        }
    # burst: cumulative groups, on-prem together first, then one cloud cluster more per group.
    onprem = [r.cluster for r in ordered if r.kind == "onprem"]
    cloud = [r.cluster for r in ordered if r.kind != "onprem"]
    tiers: list[list[str]] = ([onprem] if onprem else []) + [[c] for c in cloud]
    groups = []
    members: list[str] = []
    for i, tier in enumerate(tiers, start=1):
        members = [*members, *tier]
        groups.append(
            {"affinityName": f"{i}-{tier[-1] if len(tier) == 1 else 'onprem'}", "clusterNames": members}
        )
    count = len(ordered)
    weights = [
        {"targetCluster": {"clusterNames": [r.cluster]}, "weight": count - i} for i, r in enumerate(ordered)
    ]
    return {
        "clusterAffinities": groups,
        "replicaScheduling": {
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Weighted",
            "weightPreference": {"staticWeightList": weights},
        },
    }


def override_policies(member: MemberSpec, mirror: Mirror) -> dict[str, dict[str, Any]]:
    """OverridePolicy specs for one member, by name suffix (empty when nothing differs)."""
    target = {"clusterNames": [member.cluster]}
    out: dict[str, dict[str, Any]] = {}
    gpu = next((p for p in member.gpu_pools if p.is_gpu), None)
    if gpu is not None:
        pod_spec_selectors = [
            {**s, "labelSelector": {"matchLabels": {GPU_WORKLOAD_LABEL: "true"}}}
            for s in WORKLOAD_SELECTORS
            if s["kind"] in ("Deployment", "Job")
        ]
        out["gpu"] = {
            "resourceSelectors": pod_spec_selectors,
            "overrideRules": [
                {
                    "targetCluster": target,
                    "overriders": {
                        "plaintext": [
                            {
                                "path": "/spec/template/spec/nodeSelector",
                                "operator": "add",
                                "value": gpu.node_selector(),
                            },
                            {
                                "path": "/spec/template/spec/tolerations",
                                "operator": "add",
                                "value": gpu.tolerations(),
                            },
                        ]
                    },
                }
            ],
        }
    if mirror.image_registry:
        out["mirror"] = {
            "resourceSelectors": [dict(s) for s in WORKLOAD_SELECTORS],
            "overrideRules": [
                {
                    "targetCluster": target,
                    "overriders": {
                        "imageOverrider": [
                            {"component": "Registry", "operator": "replace", "value": mirror.image_registry}
                        ]
                    },
                }
            ],
        }
    if member.storage_class:
        out["storage"] = {
            "resourceSelectors": [{"apiVersion": "v1", "kind": "PersistentVolumeClaim"}],
            "overrideRules": [
                {
                    "targetCluster": target,
                    "overriders": {
                        "plaintext": [
                            {
                                "path": "/spec/storageClassName",
                                "operator": "add",
                                "value": member.storage_class,
                            }
                        ]
                    },
                }
            ],
        }
    return out


def _release(
    name: str,
    pin: ChartPin,
    ns: pulumi.Input[str],
    values: Mapping[str, Any],
    mirror: Mirror,
    opts: pulumi.ResourceOptions,
) -> k8s.helm.v3.Release:
    """A helm.v3.Release (the Karmada chart relies on install hooks to make its certificates)."""
    ref = chart_reference(pin, mirror)
    repo = ref.pop("repository_opts", None)
    return k8s.helm.v3.Release(
        name,
        k8s.helm.v3.ReleaseArgs(
            name=name,
            namespace=ns,
            values=dict(values),
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=repo.repo) if repo is not None else None,
            atomic=True,
            **ref,
        ),
        opts=opts,
    )


class Federation(pulumi.ComponentResource):
    """Karmada on the host cluster, its members, and the policies that place team work.

    Created with the HOST cluster's provider. Secure defaults: member credentials live only in
    Secrets (token and CA as secret Outputs); the pull agent runs non-root with a read-only root
    filesystem, no privilege escalation, all capabilities dropped, seccomp RuntimeDefault, with
    requests and limits.
    """

    control_plane: k8s.helm.v3.Release
    """The Karmada control-plane release on the host."""
    members: pulumi.Output[list[str]]
    """Member clusters, in burst order."""
    burst_order: pulumi.Output[list[str]]
    """The ranking the placement follows (same as ``stackyard cost``)."""

    def __init__(self, name: str, args: FederationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("stackyard:federation:Karmada", name, None, opts)
        mirror = args.mirror
        ns = namespace(KARMADA_NAMESPACE, self, pod_security="baseline")
        values: dict[str, Any] = {
            "installMode": "host",
            "systemNamespace": KARMADA_NAMESPACE,
            "etcd": {
                "mode": "internal",
                "internal": {
                    "storageType": "pvc",
                    "pvc": {"size": "10Gi", "storageClass": args.host_storage_class or ""},
                },
            },
        }
        if mirror.image_registry:
            values["global"] = {"imageRegistry": mirror.image_registry}
        self.control_plane = _release(
            f"{name}-karmada"[:53],
            KARMADA,
            ns.metadata.name,
            values,
            mirror,
            pulumi.ResourceOptions(parent=self, depends_on=[ns]),
        )

        karmada = k8s.Provider(
            f"{name}-karmada-api",
            kubeconfig=args.control_plane_kubeconfig,
            context=None if args.control_plane_kubeconfig is not None else KARMADA_CONTEXT,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.control_plane]),
        )
        on_karmada = pulumi.ResourceOptions(parent=self, provider=karmada)

        cluster_ns = k8s.core.v1.Namespace(
            f"{name}-karmada-cluster",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=KARMADA_CLUSTER_NAMESPACE, labels=labels_for("federation")
            ),
            opts=on_karmada,
        )
        registered: list[pulumi.Resource] = []
        for member in args.ordered_members():
            member_opts = pulumi.ResourceOptions(parent=self, provider=args.providers[member.cluster])
            if member.mode == "push":
                registered.append(self._push(name, member, member_opts, on_karmada, cluster_ns))
            else:
                self._pull(name, member, args, member_opts)

        # Team namespaces exist in the Karmada API (namespaced policies live there) and go to every member.
        team_ns = [
            k8s.core.v1.Namespace(
                f"{name}-ns-{n}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=n, labels=labels_for("federation")),
                opts=on_karmada,
            )
            for n in sorted(args.namespaces)
        ]
        all_members = sorted(m.cluster for m in args.members)
        if team_ns:
            k8s.apiextensions.CustomResource(
                f"{name}-team-namespaces",
                api_version=POLICY_API,
                kind="ClusterPropagationPolicy",
                metadata={"name": "stackyard-team-namespaces", "labels": labels_for("federation")},
                spec={
                    "resourceSelectors": [
                        {"apiVersion": "v1", "kind": "Namespace", "name": n} for n in sorted(args.namespaces)
                    ],
                    "placement": {"clusterAffinity": {"clusterNames": all_members}},
                },
                opts=pulumi.ResourceOptions.merge(on_karmada, pulumi.ResourceOptions(depends_on=team_ns)),
            )
        placement = placement_spec(args.policy, args.ranking)
        overrides = {m.cluster: override_policies(m, mirror) for m in args.ordered_members()}
        for ns_res, ns_name in zip(team_ns, sorted(args.namespaces), strict=True):
            after_ns = pulumi.ResourceOptions.merge(
                on_karmada, pulumi.ResourceOptions(depends_on=[ns_res, *registered])
            )
            k8s.apiextensions.CustomResource(
                f"{name}-{ns_name}-propagation",
                api_version=POLICY_API,
                kind="PropagationPolicy",
                metadata={
                    "name": f"stackyard-{args.policy}",
                    "namespace": ns_name,
                    "labels": labels_for("federation"),
                },
                spec={"resourceSelectors": [dict(s) for s in WORKLOAD_SELECTORS], "placement": placement},
                opts=after_ns,
            )
            for member_name, specs in overrides.items():
                for suffix, spec in specs.items():
                    k8s.apiextensions.CustomResource(
                        f"{name}-{ns_name}-{member_name}-{suffix}",
                        api_version=POLICY_API,
                        kind="OverridePolicy",
                        metadata={
                            "name": f"{member_name}-{suffix}",
                            "namespace": ns_name,
                            "labels": labels_for("federation"),
                        },
                        spec=spec,
                        opts=after_ns,
                    )

        order = [r.cluster for r in sorted(args.ranking, key=lambda r: r.rank)]
        self.members = pulumi.Output.from_input(order)
        self.burst_order = pulumi.Output.from_input(order)
        self.register_outputs({"members": self.members, "burst_order": self.burst_order})

    def _member_rbac(
        self, prefix: str, account: str, ns: pulumi.Input[str], opts: pulumi.ResourceOptions
    ) -> None:
        """Karmada's access to a member: every verb on every resource (privileged exemption, see module)."""
        role = k8s.rbac.v1.ClusterRole(
            f"{prefix}-role",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"stackyard:{account}",
                labels=labels_for("federation"),
                # Karmada applies whatever kinds get propagated, as upstream `karmadactl join` grants.
                annotations={
                    f"checkov.io/skip{i}": f"{check}=Karmada propagates arbitrary kinds into members"
                    for i, check in enumerate(
                        ("CKV_K8S_49", "CKV_K8S_155", "CKV_K8S_156", "CKV_K8S_157", "CKV_K8S_158"), 1
                    )
                },
            ),
            rules=[
                k8s.rbac.v1.PolicyRuleArgs(api_groups=["*"], resources=["*"], verbs=["*"]),
                k8s.rbac.v1.PolicyRuleArgs(non_resource_urls=["*"], verbs=["get"]),
            ],
            opts=opts,
        )
        k8s.rbac.v1.ClusterRoleBinding(
            f"{prefix}-binding",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"stackyard:{account}", labels=labels_for("federation")),
            role_ref=k8s.rbac.v1.RoleRefArgs(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role.metadata.name
            ),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=account, namespace=ns)],
            opts=opts,
        )

    def _push(
        self,
        name: str,
        member: MemberSpec,
        member_opts: pulumi.ResourceOptions,
        on_karmada: pulumi.ResourceOptions,
        cluster_ns: k8s.core.v1.Namespace,
    ) -> pulumi.Resource:
        prefix = f"{name}-{member.cluster}"
        ns = k8s.core.v1.Namespace(
            f"{prefix}-karmada-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=KARMADA_CLUSTER_NAMESPACE,
                labels={
                    "app.kubernetes.io/managed-by": "stackyard",
                    "pod-security.kubernetes.io/enforce": "restricted",
                },
            ),
            opts=member_opts,
        )
        in_ns = pulumi.ResourceOptions.merge(member_opts, pulumi.ResourceOptions(depends_on=[ns]))
        k8s.core.v1.ServiceAccount(
            f"{prefix}-sa",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=PUSH_ACCOUNT, namespace=KARMADA_CLUSTER_NAMESPACE),
            opts=in_ns,
        )
        self._member_rbac(prefix, PUSH_ACCOUNT, KARMADA_CLUSTER_NAMESPACE, in_ns)
        token = k8s.core.v1.Secret(
            f"{prefix}-token",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{PUSH_ACCOUNT}-token",
                namespace=KARMADA_CLUSTER_NAMESPACE,
                annotations={"kubernetes.io/service-account.name": PUSH_ACCOUNT},
            ),
            type="kubernetes.io/service-account-token",
            opts=pulumi.ResourceOptions.merge(
                in_ns, pulumi.ResourceOptions(additional_secret_outputs=["data"])
            ),
        )
        # The token controller fills data (base64) after creation; the provider waits for it.
        data: pulumi.Output[dict[str, str]] = token.data.apply(lambda d: dict(d or {}))
        token_data: pulumi.Output[str] = pulumi.Output.secret(data.apply(lambda d: d.get("token", "")))
        ca_data: pulumi.Output[str] = pulumi.Output.secret(data.apply(lambda d: d.get("ca.crt", "")))
        secret_name = f"{member.cluster}-credentials"
        creds = k8s.core.v1.Secret(
            f"{prefix}-credentials",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=secret_name, namespace=KARMADA_CLUSTER_NAMESPACE),
            data={"token": token_data, "caBundle": ca_data},
            opts=pulumi.ResourceOptions.merge(on_karmada, pulumi.ResourceOptions(depends_on=[cluster_ns])),
        )
        return k8s.apiextensions.CustomResource(
            f"{prefix}-cluster",
            api_version=CLUSTER_API,
            kind="Cluster",
            metadata={"name": member.cluster, "labels": {"stackyard.io/provider": member.kind}},
            spec={
                "syncMode": "Push",
                # The address is not a credential: unwrap it so the Cluster object stays readable.
                "apiEndpoint": pulumi.Output.unsecret(member.kubeconfig.apply(_kubeconfig_server)),
                "secretRef": {"namespace": KARMADA_CLUSTER_NAMESPACE, "name": secret_name},
                **({"provider": member.kind} if member.kind != "onprem" else {}),
                **({"region": member.region} if member.region else {}),
            },
            opts=pulumi.ResourceOptions.merge(on_karmada, pulumi.ResourceOptions(depends_on=[creds])),
        )

    def _pull(
        self, name: str, member: MemberSpec, args: FederationArgs, member_opts: pulumi.ResourceOptions
    ) -> None:
        prefix = f"{name}-{member.cluster}"
        ns = k8s.core.v1.Namespace(
            f"{prefix}-agent-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=KARMADA_NAMESPACE,
                labels={
                    "app.kubernetes.io/managed-by": "stackyard",
                    "pod-security.kubernetes.io/enforce": "restricted",
                },
            ),
            opts=member_opts,
        )
        in_ns = pulumi.ResourceOptions.merge(member_opts, pulumi.ResourceOptions(depends_on=[ns]))
        k8s.core.v1.ServiceAccount(
            f"{prefix}-agent-sa",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=AGENT_NAME, namespace=KARMADA_NAMESPACE),
            opts=in_ns,
        )
        self._member_rbac(f"{prefix}-agent", AGENT_NAME, KARMADA_NAMESPACE, in_ns)
        skip_await: dict[str, str] = {}
        if args.control_plane_kubeconfig is not None:
            k8s.core.v1.Secret(
                f"{prefix}-agent-kubeconfig",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=AGENT_SECRET, namespace=KARMADA_NAMESPACE),
                string_data={"kubeconfig": pulumi.Output.secret(args.control_plane_kubeconfig)},
                opts=in_ns,
            )
        else:
            # Without the control-plane kubeconfig the agent waits for Secret karmada-agent-kubeconfig,
            # created out of band (e.g. from `karmadactl token create`); do not block `up` on it.
            skip_await = {"pulumi.com/skipAwait": "true"}
        labels = {**labels_for("federation", "karmada-agent"), "app": AGENT_NAME}
        agent_spec: Any = {
            "replicas": 1,
            "selector": {"matchLabels": {"app": AGENT_NAME}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": AGENT_NAME,
                    "securityContext": restricted_pod_security_context(),
                    "containers": [
                        {
                            "name": AGENT_NAME,
                            "image": args.mirror.image(KARMADA_AGENT_IMAGE),
                            "command": [
                                "/bin/karmada-agent",
                                "--karmada-kubeconfig=/etc/kubeconfig/kubeconfig",
                                f"--cluster-name={member.cluster}",
                                "--cluster-status-update-frequency=10s",
                                f"--leader-elect-resource-namespace={KARMADA_NAMESPACE}",
                                "--health-probe-bind-address=$(POD_IP):10357",
                                "--metrics-bind-address=$(POD_IP):8080",
                            ],
                            "env": [
                                {
                                    "name": "POD_IP",
                                    "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}},
                                }
                            ],
                            "livenessProbe": {
                                "httpGet": {"path": "/healthz", "port": 10357},
                                "initialDelaySeconds": 15,
                                "periodSeconds": 15,
                            },
                            "securityContext": restricted_security_context(),
                            "resources": resources("100m", "256Mi", cpu_limit="500m"),
                            "volumeMounts": [
                                {"name": "kubeconfig", "mountPath": "/etc/kubeconfig", "readOnly": True}
                            ],
                        }
                    ],
                    "volumes": [{"name": "kubeconfig", "secret": {"secretName": AGENT_SECRET}}],
                },
            },
        }
        k8s.apps.v1.Deployment(
            f"{prefix}-agent",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=AGENT_NAME, namespace=KARMADA_NAMESPACE, labels=labels, annotations=skip_await or None
            ),
            spec=agent_spec,
            opts=in_ns,
        )
