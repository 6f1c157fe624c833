#!/usr/bin/env bash
# bench/keys.sh: the key tools against GnuTLS's certtool and OpenSSL, in one go.
#   key generation:  xmpp-keygen -b 3072 against certtool --generate-privkey
#                    (RSA-3072), RUNS interleaved runs, each to a fresh file;
#                    wall and CPU time, median and spread; then the steps
#                    of xmpp-keygen timed one by one in a driver
#   verification:    one xmpp-attest --verify process over ATTESTS genuine
#                    attestations of one key by one signer, CPU time (median
#                    of VRUNS runs), against OpenSSL's raw RSA-3072 verify rate
# RSA key generation is a prime search: one run takes anywhere from a few
# tens of ms to half a second, so the ratio of medians over 21 runs is
# noisy. The bootstrap interval printed with it says how noisy; RUNS=101
# narrows it.
. "$(dirname "$0")/../tests/integration/lib.sh"

RUNS=${RUNS:-21}
VRUNS=${VRUNS:-5}
ATTESTS=${ATTESTS:-1000}
PY=/usr/bin/python3
# signtimes are formatted by bash's printf %(...)T, which uses local time.
export TZ=UTC
command -v certtool >/dev/null || { echo "bench: certtool missing"; exit 1; }
for t in xmpp-keygen xmpp-attest; do
	[ -x "$XT_BIN/$t" ] || { echo "bench: $XT_BIN/$t missing (make all)"; exit 1; }
done

D=$(xt_tmpdir)
# Millisecond wall, user and sys time of one command (bash's time keyword:
# rusage of the child, not the 10 ms steps of GNU time's output).
TIMEFORMAT='%3R %3U %3S'

# timed NAME CMD: one timed run; appends "wall user sys status" to NAME.runs.
# A failing run is reported with its command and first line of stderr.
timed() {
	local st
	{ time { eval "$2" >/dev/null 2>"$D/err"; st=$?; }; } 2>"$D/t"
	echo "$(cat "$D/t") $st" >>"$D/$1.runs"
	[ "$st" -eq 0 ] || echo "bench: exit $st: $2: $(head -n 1 "$D/err")" >&2
}

# Each run writes fresh files (kN.key/.pub/.rev, cN.pem); the order
# alternates so that neither tool always runs right after the other.
: >"$D/xmpp-keygen.runs"
: >"$D/certtool.runs"
for ((i = 1; i <= RUNS; i++)); do
	X="$(printf '%q ' "$XT_BIN/xmpp-keygen" -b 3072 -o "$D/k$i.key" alice@example.org)"
	C="$(printf '%q ' certtool --generate-privkey --key-type rsa --bits 3072 --outfile "$D/c$i.pem")"
	if ((i % 2)); then
		timed xmpp-keygen "$X"
		timed certtool "$C"
	else
		timed certtool "$C"
		timed xmpp-keygen "$X"
	fi
done

echo "RSA-3072 key generation, $RUNS interleaved runs each (wall s; CPU = user+sys s):"
"$PY" - "$D/xmpp-keygen.runs" "$D/certtool.runs" <<'EOF'
import random
import statistics as st
import sys

def load(path):
    rows = [line.split() for line in open(path)]
    return ([float(r[0]) for r in rows], [float(r[1]) + float(r[2]) for r in rows],
            sum(r[3] != "0" for r in rows))

x, c = load(sys.argv[1]), load(sys.argv[2])
print("  %-12s %6s %6s %6s %6s %6s %6s %8s %4s" % ("", "min", "q1", "median",
      "q3", "max", "mean", "CPU med", "fail"))
for name, (w, u, f) in (("xmpp-keygen", x), ("certtool", c)):
    q = st.quantiles(w, n=4, method="inclusive") if len(w) > 1 else w * 3
    print("  %-12s %6.3f %6.3f %6.3f %6.3f %6.3f %6.3f %8.3f %4d" % (
          name, min(w), q[0], q[1], q[2], max(w), st.mean(w), st.median(u), f))
# Paired bootstrap over the rounds (fixed seed: the same runs give the
# same interval): how far the ratio of medians moves with the prime search.
rnd = random.Random(1)
n = len(x[0])
rs = []
for _ in range(2000):
    k = [rnd.randrange(n) for _ in range(n)]
    rs.append(st.median([x[0][i] for i in k]) / st.median([c[0][i] for i in k]))
