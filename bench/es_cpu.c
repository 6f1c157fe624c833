/*
 * es_cpu.c: the CPU an offline ESession costs per one-shot message, for
 * MODP groups 14, 15 and 16, against what it cannot do without: for the
 * sender two modular exponentiations (d = 2^y, K = e^y) and one RSA
 * signature, for the recipient one exponentiation (K = d^x) and one RSA
 * verification, timed with libgcrypt and GnuTLS, the libraries the tools
 * use, on the same sizes. Built and run by bench/esession.sh:
 *
 *	es_cpu N DATADIR TMPDIR
 *
 * prints a line per group: "GROUP send_us ref_send_us recv_us ref_recv_us".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gcrypt.h>

#include "xt.h"

static double
cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static struct xt_pubkey carol_pk;

static int
trust(void *arg, const char *bare, const unsigned char *spki, size_t len,
    struct xt_error *e)
{
	return len == carol_pk.spkilen && memcmp(spki, carol_pk.spki, len) ==
	    0 ? XT_OK : xt_error_set(e, XT_EBADSIG, "not carol");
}

static struct xt_key *
load(const char *dir, const char *name)
{
	struct xt_error e = { 0, "" };
	struct xt_key *k;
	char path[512], *pem;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	if (xt_file_read(path, 65536, 0, &pem, &len, &e) < 0 ||
	    xt_key_import(&k, pem, len, NULL, &e) < 0) {
		fprintf(stderr, "es_cpu: %s\n", e.msg);
		exit(1);
	}
	free(pem);
	return k;
}

int
main(int argc, char *argv[])
{
	static const int groups[] = { 14, 15, 16 };
	static const unsigned xbits[] = { 256, 256, 320 };	/* as esession.c */
	struct xt_error e = { 0, "" };
	struct xt_key *alice, *carol;
	struct xt_pubkey alice_pk;
	struct xt_peerkey one;
	struct xt_peerkeys keys = { NULL, &one, 1 };
	struct xt_es_inbox in = { 0 };
	char text[1024], path[512], keyid[65];
	int n, g, i;

	if (argc != 4 || (n = atoi(argv[1])) < 1) {
		fprintf(stderr, "usage: es_cpu n datadir tmpdir\n");
		return 2;
	}
	if (xt_init(&e) < 0)
		return 1;
	alice = load(argv[2], "alice");
	carol = load(argv[2], "carol");
	snprintf(path, sizeof(path), "%s/alice.pub", argv[2]);
	if (xt_pubkey_read(path, &alice_pk, &e) < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/carol.pub", argv[2]);
	if (xt_pubkey_read(path, &carol_pk, &e) < 0)
		return 1;
	one.pk = alice_pk;
	one.v = XT_KEY_VALID;
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	in.dir = argv[3];
	in.trust = trust;
	for (g = 0; g < 3; g++) {
		struct xt_es_offer o = { 0 };
		struct xt_es_begin b = { 0 };
		struct xt_es_secret *s;
		struct xt_node *form, **msgs, *out;
		struct xt_esession *es;
		gcry_mpi_t p = NULL, y, r = gcry_mpi_new(0), two, d;
		unsigned char mac[32], *sig;
		size_t siglen;
		double t0, send, refsend, recv, refrecv;

		o.jid = "alice@xt.test";
		o.expires = (int64_t)time(NULL) + 3600;
		o.groups = &groups[g];
		o.ngroups = 1;
		o.keys = (const struct xt_key *const *)&alice;
		o.nkeys = 1;
		if (xt_es_offer_make(&o, &form, &s, &e) < 0 ||
		    xt_es_secret_save(s, argv[3], &e) < 0) {
			fprintf(stderr, "es_cpu: %s\n", e.msg);
			return 1;
		}
		xt_es_secret_free(s);
		msgs = calloc(n, sizeof(*msgs));
		b.options = form;
		b.to = "alice@xt.test";
		b.keys = &keys;
		b.key = carol;
		b.now = (int64_t)time(NULL);
		t0 = cpu_us();
		for (i = 0; i < n; i++) {
			msgs[i] = xt_node_new("message", XT_NS_CLIENT);
			xt_node_set_attr(msgs[i], "from", "carol@xt.test/b");
			if (xt_es_begin(&b, &es, &e) < 0 || xt_es_seal(es, text,
			    strlen(text), msgs[i], &e) < 0) {
				fprintf(stderr, "es_cpu: %s\n", e.msg);
				return 1;
			}
			xt_es_free(es);
		}
		send = (cpu_us() - t0) / n;
		in.now = (int64_t)time(NULL);
		t0 = cpu_us();
		for (i = 0; i < n; i++) {
			if (xt_es_open(&in, msgs[i], &out, keyid, &e) < 0) {
				fprintf(stderr, "es_cpu: %s\n", e.msg);
				return 1;
			}
			xt_node_free(out);
		}
		recv = (cpu_us() - t0) / n;

		/* The same exponentiations and RSA operations, bare. */
		gcry_mpi_scan(&p, GCRYMPI_FMT_HEX, xt_es_group_hex(groups[g]),
		    0, NULL);
		two = gcry_mpi_set_ui(NULL, 2);
		y = gcry_mpi_snew(xbits[g]);
		d = gcry_mpi_new(0);
		gcry_mpi_randomize(y, xbits[g], GCRY_STRONG_RANDOM);
		gcry_mpi_set_bit(y, xbits[g] - 1);
		gcry_mpi_powm(d, two, y, p);
		t0 = cpu_us();
		for (i = 0; i < n; i++) {
			gcry_mpi_powm(r, two, y, p);
			gcry_mpi_powm(r, d, y, p);
			gcry_md_hash_buffer(GCRY_MD_SHA256, mac, text, 32);
			if (xt_key_sign(carol, mac, 32, &sig, &siglen, &e) < 0)
				return 1;
			free(sig);
		}
		refsend = (cpu_us() - t0) / n;
		xt_key_sign(carol, mac, 32, &sig, &siglen, &e);
		t0 = cpu_us();
		for (i = 0; i < n; i++) {
			gcry_mpi_powm(r, d, y, p);
			if (xt_spki_verify(carol_pk.spki, carol_pk.spkilen, mac,
			    32, sig, siglen, &e) < 0)
				return 1;
		}
		refrecv = (cpu_us() - t0) / n;
		free(sig);
		printf("%d %.0f %.0f %.0f %.0f\n", groups[g], send, refsend,
		    recv, refrecv);
		for (i = 0; i < n; i++)
			xt_node_free(msgs[i]);
		free(msgs);
		xt_node_free(form);
		gcry_mpi_release(p);
		gcry_mpi_release(two);
		gcry_mpi_release(y);
		gcry_mpi_release(d);
		gcry_mpi_release(r);
	}
	xt_es_inbox_clear(&in);
	return 0;
}
