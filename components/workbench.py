"""The data-science workbench: JupyterHub (Zero to JupyterHub chart) with CPU and GPU profiles.

Secure defaults:
- Namespace ``stackyard-workbench`` under Pod Security ``restricted``: the chart's hub and proxy run
  non-root with seccomp ``RuntimeDefault``; user servers run as uid 1000 without privilege
  escalation. The chart's privileged iptables init container that blocks the cloud metadata
  server is off; the chart's NetworkPolicy (egress to the metadata server denied) does that job.
- The proxy's Service is ``ClusterIP``: exposure goes through the platform's ingress.
- Hub secrets: the cookie secret and the auth-state encryption key are generated with
  ``GeneratedSecret`` into the Secret ``workbench-hub-secret`` that the chart reads by name
  (``hub.existingSecret``). The OAuth client secret (OIDC, GitHub) is given by the caller (a
  Pulumi config secret read by the program) and reaches the hub as the Secret ``workbench-oauth``
  through ``hub.extraEnv`` (``OAUTH_CLIENT_SECRET`` from a ``secretKeyRef``). No secret is a Helm
  value. The chart generates the proxy's API token itself (the chart reads that one only from its
  own Secret).
- GPU profiles carry the first GPU pool's node selector and tolerations and limit
  ``nvidia.com/gpu``; CPU profiles never tolerate the GPU taint and avoid GPU pools by affinity.
- Users' home volumes are dynamic PVCs, one per user; JupyterHub never deletes them, not even when
  the chart is uninstalled, so ``pulumi destroy`` leaves users' data in place.
- Native authentication: sign-up is open but every new account waits for an admin's approval;
  the account named ``admin`` is the admin, so create it first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import versions
from components.base import (
    ClusterContext,
    cpu_placement_rules,
    first_gpu_placement,
    helm_chart,
    labels_for,
    namespace,
    secret_ref,
)
from components.credentials import GeneratedSecret
from components.scheduling import GPU_RESOURCE
from components.settings import WorkbenchAddon, WorkbenchAuth, WorkbenchProfile

NAMESPACE = "stackyard-workbench"
HUB_SECRET = "workbench-hub-secret"
OAUTH_SECRET = "workbench-oauth"
OAUTH_SECRET_KEY = "client-secret"


@dataclass(frozen=True)
class WorkbenchArgs:
    context: ClusterContext
    settings: WorkbenchAddon
    client_secret: pulumi.Input[str] | None = None
    """The OAuth client secret (oidc, github); None for native authentication."""

    def __post_init__(self) -> None:
        auth = self.settings.auth
        if auth.kind in ("oidc", "github"):
            if auth.client_id is None:
                raise ValueError(f"workbench auth {auth.kind!r} needs client_id")
            if self.client_secret is None:
                raise ValueError(f"workbench auth {auth.kind!r} needs the OAuth client secret")
        if auth.kind == "oidc" and auth.issuer_url is None:
            raise ValueError("workbench auth 'oidc' needs issuer_url")
        if any(p.gpu for p in self.settings.profiles) and not self.context.has_gpus:
            raise ValueError("a GPU workbench profile needs a GPU node pool on the cluster")


_BINARY = {"Ki": "K", "Mi": "M", "Gi": "G", "Ti": "T"}
_DECIMAL = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15}


def kubespawner_bytes(quantity: str) -> str:
    """A Kubernetes memory quantity in KubeSpawner's notation (K/M/G/T are powers of 1024)."""
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)", quantity)
    if match is None:
        raise ValueError(f"not a memory quantity: {quantity!r}")
    number, unit = match.groups()
    if unit in _BINARY:
        return f"{number}{_BINARY[unit]}"
    if unit in _DECIMAL:
        return str(int(float(number) * _DECIMAL[unit]))
    if unit == "":
        return str(int(float(number)))
    raise ValueError(f"unsupported memory unit in {quantity!r}")