rs.sort()
print("  ratio xmpp-keygen/certtool: median wall %.2fx (95%% bootstrap %.2f-%.2f),\n"
      "    mean wall %.2fx, median CPU %.2fx (target <= 1.1x)" % (
      st.median(x[0]) / st.median(c[0]), rs[int(0.025 * len(rs))],
      rs[int(0.975 * len(rs)) - 1], st.mean(x[0]) / st.mean(c[0]),
      st.median(x[1]) / st.median(c[1])))
EOF

# Where xmpp-keygen's time goes. The generation is the same GnuTLS call as
# certtool's, so what can move the ratio away from 1 is the rest: a driver
# times the steps of xt_keystore_create one by one, in one process over
# RUNS keys, and start-up is timed apart (-V against --version).
cat >"$D/stages.c" <<'CEOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xt.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* usage: stages RUNS DIR; prints the mean ms of each step. */
int
main(int argc, char *argv[])
{
	struct xt_error e = { 0, "" };
	struct xt_key *k;
	struct xt_pubkey pk;
	struct xt_revocation r;
	struct xt_node *pub, *rev;
	unsigned char *spki;
	char *pem, path[4096];
	size_t spkilen, pemlen;
	double ms[5] = { 0 }, t[6];
	int64_t tnow = time(NULL);
	int i, j, n = argc == 3 ? atoi(argv[1]) : 0;

	if (n <= 0 || xt_init(&e) < 0)
		return 2;
	for (i = 0; i < n; i++) {
		memset(&pk, 0, sizeof(pk));
		memset(&r, 0, sizeof(r));
		snprintf(path, sizeof(path), "%s/s%d.key", argv[2], i);
		t[0] = now();
		if (xt_key_generate(&k, 3072, &e) < 0)
			goto fail;
		t[1] = now();
		if (xt_key_spki(k, &spki, &spkilen) < 0 ||
		    xt_key_export(k, NULL, &pem, &pemlen, &e) < 0)
			goto fail;
		t[2] = now();
		if (xt_pubkey_make(&pk, spki, spkilen, "alice@example.org",
		    tnow, tnow + 365 * 86400, NULL, &e) < 0)
			goto fail;
		t[3] = now();
		if (xt_revocation_make(&r, &pk, &pk, k, tnow, &e) < 0)
			goto fail;
		t[4] = now();
		if ((pub = xt_pubkey_node(&pk)) == NULL ||
		    (rev = xt_revocation_node(&r)) == NULL ||
		    xt_keystore_save(path, pem, pemlen, pub, rev, 0, NULL,
		    &e) < 0)
			goto fail;
		t[5] = now();
		for (j = 0; j < 5; j++)
			ms[j] += t[j + 1] - t[j];
		xt_node_free(pub);
		xt_node_free(rev);
		xt_revocation_clear(&r);
		xt_pubkey_clear(&pk);
		xt_free_secret(pem);
		free(spki);
		xt_key_free(k);
	}
	for (j = 0; j < 5; j++)
		printf("%.3f ", ms[j] / n);
	printf("\n");
	return 0;
fail:
	fprintf(stderr, "stages: %s\n", e.msg);
	return 1;
}
CEOF
PKGS="gnutls libgcrypt libxml-2.0 libidn libidn2"
# shellcheck disable=SC2046,SC2086
${CC:-cc} -O2 -std=c11 -D_DEFAULT_SOURCE -I"$XT_TOP/lib" $(pkg-config --cflags $PKGS) \
    -o "$D/stages" "$D/stages.c" "$XT_TOP/lib/libxt.a" $(pkg-config --libs $PKGS) -lresolv ||
	{ echo "bench: cannot build the stage driver"; exit 1; }
mkdir "$D/stages.d" && "$D/stages" "$RUNS" "$D/stages.d" >"$D/stages.out" || exit 1
: >"$D/start-x.runs"
: >"$D/start-c.runs"
for ((i = 1; i <= RUNS; i++)); do
	timed start-x "$(printf '%q' "$XT_BIN/xmpp-keygen") -V"
	timed start-c "certtool --version"
done
"$PY" - "$D/stages.out" "$D/start-x.runs" "$D/start-c.runs" "$D/certtool.runs" \
    "$RUNS" <<'EOF'
import statistics as st
import sys

gen, export, prt, sign, save = map(float, open(sys.argv[1]).read().split())
sx, sc = (st.median(1e3 * float(l.split()[0]) for l in open(f)) for f in sys.argv[2:4])
cert = [1e3 * float(l.split()[0]) for l in open(sys.argv[4])]
n = int(sys.argv[5])
extra = export + prt + sign + save + sx - sc
# One key costs certtool about one generation: pool its runs with the
# driver's generations for the typical cost.
typ = (sum(cert) + gen * n) / (len(cert) + n)
print("  xmpp-keygen step by step, mean ms over %d keys in one process:" % n)
print("    generate %.1f, SPKI+PEM %.2f, print %.2f, self-revocation %.2f, "
      "3 files+fsync %.2f" % (gen, export, prt, sign, save))
