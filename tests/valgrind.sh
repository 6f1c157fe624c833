#!/bin/sh
# tests/valgrind.sh: run the unit tests and the command tests under
# valgrind's memcheck (make valgrind).  The unit test programs run under
# it directly (prove --exec); the command tests run the tools through
# XT_WRAP (tests/integration/lib.sh).  Each process writes its own log in
# tests/valgrind.log/; the run fails if a test fails or if any log counts
# an error: an invalid access, a use of an uninitialised value, or a
# definite leak.  Suppressions: tests/valgrind.supp, for third-party
# libraries only.
#
#   sh tests/valgrind.sh [TEST...]     (default: every unit and command test)
#
# PROVEFLAGS is passed to prove, as by make check.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
logs=$top/tests/valgrind.log
VALGRIND=${VALGRIND:-valgrind}
# --error-exitcode: a tool with an error exits 99, which no tool uses, so
# a test checking the exit status fails too.  Only definite leaks are
# errors: what is still reachable at exit(3) is the tools' to leave.
vg="$VALGRIND --tool=memcheck --error-exitcode=99 --leak-check=full
--errors-for-leak-kinds=definite --show-leak-kinds=definite
--num-callers=30 --suppressions=$top/tests/valgrind.supp"

if [ $# -eq 0 ]; then
	set -- tests/unit/*.test tests/cmd/*.test
fi
units= cmds=
for t; do
	case $t in
	*/unit/*) units="$units $t" ;;
	*) cmds="$cmds $t" ;;
	esac
done

rm -rf "$logs"
mkdir -p "$logs" || exit 1
st=0
if [ -n "$units" ]; then
	# shellcheck disable=SC2086
	# tests/unit/precis.c sweeps every code point; under memcheck a
	# sample of them does (XT_PRECIS_SWEEP=0).
	XT_PRECIS_SWEEP=0 \
	prove ${PROVEFLAGS:-} --exec "$(echo $vg) --log-file=$logs/unit.%p.log" \
	    $units || st=1
fi
if [ -n "$cmds" ]; then
	# shellcheck disable=SC2086
	XT_WRAP="$(echo $vg) --log-file=$logs/cmd.%p.log" \
	XT_WRAP_COMM=memcheck-$(uname -m | sed 's/x86_64/amd64/')- \
	    prove ${PROVEFLAGS:-} $cmds || st=1
fi

# One "ERROR SUMMARY" per process that ran to its end; a log without one
# is a process killed on purpose (the tests send SIGKILL).
n=0 errs=0 bad=
for f in "$logs"/*.log; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	e=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$f" | tail -n 1)
	[ -n "$e" ] || continue
	if [ "$e" -gt 0 ]; then
		errs=$((errs + e))
		bad="$bad $f"
	fi
done
for f in $bad; do
	echo "--- $f"
	cat "$f"
done
echo "valgrind: $n processes, $errs errors${bad:+ (logs above)}"
[ "$errs" -eq 0 ] || st=1
exit "$st"
