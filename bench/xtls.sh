#!/usr/bin/env bash
# bench/xtls.sh: payload throughput of a byte stream between two accounts
# on one local Prosody, alice -> bob, XEP-0047 In-Band Bytestreams with
# slixmpp (bench/ibb.py) as the peer that xtls-pipe is measured against:
# the same random data, block size (raw bytes per IQ) and number of data
# IQs in flight.
#   sweep:        SIZE bytes, block BLOCK, each window in WINDOWS, RUNS runs
#                 per point (median); MB/s = SIZE / (time from the sender's
#                 start until the receiver has exited with all bytes)
#   rate limit:   Prosody with mod_limits at LIMIT (Debian's default c2s
#                 rate), LSIZE bytes, block 4096, each window in LWINDOWS,
#                 LRUNS runs; MB/s against 0.75 x LIMIT, the most that
#                 base64 (4/3) lets through
#   block sweep:  xtls-pipe alone, SIZE bytes, window 16, each block in
#                 BLOCKS, RUNS runs (where its default block comes from)
#   soak:         SOAK bytes through one tunnel with the defaults, the
#                 receiver's RSS sampled every 2 s (it must stay flat)
# MB is 10^6 bytes. Every run checks the SHA-256 of what bob wrote.
. "$(dirname "$0")/../tests/integration/lib.sh"

SIZE=${SIZE:-32M}
BLOCK=${BLOCK:-4096}
WINDOWS=${WINDOWS:-1 4 16 64}
RUNS=${RUNS:-3}
LIMIT=${LIMIT:-10kb/s}
LSIZE=${LSIZE:-512K}
LWINDOWS=${LWINDOWS:-16}
LRUNS=${LRUNS:-1}
BLOCKS=${BLOCKS:-4096 6000 16384}
SOAK=${SOAK:-1G}
PY=/usr/bin/python3
B=$(cd "$(dirname "$0")" && pwd)
[ -x /usr/bin/time ] || { echo "bench: GNU time missing (/usr/bin/time)"; exit 1; }
"$PY" -c 'import slixmpp' 2>/dev/null || { echo "bench: $PY has no slixmpp"; exit 1; }

# bytes N[K|M|G][iB]: N in bytes (K, M, G are powers of 1024).
bytes() {
	[[ $1 =~ ^([0-9]+)([KMG]?)(i?B)?$ ]] || {
		echo "bench: not a size: $1" >&2
		return 1
	}
	local n=${BASH_REMATCH[1]}
	case ${BASH_REMATCH[2]} in
	K) n=$((n << 10)) ;;
	M) n=$((n << 20)) ;;
	G) n=$((n << 30)) ;;
	esac
	echo "$n"
}
# rate_bps RATE: bytes per second of a mod_limits rate, parsed as Prosody
# 0.12 does: the first letter of the unit is the power of ten (k: 10^3),
# so "10kb/s" is 10000.
rate_bps() {
	[[ $1 =~ ^([0-9]+)\ ?([bBkKmMgGtT])[^/]*/s$ ]] || {
		echo "bench: not a rate: $1" >&2
		return 1
	}
	local n=${BASH_REMATCH[1]} e
	case ${BASH_REMATCH[2]} in
	[bB]) e=0 ;; [kK]) e=3 ;; [mM]) e=6 ;; [gG]) e=9 ;; [tT]) e=12 ;;
	esac
	awk -v n="$n" -v e="$e" 'BEGIN { printf "%d\n", n * 10 ^ e }'
}
SIZE_B=$(bytes "$SIZE") && LSIZE_B=$(bytes "$LSIZE") && LIMIT_B=$(rate_bps "$LIMIT") || exit 1

prosody_start || exit 1
prosody_adduser alice && prosody_adduser bob || exit 1
W=$(xt_tmpdir)
TCK=$(getconf CLK_TCK)

# Prosody's CPU time so far (user+sys, s), from /proc.
prosody_cpu() {
	awk -v t="$TCK" '{ printf "%.2f\n", ($14 + $15) / t }' "/proc/$XT_PROSODY_PID/stat"
}

