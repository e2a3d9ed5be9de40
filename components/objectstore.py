"""The object store: one interface, three backends (MinIO on-prem, S3 on AWS, GCS on GCP).

Every backend gives the same outputs: an endpoint, the platform's buckets, DVC remote settings
per bucket and, for Argo Workflows, an :class:`ObjectStoreRef` to its artifact bucket.

Secure defaults:
- MinIO: the MinIO Operator runs a ``Tenant`` with a pinned name, protected and retained
  (``stateful_options``); its PVCs outlive the Tenant (the operator never deletes a tenant's
  PVCs, so deleting the Tenant keeps the data). Root credentials come from ``GeneratedSecret``
  and reach MinIO only as the ``config.env`` Secret the operator reads; nothing else uses them
  but the setup Job, which mounts that Secret. Pods run non-root with ``drop: [ALL]``, no
  privilege escalation and seccomp RuntimeDefault, with requests and limits, and never on GPU
  nodes. Exemption: the MinIO container keeps a writable root filesystem (MinIO creates its
  ``~/.minio`` certificate directory at start); Pod Security ``restricted`` does not require it.
  Traffic stays in the cluster over HTTP (no Service is exposed; team namespaces reach it
  through their NetworkPolicy); TLS needs a CA that workflows trust and is not switched on here.
- Every team gets its own MinIO user limited by a policy to its own buckets; its credentials
  land as the Secret ``object-store-credentials`` in the team's namespace. Argo gets a
  ``platform`` user limited to the platform buckets. Versioning is enabled on every bucket.
- S3: versioning, SSE-KMS with bucket keys, every public access block on, owner-enforced
  object ownership; one least-privilege IAM policy per team (IRSA attaches it on EKS).
- GCS: uniform bucket-level access, public access prevention enforced, versioning; one service
  account per team with ``roles/storage.objectAdmin`` on that team's buckets only, bound by
  Workload Identity to the Kubernetes ServiceAccount ``object-store`` in the team's namespace.
- Buckets are protected and retained unless the config's ``data.delete_on_destroy`` is set.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.base import (
    ClusterContext,
    cpu_placement_rules,
    helm_chart,
    labels_for,
    namespace,
    resources,
    restricted_pod_security_context,
    restricted_security_context,
    stateful_options,
)
from components.credentials import GeneratedSecret
from components.settings import ObjectStoreAddon
from components.versions import MINIO_CLIENT_IMAGE, MINIO_IMAGE, MINIO_OPERATOR, MINIO_SIDECAR_IMAGE

Backend = Literal["minio", "s3", "gcs"]

NAMESPACE = "stackyard-objectstore"
"""The in-cluster namespace of the object store (MinIO runs here)."""
OPERATOR_NAMESPACE = "minio-operator"
TENANT_NAME = "stackyard"
ROOT_SECRET_NAME = "stackyard-minio-root"
PLATFORM_USER = "platform"
CREDENTIALS_SECRET_NAME = "object-store-platform-credentials"
TEAM_SECRET_NAME = "object-store-credentials"
TEAM_SERVICE_ACCOUNT = "object-store"
ACCESS_KEY = "accesskey"
SECRET_KEY = "secretkey"
MINIO_SERVICE_HOST = f"minio.{NAMESPACE}.svc.cluster.local"
MINIO_PORT = 80


@dataclass(frozen=True)
class ObjectStoreArgs:
    context: ClusterContext
    settings: ObjectStoreAddon
    backend: Backend
    platform: str
    team_buckets: Mapping[str, Sequence[str]]
    team_namespaces: Mapping[str, pulumi.Output[str]]
    region: str | None = None
    project: str | None = None

    def __post_init__(self) -> None:
        if self.backend in ("s3", "gcs") and not self.region:
            raise ValueError(f"the {self.backend} object store needs a region")
        if self.backend == "gcs" and not self.project:
            raise ValueError("the gcs object store needs a project")
        missing = sorted(
            t for t in self.team_buckets if self.team_buckets[t] and t not in self.team_namespaces
        )
        if missing:
            raise ValueError(f"team buckets without a team namespace: {', '.join(missing)}")
        seen: dict[str, str] = {b: "platform" for b in self.settings.buckets}
        for team in sorted(self.team_buckets):
            for bucket in self.team_buckets[team]:
                if bucket in seen:
                    raise ValueError(f"bucket {bucket!r} of team {team!r} is already used by {seen[bucket]}")
                seen[bucket] = team


@dataclass(frozen=True)
class ObjectStoreRef:
    """What Argo Workflows needs to keep artifacts in one bucket of the object store.

    ``endpoint`` is ``host[:port]`` without a scheme (Argo's S3 form). ``credentials_secret_name``
    names the Secret (keys ``accesskey``/``secretkey``) in ``namespace``; ``None`` on clouds,
    where workload identity replaces static keys. ``access_key``/``secret_key`` are the same
    credentials as Pulumi outputs (secret), for a Secret in another namespace.
    """

    endpoint: str
    namespace: str
    credentials_secret_name: str | None
    bucket: str
    insecure: bool
    backend: Backend
    access_key: pulumi.Output[str] | None = None
    secret_key: pulumi.Output[str] | None = None


def physical_bucket_name(platform: str, cluster: str, bucket: str) -> str:
    """``<platform>-<cluster>-<bucket>``, cut to 63 characters with a stable hash when longer."""
    name = f"{platform}-{cluster}-{bucket}"
    if len(name) <= 63:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[:54].rstrip('-')}-{digest}"


def gcp_account_id(platform: str, cluster: str, team: str) -> str:
    """A GCP service account id (6-30 characters) unique per platform, cluster and team."""
    digest = hashlib.sha256(f"{platform}/{cluster}/{team}".encode()).hexdigest()[:8]
    return f"sy-{digest}-{team[:16]}".rstrip("-")


def minio_policy(buckets: Sequence[str]) -> str:
    """A MinIO (S3 IAM) policy that allows everything on these buckets and nothing else."""
    resources_ = [r for b in sorted(buckets) for r in (f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*")]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": resources_}],
    }
    return json.dumps(policy, sort_keys=True)


def s3_policy(bucket_names: Sequence[str]) -> str:
    """Least privilege for a team on its S3 buckets: list them, read/write/delete their objects."""
    buckets = sorted(bucket_names)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Buckets",
                "Effect": "Allow",
                "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketVersions"],
                "Resource": [f"arn:aws:s3:::{b}" for b in buckets],
            },
            {
                "Sid": "Objects",
                "Effect": "Allow",
                "Action": [
                    "s3:AbortMultipartUpload",
                    "s3:DeleteObject",
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:ListMultipartUploadParts",
                    "s3:PutObject",
                ],
                "Resource": [f"arn:aws:s3:::{b}/*" for b in buckets],
            },
        ],
    }
    return json.dumps(policy, sort_keys=True)


def setup_script(buckets: Sequence[str], users: Mapping[str, Sequence[str]], versioning: bool) -> str:
    """The `mc` script of the setup Job: buckets, versioning, one policy and user per consumer.

    Credentials are read at run time from mounted Secrets, never written into the script.
    """
    lines = [
        "set -eu",
        ". /config/config.env",
        f'export MC_HOST_store="http://${{MINIO_ROOT_USER}}:${{MINIO_ROOT_PASSWORD}}@{MINIO_SERVICE_HOST}:{MINIO_PORT}"',
        "until mc ready store; do sleep 5; done",
    ]
    for bucket in sorted(buckets):
        lines.append(f"mc mb --ignore-existing store/{bucket}")
        if versioning:
            lines.append(f"mc version enable store/{bucket}")
    for user in sorted(users):
        lines += [
            f"mc admin policy create store {user} /setup/policy-{user}.json",
            f'mc admin user add store {user} "$(cat /users/{user})"',
            f"mc admin policy attach store {user} --user {user} || true  # already attached",
        ]
    return "\n".join(lines) + "\n"


def _output_dict(values: Mapping[str, pulumi.Output[str]]) -> pulumi.Output[dict[str, str]]:
    if not values:
        return pulumi.Output.from_input({})
    return pulumi.Output.all(**values).apply(lambda d: dict(sorted(d.items())))


class ObjectStore(pulumi.ComponentResource):
    """Buckets for datasets, models and artifacts, per team and for the platform."""

    endpoint: pulumi.Output[str]
    """URL of the S3-compatible (or GCS) API, e.g. ``http://minio.stackyard-objectstore.svc.cluster.local:80``."""
    namespace: pulumi.Output[str]
    """The in-cluster namespace of the object store (``stackyard-objectstore``)."""
    credentials_secret_name: pulumi.Output[str]
    """Secret in ``namespace`` with keys ``accesskey``/``secretkey`` of the platform user (MinIO);
    empty on clouds, where workload identity replaces static keys."""
    buckets: pulumi.Output[list[str]]
    """The actual bucket names (platform buckets and team buckets), sorted."""
    dvc_remotes: pulumi.Output[dict[str, dict[str, str]]]
    """Per bucket, the settings of ``dvc remote add -d <name> <url>`` (``url``, and ``endpointurl``
    for MinIO, ``region`` for S3). No credentials."""
    policy_arns: pulumi.Output[dict[str, str]]
    """S3 only: per team (and ``platform``), the ARN of its IAM policy, for IRSA roles."""
    service_accounts: pulumi.Output[dict[str, str]]
    """GCS only: per team, the email of its Google service account."""

    def __init__(self, name: str, args: ObjectStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("stackyard:objectstore:ObjectStore", name, None, opts)
        self._args = args
        self._name = name
        self._platform_access: pulumi.Output[str] | None = None
        self._platform_secret: pulumi.Output[str] | None = None
        platform_buckets = sorted(args.settings.buckets)
        team_buckets = {t: sorted(b) for t, b in sorted(args.team_buckets.items()) if b}
        self._logical = sorted([*platform_buckets, *(b for bs in team_buckets.values() for b in bs)])
        policy_arns: dict[str, pulumi.Output[str]] = {}
        service_accounts: dict[str, pulumi.Output[str]] = {}

        if args.backend == "minio":
            self._physical = {b: b for b in self._logical}
            self._minio(platform_buckets, team_buckets)
            url = f"http://{MINIO_SERVICE_HOST}:{MINIO_PORT}"
            remotes = {b: {"url": f"s3://{b}", "endpointurl": url} for b in self._logical}
            secret_name = CREDENTIALS_SECRET_NAME
        elif args.backend == "s3":
            self._physical = {
                b: physical_bucket_name(args.platform, args.context.name, b) for b in self._logical
            }
            policy_arns = self._s3(platform_buckets, team_buckets)
            url = f"https://s3.{args.region}.amazonaws.com"
            remotes = {
                b: {"url": f"s3://{self._physical[b]}", "region": str(args.region)} for b in self._logical
            }
            secret_name = ""
        else:
            self._physical = {
                b: physical_bucket_name(args.platform, args.context.name, b) for b in self._logical
            }
            service_accounts = self._gcs(team_buckets)
            url = "https://storage.googleapis.com"
            remotes = {b: {"url": f"gs://{self._physical[b]}"} for b in self._logical}
            secret_name = ""

        self.endpoint = pulumi.Output.from_input(url)
        self.namespace = pulumi.Output.from_input(NAMESPACE)
        self.credentials_secret_name = pulumi.Output.from_input(secret_name)
        self.buckets = pulumi.Output.from_input(sorted(self._physical.values()))
        self.dvc_remotes = pulumi.Output.from_input(dict(sorted(remotes.items())))
        self.policy_arns = _output_dict(policy_arns)
        self.service_accounts = _output_dict(service_accounts)
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "namespace": self.namespace,
                "credentials_secret_name": self.credentials_secret_name,
                "buckets": self.buckets,
                "dvc_remotes": self.dvc_remotes,
                "policy_arns": self.policy_arns,
                "service_accounts": self.service_accounts,
            }
        )

    # ------------------------------------------------------------------------------------------
    def ref(self, bucket: str) -> ObjectStoreRef:
        """Where Argo keeps artifacts: ``bucket`` is a logical name of the platform buckets."""
        if bucket not in self._args.settings.buckets:
            raise ValueError(
                f"artifact bucket {bucket!r} is not a platform bucket "
                f"({', '.join(sorted(self._args.settings.buckets))})"
            )
        backend = self._args.backend
        if backend == "minio":
            return ObjectStoreRef(
                endpoint=f"{MINIO_SERVICE_HOST}:{MINIO_PORT}",
                namespace=NAMESPACE,
                credentials_secret_name=CREDENTIALS_SECRET_NAME,
                bucket=bucket,
                insecure=True,
                backend=backend,
                access_key=self._platform_access,
                secret_key=self._platform_secret,
            )
        endpoint = f"s3.{self._args.region}.amazonaws.com" if backend == "s3" else "storage.googleapis.com"
        return ObjectStoreRef(
            endpoint=endpoint,
            namespace=NAMESPACE,
            credentials_secret_name=None,
            bucket=self._physical[bucket],
            insecure=False,
            backend=backend,
        )

    # ------------------------------------------------------------------------------------------
    def _minio(self, platform_buckets: list[str], team_buckets: dict[str, list[str]]) -> None:
        args = self._args
        context = args.context
        mirror = context.mirror
        name = self._name
        ns = namespace(NAMESPACE, self, labels=labels_for("objectstore"))
        operator_ns = namespace(OPERATOR_NAMESPACE, self, labels=labels_for("objectstore", "operator"))
        sidecar_repo, _, sidecar_tag = mirror.image(MINIO_SIDECAR_IMAGE).rpartition(":")
        operator_repo = mirror.image("quay.io/minio/operator")
        operator = helm_chart(
            f"{name}-operator",
            MINIO_OPERATOR,
            OPERATOR_NAMESPACE,
            {
                "operator": {
                    "image": {"repository": operator_repo, "tag": f"v{MINIO_OPERATOR.version}"},
                    "sidecarImage": {"repository": sidecar_repo, "tag": sidecar_tag},
                    **cpu_placement_rules(context),
                }
            },
            mirror,
            pulumi.ResourceOptions(parent=self, depends_on=[operator_ns]),
        )
        child = pulumi.ResourceOptions(parent=self, depends_on=[ns])

        def meta(n: str, ns_name: pulumi.Input[str] = NAMESPACE) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=n, namespace=ns_name, labels=labels_for("objectstore"))

        root_user = GeneratedSecret(f"{name}-root-user", length=20, opts=pulumi.ResourceOptions(parent=self))
        root_password = GeneratedSecret(
            f"{name}-root-password", length=40, opts=pulumi.ResourceOptions(parent=self)
        )
        config_env: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(root_user.result, root_password.result).apply(
                lambda v: f'export MINIO_ROOT_USER="{v[0]}"\nexport MINIO_ROOT_PASSWORD="{v[1]}"\n'
            )
        )
        root_secret = k8s.core.v1.Secret(
            f"{name}-root",
            metadata=meta(ROOT_SECRET_NAME),
            type="Opaque",
            string_data={"config.env": config_env},
            opts=child,
        )

        # One MinIO user per consumer: the platform (Argo artifacts) and every team with buckets.
        users: dict[str, list[str]] = {PLATFORM_USER: platform_buckets}
        users.update({f"team-{t}": b for t, b in team_buckets.items()})
        secrets: dict[str, pulumi.Output[str]] = {}
        for user in sorted(users):
            password = GeneratedSecret(
                f"{name}-{user}-secret", length=40, opts=pulumi.ResourceOptions(parent=self)
            )
            secrets[user] = pulumi.Output.secret(password.result)
        self._platform_access = pulumi.Output.from_input(PLATFORM_USER)
        self._platform_secret = secrets[PLATFORM_USER]
        k8s.core.v1.Secret(
            f"{name}-platform-credentials",
            metadata=meta(CREDENTIALS_SECRET_NAME),
            type="Opaque",
            string_data={ACCESS_KEY: PLATFORM_USER, SECRET_KEY: secrets[PLATFORM_USER]},
            opts=child,
        )
        users_secret = k8s.core.v1.Secret(
            f"{name}-users",
            metadata=meta("objectstore-users"),
            type="Opaque",
            string_data=dict(sorted(secrets.items())),
            opts=child,
        )
        for team in sorted(team_buckets):
            user = f"team-{team}"
            k8s.core.v1.Secret(
                f"{name}-{team}-credentials",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=TEAM_SECRET_NAME,
                    namespace=args.team_namespaces[team],
                    labels=labels_for("objectstore", "team-credentials"),
                ),
                type="Opaque",
                string_data={
                    ACCESS_KEY: user,
                    SECRET_KEY: secrets[user],
                    "endpoint": f"http://{MINIO_SERVICE_HOST}:{MINIO_PORT}",
                    "buckets": ",".join(team_buckets[team]),
                },
                opts=pulumi.ResourceOptions(parent=self),
            )

        pool: dict[str, Any] = {
            "name": "pool-0",
            "servers": args.settings.minio.servers,
            "volumesPerServer": args.settings.minio.volumes_per_server,
            "volumeClaimTemplate": {
                "metadata": {"name": "data"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": args.settings.minio.volume_size}},
                    **(
                        {"storageClassName": sc}
                        if (sc := args.settings.minio.storage_class or context.storage_class)
                        else {}
                    ),
                },
            },
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 1000,
                "runAsGroup": 1000,
                "fsGroup": 1000,
                "fsGroupChangePolicy": "OnRootMismatch",
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containerSecurityContext": {
                "runAsNonRoot": True,
                "runAsUser": 1000,
                "runAsGroup": 1000,
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "resources": resources("1", "4Gi", cpu_limit="4"),
            **cpu_placement_rules(context),
        }
        tenant = k8s.apiextensions.CustomResource(
            f"{name}-tenant",
            api_version="minio.min.io/v2",
            kind="Tenant",
            metadata={"name": TENANT_NAME, "namespace": NAMESPACE, "labels": labels_for("objectstore")},
            spec={
                "image": mirror.image(MINIO_IMAGE),
                "configuration": {"name": ROOT_SECRET_NAME},
                "pools": [pool],
                "mountPath": "/export",
                "requestAutoCert": False,
                "exposeServices": {"minio": False, "console": False},
                "features": {"bucketDNS": False},
                "buckets": [{"name": b} for b in self._logical],
                "podManagementPolicy": "Parallel",
            },
            opts=stateful_options(context, self, depends_on=[operator, ns, root_secret]),
        )

        # Versioning and per-user policies need `mc` (the Tenant has no field for them).
        data = {f"policy-{u}.json": minio_policy(b) for u, b in users.items()}
        data["setup.sh"] = setup_script(self._logical, users, args.settings.versioning)
        data = dict(sorted(data.items()))
        config = k8s.core.v1.ConfigMap(
            f"{name}-setup", metadata=meta("objectstore-setup"), data=data, opts=child
        )
        digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
        k8s.batch.v1.Job(
            f"{name}-setup-job",
            metadata=meta("objectstore-setup"),
            spec=cast(
                k8s.batch.v1.JobSpecArgsDict,
                {
                    "backoffLimit": 10,
                    "template": {
                        "metadata": {
                            "labels": labels_for("objectstore", "setup"),
                            "annotations": {"stackyard.io/setup-digest": digest},
                        },
                        "spec": {
                            "restartPolicy": "OnFailure",
                            "automountServiceAccountToken": False,
                            "securityContext": restricted_pod_security_context(),
                            **cpu_placement_rules(context),
                            "containers": [
                                {
                                    "name": "mc",
                                    "image": mirror.image(MINIO_CLIENT_IMAGE),
                                    "command": ["/bin/sh", "/setup/setup.sh"],
                                    "env": [
                                        {"name": "HOME", "value": "/tmp"},
                                        {"name": "MC_CONFIG_DIR", "value": "/tmp/.mc"},
                                    ],
                                    "securityContext": restricted_security_context(),
                                    "resources": resources("100m", "128Mi", cpu_limit="500m"),
                                    "volumeMounts": [
                                        {"name": "config", "mountPath": "/config", "readOnly": True},
                                        {"name": "users", "mountPath": "/users", "readOnly": True},
                                        {"name": "setup", "mountPath": "/setup", "readOnly": True},
                                        {"name": "tmp", "mountPath": "/tmp"},
                                    ],
                                }
                            ],
                            "volumes": [
                                {"name": "config", "secret": {"secretName": ROOT_SECRET_NAME}},
                                {"name": "users", "secret": {"secretName": "objectstore-users"}},
                                {"name": "setup", "configMap": {"name": "objectstore-setup"}},
                                {"name": "tmp", "emptyDir": {}},
                            ],
                        },
                    },
                },
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[tenant, config, users_secret]),
        )

    # ------------------------------------------------------------------------------------------
    def _s3(
        self, platform_buckets: list[str], team_buckets: dict[str, list[str]]
    ) -> dict[str, pulumi.Output[str]]:
        args = self._args
        name = self._name
        provider = aws.Provider(f"{name}-aws", region=args.region, opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        tags = {"stackyard:platform": args.platform, "stackyard:cluster": args.context.name}
        for logical in self._logical:
            physical = self._physical[logical]
            bucket = aws.s3.Bucket(
                f"{name}-{logical}",
                bucket=physical,
                force_destroy=False,
                tags={**tags, "stackyard:bucket": logical},
                opts=stateful_options(args.context, self, provider=provider),
            )
            sub = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[bucket]))
            aws.s3.BucketOwnershipControls(
                f"{name}-{logical}-ownership",
                bucket=bucket.id,
                rule={"object_ownership": "BucketOwnerEnforced"},
                opts=sub,
            )
            aws.s3.BucketPublicAccessBlock(
                f"{name}-{logical}-public-access",
                bucket=bucket.id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
                opts=sub,
            )
            aws.s3.BucketVersioning(
                f"{name}-{logical}-versioning",
                bucket=bucket.id,
                versioning_configuration={"status": "Enabled" if args.settings.versioning else "Suspended"},
                opts=sub,
            )
            aws.s3.BucketServerSideEncryptionConfiguration(
                f"{name}-{logical}-encryption",
                bucket=bucket.id,
                rules=[
                    {
                        "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"},
                        "bucket_key_enabled": True,
                    }
                ],
                opts=sub,
            )
        arns: dict[str, pulumi.Output[str]] = {}
        consumers = {PLATFORM_USER: platform_buckets, **team_buckets}
        for consumer, buckets in sorted(consumers.items()):
            policy = aws.iam.Policy(
                f"{name}-{consumer}-policy",
                name=f"{args.platform}-{args.context.name}-objectstore-{consumer}"[:128],
                description=f"Stackyard: {consumer} buckets only",
                policy=s3_policy([self._physical[b] for b in buckets]),
                tags=tags,
                opts=child,
            )
            arns[consumer] = policy.arn
        return arns

    # ------------------------------------------------------------------------------------------
    def _gcs(self, team_buckets: dict[str, list[str]]) -> dict[str, pulumi.Output[str]]:
        args = self._args
        name = self._name
        project = str(args.project)
        provider = gcp.Provider(
            f"{name}-gcp", project=project, region=args.region, opts=pulumi.ResourceOptions(parent=self)
        )
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        labels = {"stackyard-platform": args.platform, "stackyard-cluster": args.context.name}
        buckets: dict[str, gcp.storage.Bucket] = {}
        for logical in self._logical:
            buckets[logical] = gcp.storage.Bucket(
                f"{name}-{logical}",
                name=self._physical[logical],
                project=project,
                location=str(args.region).upper(),
                uniform_bucket_level_access=True,
                public_access_prevention="enforced",
                versioning={"enabled": args.settings.versioning},
                force_destroy=False,
                labels={**labels, "stackyard-bucket": logical},
                opts=stateful_options(args.context, self, provider=provider),
            )
        emails: dict[str, pulumi.Output[str]] = {}
        for team, team_bucket_names in sorted(team_buckets.items()):
            account = gcp.serviceaccount.Account(
                f"{name}-{team}-sa",
                account_id=gcp_account_id(args.platform, args.context.name, team),
                display_name=f"Stackyard object store: team {team}",
                project=project,
                opts=child,
            )
            for logical in team_bucket_names:
                gcp.storage.BucketIAMMember(
                    f"{name}-{team}-{logical}-object-admin",
                    bucket=buckets[logical].name,
                    role="roles/storage.objectAdmin",
                    member=account.email.apply(lambda e: f"serviceAccount:{e}"),
                    opts=child,
                )
            team_ns = args.team_namespaces[team]
            gcp.serviceaccount.IAMMember(
                f"{name}-{team}-workload-identity",
                service_account_id=account.name,
                role="roles/iam.workloadIdentityUser",
                member=pulumi.Output.concat(
                    "serviceAccount:", project, ".svc.id.goog[", team_ns, f"/{TEAM_SERVICE_ACCOUNT}]"
                ),
                opts=child,
            )
            k8s.core.v1.ServiceAccount(
                f"{name}-{team}-ksa",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=TEAM_SERVICE_ACCOUNT,
                    namespace=team_ns,
                    labels=labels_for("objectstore", "team-identity"),
                    annotations={"iam.gke.io/gcp-service-account": account.email},
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            emails[team] = account.email
        return emails
