#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Draws the lock order of the whole system: runs resv-sim with the lock
# validator on a workload that takes every path (execbuf and VM_BIND, userptr
# invalidations, the shrinker), writes the validator's dependency graph to
# docs/course/lock-order.dot, names the call sites the validator could only
# give as binary+offset (static functions) with addr2line, and renders
# docs/course/lock-order.svg with Graphviz. Then checks the graph the way the
# ctest lock_graph_order does (acyclic, the edges the chapter claims).
#
# usage: scripts/lock-graph.sh [BUILD_DIR]
#   BUILD_DIR: a build with the validator compiled in (Debug, or
#   -DRESV_LOCKDEP=ON); default build/lock-graph, configured Debug if missing.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/lock-graph}
out=$root/docs/course

"$root/scripts/install-deps.sh" graphviz binutils
if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug >/dev/null
fi
cmake --build "$build" -j2 --target resv-sim >/dev/null

sim=$build/sim/resv-sim
lib=$(dirname "$(readlink -f "$(ls "$build"/lib/libresv.so* | head -n1)")")
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
# Seeded; thread timing decides only which thread records an edge first.
"$sim" --seconds 3 --seed 42 --quiet --path mixed --hang-rate 0 --job-timeout-ms 1500 \
	--lock-graph "$raw" >/dev/null

# "resv-sim+0x14e9a" -> "sched_run_job (sched.c)": what dladdr() cannot name.
python3 - "$raw" "$out/lock-order.dot" "$sim" "$lib" <<'PY'
import os, re, subprocess, sys
src, dst, sim, libdir = sys.argv[1:5]
def resolve(binary, off):
    path = sim if binary == os.path.basename(sim) else os.path.join(libdir, binary)
    try:
        r = subprocess.run(["addr2line", "-f", "-s", "-e", path, off],
                           capture_output=True, text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return None
    func, where = r[0], r[1].split(":")[0] if len(r) > 1 else "?"
    return None if func == "??" else f"{func} ({where})"
def fix(m):
    name = resolve(m.group(2), m.group(3))
    return f'{m.group(1)}="{name}"' if name else m.group(0)
text = open(src).read()
text = re.sub(r'(label|tooltip)="([\w.-]+)\+(0x[0-9a-f]+)"', fix, text)
text = re.sub(r'(tooltip)="(thread \d+ held the first lock since )([\w.-]+)\+(0x[0-9a-f]+)"',
              lambda m: f'{m.group(1)}="{m.group(2)}{resolve(m.group(3), m.group(4)) or m.group(3) + "+" + m.group(4)}"',
              text)
# Thread ids differ every run: keep the picture's source stable.
text = re.sub(r'thread \d+ held', 'held', text)
text = text.replace("digraph resv_lockdep {\n",
                    "digraph resv_lockdep {\n\trankdir=TB;\n\tlabelloc=t;\n"
                    "\tlabel=\"libresv + simulated GPU: lock order recorded by the validator "
                    "(resv-sim --lock-graph)\";\n", 1)
open(dst, "w").write(text)
PY
dot -Tsvg "$out/lock-order.dot" -o "$out/lock-order.svg"
python3 "$root/scripts/check-lock-graph.py" "$out/lock-order.dot"
echo "lock-graph: wrote $out/lock-order.dot and $out/lock-order.svg"