# CPU time (s) the whole machine has spent busy so far, from /proc/stat.
machine_cpu() {
	awk -v t="$TCK" '/^cpu / { printf "%.2f\n", ($2 + $3 + $4 + $7 + $8 + $9) / t }' /proc/stat
}

# kill_job PID: stop a command started under /usr/bin/time: its child first.
kill_job() {
	local c
	for c in $(ps -o pid= --ppid "$1"); do kill "$c" 2>/dev/null; done
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# transfer DATA READY RECV SEND: one timed transfer of the file DATA,
# alice -> bob. RECV and SEND name arrays holding the two commands: RECV
# is started first and must print a line matching the ERE READY on stderr
# once it is online, write the bytes to stdout and exit 0 when the stream
# ends; SEND reads DATA on stdin. The clock runs from the start of SEND
# until RECV has exited. Sets RESULT to
#   MB/s wall_s cpu_send_s cpu_prosody_s cpu_recv_s peak_rss_send_KiB cpu_other_s
# (cpu_other: what the rest of the machine used meanwhile, roughly; the
# receiver's CPU includes its login) or to "FAIL why" (bytes differ, a
# command failed).
transfer() {
	local data=$1 ready=$2 rp sp done_pid st sst rst t0 t1 p0 p1 m0 m1 i su ss srss ru rs
	local -n rcmd=$3 scmd=$4
	rm -f "$W"/recv.* "$W"/send.*
	: >"$W/recv.err"
	/usr/bin/time -f '%e %U %S %M' -o "$W/recv.time" "${rcmd[@]}" \
		>"$W/recv.out" 2>"$W/recv.err" </dev/null &
	rp=$!
	for ((i = 0; i < 300; i++)); do
		grep -Eq "$ready" "$W/recv.err" && break
		kill -0 "$rp" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -Eq "$ready" "$W/recv.err"; then
		kill_job "$rp"
		RESULT="FAIL receiver not ready: $(head -n 1 "$W/recv.err")"
		return 1
	fi
	p0=$(prosody_cpu)
	m0=$(machine_cpu)
	t0=$EPOCHREALTIME
	/usr/bin/time -f '%e %U %S %M' -o "$W/send.time" "${scmd[@]}" \
		<"$data" >"$W/send.out" 2>"$W/send.err" &
	sp=$!
	wait -n -p done_pid "$rp" "$sp"
	st=$?
	if [ "$done_pid" = "$rp" ]; then
		t1=$EPOCHREALTIME
		rst=$st
		wait "$sp"
		sst=$?
	else
		sst=$st
		if [ "$sst" != 0 ]; then
			kill_job "$rp"
			RESULT="FAIL sender exit $sst: $(tail -n 1 "$W/send.err")"
			return 1
		fi
		wait "$rp"
		rst=$?
		t1=$EPOCHREALTIME
	fi
	p1=$(prosody_cpu)
	m1=$(machine_cpu)
	if [ "$sst" != 0 ] || [ "$rst" != 0 ]; then
		RESULT="FAIL exit sender $sst, receiver $rst: $(cat "$W/send.err" "$W/recv.err" | tail -n 1)"
		return 1
	fi
	if [ "$(sha256sum <"$W/recv.out")" != "$(sha256sum <"$data")" ]; then
		RESULT="FAIL received $(stat -c %s "$W/recv.out") bytes, not the same as the $(stat -c %s "$data") sent"
		return 1
	fi
	read -r _ su ss srss <"$W/send.time"
	read -r _ ru rs _ <"$W/recv.time"
	RESULT=$(awk -v n="$(stat -c %s "$data")" -v t0="${t0/,/.}" -v t1="${t1/,/.}" \
		-v su="$su" -v ss="$ss" -v ru="$ru" -v rs="$rs" -v p0="$p0" -v p1="$p1" \
		-v rss="$srss" -v m0="$m0" -v m1="$m1" 'BEGIN {
		w = t1 - t0
		o = (m1 - m0) - (su + ss) - (p1 - p0) - (ru + rs)
		printf "%.6f %.3f %.2f %.2f %.2f %d %.2f\n", n / w / 1e6, w,
		    su + ss, p1 - p0, ru + rs, rss, o < 0 ? 0 : o }')
}

# ibb_run DATA BLOCK WINDOW: one IBB transfer with bench/ibb.py; sets RESULT.
ibb_run() {
	# shellcheck disable=SC2034 # r and s are passed by name
	local r=("$PY" "$B/ibb.py" recv --jid "bob@$XT_DOMAIN/bench"
		--password-file "$XT_DIR/bob.pw" --server "127.0.0.1:$XT_PORT"
		--cafile "$XT_CA")
	# shellcheck disable=SC2034
	local s=("$PY" "$B/ibb.py" send --jid "alice@$XT_DOMAIN"
		--password-file "$XT_DIR/alice.pw" --server "127.0.0.1:$XT_PORT"
		--cafile "$XT_CA" --to "bob@$XT_DOMAIN/bench" --block "$2" --window "$3")
	transfer "$1" '^ready$' r s
}

# ------------------------------------------------------------ xtls-pipe
# xtls_run DATA BLOCK WINDOW: one alice -> bob transfer of the file DATA
# with xtls-pipe (x509, keys published and pinned), BLOCK raw bytes per
# IQ and at most WINDOW IQs in flight; sets RESULT like ibb_run. bob
# listens as bob@xt.test/xbench with nothing to send.
xtls_run() {
	# shellcheck disable=SC2034 # r and s are passed by name
	local r=(env "XDG_DATA_HOME=$XT_DIR/bob" "$XT_BIN/xtls-pipe" -a "bob@$XT_DOMAIN"
		--password-file "$XT_DIR/bob.pw" --server "127.0.0.1:$XT_PORT"
		--cafile "$XT_CA" -r xbench --listen -v --block "$2" --window "$3")
	# shellcheck disable=SC2034
	local s=(env "XDG_DATA_HOME=$XT_DIR/alice" "$XT_BIN/xtls-pipe" -a "alice@$XT_DOMAIN"
		--password-file "$XT_DIR/alice.pw" --server "127.0.0.1:$XT_PORT"
		--cafile "$XT_CA" --block "$2" --window "$3" "bob@$XT_DOMAIN/xbench")
	transfer "$1" 'listening as' r s
}

# Keys for xtls-pipe: made, published, and each pinned by the other on the
# first (untimed) run.
xtls_keys() {
	local u
	for u in alice bob; do
		XDG_DATA_HOME=$XT_DIR/$u "$XT_BIN/xmpp-keygen" -b 2048 "$u@$XT_DOMAIN" \
			>"$XT_DIR/$u.pubkey" 2>/dev/null &&
			XDG_DATA_HOME=$XT_DIR/$u "$XT_BIN/xmpp-publish" -a "$u@$XT_DOMAIN" \
				--password-file "$XT_DIR/$u.pw" --server "127.0.0.1:$XT_PORT" \
				--cafile "$XT_CA" "$XT_DIR/$u.pubkey" || return 1
	done
}
# ----------------------------------------------------------------------

# point DATA BLOCK WINDOW NRUNS: NRUNS runs of each side, interleaved (the
# order alternates); appends one line per side to $W/points:
#   WINDOW SIDE MB/s wall_s cpu_send cpu_prosody cpu_recv rss cpu_other | MB/s of each run
# (medians; "WINDOW SIDE n/a" when the side has no result).
point() {
	local data=$1 block=$2 win=$3 n=$4 i name order
	: >"$W/ibb.runs"
	: >"$W/xtls.runs"
	for ((i = 1; i <= n; i++)); do
		order="ibb xtls"
		((i % 2)) || order="xtls ibb"
		for name in $order; do
			"${name}_run" "$data" "$block" "$win"
			case $RESULT in
			FAIL*) echo "  bench: $name, window $win, run $i: $RESULT" >&2 ;;
			n/a) ;;
			*) echo "$RESULT" >>"$W/$name.runs" ;;
			esac
		done
	done
	for name in ibb xtls; do
		if [ -s "$W/$name.runs" ]; then
			echo "$win $name $(median "$W/$name.runs") | $(cut -d ' ' -f 1 "$W/$name.runs" | tr '\n' ' ')"
		else
			echo "$win $name n/a"
		fi
	done >>"$W/points"
}