def kubespawner_cpu(quantity: str) -> float:
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def profile_entry(profile: WorkbenchProfile, context: ClusterContext, default: bool) -> dict[str, Any]:
    """One ``singleuser.profileList`` entry; GPU profiles land on the first GPU pool only."""
    cpu = kubespawner_cpu(profile.cpu)
    memory = kubespawner_bytes(profile.memory)
    override: dict[str, Any] = {
        "cpu_guarantee": cpu,
        "cpu_limit": cpu,
        "mem_guarantee": memory,
        "mem_limit": memory,
    }
    if profile.gpu:
        placement = first_gpu_placement(context)
        if placement is None:
            raise ValueError(f"profile {profile.name!r} asks for GPUs but the cluster has no GPU pool")
        override["extra_resource_guarantees"] = {GPU_RESOURCE: str(profile.gpu)}
        override["extra_resource_limits"] = {GPU_RESOURCE: str(profile.gpu)}
        override["node_selector"] = placement.node_selector()
        override["tolerations"] = placement.tolerations()
        description = (
            f"{profile.cpu} CPU, {profile.memory} memory, {profile.gpu} GPU ({placement.accelerator})"
        )
    else:
        rules = cpu_placement_rules(context)
        if rules:
            node_affinity = rules["affinity"]["nodeAffinity"][
                "requiredDuringSchedulingIgnoredDuringExecution"
            ]
            override["node_affinity_required"] = node_affinity["nodeSelectorTerms"]
        description = f"{profile.cpu} CPU, {profile.memory} memory"
    entry: dict[str, Any] = {
        "display_name": profile.name,
        "slug": profile.name,
        "description": description,
        "kubespawner_override": override,
    }
    if default:
        entry["default"] = True
    return entry


def oidc_endpoints(issuer: str) -> dict[str, str]:
    """OAuth endpoints derived from the issuer (Keycloak layout for ``/realms/``, else Dex-style)."""
    base = issuer.rstrip("/")
    if "/realms/" in base:
        base = f"{base}/protocol/openid-connect"
    return {"authorize_url": f"{base}/auth", "token_url": f"{base}/token", "userdata_url": f"{base}/userinfo"}


def auth_config(auth: WorkbenchAuth) -> dict[str, Any]:
    """``hub.config`` for the authenticator (no secrets: the client secret comes from the env)."""
    groups = sorted(auth.allowed_groups)
    if auth.kind == "native":
        return {
            "JupyterHub": {"authenticator_class": "nativeauthenticator.NativeAuthenticator"},
            "NativeAuthenticator": {"open_signup": False, "minimum_password_length": 12},
            "Authenticator": {"admin_users": ["admin"]},
        }
    if auth.kind == "oidc":
        assert auth.issuer_url is not None
        generic: dict[str, Any] = {
            "client_id": auth.client_id,
            **oidc_endpoints(auth.issuer_url),
            "scope": ["openid", "profile", "email"],
            "username_claim": "preferred_username",
            "claim_groups_key": "groups",
        }
        if groups:
            generic["allowed_groups"] = groups
        else:
            generic["allow_all"] = True
        return {
            "JupyterHub": {"authenticator_class": "generic-oauth"},
            "GenericOAuthenticator": generic,
        }
    github: dict[str, Any] = {"client_id": auth.client_id}
    if groups:
        github["allowed_organizations"] = groups
    else:
        github["allow_all"] = True
    return {"JupyterHub": {"authenticator_class": "github"}, "GitHubOAuthenticator": github}


