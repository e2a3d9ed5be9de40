#!/usr/bin/env bash
# Builds the end-to-end test toolchain from the Go module proxy alone: Pulumi
# CLI, Python language host, Kubernetes provider plugin, kube-apiserver,
# kube-controller-manager, kube-scheduler, etcd, kwok, kwokctl and helm
# (kubectl too when none is on PATH). Versions: tools/versions.env.
#
# - Binaries, GOMODCACHE, GOCACHE, logs and stamps live in
#   ${STACKYARD_CACHE:-$HOME/.cache/stackyard}; nothing is written to the work
#   tree except the provider's generated (git-ignored) embed files.
# - A tool whose cached build is current (stamp matches) is skipped, so a warm
#   run takes seconds. A tool already on PATH at the pinned version is used
#   as is (set STACKYARD_USE_PATH_TOOLS=0 to always build).
# - At most STACKYARD_BUILD_JOBS (default 2) go builds run at once, slowest first.
# - Writes ${cache}/env.sh (PATH, KWOK_*_BINARY, PULUMI_* settings): source it.
#
# Usage: tools/build.sh            (STACKYARD_FORCE_BUILD=1 rebuilds everything)
set -euo pipefail

TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=/dev/null
source "$TOOLS_DIR/versions.env"

CACHE=${STACKYARD_CACHE:-$HOME/.cache/stackyard}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
BIN=$CACHE/bin
LOGS=$CACHE/logs
STAMPS=$CACHE/stamps
STAGING=$CACHE/staging
mkdir -p "$BIN" "$LOGS" "$STAMPS" "$STAGING"

JOBS=${STACKYARD_BUILD_JOBS:-2}
USE_PATH_TOOLS=${STACKYARD_USE_PATH_TOOLS:-1}
FORCE=${STACKYARD_FORCE_BUILD:-0}
# Bump when a build recipe below changes, to invalidate every stamp.
RECIPE=1

export GOMODCACHE=$CACHE/gomod
export GOCACHE=$CACHE/gocache
export GOFLAGS="-mod=readonly -buildvcs=false"
export GOWORK=off
export CGO_ENABLED=0

log() { printf '[build.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# version_ge A B: A >= B (dotted versions)
version_ge() { [[ $(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1) == "$2" ]]; }

# ---------------------------------------------------------------- versions --

# Prints the version a binary reports (no leading "v"), or nothing.
binary_version() {
	local name=$1 path=$2 out
	case $name in
	pulumi) out=$(timeout 30 "$path" version 2>/dev/null | head -n1) || true ;;
	pulumi-language-python | pulumi-resource-kubernetes)
		out=$(timeout 30 "$path" -version 2>/dev/null | head -n1) || true ;;
	kube-apiserver | kube-controller-manager | kube-scheduler)
		out=$(timeout 30 "$path" --version 2>/dev/null | awk '{print $2}') || true ;;
	kubectl) out=$(timeout 30 "$path" version --client 2>/dev/null | awk '/^Client Version/{print $3}') || true ;;
	etcd) out=$(timeout 30 "$path" --version 2>/dev/null | awk '/^etcd Version/{print $3}') || true ;;
	kwok | kwokctl) out=$(timeout 30 "$path" --version 2>/dev/null | awk '{print $3}') || true ;;
	helm) out=$(timeout 30 "$path" version --template '{{.Version}}' 2>/dev/null) || true ;;
	*) die "no version command for $name" ;;
	esac
	out=${out%%+*}
	printf '%s' "${out#v}"
}

# ------------------------------------------------------------------- tools --

# tool -> binaries it provides; wanted version of those binaries
declare -A TOOL_BINS=(
	[kubernetes]="kube-apiserver kube-controller-manager kube-scheduler"
	[pulumi-resource-kubernetes]="pulumi-resource-kubernetes"
	[pulumi]="pulumi"
	[kwok]="kwok kwokctl"
	[helm]="helm"
	[etcd]="etcd"
	[pulumi-language-python]="pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python"
)
declare -A TOOL_VERSION=(
	[kubernetes]=$KUBERNETES_VERSION
	[pulumi-resource-kubernetes]=$KUBERNETES_PROVIDER_VERSION
	[pulumi]=$PULUMI_VERSION
	[kwok]=$KWOK_VERSION
	[helm]=$HELM_VERSION
	[etcd]=$ETCD_VERSION
	[pulumi-language-python]=$PULUMI_LANGUAGE_PYTHON_VERSION
)
# Slowest first, so the long kubernetes build overlaps everything else.
TOOL_ORDER=(kubernetes pulumi-resource-kubernetes pulumi kwok helm etcd pulumi-language-python)