# median FILE: the column-wise median of the numbers in FILE.
median() {
	awk '{ for (c = 1; c <= NF; c++) v[c, NR] = $c; nc = NF }
	END {
		for (c = 1; c <= nc; c++) {
			for (i = 1; i <= NR; i++) a[i] = v[c, i] + 0
			for (i = 2; i <= NR; i++)	# a handful of runs
				for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
					t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
				}
			m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			printf "%s%s", (c > 1 ? " " : ""), m
		}
	}' "$1"
}

# report [GOODPUT]: print $W/points, one line per side and window, then the
# ratio xtls/ibb of the medians. CPU is in cores: the CPU seconds (user +
# sys) of the sender, Prosody, the receiver and the rest of the machine
# over the wall time; then the sender's peak RSS. With
# GOODPUT (bytes/s), also the MB/s as a fraction of it.
report() {
	awk -v g="${1:-}" '
	function mb(v) { return sprintf(v >= 10 ? "%.1f" : v >= 1 ? "%.2f" : "%.4f", v) }
	BEGIN {
		printf "  %6s %-8s %8s %7s %10s %8s %5s %6s %9s   %s\n", "window", "", "MB/s",
		    "wall s", "CPU: send", "prosody", "recv", "other", "send MiB",
		    g == "" ? "MB/s of each run" : "of 0.75 x limit"
	}
	{
		w = $1; side = $2
		if ($3 == "n/a") {
			printf "  %6s %-8s %8s\n", w, side, "n/a"
		} else {
			n = split($0, f, " [|] ")
			k = split(f[2], r, " ")
			runs = ""
			for (i = 1; i <= k; i++)
				runs = runs (i > 1 ? " " : "") mb(r[i])
			printf "  %6s %-8s %8s %7.2f %10.2f %8.2f %5.2f %6.2f %9.1f   %s\n", w, side,
			    mb($3), $4, $5 / $4, $6 / $4, $7 / $4, $9 / $4, $8 / 1024,
			    g == "" ? runs : sprintf("%.2f", $3 * 1e6 / g)
			v[side] = $3
		}
		if (side == "xtls") {
			printf "  %6s %-8s %8s\n", w, "xtls/ibb",
			    ("ibb" in v) && ("xtls" in v) ? sprintf("%.2fx", v["xtls"] / v["ibb"]) : "n/a"
			delete v["ibb"]; delete v["xtls"]
		}
	}' "$W/points"
}

