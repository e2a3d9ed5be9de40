#!/usr/bin/env bash
# End-to-end smoke test of the toolchain that tools/build.sh builds: a kwok
# cluster from our binaries (nothing downloaded), a fake GPU node that a
# Deployment gets scheduled on, then a Python Pulumi program (Namespace,
# ConfigMap, helm.v4.Chart from a local chart) through up / preview
# --expect-no-changes / destroy with our pulumi, language host and provider.
#
# Usage: tools/smoke.sh   (after tools/build.sh; STACKYARD_VENV selects the
# virtualenv with pulumi and pulumi-kubernetes, default: <repo>/.venv)
set -euo pipefail

TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$TOOLS_DIR")
CACHE=${STACKYARD_CACHE:-$HOME/.cache/stackyard}
VENV=${STACKYARD_VENV:-$REPO/.venv}
[[ -f $CACHE/env.sh ]] || { echo "run tools/build.sh first" >&2; exit 1; }
# shellcheck source=/dev/null
source "$CACHE/env.sh"
"$VENV/bin/python" -c "import pulumi, pulumi_kubernetes" ||
	{ echo "$VENV lacks pulumi / pulumi_kubernetes" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stackyard-smoke.XXXXXX")
CLUSTER=smoke-$$
export KWOK_WORKDIR=$WORK/kwok          # cluster files (and pids) stay in WORK
export KUBECONFIG=$WORK/kubeconfig      # kwokctl would edit ~/.kube/config
step() { printf '\n== %s\n' "$*"; }
cleanup() {
	kwokctl delete cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT

step "kwokctl create cluster (binary runtime, our binaries)"
kwokctl create cluster --name "$CLUSTER" --runtime binary --kubeconfig "$KUBECONFIG" --wait 2m --quiet-pull
kubectl version 2>/dev/null | grep -i server

step "fake GPU node + Deployment with toleration and nodeSelector"
kubectl apply -f - <<'EOF'
apiVersion: v1
kind: Node
metadata:
  name: gpu-node-0
  annotations:
    kwok.x-k8s.io/node: fake
  labels:
    kubernetes.io/hostname: gpu-node-0
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
    stackyard.io/pool: gpu
spec:
  taints:
    - {key: nvidia.com/gpu, value: present, effect: NoSchedule}
status:
  capacity: {cpu: "32", memory: 256Gi, pods: "110", nvidia.com/gpu: "8"}
  allocatable: {cpu: "32", memory: 256Gi, pods: "110", nvidia.com/gpu: "8"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: gpu-app, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: gpu-app}}
  template:
    metadata: {labels: {app: gpu-app}}
    spec:
      nodeSelector: {stackyard.io/pool: gpu}
      tolerations:
        - {key: nvidia.com/gpu, operator: Equal, value: present, effect: NoSchedule}
      containers:
        - name: app
          image: example.invalid/gpu-app:1
          resources: {limits: {nvidia.com/gpu: "1"}}
EOF
kubectl rollout status deployment/gpu-app --timeout=120s
kubectl get nodes -o wide
kubectl get pods -o wide
node=$(kubectl get pods -l app=gpu-app -o jsonpath='{.items[0].spec.nodeName}')
phase=$(kubectl get pods -l app=gpu-app -o jsonpath='{.items[0].status.phase}')
[[ $node == gpu-node-0 && $phase == Running ]] || { echo "pod not Running on gpu-node-0 ($phase on '$node')" >&2; exit 1; }

step "Pulumi (Python) against the cluster"
export PULUMI_HOME=$WORK/pulumi-home PULUMI_BACKEND_URL=file://$WORK/state PULUMI_CONFIG_PASSPHRASE=smoke
export SMOKE_KUBECONFIG=$KUBECONFIG
mkdir -p "$WORK/state" "$WORK/project/chart/templates"
cd "$WORK/project"
cat >Pulumi.yaml <<EOF
name: smoke
runtime:
  name: python
  options:
    virtualenv: $VENV
EOF
cat >__main__.py <<'EOF'
import os

import pulumi
import pulumi_kubernetes as k8s

provider = k8s.Provider("kwok", kubeconfig=open(os.environ["SMOKE_KUBECONFIG"]).read())
opts = pulumi.ResourceOptions(provider=provider)
ns = k8s.core.v1.Namespace("smoke", metadata={"name": "smoke"}, opts=opts)
cm = k8s.core.v1.ConfigMap(
    "settings",
    metadata={"namespace": ns.metadata["name"], "name": "settings"},
    data={"greeting": "hello"},
    opts=opts,
)
chart = k8s.helm.v4.Chart(
    "local-chart",
    chart=os.path.join(os.getcwd(), "chart"),
    namespace=ns.metadata["name"],
    values={"message": "from-values"},
    opts=opts,
)
pulumi.export("configmap", cm.metadata["name"])
pulumi.export("chart_resources", chart.resources.apply(len))
EOF
printf 'apiVersion: v2\nname: smoke-chart\nversion: 0.1.0\n' >chart/Chart.yaml
printf 'message: default\n' >chart/values.yaml
cat >chart/templates/configmap.yaml <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  message: {{ .Values.message | quote }}
EOF
pulumi stack init dev
pulumi up --yes
[[ $(kubectl get configmap -n smoke local-chart-config -o jsonpath='{.data.message}') == from-values ]]
[[ $(kubectl get configmap -n smoke settings -o jsonpath='{.data.greeting}') == hello ]]
pulumi preview --expect-no-changes
pulumi destroy --yes
pulumi stack rm dev --yes
if kubectl get namespace smoke >/dev/null 2>&1; then
	phase=$(kubectl get namespace smoke -o jsonpath='{.status.phase}')
	[[ $phase == Terminating ]] || { echo "namespace smoke still $phase after destroy" >&2; exit 1; }
fi

step "kwokctl delete cluster"
kwokctl delete cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG"
echo
echo "smoke: OK"
