"""Stackyard's safety rails as pure functions, and the same rules as Pulumi policies.

Every rule is a function over a :class:`Resource` (type token, input properties as the engine
sees them — camelCase — and the few resource options that matter) returning the list of
violation messages; an empty list means compliant. The functions know nothing of the policy
engine, so the unit tests call them directly and run them over ``stackyard synth`` output.
:func:`resource_policies` / :func:`stack_policies` wrap them as ``pulumi_policy`` objects.

Helm v4 Chart children are registered by the Kubernetes provider as ordinary resources, so the
engine hands chart-rendered workloads to these rules during preview exactly like our own.

During preview a property may be unknown; the policy SDK then raises ``UnknownValueError`` while
a rule walks the properties and the engine skips that rule for that resource (it runs again at
``up`` time with the values known).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Level = Literal["mandatory", "advisory"]
Config = Mapping[str, Any]

PUBLIC_MARK = "stackyard.io/public"
"""Annotation (or label) with value ``"true"`` that marks an exposure as intentionally public."""
GPU_RESOURCE = "nvidia.com/gpu"
GPU_TAINT_KEY = "nvidia.com/gpu"  # components.scheduling.GPU_TAINT_KEY (kept free of imports)

# --------------------------------------------------------------------------------------------
# Exemptions: the one place that says which namespaces may run privileged pods, and why.
# --------------------------------------------------------------------------------------------
SYSTEM_NAMESPACES: Mapping[str, str] = {
    "kube-system": "owned by the Kubernetes distribution / cloud provider (CNI, CSI, kube-proxy)",
    "kube-node-lease": "node heartbeats only, no workloads",
    "kube-public": "cluster-info ConfigMap only, no workloads",
}
"""Namespaces that are not workload namespaces: no Pod Security or resource rules apply there.
Every other namespace is treated as a team/workload namespace."""


@dataclass(frozen=True)
class Exemption:
    """A narrow, documented relaxation of Pod Security ``restricted`` for one namespace."""

    reason: str
    allow: frozenset[str]
    """Which checks are relaxed: ``privileged`` (everything), ``hostPath``, ``hostNetwork``,
    ``hostPID``, ``hostPorts``, ``runAsRoot``."""
    workloads: tuple[str, ...] = ()
    """Workload names (substring match) the exemption covers; empty means the whole namespace."""
    host_paths: tuple[str, ...] = ()
    """hostPath prefixes that may be mounted, always read-only (empty: any, for ``privileged``)."""


PRIVILEGED_EXEMPTIONS: Mapping[str, Exemption] = {
    "gpu-operator": Exemption(
        reason="NVIDIA GPU Operator: driver and container-toolkit installers, device plugin, DCGM "
        "and GPU feature discovery must load kernel modules and reach /dev and the host's "
        "container runtime; the operator's namespace is labelled privileged",
        allow=frozenset({"privileged"}),
    ),
    "stackyard-logshipper": Exemption(
        reason="Filebeat reads the node's container logs: hostPath /var/log read-only, as uid 0 "
        "(kubelet writes the files root-owned) with every capability dropped",
        allow=frozenset({"hostPath", "runAsRoot"}),
        host_paths=("/var/log",),
    ),
    "stackyard-monitoring": Exemption(
        reason="Prometheus node-exporter reports the node itself: host network and PID namespace, "
        "its host port, and /proc, /sys and / mounted read-only",
        allow=frozenset({"hostNetwork", "hostPID", "hostPorts", "hostPath"}),
        workloads=("node-exporter",),
        host_paths=("/proc", "/sys", "/"),
    ),
}

# --------------------------------------------------------------------------------------------
# The resource model the rules read.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """What a rule sees: the engine's view of one resource (inputs are camelCase)."""

    type: str
    name: str
    props: Mapping[str, Any]
    protect: bool = False
    urn: str = ""
    dependencies: frozenset[str] = field(default_factory=frozenset)
    """URNs this resource depends on (explicit and through its properties)."""