echo "$(nproc) CPUs, load average $(cut -d ' ' -f 1-3 /proc/loadavg) before the runs"
head -c "$SIZE_B" /dev/urandom >"$W/data"
# One untimed transfer first, to warm up (and to fail early if IBB does).
head -c 1048576 "$W/data" >"$W/warm"
ibb_run "$W/warm" "$BLOCK" 4
case $RESULT in FAIL*) echo "bench: ibb: $RESULT"; exit 1 ;; esac
xtls_keys || { echo "bench: keys for xtls-pipe"; exit 1; }
xtls_run "$W/warm" "$BLOCK" 4
case $RESULT in FAIL*) echo "bench: xtls: $RESULT"; exit 1 ;; esac
echo "IBB sweep: $SIZE_B random bytes alice -> bob, block $BLOCK, median of $RUNS runs (MB = 10^6 bytes):"
: >"$W/points"
for win in $WINDOWS; do
	point "$W/data" "$BLOCK" "$win" "$RUNS"
done
report

# The block size for xtls-pipe's default (its window fixed at 16).
echo "xtls-pipe block sweep: $SIZE_B bytes, window 16, median of $RUNS runs:"
for blk in $BLOCKS; do
	: >"$W/blk.runs"
	for ((i = 1; i <= RUNS; i++)); do
		xtls_run "$W/data" "$blk" 16
		case $RESULT in FAIL*) echo "  bench: block $blk: $RESULT" >&2 ;; *) echo "$RESULT" >>"$W/blk.runs" ;; esac
	done
	[ -s "$W/blk.runs" ] && awk -v b="$blk" '{ print $1 }' "$W/blk.runs" | sort -n |
		awk -v b="$blk" '{ v[NR] = $1 } END { printf "  block %6d  %.2f MB/s\n", b, v[int((NR + 1) / 2)] }'