class Workbench(pulumi.ComponentResource):
    """JupyterHub in ``stackyard-workbench`` with the configured profiles and authentication."""

    namespace: pulumi.Output[str]
    """The workbench namespace."""
    hub_secret: pulumi.Output[str]
    """Name of the Secret with the hub's cookie secret and auth-state key."""
    proxy_service: pulumi.Output[str]
    """The ClusterIP Service users reach JupyterHub through (``proxy-public``)."""

    def __init__(self, name: str, args: WorkbenchArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("stackyard:workbench:JupyterHub", name, None, opts)
        context, settings = args.context, args.settings
        mirror = context.mirror
        child = pulumi.ResourceOptions(parent=self)

        ns = namespace(NAMESPACE, self)
        secret_opts = pulumi.ResourceOptions(parent=self, depends_on=[ns])

        def hex_secret(suffix: str) -> pulumi.Output[str]:
            # 64 hex digits (256 bits): JupyterHub decodes these keys as hex.
            password = GeneratedSecret(f"{name}-{suffix}", length=64, alphabet="hex", opts=child)
            return pulumi.Output.secret(password.result)

        hub_secret = k8s.core.v1.Secret(
            f"{name}-hub-secret",
            metadata={"name": HUB_SECRET, "namespace": NAMESPACE, "labels": labels_for("workbench")},
            string_data={
                "hub.config.JupyterHub.cookie_secret": hex_secret("cookie-secret"),
                "hub.config.CryptKeeper.keys": hex_secret("crypt-key"),
            },
            opts=secret_opts,
        )
        depends: list[pulumi.Resource] = [ns, hub_secret]

        hub: dict[str, Any] = {
            "existingSecret": HUB_SECRET,
            "config": auth_config(settings.auth),
            "image": {"name": mirror.image("quay.io/jupyterhub/k8s-hub")},
            "resources": {
                "requests": {"cpu": "100m", "memory": "512Mi"},
                "limits": {"cpu": "1", "memory": "1Gi"},
            },
        }
        if args.client_secret is not None:
            oauth = k8s.core.v1.Secret(
                f"{name}-oauth",
                metadata={"name": OAUTH_SECRET, "namespace": NAMESPACE, "labels": labels_for("workbench")},
                string_data={OAUTH_SECRET_KEY: pulumi.Output.secret(args.client_secret)},
                opts=secret_opts,
            )
            depends.append(oauth)
            hub["extraEnv"] = {
                "OAUTH_CLIENT_SECRET": {"valueFrom": secret_ref(OAUTH_SECRET, OAUTH_SECRET_KEY)}
            }

        storage_class = settings.storage_class or context.storage_class
        values: dict[str, Any] = {
            "hub": hub,
            "proxy": {
                "service": {"type": "ClusterIP"},
                "chp": {
                    "image": {"name": mirror.image("quay.io/jupyterhub/configurable-http-proxy")},
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "256Mi"},
                        "limits": {"cpu": "500m", "memory": "256Mi"},
                    },
                },
                "traefik": {"image": {"name": mirror.image("traefik")}},
                "secretSync": {"image": {"name": mirror.image("quay.io/jupyterhub/k8s-secret-sync")}},
            },
            "singleuser": {
                "image": {"name": mirror.image("quay.io/jupyterhub/k8s-singleuser-sample")},
                "networkTools": {"image": {"name": mirror.image("quay.io/jupyterhub/k8s-network-tools")}},
                # The chart's metadata blocker is a privileged iptables init container; its
                # NetworkPolicy already denies egress to the metadata server.
                "cloudMetadata": {"blockWithIptables": False},
                "allowPrivilegeEscalation": False,
                "storage": {
                    "type": "dynamic",
                    "capacity": settings.storage_size,
                    "dynamic": {"storageClass": storage_class},
                },
                "profileList": [
                    profile_entry(p, context, default=i == 0) for i, p in enumerate(settings.profiles)
                ],
            },
            "scheduling": {
                "userScheduler": {
                    "enabled": False,
                    "image": {"name": mirror.image("registry.k8s.io/kube-scheduler")},
                },
                "userPlaceholder": {
                    "enabled": False,
                    "image": {"name": mirror.image("registry.k8s.io/pause")},
                },
            },
            "prePuller": {
                "hook": {
                    "enabled": False,
                    "image": {"name": mirror.image("quay.io/jupyterhub/k8s-image-awaiter")},
                },
                "continuous": {"enabled": False},
                "pause": {"image": {"name": mirror.image("registry.k8s.io/pause")}},
            },
        }
        helm_chart(
            f"{name}-jupyterhub",
            versions.JUPYTERHUB,
            NAMESPACE,
            values,
            mirror,
            pulumi.ResourceOptions(parent=self, depends_on=depends),
        )

        self.namespace = ns.metadata.name
        self.hub_secret = hub_secret.metadata.name
        self.proxy_service = pulumi.Output.from_input("proxy-public")
        self.register_outputs(
            {"namespace": self.namespace, "hub_secret": self.hub_secret, "proxy_service": self.proxy_service}
        )
