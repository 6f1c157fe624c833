#!/usr/bin/env bash
# bench/esession.sh: offline ESessions (XEP-0187), side by side in one go.
#   line mode:  COUNT messages of 1 KiB with xmpp-send --lines --encrypt
#               --session to an online xmpp-recv that decrypts them, against
#               plain --lines on the same server: messages per second until
#               all are printed by the recipient (target >= 0.8x); and
#               against plain lines as long as the encrypted stanzas are
#               on the wire (1.43x, base64 of the ciphertext), which tells
#               the protocol's bytes from the tool's work.
#   one-shot:   CPU per message, sender and recipient, for MODP groups 14,
#               15 and 16, against the bare operations a message cannot do
#               without: two exponentiations and one RSA signature for the
#               sender, one exponentiation and one RSA check for the
#               recipient, with libgcrypt and GnuTLS (bench/es_cpu.c; target
#               <= 1.2x). `openssl speed` for scale where it has the groups.
. "$(dirname "$0")/../tests/integration/lib.sh"

COUNT=${COUNT:-1000}
RUNS=${RUNS:-3}
CPUN=${CPUN:-50}
B=$(cd "$(dirname "$0")" && pwd)

PKGS="gnutls libgcrypt libxml-2.0 libidn libidn2"
# shellcheck disable=SC2046
${CC:-cc} -O2 -std=c11 -D_DEFAULT_SOURCE -I"$XT_TOP/lib" $(pkg-config --cflags $PKGS) \
	-o "$XT_DIR/es_cpu" "$B/es_cpu.c" "$XT_TOP/lib/libxt.a" $(pkg-config --libs $PKGS) -lresolv ||
	{ echo "bench: cannot build es_cpu"; exit 1; }

prosody_start || exit 1
for u in alice bob; do
	prosody_adduser "$u" "$(_xt_random)" || exit 1
	mapfile -t O < <(xt_opts "$u")
	XDG_DATA_HOME=$XT_DIR/$u "$XT_BIN/xmpp-keygen" "$u@$XT_DOMAIN" >"$XT_DIR/$u.pub" 2>/dev/null &&
		XDG_DATA_HOME=$XT_DIR/$u "$XT_BIN/xmpp-publish" "${O[@]}" "$XT_DIR/$u.pub" || exit 1
done
mapfile -t A < <(xt_opts alice)
mapfile -t Bo < <(xt_opts bob)
as() { local who=$1; shift; XDG_DATA_HOME=$XT_DIR/$who "$@"; }
as bob "$XT_BIN/xmpp-fetchkey" "${Bo[@]}" "alice@$XT_DOMAIN" >/dev/null || exit 1

# COUNT lines of 1 KiB (1023 characters and the newline).
awk -v n="$COUNT" 'BEGIN { s = sprintf("%1000s", ""); gsub(/ /, "x", s);
	for (i = 1; i <= n; i++) printf "%08d %s %012d\n", i, s, i }' >"$XT_DIR/lines"
# The same count of lines whose plain stanzas are as long as the encrypted
# ones (1577 bytes each with the lines above).
awk -v n="$COUNT" 'BEGIN { s = sprintf("%1476s", ""); gsub(/ /, "x", s);
	for (i = 1; i <= n; i++) printf "%08d %s %012d\n", i, s, i }' >"$XT_DIR/long"

# alice stays online (her options kept) and prints what arrives.
as alice "$XT_BIN/xmpp-publish" "${A[@]}" --esession --public --expires 2h || exit 1
as alice "$XT_BIN/xmpp-recv" "${A[@]}" -v --keep-options >"$XT_DIR/alice.out" 2>"$XT_DIR/alice.err" &
for _ in $(seq 150); do grep -q waiting "$XT_DIR/alice.err" && break; sleep 0.1; done
received() { wc -l <"$XT_DIR/alice.out"; }

# line_run FILE ARGS...: one timed run; prints "ms delivered".
line_run() {
	local before after t0 t1 i in=$1
	shift
	before=$(received)
	t0=$(date +%s%N)
	as bob "$XT_BIN/xmpp-send" "${Bo[@]}" --lines "$@" "alice@$XT_DOMAIN" <"$in" >/dev/null 2>&1
	for i in $(seq 6000); do
		after=$(received)
		[ $((after - before)) -ge "$COUNT" ] && break
		sleep 0.01
	done
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000)) $((after - before))"
}

echo "line mode, $COUNT messages of 1 KiB to an online recipient, $RUNS runs each, interleaved (until printed):"
: >"$XT_DIR/plain.l"
: >"$XT_DIR/enc.l"
: >"$XT_DIR/long.l"
for ((r = 1; r <= RUNS; r++)); do
	line_run "$XT_DIR/lines" >>"$XT_DIR/plain.l"
	line_run "$XT_DIR/lines" --encrypt --session >>"$XT_DIR/enc.l"
	line_run "$XT_DIR/long" >>"$XT_DIR/long.l"
done
for name in plain enc long; do
	sort -n "$XT_DIR/$name.l" | sed -n "$(((RUNS + 1) / 2))p" >"$XT_DIR/$name.m"
	read -r ms got <"$XT_DIR/$name.m"
	awk -v n="$name" -v ms="$ms" -v got="$got" -v c="$COUNT" 'BEGIN {
		printf "  %-28s median %6d ms  %7.0f msg/s  delivered %d of %d\n",
		    n == "plain" ? "xmpp-send --lines" : (n == "enc" ? "--lines --encrypt --session" : "--lines, 1.43x longer lines"),
		    ms, c * 1000 / ms, got, c }'
	eval "${name}_ms=$ms"
done
awk -v a="$plain_ms" -v b="$enc_ms" 'BEGIN {
	printf "  ratio encrypted/plain: %.2fx messages per second (target >= 0.8x)\n", a / b }'
awk -v a="$long_ms" -v b="$enc_ms" 'BEGIN {
	printf "  ratio encrypted/plain of the same size on the wire: %.2fx\n", a / b }'
grep -c 'refused' "$XT_DIR/alice.err" | awk '{ if ($1 > 0) print "  (" $1 " refused: see alice.err)" }'

echo "one-shot messages, CPU per message ($CPUN each; microseconds):"
mkdir -p "$XT_DIR/cpu" && chmod 700 "$XT_DIR/cpu"
"$XT_DIR/es_cpu" "$CPUN" "$XT_TOP/tests/data" "$XT_DIR/cpu" >"$XT_DIR/cpu.out" || exit 1
awk '{ printf "  group %d  send %6d  bare 2 modexp + RSA sign %6d  %.2fx   receive %6d  bare modexp + RSA check %6d  %.2fx\n",
	$1, $2, $3, $2 / $3, $4, $5, $4 / $5 }' "$XT_DIR/cpu.out"
echo "  (target <= 1.2x; exponents of 256, 256 and 320 bits as the tools use, RSA-2048 keys of tests/data)"
if openssl speed -help 2>&1 | grep -q ffdh; then
	echo "  for scale, openssl speed (full-size FFDHE exponents, not comparable one to one):"
	openssl speed -seconds 1 ffdh2048 ffdh3072 ffdh4096 2>/dev/null | grep -E '^ +[0-9]+ bits ffdh' | sed 's/^/  /'
fi
kill %1 2>/dev/null