# Module versions that each wrapper go.mod must require (the real pin).
declare -A TOOL_MODULES=(
	[kubernetes]="k8s.io/kubernetes@v$KUBERNETES_VERSION"
	[pulumi-resource-kubernetes]="github.com/pulumi/pulumi-kubernetes/provider/v4@$KUBERNETES_PROVIDER_MODULE_VERSION github.com/pulumi/pulumi-kubernetes/sdk/v4@v$KUBERNETES_PROVIDER_SDK_VERSION"
	[pulumi]="github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION"
	[kwok]="sigs.k8s.io/kwok@v$KWOK_VERSION"
	[helm]="helm.sh/helm/v4@v$HELM_VERSION"
	[etcd]="go.etcd.io/etcd/server/v3@v$ETCD_VERSION go.etcd.io/etcd/api/v3@v$ETCD_VERSION"
	[pulumi-language-python]="github.com/pulumi/pulumi/sdk/v3@v$PULUMI_LANGUAGE_PYTHON_VERSION"
)

check_pins() {
	local tool=$1 modver mod ver
	for modver in ${TOOL_MODULES[$tool]}; do
		mod=${modver%@*} ver=${modver#*@}
		grep -Eq "^[[:space:]]*(require[[:space:]]+)?${mod//./\\.}[[:space:]]+${ver//./\\.}([[:space:]]|$)" \
			"$TOOLS_DIR/$tool/go.mod" ||
			die "tools/$tool/go.mod does not require $mod $ver (tools/versions.env); update one of them"
	done
}

# Fingerprint of everything a tool's build depends on.
tool_key() {
	local tool=$1
	{
		echo "recipe=$RECIPE tool=$tool version=${TOOL_VERSION[$tool]} bins=${TOOL_BINS[$tool]}"
		find "$TOOLS_DIR/$tool" -type f \( -name go.mod -o -name go.sum -o -name '*.go' -o -name 'pulumi-resource-*' \) -print0 |
			LC_ALL=C sort -z | xargs -0 cat
	} | sha256sum | cut -c1-32
}

# PATH without our cache bin.
outside_path() {
	local IFS=: d out=""
	for d in $PATH; do
		[[ -z $d || $d == "$BIN" ]] && continue
		out+=${out:+:}$d
	done
	printf '%s' "$out"
}
find_outside() { (PATH=$(outside_path) && command -v "$1" 2>/dev/null) || true; }

# kubectl: the one on PATH if any (it is only a client), else build it.
KUBECTL_PATH=$(find_outside kubectl)
if [[ -n $KUBECTL_PATH ]]; then
	BUILD_KUBECTL=0
else
	BUILD_KUBECTL=1
	TOOL_BINS[kubernetes]+=" kubectl"
fi

declare -A BIN_PATH=()  # binary -> path used
declare -A STATUS=()    # tool -> cached | path | built | FAILED

# Tries to satisfy a tool from PATH. Prints nothing; sets BIN_PATH on success.
use_path_tool() {
	local tool=$1 want=${TOOL_VERSION[$1]} b p v
	[[ $USE_PATH_TOOLS == 1 ]] || return 1
	case $tool in
	pulumi-resource-kubernetes) return 1 ;; # a provider reports its version over gRPC only
	pulumi-language-python)
		# Comes with a Pulumi CLI installed on PATH (our cache bin does not count).
		[[ ${STATUS[pulumi]:-} == path ]] || return 1
		p=$(dirname "${BIN_PATH[pulumi]}")/pulumi-language-python
		[[ -x $p ]] || p=$(find_outside pulumi-language-python)
		[[ -n $p ]] || return 1
		BIN_PATH[pulumi-language-python]=$p
		return 0 ;;
	esac
	declare -A found=()
	for b in ${TOOL_BINS[$tool]}; do
		[[ $b == kubectl ]] && return 1 # listed only when it has to be built
		p=$(find_outside "$b")
		[[ -n $p ]] || return 1
		v=$(binary_version "$b" "$p")
		if [[ $tool == pulumi ]]; then
			[[ -n $v ]] && version_ge "$v" "$want" || return 1 # same or newer
		else
			[[ $v == "$want" ]] || return 1
		fi
		found[$b]=$p
	done
	for b in "${!found[@]}"; do BIN_PATH[$b]=${found[$b]}; done
	return 0
}

