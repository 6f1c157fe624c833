#!/usr/bin/env bash
# bench/send.sh: xmpp-send against go-sendxmpp (and, for line mode, a
# single-connection slixmpp sender) on one local Prosody, in one go.
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

prosody_start || exit 1
prosody_adduser alice "$(_xt_random)" && prosody_adduser bob "$(_xt_random)" || exit 1
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
echo "line mode, $LINES lines, 3 runs each (median wall s, messages/s):"
"$PY" "$B/measure.py" 3 "xmpp-send=$XL" "go-sendxmpp=$GL" "slixmpp=$SL" >"$XT_DIR/lines.txt"
awk -v n="$LINES" '{ printf "  %-12s %8.3f s %9.0f msg/s%s\n", $1, $2, n / $2,
	$4 ? "  (" $4 " failed)" : "" }' "$XT_DIR/lines.txt"
read -r _ xw _ < <(grep '^xmpp-send ' "$XT_DIR/lines.txt")
read -r _ gw _ < <(grep '^go-sendxmpp ' "$XT_DIR/lines.txt")
read -r _ sw _ < <(grep '^slixmpp ' "$XT_DIR/lines.txt")
awk -v a="$xw" -v b="$gw" -v c="$sw" 'BEGIN {
	printf "  throughput ratio xmpp-send/go-sendxmpp %.2fx, xmpp-send/slixmpp %.2fx\n", b / a, c / a }'
