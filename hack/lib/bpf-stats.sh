# shellcheck shell=bash
# What the datapath benchmarks read from the kernel's bpf_stats, and how they summarise it
# (sourced; needs bpftool and jq).
#   prog_totals ID...   "run_time_ns run_cnt" summed over the program ids given
#   median              the median of the numbers on stdin, one a line

prog_totals() {
	local t=0 c=0 id line
	for id in "$@"; do
		line=$(bpftool prog show id "$id" -j | jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"')
		t=$((t + ${line% *})) c=$((c + ${line#* }))
	done
	echo "$t $c"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
