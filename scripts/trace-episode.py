#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Print ww contention episodes from a resv-sim --trace file, as text.

usage: trace-episode.py TRACE.json [--nth N] [--window-us US]

An episode is built around the Nth back-off (a "ww: -EDEADLK" event,
default the first): every ww event and locked section of every client
thread within the window (default 300 us) around it, in time order, with
the thread's track name. docs/course/05-trace-replay.md reads two of them.
"""
import json
import sys


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path, nth, window = argv[1], 1, 300.0
    args = argv[2:]
    while args:
        opt = args.pop(0)
        if opt == "--nth" and args:
            nth = int(args.pop(0))
        elif opt == "--window-us" and args:
            window = float(args.pop(0))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    evs = json.load(open(path, encoding="utf-8"))["traceEvents"]
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in evs
             if e["ph"] == "M" and e["name"] == "thread_name"}
    deaths = [e for e in evs if e.get("cat") == "ww" and e["name"].startswith("ww: -EDEADLK")]
    deaths.sort(key=lambda e: e["ts"])
    if len(deaths) < nth:
        print(f"{path}: only {len(deaths)} back-offs", file=sys.stderr)
        return 1
    t0 = deaths[nth - 1]["ts"]
    picked = []
    for e in evs:
        if e["ph"] == "i" and e.get("cat") in ("ww", "backoff") and abs(e["ts"] - t0) <= window:
            picked.append((e["ts"], e))
        elif e["ph"] == "X" and e["name"].endswith(" locked") and \
                e["ts"] <= t0 + window and e["ts"] + e["dur"] >= t0 - window:
            picked.append((e["ts"], e))
    picked.sort(key=lambda p: p[0])
    for ts, e in picked:
        who = names.get((e["pid"], e["tid"]), f"tid {e['tid']}")
        a = e.get("args", {})
        detail = " ".join(f"{k}={v}" for k, v in a.items())
        span = f" (span, {e['dur']:.0f} us)" if e["ph"] == "X" else ""
        print(f"{ts - t0:+9.1f} us  {who:22s} {e['name']}{span}  {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