print("    start-up %.1f ms (certtool %.1f): %.1f ms more than certtool per key,"
      % (sx, sc, extra))
print("    against %.0f ms for a typical key: expected ratio %.2fx"
      % (typ, (typ + extra) / typ))
EOF

# ATTESTS attestations of alice's key by carol, each signed by its own
# xmpp-attest run at its own signtime, built once into one file. carol's
# key begins a day ago, so that it is valid at every signtime (the key
# store, unused with -o, is lib.sh's XDG_DATA_HOME inside the temp dir).
b=$(($(date +%s) - 86400))
printf -v begin '%(%Y-%m-%dT%H:%M:%SZ)T' "$b"
"$XT_BIN/xmpp-keygen" -b 3072 -o "$D/alice.key" alice@example.org >/dev/null ||
	{ echo "bench: xmpp-keygen fails"; exit 1; }
"$XT_BIN/xmpp-keygen" -b 3072 --begin "$begin" -o "$D/carol.key" carol@example.org \
    >/dev/null || { echo "bench: xmpp-keygen --begin $begin fails"; exit 1; }
t0=$((b + 60))
for ((i = 0; i < ATTESTS; i++)); do
	printf -v ts '%(%Y-%m-%dT%H:%M:%SZ)T' $((t0 + i))
	"$XT_BIN/xmpp-attest" -k "$D/carol.key" --time "$ts" "$D/alice.pub" || {
		echo "bench: xmpp-attest -k $D/carol.key --time $ts $D/alice.pub fails" >&2
		exit 1
	}
done >"$D/all.xml"
n=$(grep -c '<signtime>' "$D/all.xml")
[ "$n" -eq "$ATTESTS" ] || { echo "bench: $n attestations made, not $ATTESTS"; exit 1; }
V="$(printf '%q ' "$XT_BIN/xmpp-attest" --verify --signer "$D/carol.pub" --key "$D/alice.pub")"
# The check must be real: one attestation in the middle given its
# neighbour's signtime (a valid time, a signature over another) must fail.
printf -v old '%(%Y-%m-%dT%H:%M:%SZ)T' $((t0 + ATTESTS / 2))
printf -v new '%(%Y-%m-%dT%H:%M:%SZ)T' $((t0 + ATTESTS / 2 - 1))
sed "s/<signtime>$old</<signtime>$new</" "$D/all.xml" >"$D/forged.xml"
cmp -s "$D/all.xml" "$D/forged.xml" && { echo "bench: forging failed"; exit 1; }
eval "$V $D/forged.xml" >/dev/null 2>&1
[ $? -eq 1 ] || { echo "bench: a forged attestation is not refused"; exit 1; }

: >"$D/verify.runs"
for ((i = 1; i <= VRUNS; i++)); do
	timed verify "$V $D/all.xml"
done
sp=
if command -v openssl >/dev/null; then
	sp=$(openssl speed -seconds 1 rsa3072 2>/dev/null |
	    awk '/^rsa *3072 bits/ { print $NF }')
fi

echo "verification, $ATTESTS attestations of one key by one signer in one process, $VRUNS runs:"
"$PY" - "$D/verify.runs" "$ATTESTS" "${sp:-0}" <<'EOF'
import statistics as st
import sys

rows = [line.split() for line in open(sys.argv[1])]
n, speed = int(sys.argv[2]), float(sys.argv[3])
cpu = [float(r[1]) + float(r[2]) for r in rows]
cm = st.median(cpu)
fail = sum(r[3] != "0" for r in rows)
print("  xmpp-attest --verify   median CPU %.3f s (user %.3f, sys %.3f; min %.3f, "
      "max %.3f),\n    wall %.3f s, %.0f us CPU per attestation, failures %d "
      "(target < 1 s CPU)" % (cm, st.median(float(r[1]) for r in rows),
      st.median(float(r[2]) for r in rows), min(cpu), max(cpu),
      st.median(float(r[0]) for r in rows), cm / n * 1e6, fail))
if speed > 0:
    raw = n / speed
    print("  openssl speed rsa3072  %.0f verify/s: %.3f s user CPU for %d bare "
          "checks, %.0f us each" % (speed, raw, n, raw / n * 1e6))
    print("  ratio xmpp-attest --verify/openssl raw RSA verify: CPU %.2fx" % (cm / raw))
else:
    print("  openssl speed: not available, no ratio")
EOF
