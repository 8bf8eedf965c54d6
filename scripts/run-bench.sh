#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every benchmark in full and keeps a record of the run in
# bench/results/<date>-<commit>.json: the machine, the compiler and flags,
# the commit, and every SUMMARY record; then draws the plots
# (scripts/plot-bench.sh) into docs/plots/.
#
# Usage: run-bench.sh [build-dir] [extra benchmark args, e.g. --quick]
set -euo pipefail
build=${1:-build/release}
shift || true
cd "$(dirname "$0")/.."
mkdir -p bench/results
commit=$(git rev-parse --short HEAD 2>/dev/null || echo nogit)
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo true || echo false)
out="bench/results/$(date +%Y%m%d)-${commit}.json"
records=$(mktemp)
trap 'rm -f "$records"' EXIT

for b in "$build"/bench/bench_*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b" --json "$records" "$@"
done

# The validator is compiled out of Release builds: its overhead comes from a
# second Release build with RESV_LOCKDEP=ON, whose bench_exec reports it in
# the exec_lock_lockdep records (only those are kept from that run).
if [ -x "$build/bench/bench_exec" ]; then
	lockdep_build="$build-lockdep"
	echo "== bench_exec (lock validator compiled in: $lockdep_build)"
	cmake -S . -B "$lockdep_build" -DCMAKE_BUILD_TYPE=Release -DRESV_LOCKDEP=ON >/dev/null
	cmake --build "$lockdep_build" -j "$(nproc)" --target bench_exec >/dev/null
	lockdep_records=$(mktemp)
	"$lockdep_build/bench/bench_exec" --json "$lockdep_records" "$@" | grep 'exec_lock_lockdep' || true
	jq -c 'select(.bench == "exec_lock_lockdep" and .compiled_in == 1)' "$lockdep_records" >> "$records"
	rm -f "$lockdep_records"
fi

cache="$build/CMakeCache.txt"
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$cache" 2>/dev/null | head -1; }
build_type=$(cache_value CMAKE_BUILD_TYPE)
build_type_upper=$(echo "${build_type:-none}" | tr '[:lower:]' '[:upper:]')
cc=$(cache_value CMAKE_C_COMPILER)
flags="$(cache_value CMAKE_C_FLAGS) $(cache_value "CMAKE_C_FLAGS_${build_type_upper}")"

{
	printf '{\n'
	printf '  "commit": %s,\n' "$(jq -Rn --arg v "$commit" '$v')"
	printf '  "dirty": %s,\n' "$dirty"
	printf '  "date": %s,\n' "$(jq -Rn --arg v "$(date -u +%Y-%m-%dT%H:%M:%SZ)" '$v')"
	printf '  "machine": {"cpu": %s, "cores": %s, "kernel": %s, "memory_kib": %s},\n' \
		"$(jq -Rn --arg v "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" '$v')" \
		"$(nproc)" \
		"$(jq -Rn --arg v "$(uname -sr)" '$v')" \
		"$(awk '/^MemTotal/ {print $2}' /proc/meminfo)"
	printf '  "compiler": %s,\n' "$(jq -Rn --arg v "$("${cc:-cc}" --version | head -1)" '$v')"
	printf '  "build_type": %s,\n' "$(jq -Rn --arg v "$build_type" '$v')"
	printf '  "flags": %s,\n' "$(jq -Rn --arg v "$(echo $flags)" '$v')"
	printf '  "results": '
	jq -s '.' "$records"
	printf '}\n'
} > "$out"
jq empty "$out"		# the record must be valid JSON
echo "results: $out"
scripts/plot-bench.sh "$out" docs/plots
