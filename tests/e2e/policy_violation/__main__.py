"""A deliberately bad program: the policy pack must refuse it in `pulumi preview` (never applied).

In a workload namespace of its own: a privileged container on an unpinned image with no resource
limits, behind a public LoadBalancer. Each is a mandatory rule of policies/rules.py. (In a team
namespace the team's ResourceQuota would refuse the LoadBalancer first.)
"""

import pulumi
import pulumi_kubernetes as k8s

# The cluster comes from $KUBECONFIG (the e2e test sets it); a preview only reads from it.
provider = k8s.Provider("cluster")
ns = k8s.core.v1.Namespace(
    "bad", metadata={"name": "policy-violation"}, opts=pulumi.ResourceOptions(provider=provider)
)
opts = pulumi.ResourceOptions(provider=provider, depends_on=[ns])
labels = {"app": "bad"}
k8s.apps.v1.Deployment(
    "bad",
    metadata={"name": "bad", "namespace": "policy-violation"},
    spec={
        "selector": {"matchLabels": labels},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "containers": [
                    {"name": "app", "image": "nginx:latest", "securityContext": {"privileged": True}}
                ]
            },
        },
    },
    opts=opts,
)
k8s.core.v1.Service(
    "bad",
    metadata={"name": "bad", "namespace": "policy-violation"},
    spec={"type": "LoadBalancer", "selector": labels, "ports": [{"port": 80}]},
    opts=opts,
)