# ------------------------------------------------------------------ builds --

# go_build TOOL LDFLAGS TAGS OUT PKG...: builds into the staging dir (OUT is a
# file for one package, a directory ending in / for several).
go_build() {
	local tool=$1 ldflags=$2 tags=$3 out=$4
	shift 4
	local args=(build -trimpath -ldflags "$ldflags" -o "$out")
	[[ -n $tags ]] && args+=(-tags "$tags")
	(cd "$TOOLS_DIR/$tool" && set -x && go "${args[@]}" "$@")
}

build_tool() {
	local tool=$1 out=$2 v=${TOOL_VERSION[$1]}
	case $tool in
	kubernetes)
		local minor=${v#*.}
		minor=${minor%%.*}
		local pkgs=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
			k8s.io/kubernetes/cmd/kube-scheduler)
		[[ $BUILD_KUBECTL == 1 ]] && pkgs+=(k8s.io/kubernetes/cmd/kubectl)
		go_build kubernetes "-s -w -X k8s.io/component-base/version.gitVersion=v$v \
-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor \
-X k8s.io/component-base/version.gitTreeState=clean" "" "$out/" "${pkgs[@]}" ;;
	pulumi)
		go_build pulumi "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$v" \
			"osusergo,grpcnotrace" "$out/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ;;
	pulumi-language-python)
		go_build pulumi-language-python \
			"-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$v" \
			"osusergo,grpcnotrace" "$out/pulumi-language-python" .
		# The script that runs a program ships in the sdk/v3 module zip.
		local sdk
		sdk=$(cd "$TOOLS_DIR/pulumi-language-python" &&
			go mod download -json github.com/pulumi/pulumi/sdk/v3 | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
		[[ -f $sdk/python/cmd/pulumi-language-python-exec ]] || die "no pulumi-language-python-exec in '$sdk'"
		install -m 0755 "$sdk/python/cmd/pulumi-language-python-exec" "$out/pulumi-language-python-exec"
		# The provider of Python dynamic resources (Stackyard's generated credentials): our launcher,
		# which finds a relative virtualenv from Pulumi.yaml (see the script).
		install -m 0755 "$TOOLS_DIR/pulumi-language-python/pulumi-resource-pulumi-python" \
			"$out/pulumi-resource-pulumi-python" ;;
	pulumi-resource-kubernetes)
		(cd "$TOOLS_DIR/pulumi-resource-kubernetes" && set -x && go run ./embedgen "$v")
		go_build pulumi-resource-kubernetes \
			"-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$v" \
			"osusergo,grpcnotrace" "$out/pulumi-resource-kubernetes" . ;;
	etcd)
		go_build etcd "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=v$v" "" "$out/etcd" go.etcd.io/etcd/server/v3 ;;
	kwok)
		go_build kwok "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$v \
-X sigs.k8s.io/kwok/pkg/consts.KubeVersion=$KUBERNETES_VERSION" "" "$out/" \
			sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl ;;
	helm)
		go_build helm "-s -w -X helm.sh/helm/v4/internal/version.version=v$v" "" "$out/helm" helm.sh/helm/v4/cmd/helm ;;
	*) die "unknown tool $tool" ;;
	esac
}