Check = Callable[[Resource, Config], list[str]]
StackCheck = Callable[[Sequence[Resource], Config], list[tuple[Resource, str]]]


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    level: Level
    check: Check


@dataclass(frozen=True)
class StackRule:
    name: str
    description: str
    level: Level
    check: StackCheck


WORKLOAD_TYPES: Mapping[str, str] = {
    "kubernetes:apps/v1:Deployment": "deployment",
    "kubernetes:apps/v1:StatefulSet": "deployment",
    "kubernetes:apps/v1:DaemonSet": "deployment",
    "kubernetes:apps/v1:ReplicaSet": "deployment",
    "kubernetes:batch/v1:Job": "deployment",
    "kubernetes:batch/v1:CronJob": "cronjob",
    "kubernetes:core/v1:Pod": "pod",
}

# Namespaced core kinds: without metadata.namespace they land in the provider's namespace
# (``default`` unless the provider says otherwise).
NAMESPACED_KINDS = frozenset(
    {
        "ConfigMap",
        "CronJob",
        "DaemonSet",
        "Deployment",
        "Ingress",
        "Job",
        "LimitRange",
        "NetworkPolicy",
        "PersistentVolumeClaim",
        "Pod",
        "PodDisruptionBudget",
        "ReplicaSet",
        "ResourceQuota",
        "Role",
        "RoleBinding",
        "Secret",
        "Service",
        "ServiceAccount",
        "StatefulSet",
    }
)


def _d(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _l(value: Any) -> list[Any]:
    # The policy SDK hands lists over as read-only Sequence proxies, not lists.
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str | bytes) else []


def is_k8s(res: Resource) -> bool:
    return res.type.startswith("kubernetes:") and not res.type.startswith("kubernetes:helm.sh/")


def meta(res: Resource) -> Mapping[str, Any]:
    return _d(res.props.get("metadata"))


def namespace_of(res: Resource) -> str | None:
    ns = meta(res).get("namespace")
    return ns if isinstance(ns, str) and ns else None


def object_name(res: Resource) -> str:
    name = meta(res).get("name")
    return name if isinstance(name, str) and name else res.name


def marked_public(res: Resource) -> bool:
    m = meta(res)
    return any(_d(m.get(k)).get(PUBLIC_MARK) in ("true", True) for k in ("annotations", "labels"))


def pod_spec(res: Resource) -> Mapping[str, Any] | None:
    """The pod spec of a workload, or None for anything else."""
    shape = WORKLOAD_TYPES.get(res.type)
    spec = _d(res.props.get("spec"))
    if shape == "pod":
        return spec
    if shape == "deployment":
        return _d(_d(spec.get("template")).get("spec"))
    if shape == "cronjob":
        job = _d(_d(spec.get("jobTemplate")).get("spec"))
        return _d(_d(job.get("template")).get("spec"))
    return None


