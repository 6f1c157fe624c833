#!/usr/bin/env bash
# bench/upload.sh: xmpp-send --file against curl -T on one local Prosody
# with mod_http_file_share, in one go.
#   xmpp-send:  the whole run: login, service discovery, slot, PUT of
#               SIZE bytes, message, delivery check
#   curl -T:    the PUT alone, of the same file, to a fresh slot of the
#               same size that slot.py (slixmpp) asked for beforehand,
#               untimed, with the slot's headers
# RUNS rounds, the two sides alternating which goes first; medians of
# the wall time, and their ratio (target <= 1.1x). Both verify TLS
# against the test CA files.
. "$(dirname "$0")/../tests/integration/lib.sh"

SIZE=${SIZE:-100M}
RUNS=${RUNS:-5}
PY=/usr/bin/python3
B=$(cd "$(dirname "$0")" && pwd)
command -v curl >/dev/null || { echo "bench: curl missing"; exit 1; }

bytes=$(numfmt --from=iec "$SIZE") || exit 1
XT_PROSODY_UPLOAD=$bytes prosody_start || exit 1
prosody_adduser alice "$(_xt_random)" && prosody_adduser bob "$(_xt_random)" || exit 1
# The HTTPS server's certificate comes from the second test CA.
cat "$XT_CA" "$XT_CERTS/ca2.pem" >"$XT_DIR/both.pem"
mapfile -t A < <(xt_account alice; printf '%s\n' --server "127.0.0.1:$XT_PORT" --cafile "$XT_DIR/both.pem")
mapfile -t Bo < <(xt_opts bob)
F=$XT_DIR/payload.bin
head -c "$bytes" /dev/urandom >"$F"
sum=$(sha256sum <"$F" | cut -d' ' -f1)
store=$XT_PROSODY_DIR/data/upload%2e$(sed 's/\./%2e/g' <<<"$XT_DOMAIN")/http_file_share

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# xs: one xmpp-send --file run; prints its ms, or "fail".
xs() {
	local t0 t1
	t0=$(now_ms)
	"$XT_BIN/xmpp-send" "${A[@]}" --file "$F" "bob@$XT_DOMAIN" </dev/null 2>"$XT_DIR/xs.err" || {
		echo fail; cat "$XT_DIR/xs.err" >&2; return; }
	t1=$(now_ms)
	echo $((t1 - t0))
}

# ct: a slot from slot.py (untimed), then curl -T to it; prints ms or "fail".
ct() {
	local t0 t1 code
	"$PY" "$B/slot.py" "alice@$XT_DOMAIN" "$XT_DIR/alice.pw" 127.0.0.1 "$XT_PORT" \
		"$XT_CA" "upload.$XT_DOMAIN" payload.bin "$bytes" application/octet-stream \
		"$XT_DIR/slot" || { echo fail; return; }
	sed -n '3,$p' "$XT_DIR/slot" >"$XT_DIR/slot.h"
	t0=$(now_ms)
	code=$(curl -sS --cacert "$XT_DIR/both.pem" -T "$F" -H @"$XT_DIR/slot.h" \
		-H "Content-Type: application/octet-stream" -o /dev/null -w '%{http_code}' \
		"$(sed -n 1p "$XT_DIR/slot")")
	t1=$(now_ms)
	case $code in 2??) echo $((t1 - t0)) ;; *) echo fail; echo "curl: HTTP $code" >&2 ;; esac
}

# Once each, untimed: both work and store the same bytes.
xs >/dev/null
url=$("$XT_BIN/xmpp-recv" "${Bo[@]}" --format xml --count 1 --timeout 10 |
	sed -n 's|.*<body>\([^<]*\)</body>.*|\1|p')
got=$(curl -sS --cacert "$XT_DIR/both.pem" "$url" | sha256sum | cut -d' ' -f1)
[ "$got" = "$sum" ] || { echo "bench: xmpp-send's upload differs"; exit 1; }
ct >/dev/null
got=$(curl -sS --cacert "$XT_DIR/both.pem" "$(sed -n 2p "$XT_DIR/slot")" | sha256sum | cut -d' ' -f1)
[ "$got" = "$sum" ] || { echo "bench: curl's upload differs"; exit 1; }
rm -f "$store"/*

echo "one upload of $SIZE ($bytes bytes), $RUNS runs each, alternating (wall ms):"
: >"$XT_DIR/xs.ms"
: >"$XT_DIR/ct.ms"
for ((r = 0; r < RUNS; r++)); do
	if ((r % 2 == 0)); then
		xs >>"$XT_DIR/xs.ms"
		ct >>"$XT_DIR/ct.ms"
	else
		ct >>"$XT_DIR/ct.ms"
		xs >>"$XT_DIR/xs.ms"
	fi
	# Keep the disk use to one round.
	rm -f "$store"/*
done
"$XT_BIN/xmpp-recv" "${Bo[@]}" --timeout 2 >/dev/null 2>&1

median() { grep -v fail "$1" | sort -n | awk '{ v[NR] = $1 } END {
	if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
	else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
xm=$(median "$XT_DIR/xs.ms")
cm=$(median "$XT_DIR/ct.ms")
printf '  %-22s median %7s ms  runs: %s\n' "xmpp-send --file" "$xm" "$(tr '\n' ' ' <"$XT_DIR/xs.ms")"
printf '  %-22s median %7s ms  runs: %s\n' "curl -T (PUT only)" "$cm" "$(tr '\n' ' ' <"$XT_DIR/ct.ms")"
awk -v a="$xm" -v b="$cm" -v s="$bytes" 'BEGIN {
	printf "  MB/s: xmpp-send %.0f, curl %.0f\n", s / a / 1000, s / b / 1000
	printf "  ratio xmpp-send/curl (wall): %.2fx (target <= 1.1x)\n", a / b }'
