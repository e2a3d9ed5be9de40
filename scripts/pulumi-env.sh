# shellcheck shell=bash
# Sourced by scripts/up.sh, scripts/down.sh (and mirrored by the e2e tests): the Pulumi CLI,
# offline and self-contained in the project.
#
#   PULUMI_BACKEND_URL   file://<project>/.pulumi     (DIY backend: state stays on this machine)
#   PULUMI_HOME          <project>/.pulumi/home       (no ~/.pulumi, no plugin downloads)
#   PULUMI_CONFIG_PASSPHRASE  "stackyard-local" unless set (or PULUMI_CONFIG_PASSPHRASE_FILE is):
#                        it encrypts the stack's secrets in the local state; it protects nothing
#                        on a shared machine, so set your own for anything but a throw-away cluster.
# Plugins come from PATH (`make tools` builds pulumi-resource-kubernetes); automatic plugin
# acquisition is off, so a missing plugin fails at once instead of reaching for the internet.
# Every variable can be overridden from the environment.

STACKYARD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STACKYARD_CACHE=${STACKYARD_CACHE:-$HOME/.cache/stackyard}
if ! command -v pulumi >/dev/null && [[ -f $STACKYARD_CACHE/env.sh ]]; then
	# shellcheck source=/dev/null
	source "$STACKYARD_CACHE/env.sh"
fi
for tool in pulumi pulumi-language-python pulumi-resource-kubernetes kubectl; do
	if ! command -v "$tool" >/dev/null; then
		echo "error: $tool is not on PATH: run \`make tools\` (builds the toolchain offline), then \`source $STACKYARD_CACHE/env.sh\`" >&2
		exit 1
	fi
done

export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$STACKYARD_ROOT/.pulumi}
export PULUMI_HOME=${PULUMI_HOME:-$STACKYARD_ROOT/.pulumi/home}
if [[ -z ${PULUMI_CONFIG_PASSPHRASE_FILE:-} ]]; then
	export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE-stackyard-local}
fi
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=${PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK:-true}
if [[ $PULUMI_BACKEND_URL == file://* ]]; then mkdir -p "${PULUMI_BACKEND_URL#file://}"; fi
mkdir -p "$PULUMI_HOME"

# shellcheck disable=SC2034 # used by the scripts that source this file
STACKYARD=$STACKYARD_ROOT/.venv/bin/stackyard
# shellcheck disable=SC2034
PYTHON=$STACKYARD_ROOT/.venv/bin/python
