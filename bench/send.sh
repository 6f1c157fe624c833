#!/usr/bin/env bash
# bench/send.sh: xmpp-send against go-sendxmpp (and, for line mode, a
# single-connection slixmpp sender) on one local server, in one go:
# Prosody, or ejabberd with XT_SERVER=ejabberd.
#   one send:   median wall time and peak RSS over RUNS alternating runs
#   line mode:  10,000 lines on stdin, messages per second
# The test Prosody has no mod_limits (the Debian default shapes c2s to
# 10 kB/s); all senders log in over STARTTLS on 127.0.0.1 with SCRAM.
. "$(dirname "$0")/../tests/integration/lib.sh"

RUNS=${RUNS:-21}
LINES=${LINES:-10000}
PY=/usr/bin/python3
B=$(dirname "$0")
command -v go-sendxmpp >/dev/null || { echo "bench: go-sendxmpp missing"; exit 1; }

# ejabberd ends the stream of a client with more than max_ack_queue (5000)
# stanzas unacknowledged, counting those its own c2s process has queued
# ahead of the client's acknowledgements: a 10,000-message burst from a
# fast sender cuts the recipient whatever it does (xmpp-recv(1)).
# The bench measures the senders, so the recipient gets room for a run.
XT_EJABBERD_ACK_QUEUE=$((LINES * 3)) server_start || exit 1
echo "server: $XT_SERVER"
server_adduser alice "$(_xt_random)" && server_adduser bob "$(_xt_random)" || exit 1
mapfile -t A < <(xt_opts alice)
pw=$(xt_password alice)
# go-sendxmpp has no CA option; Go reads SSL_CERT_FILE. It checks the
# certificate against the JID domain, like xmpp-send.
export SSL_CERT_FILE=$XT_CA
echo "bench msg" >"$XT_DIR/one"
q() { printf '%q ' "$@"; }
XS="$(q "$XT_BIN/xmpp-send" "${A[@]}" "bob@$XT_DOMAIN") <$XT_DIR/one"
GS="$(q go-sendxmpp -u "alice@$XT_DOMAIN" -p "$pw" -j "127.0.0.1:$XT_PORT" "bob@$XT_DOMAIN") <$XT_DIR/one"
eval "$XS" && eval "$GS" >/dev/null || { echo "bench: a sender fails"; exit 1; }

echo "one send, $RUNS runs each (median wall s, median peak RSS KiB, failures):"
"$PY" "$B/measure.py" "$RUNS" "xmpp-send=$XS" "go-sendxmpp=$GS" >"$XT_DIR/one.txt"
sed 's/^/  /' "$XT_DIR/one.txt"
read -r _ xw xr _ < <(grep '^xmpp-send ' "$XT_DIR/one.txt")
read -r _ gw gr _ < <(grep '^go-sendxmpp ' "$XT_DIR/one.txt")
awk -v a="$xw" -v b="$gw" -v c="$xr" -v d="$gr" 'BEGIN {
	printf "  ratio xmpp-send/go-sendxmpp: wall %.2fx, peak RSS %.2fx\n", a / b, c / d }'

seq -f "line %g of the benchmark" "$LINES" >"$XT_DIR/lines"
XL="$(q "$XT_BIN/xmpp-send" "${A[@]}" --lines "bob@$XT_DOMAIN") <$XT_DIR/lines"
GL="$(q go-sendxmpp -i -u "alice@$XT_DOMAIN" -p "$pw" -j "127.0.0.1:$XT_PORT" "bob@$XT_DOMAIN") <$XT_DIR/lines"
SL="$(q "$PY" "$B/slixmpp_send.py" "alice@$XT_DOMAIN" "$XT_DIR/alice.pw" 127.0.0.1 "$XT_PORT" "$XT_CA" "bob@$XT_DOMAIN") <$XT_DIR/lines"

# bob stays online and counts what arrives: a sender is credited with what
# was delivered, not with what it wrote (Prosody's offline store holds at
# most 10,000 messages per user, so an offline bob would skew the result).
mapfile -t Bo < <(xt_opts bob)
"$XT_BIN/xmpp-recv" "${Bo[@]}" -v >"$XT_DIR/bob.out" 2>"$XT_DIR/bob.err" &
for _ in $(seq 100); do grep -q waiting "$XT_DIR/bob.err" && break; sleep 0.1; done
# Messages, not lines: go-sendxmpp sends each line with its newline, which
# xmpp-recv prints as a second, tab-led line; a message's first line starts
# with its time.
received() { grep -c '^[0-9]' "$XT_DIR/bob.out"; }

# line_run NAME CMD: one timed run; prints "seconds delivered".
line_run() {
	local before after t0 t1 i
	before=$(received)
	# From the start until the last message has reached bob (or 30 s).
	t0=$(date +%s%N)
	eval "$2" >/dev/null 2>&1
	for i in $(seq 3000); do
		after=$(received)
		[ $((after - before)) -ge "$LINES" ] && break
		sleep 0.01
	done
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000)) $((after - before))"
}

# LRUNS rounds, each running the three senders in turn (the order turns
# round by round), so that a server slowing down or speeding up over the
# bench weighs on all three alike.
LRUNS=${LRUNS:-5}
echo "line mode, $LINES lines to an online recipient, $LRUNS runs each, interleaved (until delivered):"
names=(xmpp-send go-sendxmpp slixmpp)
for name in "${names[@]}"; do : >"$XT_DIR/$name.l"; done
for ((r = 0; r < LRUNS; r++)); do
	for ((k = 0; k < 3; k++)); do
		name=${names[$(((r + k) % 3))]}
		case $name in
		xmpp-send) c=$XL ;;
		go-sendxmpp) c=$GL ;;
		slixmpp) c=$SL ;;
		esac
		line_run "$name" "$c" >>"$XT_DIR/$name.l"
	done
done
for name in "${names[@]}"; do
	read -r ms got < <(sort -n "$XT_DIR/$name.l" | sed -n "$(((LRUNS + 1) / 2))p")
	all=$(sort -n "$XT_DIR/$name.l" | cut -d' ' -f1 | tr '\n' ' ')
	awk -v n="$name" -v ms="$ms" -v got="$got" -v l="$LINES" -v all="$all" 'BEGIN {
		printf "  %-12s median %6d ms  %8.0f msg/s  delivered %d of %d  (runs: %s)\n",
		    n, ms, l * 1000 / ms, got, l, all }'
	eval "${name//-/_}_ms=$ms"
done
awk -v a="$xmpp_send_ms" -v b="$go_sendxmpp_ms" -v c="$slixmpp_ms" 'BEGIN {
	printf "  throughput ratio xmpp-send/go-sendxmpp %.2fx, xmpp-send/slixmpp %.2fx\n", b / a, c / a }'
