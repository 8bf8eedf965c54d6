#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Draws the benchmark plots (SVG and PNG) from one record written by
# scripts/run-bench.sh. A plot whose benchmark is absent from the record is
# skipped with a note, so the script works while benchmarks are added.
#
# Usage: plot-bench.sh <results.json> <out-dir>
set -euo pipefail
json=$1
outdir=$2
mkdir -p "$outdir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
title_suffix=$(jq -r '"\(.commit) · \(.machine.cores) cores · \(.compiler | split(" ") | .[0:3] | join(" "))"' "$json")

# select <jq filter over .results[] producing TSV rows> <file>: returns 1 when empty
select_rows() {
	jq -r ".results[] | $1 | @tsv" "$json" > "$2"
	[ -s "$2" ]
}

# render <name> <gnuplot commands>: writes <name>.svg and <name>.png (one
# gnuplot run per terminal: `replot` would redraw only a multiplot's last panel)
render() {
	local name=$1 body=$2 term
	for term in "svg size 800,480 dynamic font 'sans,12' background rgb 'white'|svg" \
		    "pngcairo size 800,480 font 'sans,10'|png"; do
		gnuplot <<-GP
			set terminal ${term%|*} noenhanced
			set output "$outdir/$name.${term#*|}"
			$body
		GP
	done
	echo "plot: $outdir/$name.svg"
}

skip() { echo "plot: $1 skipped (no $2 records)"; }

common='set grid; set key top left; set style data linespoints'

# 1. Uncontended lock + unlock: ww_mutex against pthread_mutex (one line per primitive).
if select_rows 'select(.bench == "ww_uncontended") |
		["ww_mutex_lock(ctx)", .ww_ns], ["ww_mutex_lock(NULL)", .ww_noctx_ns],
		["pthread_mutex", .pthread_ns], ["resv_spinlock", .spin_ns]' "$tmp/unc.tsv"; then
	render ww_uncontended "$common
		set title 'Uncontended lock+unlock, ns (lower is better) — $title_suffix'
		set style data histogram; set style fill solid 0.6; set boxwidth 0.6
		set key off; set yrange [0:*]; set ylabel 'ns per lock+unlock'
		plot '$tmp/unc.tsv' using 2:xtic(1) title ''"
else skip ww_uncontended ww_uncontended; fi

# 2. Contended strategies against threads: throughput and rollbacks.
if select_rows 'select(.bench == "ww_contended") |
		[.strategy, .k, .n, .threads, .tx_per_s, .rollbacks_per_tx]' "$tmp/cont.tsv"; then
	for shape in $(cut -f2,3 "$tmp/cont.tsv" | sort -u | tr '\t' 'x'); do
		k=${shape%x*}; n=${shape#*x}
		plots_tx=""; plots_rb=""
		for s in $(cut -f1 "$tmp/cont.tsv" | sort -u); do
			awk -F'\t' -v s="$s" -v k="$k" -v n="$n" '$1==s && $2==k && $3==n {print $4, $5, $6}' \
				"$tmp/cont.tsv" | sort -n > "$tmp/cont-$s-$shape.dat"
			plots_tx+="'$tmp/cont-$s-$shape.dat' using 1:(\$2/1e6) title '$s',"
			plots_rb+="'$tmp/cont-$s-$shape.dat' using 1:3 title '$s',"
		done
		render "ww_contended_k${k}_n${n}" "$common
			set multiplot layout 1,2 title 'Random $k-of-$n lock sets — $title_suffix'
			set xlabel 'threads'; set xtics 1; set ylabel 'Mtx/s'; set yrange [0:*]
			plot ${plots_tx%,}
			set ylabel 'rollbacks per tx'
			plot ${plots_rb%,}
			unset multiplot"
	done
else skip ww_contended ww_contended; fi

# 3. drm_exec: ns per object against N.
if select_rows 'select(.bench == "exec_lock") | [.n, .ns_per_obj, (.baseline_ns_per_obj // "NaN")]' "$tmp/exec.tsv"; then
	sort -n "$tmp/exec.tsv" > "$tmp/exec.dat"
	render exec_lock "$common
		set title 'drm_exec: locking N objects, ns per object — $title_suffix'
		set logscale x; set xlabel 'N objects'; set ylabel 'ns per object'; set yrange [0:*]
		plot '$tmp/exec.dat' using 1:2 title 'drm_exec loop', \
		     '$tmp/exec.dat' using 1:3 title 'ww_mutex_lock baseline', 30 title 'target' dt 2"
else skip exec_lock exec_lock; fi

# 4. drm_gpuvm lists: both protection modes against K.
if select_rows 'select(.bench == "gpuvm_lists") | [.mode, .k, .resv_ns_per_item, .spinlock_ns_per_item]' "$tmp/gpuvm.tsv"; then
	plots=""
	for m in $(cut -f1 "$tmp/gpuvm.tsv" | sort -u); do
		awk -F'\t' -v m="$m" '$1==m {print $2, $3, $4}' "$tmp/gpuvm.tsv" | sort -n > "$tmp/gpuvm-$m.dat"
		plots+="'$tmp/gpuvm-$m.dat' using 1:2 title 'resv-protected, $m', '$tmp/gpuvm-$m.dat' using 1:3 title 'spinlock, $m',"
	done
	render gpuvm_lists "$common
		set title 'drm_gpuvm extobj/evict lists, ns per item — $title_suffix'
		set logscale x; set xlabel 'K external objects'; set ylabel 'ns per item'; set yrange [0:*]
		plot ${plots} 3 title 'target (resv)' dt 2"
else skip gpuvm_lists gpuvm_lists; fi

# 5. execbuf: submissions per second against BOs, one line per path and client count.
if select_rows 'select(.bench == "execbuf") | [.path, .clients, .bos, .submits_per_s]' "$tmp/eb.tsv"; then
	plots=""
	for pc in $(cut -f1,2 "$tmp/eb.tsv" | sort -u | tr '\t' ':'); do
		p=${pc%:*}; c=${pc#*:}
		awk -F'\t' -v p="$p" -v c="$c" '$1==p && $2==c {print $3, $4}' "$tmp/eb.tsv" | sort -n > "$tmp/eb-$p-$c.dat"
		plots+="'$tmp/eb-$p-$c.dat' using 1:(\$2/1e6) title '$p, $c client(s)',"
	done
	render execbuf "$common
		set title 'No-op batch submissions per second — $title_suffix'
		set logscale x; set xlabel 'BOs per submission'; set ylabel 'M submissions/s'; set yrange [0:*]
		plot ${plots} 1 title 'target (1 BO, 1 client)' dt 2"
else skip execbuf execbuf; fi
