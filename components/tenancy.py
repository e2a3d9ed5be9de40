"""Team tenancy: one namespace per team with quotas, limits, RBAC and default-deny networking.

Secure defaults:
- Pod Security Admission ``restricted`` is enforced on the namespace.
- A ResourceQuota caps CPU, memory, ``requests.nvidia.com/gpu``, storage and pods, and allows no
  LoadBalancer or NodePort Services (public exposure goes through the platform ingress).
- A LimitRange gives every container requests and limits when it declares none.
- NetworkPolicies deny all traffic, then allow only: traffic within the namespace, DNS, ingress
  from the Knative/Kourier gateway, egress to the object store, and scrapes from monitoring.
- Team groups get the built-in ``edit`` role in the namespace only; admins get ``admin``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.base import ClusterContext, namespace
from components.scheduling import GPU_RESOURCE
from components.settings import Team as TeamSettings

TEAM_LABEL = "stackyard.io/team"


@dataclass(frozen=True)
class TeamArgs:
    context: ClusterContext
    team: TeamSettings
    object_store_namespace: str | None = None
    ingress_namespaces: Sequence[str] = ()
    monitoring_namespace: str | None = None


def _ns_selector(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


class Team(pulumi.ComponentResource):
    """A team's namespace and the guard rails around it."""

    namespace: pulumi.Output[str]
    """The team's namespace (named after the team)."""

    def __init__(self, name: str, args: TeamArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("stackyard:tenancy:Team", name, None, opts)
        team = args.team
        ns = namespace(team.name, self, labels={TEAM_LABEL: team.name})
        ns_name = ns.metadata.name
        child = pulumi.ResourceOptions(parent=self, depends_on=[ns])

        def meta(object_name: str) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=ns_name)

        quota = team.quota
        hard = {
            "requests.cpu": quota.cpu,
            "limits.cpu": quota.cpu,
            "requests.memory": quota.memory,
            "limits.memory": quota.memory,
            f"requests.{GPU_RESOURCE}": str(quota.gpu),
            "requests.storage": quota.storage,
            "pods": str(quota.pods),
            "services.loadbalancers": "0",
            "services.nodeports": "0",
        }
        k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata=meta("team-quota"),
            spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=dict(sorted(hard.items()))),
            opts=child,
        )
        k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata=meta("team-limits"),
            spec=k8s.core.v1.LimitRangeSpecArgs(
                limits=[
                    k8s.core.v1.LimitRangeItemArgs(
                        type="Container",
                        default={"cpu": "500m", "memory": "512Mi"},
                        default_request={"cpu": "100m", "memory": "128Mi"},
                    )
                ]
            ),
            opts=child,
        )

        def bind(role: str, groups: Sequence[str], users: Sequence[str]) -> None:
            subjects = [
                k8s.rbac.v1.SubjectArgs(kind="Group", name=g, api_group="rbac.authorization.k8s.io")
                for g in sorted(groups)
            ] + [
                k8s.rbac.v1.SubjectArgs(kind="User", name=u, api_group="rbac.authorization.k8s.io")
                for u in sorted(users)
            ]
            if not subjects:
                return
            k8s.rbac.v1.RoleBinding(
                f"{name}-{role}",
                metadata=meta(f"team-{role}"),
                role_ref=k8s.rbac.v1.RoleRefArgs(
                    api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role
                ),
                subjects=subjects,
                opts=child,
            )

        bind("edit", team.groups, team.members)
        bind("admin", team.admins, [])

        # Specs are plain dicts in the API's own (camelCase) shape, as they appear in manifests.
        def policy(suffix: str, spec: Any) -> None:
            k8s.networking.v1.NetworkPolicy(f"{name}-{suffix}", metadata=meta(suffix), spec=spec, opts=child)

        policy("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
        policy(
            "allow-same-namespace",
            {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"podSelector": {}}]}],
                "egress": [{"to": [{"podSelector": {}}]}],
            },
        )
        policy(
            "allow-dns",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                **_ns_selector("kube-system"),
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        )
        if args.ingress_namespaces:
            policy(
                "allow-from-ingress",
                {
                    "podSelector": {},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": [_ns_selector(n) for n in sorted(args.ingress_namespaces)]}],
                },
            )
        if args.object_store_namespace:
            policy(
                "allow-to-object-store",
                {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [{"to": [_ns_selector(args.object_store_namespace)]}],
                },
            )
        if args.monitoring_namespace:
            policy(
                "allow-from-monitoring",
                {
                    "podSelector": {},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": [_ns_selector(args.monitoring_namespace)]}],
                },
            )

        self.namespace = ns_name
        self.register_outputs({"namespace": self.namespace})