done

# A long run: SOAK bytes through one tunnel, the receiver's peak RSS
# sampled as it goes (it must stay flat), the SHA-256 compared.
if [ "$SOAK" != 0 ]; then
	SOAK_B=$(bytes "$SOAK") || exit 1
	echo "soak: $SOAK_B bytes through one tunnel, default block and window:"
	env "XDG_DATA_HOME=$XT_DIR/bob" "$XT_BIN/xtls-pipe" -a "bob@$XT_DOMAIN" \
		--password-file "$XT_DIR/bob.pw" --server "127.0.0.1:$XT_PORT" --cafile "$XT_CA" \
		-r soak --listen -v </dev/null 2>"$W/soak.err" | sha256sum >"$W/soak.got" &
	lpid=$!
	for ((i = 0; i < 150; i++)); do grep -q "listening as" "$W/soak.err" && break; sleep 0.1; done
	rpid=$(pgrep -f -- "-r soak --listen" | head -n 1)
	(
		while kill -0 "$rpid" 2>/dev/null; do
			awk '/^VmRSS/ { print $2 }' "/proc/$rpid/status" 2>/dev/null
			sleep 2
		done
	) >"$W/soak.rss" &
	mpid=$!
	t0=$EPOCHREALTIME
	head -c "$SOAK_B" /dev/zero | openssl enc -aes-128-ctr -pass pass:soak -nosalt 2>/dev/null |
		env "XDG_DATA_HOME=$XT_DIR/alice" /usr/bin/time -f '%M' -o "$W/soak.stime" \
			"$XT_BIN/xtls-pipe" -a "alice@$XT_DOMAIN" --password-file "$XT_DIR/alice.pw" \
			--server "127.0.0.1:$XT_PORT" --cafile "$XT_CA" "bob@$XT_DOMAIN/soak" >/dev/null 2>"$W/soak.serr"
	sst=$?
	wait "$lpid" "$mpid"
	t1=$EPOCHREALTIME
	# The same stream again, untimed, for the digest it should have had.
	head -c "$SOAK_B" /dev/zero | openssl enc -aes-128-ctr -pass pass:soak -nosalt 2>/dev/null |
		sha256sum >"$W/soak.want"
	awk -v n="$SOAK_B" -v t0="$t0" -v t1="$t1" -v st="$sst" \
		-v same="$(cmp -s "$W/soak.want" "$W/soak.got" && echo equal || echo DIFFERENT)" \
		-v srss="$(cat "$W/soak.stime")" 'BEGIN {
		printf "  sender exit %d, %.0f s, %.2f MB/s, SHA-256 %s, sender peak RSS %.1f MiB\n",
		    st, t1 - t0, n / (t1 - t0) / 1e6, same, srss / 1024 }'
	sort -n "$W/soak.rss" | awk '{ v[NR] = $1 } END {
		if (NR) printf "  receiver RSS over %d samples: min %.1f MiB, max %.1f MiB\n", NR, v[1] / 1024, v[NR] / 1024 }'
fi

# The same Prosody, with mod_limits shaping what it reads from each client.
prosody_stop
export XT_PROSODY_LIMITS=$LIMIT
prosody_start || exit 1
head -c "$LSIZE_B" /dev/urandom >"$W/ldata"
goodput=$(awk -v l="$LIMIT_B" 'BEGIN { print l * 0.75 }')
echo "rate limit $LIMIT: $LSIZE_B random bytes alice -> bob, block 4096, median of $LRUNS runs;"
echo "  Prosody reads $LIMIT_B B/s from each client, 0.75 x limit = $(awk -v g="$goodput" 'BEGIN { printf "%.4f", g / 1e6 }') MB/s:"
: >"$W/points"
for win in $LWINDOWS; do
	point "$W/ldata" 4096 "$win" "$LRUNS"
done
report "$goodput"
