#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Model-checks docs/model/ww_mutex.pml with spin (`make model`): both ww
# classes must be deadlock-free, keep their assertions and always finish
# (LTL `done` under weak fairness); the no-back-off variant must be caught.
# The checker is only trusted because the broken variant fails.
set -euo pipefail
cd "$(dirname "$0")/.."
model=$PWD/docs/model/ww_mutex.pml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
status=0

# run <expect: pass|fail> <what> <spin -D flags...>
run() {
	local expect=$1 what=$2
	shift 2
	spin "$@" -a "$model" >/dev/null
	# Safety: invalid end states (deadlock) and assertions; the LTL claim off.
	gcc -O2 -w -DSAFETY -DNOCLAIM -o pan-safety pan.c
	local safety liveness
	safety=$(./pan-safety -n | sed -n 's/.*errors: \([0-9]*\).*/\1/p')
	# Liveness: acceptance cycles of `<> finished == NTX` under weak fairness.
	gcc -O2 -w -o pan-live pan.c
	liveness=$(./pan-live -a -f -n | sed -n 's/.*errors: \([0-9]*\).*/\1/p')
	local got=pass
	[ "$safety" = 0 ] && [ "$liveness" = 0 ] || got=fail
	printf '%-40s safety errors=%s liveness errors=%s -> %s (expected %s)\n' \
		"$what" "$safety" "$liveness" "$got" "$expect"
	[ "$got" = "$expect" ] || status=1
}

run pass "wait-die, 3 tx x 3 locks"            -DWAIT_DIE=1
run pass "wound-wait, 3 tx x 3 locks"          -DWAIT_DIE=0
run pass "wait-die without hand-off"           -DWAIT_DIE=1 -DHANDOFF=0
run pass "wound-wait without hand-off"         -DWAIT_DIE=0 -DHANDOFF=0
run fail "no back-off (must deadlock)"         -DBROKEN=1

if [ $status = 0 ]; then
	echo "model: all results as expected"
else
	echo "model: UNEXPECTED RESULT" >&2
fi
exit $status
