#!/usr/bin/env bash
# Node installer for the tcpulse CNI plugin (run by the chart's init container, or by hand).
#
#   tcpulse-install.sh install   [--bin-dir DIR] [--conf-dir DIR] [--plugin PATH] [--config JSON]
#   tcpulse-install.sh uninstall [--bin-dir DIR] [--conf-dir DIR]
#
# install copies the plugin binary into the CNI bin dir and appends {"type": "tcpulse", ...} to
# the plugins of the node's active conflist (the first *.conflist by name, as kubelet's runtimes
# pick it), after Calico / Flannel / bridge and whatever they chain. Both commands are idempotent
# and rewrite the conflist atomically, so a runtime never reads half a file.
set -euo pipefail

cmd=${1:-}
shift || true
bin_dir=/opt/cni/bin conf_dir=/etc/cni/net.d plugin="$(dirname "$0")/../build/bin/tcpulse" config='{}'
while (($#)); do
	case "$1" in
	--bin-dir) bin_dir=$2; shift 2 ;;
	--conf-dir) conf_dir=$2; shift 2 ;;
	--plugin) plugin=$2; shift 2 ;;
	--config) config=$2; shift 2 ;;
	*) echo "tcpulse-install: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
command -v jq >/dev/null || { echo "tcpulse-install: needs jq" >&2; exit 1; }
jq -e 'type == "object"' <<<"$config" >/dev/null 2>&1 ||
	{ echo "tcpulse-install: --config must be a JSON object" >&2; exit 2; }

active_conflist() {
	local f
	f=$(find "$conf_dir" -maxdepth 1 -name '*.conflist' 2>/dev/null | sort | head -n1)
	if [[ -z "$f" ]]; then
		if find "$conf_dir" -maxdepth 1 -name '*.conf' 2>/dev/null | grep -q .; then
			echo "tcpulse-install: $conf_dir has only single-plugin .conf files; tcpulse needs a .conflist to chain into" >&2
		else
			echo "tcpulse-install: no CNI conflist in $conf_dir (is the primary CNI installed yet?)" >&2
		fi
		return 1
	fi
	echo "$f"
}

rewrite() { # rewrite FILE JQ_FILTER [jq args...]: atomically
	local file=$1 filter=$2 tmp
	shift 2
	tmp=$(mktemp "$file.tcpulse-XXXXXX")
	jq "$@" "$filter" "$file" >"$tmp"
	chmod --reference="$file" "$tmp"
	mv -f "$tmp" "$file"
}

case "$cmd" in
install)
	[[ -x "$plugin" ]] || { echo "tcpulse-install: plugin binary $plugin not found" >&2; exit 1; }
	mkdir -p "$bin_dir"
	install -m 0755 "$plugin" "$bin_dir/tcpulse.tmp" && mv -f "$bin_dir/tcpulse.tmp" "$bin_dir/tcpulse"
	conflist=$(active_conflist)
	if jq -e '[.plugins[]? | select(.type == "tcpulse")] | length > 0' "$conflist" >/dev/null; then
		echo "tcpulse-install: $conflist already chains tcpulse"
	else
		rewrite "$conflist" '.plugins += [{"type": "tcpulse"} + $extra]' --argjson extra "$config"
		echo "tcpulse-install: added tcpulse to $conflist"
	fi
	;;
uninstall)
	for f in "$conf_dir"/*.conflist; do
		[[ -f "$f" ]] || continue
		if jq -e '[.plugins[]? | select(.type == "tcpulse")] | length > 0' "$f" >/dev/null; then
			rewrite "$f" '.plugins |= map(select(.type != "tcpulse"))'
			echo "tcpulse-install: removed tcpulse from $f"
		fi
	done
	rm -f "$bin_dir/tcpulse"
	;;
*)
	sed -n '2,12p' "$0" >&2
	exit 2
	;;
esac
