"""A deliberately bad program: the policy pack must refuse it in `pulumi preview` (never applied).

In a team namespace: a privileged container on an unpinned image with no resource limits, behind a
public LoadBalancer. Each is a mandatory rule of policies/rules.py.
"""

import pulumi
import pulumi_kubernetes as k8s

# The cluster comes from $KUBECONFIG (the e2e test sets it); previews only read from it.
provider = k8s.Provider("cluster")
opts = pulumi.ResourceOptions(provider=provider)
labels = {"app": "bad"}
k8s.apps.v1.Deployment(
    "bad",
    metadata={"name": "bad", "namespace": "ml-research"},
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
    metadata={"name": "bad", "namespace": "ml-research"},
    spec={"type": "LoadBalancer", "selector": labels, "ports": [{"port": 80}]},
    opts=opts,
)
