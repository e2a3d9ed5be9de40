#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# `make down STACK=local`: destroy what `make up` made, then the local cluster.
#
# Stackyard protects data (object store tenants, search clusters, metrics volumes: `protect` and
# `retain_on_delete`) unless the config says `data.delete_on_destroy: true`. So `pulumi destroy`
# would refuse; instead this destroys everything *unprotected* (`--exclude-protected`) and lists
# the protected resources it kept.
#
# Then the local cluster: its etcd is the only place the kept data lives, so deleting the cluster
# deletes that data too. By default the cluster goes, and so does the stack's state (it would
# describe objects that no longer exist). KEEP_CLUSTER=1 keeps both: the data survives, and a
# later `make up` takes it over again.
set -euo pipefail
STACK=${1:-${STACK:-local}}
# shellcheck source=pulumi-env.sh
source "$(dirname "$0")/pulumi-env.sh"
cd "$STACKYARD_ROOT"

if pulumi stack select --non-interactive "$STACK" 2>/dev/null; then
	echo "== pulumi destroy --exclude-protected"
	pulumi destroy --yes --non-interactive --exclude-protected
	# Pulumi also keeps what the protected resources depend on (namespaces, the provider, ...).
	kept=$(pulumi stack export --non-interactive | "$PYTHON" -c '
import json, sys
resources = json.load(sys.stdin).get("deployment", {}).get("resources") or []
protected = [r for r in resources if r.get("protect")]
for r in protected:
    print("  " + r["type"] + "  " + r["urn"].rsplit("::", 1)[-1])
others = [r for r in resources if not r.get("protect") and r["type"] != "pulumi:pulumi:Stack"]
if protected:
    print(f"  and {len(others)} resources they depend on (their namespaces, providers, components)")')
	if [[ -n $kept ]]; then
		echo "== kept (protected data; set data.delete_on_destroy: true to delete it with the stack):"
		echo "$kept"
	fi
else
	echo "== no Pulumi stack $STACK in $PULUMI_BACKEND_URL"
	kept=""
fi

if [[ ${KEEP_CLUSTER:-0} == 1 ]]; then
	echo "== KEEP_CLUSTER=1: the local cluster (and any kept data) stays"
	exit 0
fi
echo "== local cluster"
"$STACKYARD" cluster down --stack "$STACK"
if [[ -n $kept ]]; then
	echo "== the kept resources lived only in the local cluster, which is gone: forgetting stack $STACK"
	pulumi stack rm --yes --force --preserve-config --non-interactive "$STACK"
fi
