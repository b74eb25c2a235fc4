#!/usr/bin/env bash
# Runs a CNI conflist the way libcni does: each plugin in turn, with the CNI_* environment and its
# network config on stdin, the previous plugin's result injected as prevResult (ADD, CHECK), DEL in
# reverse order with the cached ADD result. The final ADD result is printed on stdout, and cached
# as libcni caches it ($CNI_CACHE_DIR/results/<network>-<container id>-<ifname>, "cniCacheV1").
#
# usage: cni-chain.sh ADD|DEL|CHECK CONFLIST CONTAINER_ID NETNS_PATH IFNAME [CNI_ARGS]
# env:   CNI_PATH (default /usr/lib/cni), CNI_CACHE_DIR (default /var/lib/tcpulse-cni-chain)
set -euo pipefail

cmd=$1 conflist=$2 cid=$3 netns=$4 ifname=$5 args=${6:-}
cni_path=${CNI_PATH:-/usr/lib/cni}
cache_dir=${CNI_CACHE_DIR:-/var/lib/tcpulse-cni-chain}
name=$(jq -r .name "$conflist")
version=$(jq -r .cniVersion "$conflist")
cache="$cache_dir/results/$name-$cid-$ifname"
mkdir -p "$cache_dir/results"

find_plugin() {
	local dir
	IFS=: read -ra dirs <<<"$cni_path"
	for dir in "${dirs[@]}"; do
		[[ -x "$dir/$1" ]] && { echo "$dir/$1"; return; }
	done
	echo "cni-chain: plugin $1 not found in $cni_path" >&2
	return 1
}

# run_plugin INDEX PREV_RESULT_JSON_OR_EMPTY -> plugin stdout
run_plugin() {
	local conf plugin
	conf=$(jq -c --argjson i "$1" --arg n "$name" --arg v "$version" \
		'.plugins[$i] + {name: $n, cniVersion: $v}' "$conflist")
	[[ -n "$2" ]] && conf=$(jq -c --argjson p "$2" '. + {prevResult: $p}' <<<"$conf")
	plugin=$(find_plugin "$(jq -r .type <<<"$conf")")
	CNI_COMMAND=$cmd CNI_CONTAINERID=$cid CNI_NETNS=$netns CNI_IFNAME=$ifname \
		CNI_ARGS=$args CNI_PATH=$cni_path "$plugin" <<<"$conf"
}

count=$(jq '.plugins | length' "$conflist")
case "$cmd" in
ADD)
	result=""
	for ((i = 0; i < count; i++)); do
		result=$(run_plugin "$i" "$result") || { echo "$result"; exit 1; }
	done
	jq -n --arg cid "$cid" --arg ifname "$ifname" --arg name "$name" --arg args "$args" \
		--argjson result "$result" --slurpfile config "$conflist" '{
			kind: "cniCacheV1", containerId: $cid, ifName: $ifname, networkName: $name,
			config: ($config[0] | tostring | @base64),
			cniArgs: [$args | split(";")[] | select(contains("=")) | [.[:index("=")], .[index("=") + 1:]]],
			result: $result }' >"$cache"
	echo "$result"
	;;
CHECK)
	result=$(jq -c .result "$cache")
	for ((i = 0; i < count; i++)); do
		out=$(run_plugin "$i" "$result") || { echo "$out"; exit 1; }
	done
	;;
DEL)
	result=$([[ -f "$cache" ]] && jq -c .result "$cache" || true)
	status=0
	for ((i = count - 1; i >= 0; i--)); do
		out=$(run_plugin "$i" "$result") || { echo "$out"; status=1; }
	done
	rm -f "$cache"
	exit $status
	;;
*)
	echo "usage: cni-chain.sh ADD|DEL|CHECK CONFLIST CONTAINER_ID NETNS_PATH IFNAME [CNI_ARGS]" >&2
	exit 2
	;;
esac
