#!/bin/sh
# Run libFuzzer targets, each for FUZZTIME seconds on a copy of its seed
# corpus (tests/fuzz/corpus/NAME), one after another.
#
#	sh tests/fuzz/run.sh [TARGET ...]	(default: every tests/fuzz/bin/*)
#
# FUZZTIME	seconds per target (60)
# FUZZJOBS	targets run side by side (1)
# FUZZLOG	if set, a line per target is appended to this file: date,
#		target, seconds, CPU seconds, executions, coverage, corpus
#		size before and after, crashes
# FUZZMERGE	if 1, the inputs that add coverage are merged back into
#		tests/fuzz/corpus/NAME (libFuzzer -merge=1)
#
# A crash, leak or timeout keeps its input and log in a temp dir, says
# where, and makes the run exit 1.
set -u
cd "$(dirname "$0")/../.."
: "${FUZZTIME:=60}" "${FUZZJOBS:=1}" "${FUZZMERGE:=0}" "${FUZZLOG:=}"

if [ $# -eq 0 ]; then
	set -- tests/fuzz/bin/*
fi

one() {
	f=$1
	n=$(basename "$f")
	seeds=tests/fuzz/corpus/$n
	w=$(mktemp -d)
	mkdir -p "$seeds" "$w/corpus"
	cp "$seeds"/* "$w/corpus/" 2>/dev/null || :
	before=$(ls "$seeds" | wc -l)
	echo "fuzz: $n for $FUZZTIME s"
	t0=$(cut -d' ' -f1 /proc/uptime)
	timer=
	[ -x /usr/bin/time ] && timer="/usr/bin/time -f %U_%S -o $w/cpu"
	$timer "$f" \
	    -max_total_time="$FUZZTIME" -print_final_stats=1 \
	    -artifact_prefix="$w/" "$w/corpus" >"$w/log" 2>&1
	rc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	if [ $rc -ne 0 ]; then
		tail -n 30 "$w/log"
		echo "fuzz: $n failed; input and log in $w"
		[ -n "$FUZZLOG" ] && printf '%s %s FAILED (see %s)\n' \
		    "$(date -u +%Y-%m-%dT%H:%MZ)" "$n" "$w" >>"$FUZZLOG"
		return 1
	fi
	if [ "$FUZZMERGE" = 1 ]; then
		"$f" -merge=1 -artifact_prefix="$w/" "$seeds" "$w/corpus" \
		    >"$w/merge.log" 2>&1 || {
			tail -n 30 "$w/merge.log"
			echo "fuzz: $n: merge failed; log in $w"
			return 1
		}
	fi
	after=$(ls "$seeds" | wc -l)
	if [ -n "$FUZZLOG" ]; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		    "$w/log")
		cov=$(grep -o 'cov: [0-9]*' "$w/log" | tail -n 1 | \
		    cut -d' ' -f2)
		cpu=$(tr _ ' ' <"$w/cpu" 2>/dev/null | \
		    awk '{ printf "%.0f", $1 + $2 }' 2>/dev/null)
		wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')
		printf '%s %s wall=%ss cpu=%ss execs=%s cov=%s corpus=%s->%s crashes=0\n' \
		    "$(date -u +%Y-%m-%dT%H:%MZ)" "$n" "$wall" "$cpu" \
		    "${execs:-?}" "${cov:-?}" "$before" "$after" >>"$FUZZLOG"
	fi
	rm -rf "$w"
}

status=0
if [ "$FUZZJOBS" -le 1 ]; then
	for f; do
		one "$f" || status=1
	done
	exit $status
fi
# FUZZJOBS lanes, each taking every FUZZJOBS-th target.
lane=0
pids=
while [ $lane -lt "$FUZZJOBS" ]; do
	(
		i=0 st=0
		for f; do
			[ $((i % FUZZJOBS)) -eq $lane ] && { one "$f" || st=1; }
			i=$((i + 1))
		done
		exit $st
	) &
	pids="$pids $!"
	lane=$((lane + 1))
done
for p in $pids; do
	wait "$p" || status=1
done
exit $status