# Runs in the background: build, check versions, install into BIN, stamp.
build_job() {
	local tool=$1 key=$2 out=$STAGING/$1 b v start=$SECONDS
	rm -rf "$out"
	mkdir -p "$out"
	echo "== $tool ${TOOL_VERSION[$tool]}: build started $(date -u +%FT%TZ)"
	build_tool "$tool" "$out"
	for b in ${TOOL_BINS[$tool]}; do
		[[ -x $out/$b ]] || die "$tool: $b was not built"
		[[ $b == pulumi-language-python-exec || $b == pulumi-resource-pulumi-python ]] && continue
		if [[ $b == kubectl ]]; then
			v=$(binary_version "$b" "$out/$b")
		else
			v=$(binary_version "$b" "$out/$b")
			[[ $v == "${TOOL_VERSION[$tool]}" ]] ||
				die "$tool: $b reports version '$v', wanted ${TOOL_VERSION[$tool]}"
		fi
	done
	for b in ${TOOL_BINS[$tool]}; do mv -f "$out/$b" "$BIN/$b"; done
	rm -rf "$out"
	echo "$key" >"$STAMPS/$tool"
	echo "== $tool: built in $((SECONDS - start))s"
}

declare -A JOB_TOOL=() # pid -> tool
declare -A JOB_START=()
FAILED=()

reap_one() {
	local pid="" rc=0 tool
	wait -n -p pid "${!JOB_TOOL[@]}" || rc=$?
	[[ -n $pid ]] || return 0
	tool=${JOB_TOOL[$pid]}
	unset "JOB_TOOL[$pid]"
	if ((rc == 0)); then
		STATUS[$tool]=built
		log "$tool: built in $((SECONDS - JOB_START[$tool]))s (log: $LOGS/$tool.log)"
	else
		STATUS[$tool]=FAILED
		FAILED+=("$tool")
		log "$tool: FAILED (exit $rc); last lines of $LOGS/$tool.log:"
		tail -n 40 "$LOGS/$tool.log" >&2 || true
	fi
}

