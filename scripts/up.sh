#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# `make up STACK=local`: the whole platform on a local cluster, with the real Pulumi engine, offline.
#
# 1. stacks/Pulumi.<stack>.yaml from the `local` blueprint if it does not exist, with the offline
#    chart directory built by tests/e2e/charts.py (STACKYARD_UPSTREAM_CHARTS=1: upstream charts,
#    which needs the internet).
# 2. `stackyard cluster up --stack <stack>`: a kwok cluster (kind when Docker answers) and its nodes.
# 3. `pulumi up` against a local file backend (scripts/pulumi-env.sh), then a summary.
set -euo pipefail
STACK=${1:-${STACK:-local}}
# shellcheck source=pulumi-env.sh
source "$(dirname "$0")/pulumi-env.sh"
cd "$STACKYARD_ROOT"

STACK_FILE=stacks/Pulumi.$STACK.yaml
if [[ ! -f $STACK_FILE ]]; then
	sets=()
	if [[ ${STACKYARD_UPSTREAM_CHARTS:-0} != 1 ]]; then
		echo "== building the offline chart directory"
		chart_dir=$("$PYTHON" -m tests.e2e.charts)
		sets+=(--set "chart_dir=$chart_dir")
	fi
	"$STACKYARD" new local --stack "$STACK" "${sets[@]}"
else
	echo "== using $STACK_FILE"
fi

echo "== local cluster"
"$STACKYARD" cluster up --stack "$STACK"

KUBECONFIG_PATH=$("$STACKYARD" cluster kubeconfig --stack "$STACK")

# The offline stand-in charts run no operators: report the readiness a real operator would
# (tests/e2e/standin.py), for as long as this script runs.
if grep -q "kind: directory" "$STACK_FILE"; then
	"$PYTHON" -m tests.e2e.standin "$KUBECONFIG_PATH" &
	standin=$!
	trap 'kill "$standin" 2>/dev/null || true' EXIT
fi

echo "== pulumi up (backend $PULUMI_BACKEND_URL)"
pulumi stack select --create --non-interactive "$STACK"
start=$SECONDS
pulumi up --yes --non-interactive --skip-preview=false
echo "== pulumi up finished in $((SECONDS - start))s"

echo "== stack outputs"
pulumi stack output --non-interactive
echo "== what is running (kubectl --kubeconfig $KUBECONFIG_PATH)"
kubectl --kubeconfig "$KUBECONFIG_PATH" get nodes -L stackyard.io/node-pool,stackyard.io/accelerator
kubectl --kubeconfig "$KUBECONFIG_PATH" get namespaces -l app.kubernetes.io/managed-by=stackyard \
	-L pod-security.kubernetes.io/enforce
kubectl --kubeconfig "$KUBECONFIG_PATH" get resourcequota,networkpolicy -A
echo "== done: \`make down STACK=$STACK\` removes it"
