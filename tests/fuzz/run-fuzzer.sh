#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS from its checked-in seed corpus. New inputs go to a
# scratch dir (the seeds stay as committed); a crash leaves its input under ARTIFACTS and fails.
#
#   tests/fuzz/run-fuzzer.sh BINARY SEED_DIR SECONDS [ARTIFACTS (default: the binary's dir)]
set -euo pipefail
binary=$1 seeds=$2 seconds=$3 artifacts=${4:-$(dirname "$1")}
scratch=$(mktemp -d /tmp/tcpulse-fuzz-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$artifacts"
# -rss_limit_mb: a target that grows without bound is a finding too.
status=0
"$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
	-artifact_prefix="$artifacts/$(basename "$binary")-" "$scratch" "$seeds" >"$scratch/log" 2>&1 ||
	status=$?
if ((status)); then
	cat "$scratch/log"
	echo "$(basename "$binary"): FAILED (exit $status); the input is under $artifacts" >&2
else
	grep -E "^(Done|stat::peak_rss_mb)" "$scratch/log" || true
fi
exit "$status"