ensure_go() {
	command -v go >/dev/null || die "go is not installed (Go >= $GO_MIN_VERSION is needed to build the tools)"
	local gov
	gov=$(cd "$CACHE" && GOTOOLCHAIN=local go env GOVERSION)
	gov=${gov#go}
	if [[ -z ${GOTOOLCHAIN:-} ]]; then
		if version_ge "$gov" "$GO_MIN_VERSION"; then
			export GOTOOLCHAIN=local
		else
			log "local Go $gov < $GO_MIN_VERSION: using GOTOOLCHAIN=$GO_FALLBACK_TOOLCHAIN (from the module proxy)"
			export GOTOOLCHAIN=$GO_FALLBACK_TOOLCHAIN
		fi
	fi
	log "using $(cd "$CACHE" && go version), GOMODCACHE=$GOMODCACHE"
}

# -------------------------------------------------------------------- main --

TOTAL_START=$SECONDS
TO_BUILD=()
declare -A KEY=()
for tool in "${TOOL_ORDER[@]}"; do
	check_pins "$tool"
	KEY[$tool]=$(tool_key "$tool")
	cached=1
	[[ $FORCE == 1 ]] && cached=0
	[[ -f $STAMPS/$tool && $(<"$STAMPS/$tool") == "${KEY[$tool]}" ]] || cached=0
	for b in ${TOOL_BINS[$tool]}; do [[ -x $BIN/$b ]] || cached=0; done
	if ((cached)); then
		STATUS[$tool]=cached
		for b in ${TOOL_BINS[$tool]}; do BIN_PATH[$b]=$BIN/$b; done
	elif use_path_tool "$tool"; then
		STATUS[$tool]=path
		# A stale cached copy must not shadow the PATH one.
		rm -f "$STAMPS/$tool"
		for b in ${TOOL_BINS[$tool]}; do rm -f "$BIN/$b"; done
	else
		TO_BUILD+=("$tool")
	fi
done

if ((${#TO_BUILD[@]})); then
	ensure_go
	log "building: ${TO_BUILD[*]} (at most $JOBS at a time; logs in $LOGS)"
	for tool in "${TO_BUILD[@]}"; do
		while ((${#JOB_TOOL[@]} >= JOBS)); do reap_one; done
		JOB_START[$tool]=$SECONDS
		build_job "$tool" "${KEY[$tool]}" >"$LOGS/$tool.log" 2>&1 &
		JOB_TOOL[$!]=$tool
		log "$tool ${TOOL_VERSION[$tool]}: building"
	done
	while ((${#JOB_TOOL[@]})); do reap_one; done
	for tool in "${TO_BUILD[@]}"; do
		[[ ${STATUS[$tool]} == built ]] || continue
		for b in ${TOOL_BINS[$tool]}; do BIN_PATH[$b]=$BIN/$b; done
	done
fi
if [[ $BUILD_KUBECTL == 0 ]]; then
	BIN_PATH[kubectl]=$KUBECTL_PATH
fi
((${#FAILED[@]} == 0)) || die "failed to build: ${FAILED[*]}"

# ------------------------------------------------------------------ env.sh --

q() { printf '%q' "$1"; }
{
	echo "# Generated by tools/build.sh: source it to use the Stackyard toolchain."
	echo "case \":\$PATH:\" in *:$(q "$BIN"):*) ;; *) export PATH=$(q "$BIN"):\$PATH ;; esac"
	echo "export KWOK_KUBE_APISERVER_BINARY=$(q "${BIN_PATH[kube-apiserver]}")"
	echo "export KWOK_KUBE_CONTROLLER_MANAGER_BINARY=$(q "${BIN_PATH[kube-controller-manager]}")"
	echo "export KWOK_KUBE_SCHEDULER_BINARY=$(q "${BIN_PATH[kube-scheduler]}")"
	# kwokctl reads KWOK_CONTROLLER_BINARY; KWOK_KWOK_CONTROLLER_BINARY is kept for our scripts.
	echo "export KWOK_CONTROLLER_BINARY=$(q "${BIN_PATH[kwok]}")"
	echo "export KWOK_KWOK_CONTROLLER_BINARY=$(q "${BIN_PATH[kwok]}")"
	echo "export KWOK_ETCD_BINARY=$(q "${BIN_PATH[etcd]}")"
	echo "export KWOK_KUBECTL_BINARY=$(q "${BIN_PATH[kubectl]}")"
	echo "export KWOK_KUBE_VERSION=$(q "v$KUBERNETES_VERSION")"
	echo "export PULUMI_SKIP_UPDATE_CHECK=true"
	echo "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
} >"$CACHE/env.sh.tmp"
mv -f "$CACHE/env.sh.tmp" "$CACHE/env.sh"

# ----------------------------------------------------------------- summary --

echo "Stackyard toolchain ($((SECONDS - TOTAL_START))s), cache $CACHE:"
for tool in "${TOOL_ORDER[@]}"; do
	for b in ${TOOL_BINS[$tool]}; do
		[[ $b == pulumi-language-python-exec || $b == pulumi-resource-pulumi-python ]] && continue
		p=${BIN_PATH[$b]:-}
		[[ -n $p ]] || continue
		printf '  %-28s %-10s %-8s %s\n' "$b" "$(binary_version "$b" "$p")" "${STATUS[$tool]}" "$p"
	done
done
if [[ $BUILD_KUBECTL == 0 ]]; then
	printf '  %-28s %-10s %-8s %s\n' kubectl "$(binary_version kubectl "$KUBECTL_PATH")" path "$KUBECTL_PATH"
fi
echo "Versions as the tools print them:"
run_v() { echo "\$ $*"; { timeout 30 "$@" 2>&1 || true; } | sed 's/^/    /' | head -n 3; }
run_v "${BIN_PATH[pulumi]}" version
# An upstream language host (installed with a Pulumi CLI) has no version flag.
if [[ ${STATUS[pulumi-language-python]} != path ]]; then run_v "${BIN_PATH[pulumi-language-python]}" -version; fi
if [[ -n ${BIN_PATH[pulumi-resource-kubernetes]:-} ]]; then run_v "${BIN_PATH[pulumi-resource-kubernetes]}" -version; fi
run_v "${BIN_PATH[kube-apiserver]}" --version
run_v "${BIN_PATH[kube-controller-manager]}" --version
run_v "${BIN_PATH[kube-scheduler]}" --version
run_v "${BIN_PATH[etcd]}" --version
run_v "${BIN_PATH[kwok]}" --version
run_v "${BIN_PATH[kwokctl]}" --version
run_v "${BIN_PATH[helm]}" version --short
run_v "${BIN_PATH[kubectl]}" version --client
echo "To use: source $CACHE/env.sh"
