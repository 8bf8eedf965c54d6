#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every benchmark in full and keeps a JSON record of the run in
# bench/results/<date>-<commit>.json.
set -euo pipefail
build=${1:-build/release}
mkdir -p bench/results
commit=$(git rev-parse --short HEAD 2>/dev/null || echo nogit)
out="bench/results/$(date +%Y%m%d)-${commit}.json"
: > "$out"
for b in "$build"/bench/bench_*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b" --json "$out"
done
echo "results: $out"