def containers(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in _l(spec.get(key)):
            yield _d(c)


def is_workload_namespace(ns: str | None) -> bool:
    return ns not in SYSTEM_NAMESPACES


def exemption_for(res: Resource) -> Exemption | None:
    ns = namespace_of(res)
    ex = PRIVILEGED_EXEMPTIONS.get(ns or "")
    if ex is None:
        return None
    if ex.workloads and not any(w in object_name(res) for w in ex.workloads):
        return None
    return ex


def requests_gpu(spec: Mapping[str, Any]) -> bool:
    for c in containers(spec):
        res = _d(c.get("resources"))
        if GPU_RESOURCE in _d(res.get("limits")) or GPU_RESOURCE in _d(res.get("requests")):
            return True
    return False


def tolerates_gpu_taint(spec: Mapping[str, Any]) -> bool:
    for t in _l(spec.get("tolerations")):
        t = _d(t)
        key, op = t.get("key"), t.get("operator", "Equal")
        effect = t.get("effect")
        if effect not in (None, "", "NoSchedule", "NoExecute"):
            continue
        if key == GPU_TAINT_KEY or (not key and op == "Exists"):
            return True
    return False


# --------------------------------------------------------------------------------------------
# Kubernetes rules
# --------------------------------------------------------------------------------------------


def check_pod_security(res: Resource, config: Config) -> list[str]:
    """Pod Security ``restricted`` for workloads outside the system namespaces."""
    spec = pod_spec(res)
    ns = namespace_of(res)
    if spec is None or not is_workload_namespace(ns):
        return []
    ex = exemption_for(res)
    allow = ex.allow if ex else frozenset()
    if "privileged" in allow:
        return []
    out: list[str] = []
    pod_sc = _d(spec.get("securityContext"))
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(flag) is True and flag not in allow:
            out.append(f"{flag} is not allowed")
    for vol in _l(spec.get("volumes")):
        vol = _d(vol)
        hp = _d(vol.get("hostPath"))
        if "hostPath" not in vol:
            continue
        path = str(hp.get("path", ""))
        if "hostPath" not in allow:
            out.append(f"hostPath volume {vol.get('name')!r} ({path}) is not allowed")
        elif ex and ex.host_paths and not _under(path, ex.host_paths):
            out.append(f"hostPath {path} is outside the exemption's paths {list(ex.host_paths)}")
        elif not _mounted_read_only(spec, str(vol.get("name"))):
            out.append(f"hostPath volume {vol.get('name')!r} must be mounted read-only")
    for c in containers(spec):
        cname = c.get("name")
        sc = _d(c.get("securityContext"))
        if "hostPorts" not in allow and any(_d(p).get("hostPort") for p in _l(c.get("ports"))):
            out.append(f"container {cname!r}: hostPort is not allowed")
        if sc.get("privileged") is True:
            out.append(f"container {cname!r}: privileged is not allowed")
        non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
        if non_root is not True and "runAsRoot" not in allow:
            out.append(f"container {cname!r}: runAsNonRoot must be true")
        if sc.get("runAsUser", pod_sc.get("runAsUser")) == 0 and "runAsRoot" not in allow:
            out.append(f"container {cname!r}: runAsUser 0 is not allowed")
        if sc.get("allowPrivilegeEscalation") is not False:
            out.append(f"container {cname!r}: allowPrivilegeEscalation must be false")
        caps = _d(sc.get("capabilities"))
        if "ALL" not in [str(x).upper() for x in _l(caps.get("drop"))]:
            out.append(f"container {cname!r}: capabilities must drop ALL")
        added = [str(x) for x in _l(caps.get("add")) if str(x) != "NET_BIND_SERVICE"]
        if added:
            out.append(f"container {cname!r}: capabilities.add {added} is not allowed")
        seccomp = _d(sc.get("seccompProfile")) or _d(pod_sc.get("seccompProfile"))
        if seccomp.get("type") not in ("RuntimeDefault", "Localhost"):
            out.append(f"container {cname!r}: seccompProfile must be RuntimeDefault")
    return out


def _under(path: str, prefixes: Iterable[str]) -> bool:
    norm = path.rstrip("/") or "/"
    return any(norm == p or norm.startswith(p.rstrip("/") + "/") for p in prefixes)


def _mounted_read_only(spec: Mapping[str, Any], volume: str) -> bool:
    mounts = [
        _d(m) for c in containers(spec) for m in _l(c.get("volumeMounts")) if _d(m).get("name") == volume
    ]
    return all(m.get("readOnly") is True for m in mounts)


def check_resources(res: Resource, config: Config) -> list[str]:
    """Every container has CPU and memory requests and limits."""
    spec = pod_spec(res)
    if spec is None or not is_workload_namespace(namespace_of(res)):
        return []
    out = []
    for c in containers(spec):
        if "targetContainerName" in c:  # ephemeral debug containers cannot set resources
            continue
        r = _d(c.get("resources"))
        missing = [
            f"{kind}.{what}"
            for kind in ("requests", "limits")
            for what in ("cpu", "memory")
            if what not in _d(r.get(kind))
        ]
        if missing:
            out.append(f"container {c.get('name')!r}: missing resources {', '.join(missing)}")
    return out


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def image_tag(image: str) -> str | None:
    """The tag of an image reference (None when untagged); digests are stripped first."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def _images(res: Resource) -> list[tuple[str, str]]:
    spec = pod_spec(res)
    if spec is None:
        return []
    return [(str(c.get("name")), str(c.get("image", ""))) for c in containers(spec)]


def check_image_tag(res: Resource, config: Config) -> list[str]:
    """Images are pinned by tag (or digest): never untagged, never ``latest``."""
    out = []
    for cname, image in _images(res):
        if _DIGEST.search(image):
            continue
        tag = image_tag(image)
        if tag is None or tag == "latest":
            out.append(f"container {cname!r}: image {image!r} must be pinned by a version tag (not latest)")
    return out


def check_image_digest(res: Resource, config: Config) -> list[str]:
    """Advisory: images pinned by digest are immutable; tags can be moved."""
    return [
        f"container {cname!r}: image {image!r} is not pinned by digest"
        for cname, image in _images(res)
        if not _DIGEST.search(image)
    ]


# Ingress classes / annotations that mean "reachable from the internet" by their controller's default.
_PUBLIC_INGRESS_CLASSES = frozenset({"gce"})
_PUBLIC_ANNOTATIONS = {
    "alb.ingress.kubernetes.io/scheme": "internet-facing",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
}


def check_public_exposure(res: Resource, config: Config) -> list[str]:
    """No LoadBalancer Service and no internet-facing Ingress unless marked ``stackyard.io/public``."""
    if res.type not in ("kubernetes:core/v1:Service", "kubernetes:networking.k8s.io/v1:Ingress"):
        return []
    if marked_public(res):
        return []
    spec = _d(res.props.get("spec"))
    if res.type == "kubernetes:core/v1:Service":
        if spec.get("type") == "LoadBalancer":
            return [f'Service type LoadBalancer needs the annotation {PUBLIC_MARK}: "true"']
        return []
    annotations = _d(meta(res).get("annotations"))
    klass = spec.get("ingressClassName") or annotations.get("kubernetes.io/ingress.class")
    public = klass in _PUBLIC_INGRESS_CLASSES or any(
        annotations.get(k) == v for k, v in _PUBLIC_ANNOTATIONS.items()
    )
    if public:
        return [f'internet-facing Ingress needs the annotation {PUBLIC_MARK}: "true"']
    return []


def check_default_namespace(res: Resource, config: Config) -> list[str]:
    """Nothing in the ``default`` namespace (namespaced kinds must name their namespace)."""
    if not is_k8s(res):
        return []
    ns = namespace_of(res)
    if ns == "default":
        return ["resource is in the default namespace"]
    kind = res.props.get("kind")
    if ns is None and kind in NAMESPACED_KINDS:
        return [f"{kind} has no metadata.namespace (it would land in the provider's default namespace)"]
    return []


STATEFUL_TYPES = frozenset(
    {
        "kubernetes:minio.min.io/v2:Tenant",
        "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch",
        "kubernetes:core/v1:PersistentVolumeClaim",
        "kubernetes:monitoring.coreos.com/v1:Prometheus",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "gcp:storage/bucket:Bucket",
    }
)


def check_protected(res: Resource, config: Config) -> list[str]:
    """Stateful resources carry ``protect``.

    Policy config ``allowUnprotected: true`` is for stacks with ``data.delete_on_destroy``.
    """
    if res.type not in STATEFUL_TYPES or config.get("allowUnprotected") is True:
        return []
    if res.type == "kubernetes:monitoring.coreos.com/v1:Prometheus" and not _d(res.props.get("spec")).get(
        "storage"
    ):
        return []  # no persistent TSDB, nothing to lose
    if not res.protect:
        return ["stateful resource must be protected (ResourceOptions(protect=True))"]
    return []


def check_gpu_placement(res: Resource, config: Config) -> list[str]:
    """GPU workloads tolerate the GPU taint; CPU workloads never do (DaemonSets are node agents)."""
    spec = pod_spec(res)
    ns = namespace_of(res)
    if spec is None or not is_workload_namespace(ns) or ns == "gpu-operator":
        return []
    gpu, tolerates = requests_gpu(spec), tolerates_gpu_taint(spec)
    if gpu and not tolerates:
        return [f"requests {GPU_RESOURCE} but does not tolerate the {GPU_TAINT_KEY} taint"]
    if not gpu and tolerates and res.type != "kubernetes:apps/v1:DaemonSet":
        return [f"requests no GPU but tolerates the {GPU_TAINT_KEY} taint (CPU work stays off GPU nodes)"]
    return []


# --------------------------------------------------------------------------------------------
# Cloud rules
# --------------------------------------------------------------------------------------------


def _public_endpoint_allowed(config: Config, marker: Any) -> bool:
    return config.get("allowPublicEndpoint") is True or marker in ("true", True)


def check_eks_cluster(res: Resource, config: Config) -> list[str]:
    """EKS: private API endpoint (unless allowed) and envelope encryption of Secrets."""
    if res.type != "aws:eks/cluster:Cluster":
        return []
    out = []
    vpc = _d(res.props.get("vpcConfig"))
    tags = _d(res.props.get("tags"))
    # AWS's default for endpointPublicAccess is true: an absent value is public.
    if vpc.get("endpointPublicAccess") is not False and not _public_endpoint_allowed(
        config, tags.get("stackyard.io/public-endpoint")
    ):
        out.append("vpcConfig.endpointPublicAccess must be false (or allowed by policy config)")
    enc = _l(res.props.get("encryptionConfig")) or (
        [res.props["encryptionConfig"]] if _d(res.props.get("encryptionConfig")) else []
    )
    if not any("secrets" in _l(_d(e).get("resources")) for e in enc):
        out.append("encryptionConfig with resources [secrets] is required")
    return out


def check_gke_cluster(res: Resource, config: Config) -> list[str]:
    """GKE: private nodes, private endpoint (unless allowed), application-layer Secrets encryption."""
    if res.type != "gcp:container/cluster:Cluster":
        return []
    out = []
    pcc = _d(res.props.get("privateClusterConfig"))
    if pcc.get("enablePrivateNodes") is not True:
        out.append("privateClusterConfig.enablePrivateNodes must be true")
    labels = _d(res.props.get("resourceLabels"))
    if pcc.get("enablePrivateEndpoint") is not True and not _public_endpoint_allowed(
        config, labels.get("stackyard-public-endpoint")
    ):
        out.append("privateClusterConfig.enablePrivateEndpoint must be true (or allowed by policy config)")
    if _d(res.props.get("databaseEncryption")).get("state") != "ENCRYPTED":
        out.append("databaseEncryption.state must be ENCRYPTED")
    return out


def check_node_public_ips(res: Resource, config: Config) -> list[str]:
    """Nodes get no public IPs and no SSH: EKS node groups, launch templates, subnets, GKE pools."""
    p = res.props
    if res.type == "aws:eks/nodeGroup:NodeGroup" and _d(p.get("remoteAccess")):
        return ["remoteAccess (SSH from outside) is not allowed on node groups"]
    if res.type == "aws:ec2/launchTemplate:LaunchTemplate":
        nics = _l(p.get("networkInterfaces"))
        if any(str(_d(n).get("associatePublicIpAddress")).lower() == "true" for n in nics):
            return ["launch template network interfaces must not associate a public IP"]
    if res.type == "aws:ec2/subnet:Subnet" and p.get("mapPublicIpOnLaunch") is True:
        return ["subnet maps public IPs on launch: nodes would get public addresses"]
    if (
        res.type == "gcp:container/nodePool:NodePool"
        and _d(p.get("networkConfig")).get("enablePrivateNodes") is False
    ):
        return ["node pool disables private nodes"]
    return []


def check_bucket_public(res: Resource, config: Config) -> list[str]:
    """No public bucket: S3 public access blocks all on, no public ACLs; GCS prevention enforced."""
    p = res.props
    if res.type == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
        keys = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        off = [k for k in keys if p.get(k) is not True]
        return [f"public access block settings must all be true: {', '.join(off)}"] if off else []
    s3_acl_types = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:s3/bucketAcl:BucketAcl")
    if res.type in s3_acl_types and str(p.get("acl", "")).startswith("public-"):
        return [f"public ACL {p.get('acl')!r} is not allowed"]
    if res.type == "gcp:storage/bucket:Bucket" and p.get("publicAccessPrevention") != "enforced":
        return ["publicAccessPrevention must be 'enforced'"]
    return []


S3_BUCKETS = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
S3_PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_SSE = frozenset(
    {
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    }
)


def _refers_to(res: Resource, bucket: Resource) -> bool:
    """A bucket sub-resource belongs to ``bucket`` through a dependency or its ``bucket`` property."""
    if bucket.urn and bucket.urn in res.dependencies:
        return True
    ref = res.props.get("bucket")
    return isinstance(ref, str) and ref in (bucket.props.get("bucket"), f"{bucket.name}-id")


def check_s3_guarded(resources: Sequence[Resource], config: Config) -> list[tuple[Resource, str]]:
    """Every S3 bucket has a full public access block and default encryption (SSE)."""
    out: list[tuple[Resource, str]] = []
    for b in (r for r in resources if r.type in S3_BUCKETS):
        if not any(r.type == S3_PAB and _refers_to(r, b) for r in resources):
            out.append((b, "S3 bucket has no BucketPublicAccessBlock"))
        inline = _d(b.props.get("serverSideEncryptionConfiguration"))
        if not inline and not any(r.type in S3_SSE and _refers_to(r, b) for r in resources):
            out.append((b, "S3 bucket has no server-side encryption configuration"))
    return out


def check_sse_config(res: Resource, config: Config) -> list[str]:
    """An S3 SSE configuration really sets a default algorithm. GCS encrypts every object by default."""
    if res.type not in S3_SSE:
        return []
    rules = _l(res.props.get("rules"))
    algos = [_d(_d(r).get("applyServerSideEncryptionByDefault")).get("sseAlgorithm") for r in rules]
    if not any(a in ("aws:kms", "aws:kms:dsse", "AES256") for a in algos):
        return ["server-side encryption rule must set sseAlgorithm (aws:kms or AES256)"]
    return []


# --------------------------------------------------------------------------------------------
# The pack
# --------------------------------------------------------------------------------------------

RULES: tuple[Rule, ...] = (
    Rule("pod-security-restricted", "Workloads meet Pod Security 'restricted' (documented exemptions only)",
         "mandatory", check_pod_security),
    Rule("container-resources", "Every container has CPU and memory requests and limits",
         "mandatory", check_resources),
    Rule("image-pinned-tag", "Images are pinned by version tag, never latest or untagged",
         "mandatory", check_image_tag),
    Rule("image-pinned-digest", "Images are pinned by digest", "advisory", check_image_digest),
    Rule("no-public-exposure", "No LoadBalancer Service or internet-facing Ingress unless marked public",
         "mandatory", check_public_exposure),
    Rule("no-default-namespace", "Nothing is deployed into the default namespace",
         "mandatory", check_default_namespace),
    Rule("stateful-protected", "Stateful resources (data) are protected", "mandatory", check_protected),
    Rule("gpu-taint-tolerations", "GPU work tolerates the GPU taint; CPU work never does",
         "mandatory", check_gpu_placement),
    Rule("eks-private-encrypted", "EKS API endpoint private, Secrets envelope-encrypted",
         "mandatory", check_eks_cluster),
    Rule("gke-private-encrypted", "GKE private nodes and endpoint, Secrets encrypted",
         "mandatory", check_gke_cluster),
    Rule("nodes-no-public-ip", "Nodes have no public IP and no outside SSH",
         "mandatory", check_node_public_ips),
    Rule("bucket-not-public", "Buckets are never public", "mandatory", check_bucket_public),
    Rule("bucket-encrypted", "S3 encryption rules set a default algorithm", "mandatory", check_sse_config),
)  # fmt: skip

STACK_RULES: tuple[StackRule, ...] = (
    StackRule("s3-bucket-guarded", "Every S3 bucket has a public access block and default encryption",
              "mandatory", check_s3_guarded),
)  # fmt: skip


@dataclass(frozen=True)
class Violation:
    rule: str
    level: Level
    resource: str
    message: str


def evaluate(resources: Sequence[Resource], config: Config | None = None) -> list[Violation]:
    """Every rule over every resource (the engine's job, for tests and for ``stackyard synth``)."""
    cfg = config or {}
    out = [
        Violation(rule.name, rule.level, f"{r.type}::{r.name}", msg)
        for r in resources
        for rule in RULES
        for msg in rule.check(r, cfg)
    ]
    out += [
        Violation(rule.name, rule.level, f"{r.type}::{r.name}", msg)
        for rule in STACK_RULES
        for r, msg in rule.check(resources, cfg)
    ]
    return out


def resource_from_args(args: Any) -> Resource:
    """A :class:`Resource` from ``ResourceValidationArgs`` / ``PolicyResource`` of the policy SDK."""
    deps: set[str] = set()
    for group in (getattr(args, "property_dependencies", None) or {}).values():
        deps.update(getattr(d, "urn", str(d)) for d in group)
    deps.update(getattr(d, "urn", str(d)) for d in (getattr(args, "dependencies", None) or []))
    return Resource(
        type=args.resource_type,
        name=args.name,
        props=args.props,
        protect=bool(getattr(args.opts, "protect", False)),
        urn=args.urn,
        dependencies=frozenset(deps),
    )


# --------------------------------------------------------------------------------------------
# The same rules as pulumi_policy objects
# --------------------------------------------------------------------------------------------

CONFIG_SCHEMAS: Mapping[str, Mapping[str, Any]] = {
    "stateful-protected": {
        "allowUnprotected": {
            "type": "boolean",
            "default": False,
            "description": "Only for stacks with data.delete_on_destroy: true (throwaway data).",
        }
    },
    "eks-private-encrypted": {"allowPublicEndpoint": {"type": "boolean", "default": False}},
    "gke-private-encrypted": {"allowPublicEndpoint": {"type": "boolean", "default": False}},
}


def _level(level: Level) -> Any:
    from pulumi_policy import EnforcementLevel

    return EnforcementLevel.MANDATORY if level == "mandatory" else EnforcementLevel.ADVISORY


def _schema(name: str) -> Any:
    from pulumi_policy import PolicyConfigSchema

    props = CONFIG_SCHEMAS.get(name)
    return PolicyConfigSchema(properties={k: dict(v) for k, v in props.items()}) if props else None


def resource_policies() -> list[Any]:
    """Every :data:`RULES` entry as a ``ResourceValidationPolicy``."""
    from pulumi_policy import ResourceValidationPolicy

    def validator(rule: Rule) -> Callable[[Any, Callable[..., None]], None]:
        def validate(args: Any, report_violation: Callable[..., None]) -> None:
            for message in rule.check(resource_from_args(args), args.get_config()):
                report_violation(message, None)

        return validate

    return [
        ResourceValidationPolicy(
            name=rule.name,
            description=rule.description,
            validate=validator(rule),
            enforcement_level=_level(rule.level),
            config_schema=_schema(rule.name),
        )
        for rule in RULES
    ]


def stack_policies() -> list[Any]:
    """Every :data:`STACK_RULES` entry as a ``StackValidationPolicy``."""
    from pulumi_policy import StackValidationPolicy

    def validator(rule: StackRule) -> Callable[[Any, Callable[..., None]], None]:
        def validate(args: Any, report_violation: Callable[..., None]) -> None:
            resources = [resource_from_args(r) for r in args.resources]
            for res, message in rule.check(resources, args.get_config()):
                report_violation(message, res.urn or None)

        return validate

    return [
        StackValidationPolicy(
            name=rule.name,
            description=rule.description,
            validate=validator(rule),
            enforcement_level=_level(rule.level),
        )
        for rule in STACK_RULES
    ]


def all_policies() -> list[Any]:
    return [*resource_policies(), *stack_policies()]
