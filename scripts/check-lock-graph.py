#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check a lock graph written by resv_lockdep_write_graph() (resv-sim --lock-graph).

usage: check-lock-graph.py GRAPH.dot [--edge 'A -> B']... [--no-edge 'A -> B']...

Fails (exit 1) when the graph has a cycle (a possible deadlock the validator
would have reported), lacks one of the --edge dependencies or has one of the
--no-edge ones. Class names are matched exactly. docs/course/07-lock-order.md
claims these edges; the ctest lock_graph_order runs this on a fresh graph so
that the chapter and its picture cannot silently go stale.
"""
import re
import sys

NODE = re.compile(r'^\t(c\d+) \[label="((?:[^"\\]|\\.)*)"')
EDGE = re.compile(r'^\t(c\d+) -> (c\d+) \[')


def parse(path):
    names, edges = {}, set()
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if not text.startswith("// ") or "digraph resv_lockdep {" not in text \
            or not text.rstrip().endswith("}"):
        raise SystemExit(f"{path}: not a graph from resv_lockdep_write_graph()")
    for line in text.splitlines():
        m = NODE.match(line)
        if m:
            names[m.group(1)] = re.sub(r'\\(.)', r'\1', m.group(2))
            continue
        m = EDGE.match(line)
        if m:
            edges.add((m.group(1), m.group(2)))
    for a, b in edges:
        if a not in names or b not in names:
            raise SystemExit(f"{path}: edge {a} -> {b} between unknown nodes")
    return names, {(names[a], names[b]) for a, b in edges}


def find_cycle(edges):
    succ = {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
    state, stack = {}, []

    def dfs(n):
        state[n] = 1
        stack.append(n)
        for m in succ.get(n, []):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                c = dfs(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(succ):
        if n not in state:
            c = dfs(n)
            if c:
                return c
    return None


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path, want, forbid = argv[1], [], []
    args = argv[2:]
    while args:
        opt = args.pop(0)
        if opt not in ("--edge", "--no-edge") or not args:
            print(__doc__, file=sys.stderr)
            return 2
        a, sep, b = args.pop(0).partition(" -> ")
        if not sep:
            print(f"bad edge '{a}': want 'A -> B'", file=sys.stderr)
            return 2
        (want if opt == "--edge" else forbid).append((a, b))
    names, edges = parse(path)
    bad = 0
    cycle = find_cycle(edges)
    if cycle:
        print(f"{path}: cycle: {' -> '.join(cycle)}")
        bad = 1
    for e in want:
        if e not in edges:
            print(f"{path}: missing the dependency {e[0]} -> {e[1]}")
            bad = 1
    for e in forbid:
        if e in edges:
            print(f"{path}: has the dependency {e[0]} -> {e[1]}, which must not exist")
            bad = 1
    if not bad:
        print(f"{path}: {len(names)} classes, {len(edges)} dependencies, acyclic, "
              f"{len(want)} expected present, {len(forbid)} expected absent")
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv))
