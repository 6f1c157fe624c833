/*
 * esession.c: offline ESessions (lib/esession.c). The MODP primes
 * against RFC 3526's formula, with pi computed here (Machin); a message
 * from Bob (carol's committed key) to Alice (alice's) through options,
 * ESession, <c/> and Alice's checks; every check's forged twin refused
 * with its reason and nothing handed out; and the known answers of
 * tests/data/esession, which an independent implementation computed
 * (tests/integration/esession_ref.py), byte for byte. Run from the
 * repository root.
 */
#define _GNU_SOURCE		/* memmem */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gcrypt.h>

#include "xt.h"
#include "esession.h"
#include "tap.h"

/* ------------------------------------------------------------ primes */

/* atan(1/x) * 2^bits, by its series in fixed point. */
static gcry_mpi_t
arctan_inv(unsigned long x, unsigned bits)
{
	gcry_mpi_t sum = gcry_mpi_new(0), term = gcry_mpi_new(0),
	    t = gcry_mpi_new(0), one = gcry_mpi_set_ui(NULL, 1);
	unsigned long k;
	int sign = 1;

	gcry_mpi_mul_2exp(term, one, bits);
	gcry_mpi_div(term, NULL, term, gcry_mpi_set_ui(t, x), 0);
	gcry_mpi_set(sum, term);
	for (k = 1; gcry_mpi_cmp_ui(term, 0) != 0; k++) {
		gcry_mpi_div(term, NULL, term, gcry_mpi_set_ui(t, x * x), 0);
		gcry_mpi_div(t, NULL, term, gcry_mpi_set_ui(t, 2 * k + 1), 0);
		sign = -sign;
		if (sign < 0)
			gcry_mpi_sub(sum, sum, t);
		else
			gcry_mpi_add(sum, sum, t);
	}
	gcry_mpi_release(term);
	gcry_mpi_release(t);
	gcry_mpi_release(one);
	return sum;
}

static void
test_primes(void)
{
	static const struct { int group; unsigned n; unsigned long k; } t[] = {
		{ 14, 2048, 124476 }, { 15, 3072, 1690314 },
		{ 16, 4096, 240904 },
	};
	const unsigned bits = 4200;	/* beyond 4096 - 130, with guard */
	gcry_mpi_t pi, a, b, p, want, q;
	size_t i;

	/* pi = 16 atan(1/5) - 4 atan(1/239), times 2^bits */
	a = arctan_inv(5, bits);
	b = arctan_inv(239, bits);
	pi = gcry_mpi_new(0);
	gcry_mpi_mul_ui(a, a, 16);
	gcry_mpi_mul_ui(b, b, 4);
	gcry_mpi_sub(pi, a, b);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unsigned n = t[i].n;

		/* 2^n - 2^(n-64) - 1 + 2^64 (floor(2^(n-130) pi) + k) */
		want = gcry_mpi_new(0);
		q = gcry_mpi_new(0);
		gcry_mpi_mul_2exp(q, pi, n - 130);
		gcry_mpi_rshift(q, q, bits);
		gcry_mpi_add_ui(q, q, t[i].k);
		gcry_mpi_mul_2exp(q, q, 64);
		gcry_mpi_set_bit(want, n);
		gcry_mpi_clear_bit(a, 0);
		gcry_mpi_set_ui(a, 0);
		gcry_mpi_set_bit(a, n - 64);
		gcry_mpi_sub(want, want, a);
		gcry_mpi_sub_ui(want, want, 1);
		gcry_mpi_add(want, want, q);
		p = NULL;
		ok(xt_es_group_hex(t[i].group) != NULL &&
		    gcry_mpi_scan(&p, GCRYMPI_FMT_HEX,
		    xt_es_group_hex(t[i].group), 0, NULL) == 0 &&
		    gcry_mpi_cmp(p, want) == 0,
		    "group %d is RFC 3526's prime by its formula", t[i].group);
		is_int(gcry_mpi_get_nbits(p), n, "  of that many bits");
		gcry_mpi_release(p);
		gcry_mpi_release(want);
		gcry_mpi_release(q);
	}
	ok(xt_es_group_hex(2) == NULL && xt_es_group_hex(5) == NULL &&
	    xt_es_group_hex(3) == NULL && xt_es_group_hex(17) == NULL,
	    "groups 2, 3, 5 and 17 are not offered");
	gcry_mpi_release(a);
	gcry_mpi_release(b);
	gcry_mpi_release(pi);
}

/* ------------------------------------------------------------ a message */

static char dir[] = "/tmp/xt-es-XXXXXX";
static struct xt_pubkey alice_pk, carol_pk, mallory_pk;
static struct xt_peerkey alice_one;
static struct xt_peerkeys alice_keys = { NULL, &alice_one, 1, NULL, 0 };
static struct xt_key *alice, *carol, *mallory;

static struct xt_key *
load(const char *name, struct xt_pubkey *pk)
{
	struct xt_error e = { 0, "" };
	struct xt_key *k;
	char path[64];

	snprintf(path, sizeof(path), "tests/data/%s.key", name);
	if (xt_key_load(&k, path, NULL, &e) < 0) {
		/* The committed file may be 0644 in a checkout: copy it. */
		char tmp[128], cmd[512];

		snprintf(tmp, sizeof(tmp), "%s/%s.key", dir, name);
		snprintf(cmd, sizeof(cmd), "install -m 600 %s %s", path, tmp);
		if (system(cmd) != 0 || xt_key_load(&k, tmp, NULL, &e) < 0) {
			printf("Bail out! %s: %s\n", path, e.msg);
			exit(1);
		}
	}
	snprintf(path, sizeof(path), "tests/data/%s.pub", name);
	if (xt_pubkey_read(path, pk, &e) < 0) {
		printf("Bail out! %s: %s\n", path, e.msg);
		exit(1);
	}
	return k;
}

/* The trust of Alice's inbox: carol's key for carol@example.org. */
static int
trust(void *arg, const char *bare, const unsigned char *spki, size_t len,
    struct xt_error *e)
{
	if (strcmp(bare, "carol@example.org") == 0 && len ==
	    carol_pk.spkilen && memcmp(spki, carol_pk.spki, len) == 0)
		return XT_OK;
	return xt_error_set(e, XT_EBADSIG, "not a key we trust for %s", bare);
}

static struct xt_node *
publish(int64_t expires, struct xt_key *k)
{
	struct xt_error e = { 0, "" };
	struct xt_es_offer o = { 0 };
	struct xt_es_secret *s;
	struct xt_node *form;
	const struct xt_key *keys[1] = { k };
	static const int g[] = { 15, 14 };

	o.jid = "alice@example.org";
	o.expires = expires;
	o.groups = g;
	o.ngroups = 2;
	o.keys = keys;
	o.nkeys = 1;
	if (xt_es_offer_make(&o, &form, &s, &e) < 0 ||
	    xt_es_secret_save(s, dir, &e) < 0) {
		printf("Bail out! options: %s\n", e.msg);
		exit(1);
	}
	xt_es_secret_free(s);
	return form;
}

/* Bob's message with text to Alice through her options form. */
static int
send_msg(const struct xt_node *form, const char *text, struct xt_node **m,
    struct xt_error *e)
{
	struct xt_es_begin b = { 0 };
	struct xt_esession *s;
	int rc;

	b.options = form;
	b.to = "alice@example.org";
	alice_one.pk = alice_pk;
	b.keys = &alice_keys;
	b.key = carol;
	b.now = (int64_t)time(NULL);
	if ((rc = xt_es_begin(&b, &s, e)) < 0)
		return rc;
	*m = xt_node_new("message", XT_NS_CLIENT);
	xt_node_set_attr(*m, "from", "carol@example.org/laptop");
	xt_node_set_attr(*m, "to", xt_es_to(s));
	xt_node_set_attr(*m, "type", "chat");
	rc = xt_es_seal(s, text, strlen(text), *m, e);
	xt_es_free(s);
	return rc;
}

static char *
body(const struct xt_node *m)
{
	const struct xt_node *b = xt_node_child(m, "body", XT_NS_CLIENT);

	return b ? xt_node_text(b) : NULL;
}

/* Re-read a message through text, as it would come from the server. */
static struct xt_node *
wire(const struct xt_node *m)
{
	struct xt_parser *p = xt_parser_new(XT_PARSE_FRAGMENT, XT_NS_CLIENT,
	    NULL);
	struct xt_node *n;
	char *s;
	size_t len;

	xt_xml_serialize(m, XT_NS_CLIENT, &s, &len);
	xt_parser_feed(p, s, len, NULL);
	xt_parser_finish(p, NULL);
	n = xt_parser_next(p);
	xt_parser_free(p);
	free(s);
	return n;
}

/* Change the text of the first element named name (in ns) below n. */
static void
alter(struct xt_node *n, const char *name, const char *var, int pos)
{
	struct xt_node *c, *f;

	for (c = n->children; c != NULL; c = c->next) {
		if (c->name == NULL)
			continue;
		if (strcmp(c->name, name) == 0 && (var == NULL || (xt_node_attr(c,
		    "var") != NULL && strcmp(xt_node_attr(c, "var"), var) ==
		    0))) {
			f = c;
			while (f->children != NULL && f->children->name != NULL)
				f = f->children;
			if (f->children != NULL && f->children->text != NULL &&
			    (int)strlen(f->children->text) > pos) {
				char *t = f->children->text;

				t[pos] = t[pos] == 'A' ? 'B' : 'A';
			}
			return;
		}
		alter(c, name, var, pos);
	}
}

static struct xt_es_inbox inbox;

static int
open_msg(const struct xt_node *m, struct xt_node **out, char *why,
    size_t whylen)
{
	struct xt_error e = { 0, "" };
	char keyid[65];
	int rc;

	inbox.now = (int64_t)time(NULL);
	rc = xt_es_open(&inbox, m, out, keyid, &e);
	snprintf(why, whylen, "%s", e.msg);
	return rc;
}

static void
test_message(void)
{
	struct xt_error e = { 0, "" };
	struct xt_node *form, *m, *w, *out, *form2;
	char why[XT_ERRLEN], *t, keyid[65];
	int rc, i;
	static const struct { const char *name, *var; int pos;
	    const char *what; } forged[] = {
		{ "data", NULL, 4, "the ciphertext" },
		{ "mac", NULL, 4, "the <c/> mac" },
		{ "field", "identity", 6, "the identity" },
		{ "field", "mac", 5, "M_B" },
		{ "field", "dhkeys", 10, "d" },
		{ "field", "counter", 2, "the counter" },
		{ "field", "my_nonce", 3, "the sender's nonce (in the signed "
		    "form)" },
	};

	form = publish((int64_t)time(NULL) + 3600, alice);
	ok(send_msg(form, "deploy done <&> caf\xc3\xa9", &m, &e) == XT_OK,
	    "bob seals a message (%s)", e.msg);
	ok(xt_node_child(m, "init", XT_NS_ES_INIT) != NULL &&
	    xt_node_child(m, "c", XT_NS_ES_C) != NULL &&
	    xt_node_child(m, "body", NULL) == NULL, "  <init/> and <c/>, no "
	    "body in clear");
	w = wire(m);
	xt_node_free(m);
	ok(xt_es_is(w), "  it is an ESession message");
	rc = open_msg(w, &out, why, sizeof(why));
	is_int(rc, XT_OK, "alice opens it");
	if (rc == XT_OK) {
		t = body(out);
		is_str(t, "deploy done <&> caf\xc3\xa9", "  the body, as sent");
		free(t);
		xt_node_free(out);
	} else
		printf("#   %s\n", why);
	rc = open_msg(w, &out, why, sizeof(why));
	is_int(rc, XT_EBADSIG, "the same message again is refused");
	is_str(why, "a replay: its d or nonce came before", "  as a replay");
	xt_node_free(w);

	/* A body added in clear by a server is not the sender's. */
	send_msg(form, "genuine", &m, &e);
	w = wire(m);
	xt_node_free(m);
	xt_node_add_text(xt_node_add_elem(w, "body", NULL), "FORGED", 6);
	rc = open_msg(w, &out, why, sizeof(why));
	is_int(rc, XT_OK, "a genuine message with a body added in clear opens");
	if (rc == XT_OK) {
		t = body(out);
		is_str(t, "genuine", "  its body is the encrypted one");
		free(t);
		ok(xt_node_next(xt_node_child(out, "body", NULL), "body", NULL) ==
		    NULL, "  and the one added in clear is gone");
		xt_node_free(out);
	}
	xt_node_free(w);

	/* Each part altered: refused, nothing handed out. */
	for (i = 0; i < (int)(sizeof(forged) / sizeof(forged[0])); i++) {
		send_msg(form, "secret", &m, &e);
		w = wire(m);
		xt_node_free(m);
		alter(w, forged[i].name, forged[i].var, forged[i].pos);
		out = NULL;
		rc = open_msg(w, &out, why, sizeof(why));
		ok(rc == XT_EBADSIG && out == NULL, "altered %s: refused (%s)",
		    forged[i].what, why);
		xt_node_free(w);
	}

	/* Options that alice did not sign, or that expired. */
	form2 = xt_node_copy(form);
	alter(form2, "field", "my_nonce", 3);
	rc = send_msg(form2, "x", &m, &e);
	is_int(rc, XT_EBADSIG, "options altered after signing: bob refuses");
	is_str(e.msg, "the options are not signed by a key we trust for "
	    "alice@example.org", "  saying why");
	xt_node_free(form2);
	form2 = publish((int64_t)time(NULL) + 3600, mallory);
	rc = send_msg(form2, "x", &m, &e);
	is_int(rc, XT_EBADSIG, "options signed by another account's key: "
	    "bob refuses");
	xt_node_free(form2);
	form2 = publish((int64_t)time(NULL) - 1, alice);
	rc = send_msg(form2, "x", &m, &e);
	is_int(rc, XT_ENOTFOUND, "expired options: bob refuses");
	is_str(e.msg, "the options expired", "  saying so");
	xt_node_free(form2);

	/* Options that expire after bob sent, before alice reads. */
	form2 = publish((int64_t)time(NULL) + 2, alice);
	send_msg(form2, "late", &m, &e);
	w = wire(m);
	xt_node_free(m);
	inbox.now = (int64_t)time(NULL) + 3;
	rc = xt_es_open(&inbox, w, &out, keyid, &e);
	is_int(rc, XT_EBADSIG, "read after the options expired: refused");
	is_str(e.msg, "it answers options that had expired", "  saying so");
	xt_node_free(w);
	xt_node_free(form2);

	/* A nonce alice never published. */
	send_msg(form, "x", &m, &e);
	w = wire(m);
	xt_node_free(m);
	alter(w, "field", "nonce", 2);
	rc = open_msg(w, &out, why, sizeof(why));
	is_int(rc, XT_EBADSIG, "a message for a nonce that is not ours");
	ok(strstr(why, "nonce that is not ours") != NULL, "  saying so");
	xt_node_free(w);
	xt_node_free(form);
}


/* ------------------------------------------------------------ known answers */

#define KV_MAX	64

struct kv {
	char	*k[KV_MAX], *v[KV_MAX];
	int	 n;
};

/* "name = value" lines; values of .out files unescaped (\\ and \n). */
static int
kv_read(const char *path, struct kv *kv, int unescape)
{
	static char buf[1 << 16];
	FILE *f;
	char *p, *q, *eq, *t;

	kv->n = 0;
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(buf, sizeof(buf), f) != NULL && kv->n < KV_MAX) {
		buf[strcspn(buf, "\n")] = '\0';
		if (buf[0] == '#' || (eq = strchr(buf, '=')) == NULL)
			continue;
		for (t = eq; t > buf && t[-1] == ' '; t--)
			;
		*t = '\0';
		for (p = eq + 1; *p == ' '; p++)
			;
		kv->k[kv->n] = strdup(buf);
		kv->v[kv->n] = strdup(p);
		if (unescape)
			for (p = q = kv->v[kv->n]; *p != '\0'; p++) {
				if (*p == '\\' && (p[1] == '\\' || p[1] == 'n'))
					*q++ = *++p == 'n' ? '\n' : '\\';
				else
					*q++ = *p;
			}
		if (unescape)
			*q = '\0';
		kv->n++;
	}
	fclose(f);
	return 0;
}

static const char *
kv_get(const struct kv *kv, const char *k)
{
	int i;

	for (i = 0; i < kv->n; i++)
		if (strcmp(kv->k[i], k) == 0)
			return kv->v[i];
	return NULL;
}

static void
kv_free(struct kv *kv)
{
	int i;

	for (i = 0; i < kv->n; i++) {
		free(kv->k[i]);
		free(kv->v[i]);
	}
	kv->n = 0;
}

static void
unhex(const char *s, unsigned char *out, size_t n)
{
	size_t i;
	unsigned v;

	for (i = 0; i < n; i++) {
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
}

/* The value of field var in form x (its first <value/>), owned. */
static char *
fval(const struct xt_node *x, const char *var, int nth)
{
	const struct xt_node *f, *v;
	const char *a;

	for (f = xt_node_child(x, "field", NULL); f != NULL;
	    f = xt_node_next(f, "field", NULL)) {
		if ((a = xt_node_attr(f, "var")) == NULL || strcmp(a, var) != 0)
			continue;
		for (v = xt_node_child(f, "value", NULL); v != NULL && nth > 0;
		    v = xt_node_next(v, "value", NULL))
			nth--;
		return v ? xt_node_text(v) : NULL;
	}
	return NULL;
}

/*
 * One vector of tests/data/esession: the inputs of NAME.in through the
 * library, every output compared with NAME.out, which the independent
 * implementation (tests/integration/esession_ref.py kat) computed.
 */
static void
test_kat(const char *name)
{
	static const char *const bexcept[] = { "identity", "mac", NULL };
	static const char *const oexcept[] = { "signs", NULL };
	struct xt_error e = { 0, "" };
	struct kv in, out;
	struct xt_es_offer o = { 0 };
	struct xt_es_secret *sec;
	struct xt_es_begin b = { 0 };
	struct xt_esession *es;
	struct xt_node *form, *m, *x, *c;
	struct xt_key *ak, *bk;
	struct xt_peerkey one;
	struct xt_peerkeys keys = { NULL, &one, 1, NULL, 0 };
	const char *xs[3], *ciphers[4], *v;
	char path[256], *t, *list, *clist, *tok, *save = NULL, nm[16];
	char *got;
	unsigned char na[16], nb[16], ca[16];
	int groups[3], ng = 0, nc = 0, i, rc;

	snprintf(path, sizeof(path), "tests/data/esession/%s.in", name);
	if (kv_read(path, &in, 0) < 0) {
		printf("Bail out! %s: run from the repository root\n", path);
		exit(1);
	}
	snprintf(path, sizeof(path), "tests/data/esession/%s.out", name);
	kv_read(path, &out, 1);
	ak = strcmp(kv_get(&in, "alice_key"), "../alice.key") == 0 ? alice :
	    NULL;
	bk = strcmp(kv_get(&in, "bob_key"), "../carol.key") == 0 ? carol :
	    NULL;
	if (ak == NULL || bk == NULL) {
		printf("Bail out! %s: alice.key and carol.key expected\n", name);
		exit(1);
	}
	list = strdup(kv_get(&in, "groups"));
	for (tok = strtok_r(list, ",", &save); tok && ng < 3;
	    tok = strtok_r(NULL, ",", &save)) {
		groups[ng] = atoi(tok);
		snprintf(nm, sizeof(nm), "x_%s", tok);
		xs[ng++] = kv_get(&in, nm);
	}
	free(list);
	clist = strdup(kv_get(&in, "crypt_algs"));
	for (tok = strtok_r(clist, ",", &save); tok && nc < 3;
	    tok = strtok_r(NULL, ",", &save))
		ciphers[nc++] = tok;
	ciphers[nc] = NULL;
	unhex(kv_get(&in, "n_a"), na, 16);
	unhex(kv_get(&in, "n_b"), nb, 16);
	unhex(kv_get(&in, "c_a"), ca, 16);

	/* Alice's options. */
	o.jid = kv_get(&in, "alice_jid");
	xt_time_parse(kv_get(&in, "expires"), &o.expires);
	o.groups = groups;
	o.ngroups = ng;
	o.ciphers = ciphers;
	o.match_resource = kv_get(&in, "match_resource");
	o.keys = (const struct xt_key *const *)&ak;
	o.nkeys = 1;
	o.nonce = na;
	o.x = xs;
	rc = xt_es_offer_make(&o, &form, &sec, &e);
	if (!is_int(rc, XT_OK, "known answers: alice's options made"))
		return;
	xt_es_secret_free(sec);
	for (i = 0; i < ng; i++) {
		snprintf(nm, sizeof(nm), "e_%d", groups[i]);
		got = fval(form, "dhkeys", i);
		is_str(got, kv_get(&out, nm), "  e of each group");
		free(got);
	}
	got = xt_es_content(form, oexcept);
	is_str(got, kv_get(&out, "options_content"), "  the content signed");
	free(got);
	got = fval(form, "signs", 0);
	is_str(got, kv_get(&out, "signs"), "  signs");
	free(got);

	/* Bob's message. */
	one.pk = alice_pk;
	one.v = XT_KEY_VALID;
	b.options = form;
	b.to = kv_get(&in, "alice_jid");
	b.keys = &keys;
	b.key = bk;
	b.now = (int64_t)time(NULL);
	b.session = strcmp(kv_get(&in, "terminate"), "1") != 0;
	b.y = kv_get(&in, "y");
	b.nonce = nb;
	b.counter = ca;
	rc = xt_es_begin(&b, &es, &e);
	if (!is_int(rc, XT_OK, "  bob's ESession made")) {
		printf("#   %s\n", e.msg);
		return;
	}
	m = xt_node_new("message", XT_NS_CLIENT);
	v = kv_get(&in, "text");
	rc = xt_es_seal(es, v, strlen(v), m, &e);
	is_int(rc, XT_OK, "  the text sealed");
	if ((v = kv_get(&in, "match_resource")) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", kv_get(&in, "alice_jid"),
		    v);
		is_str(xt_es_to(es), path, "  to her resource");
	}
	xt_es_free(es);
	x = xt_node_child(xt_node_child(m, "init", NULL), "x", NULL);
	got = fval(x, "modp", 0);
	is_str(got, kv_get(&out, "chosen_group"), "  the group chosen");
	free(got);
	got = fval(x, "crypt_algs", 0);
	is_str(got, kv_get(&out, "chosen_cipher"), "  the cipher chosen");
	free(got);
	got = fval(x, "dhkeys", 0);
	is_str(got, kv_get(&out, "d"), "  d");
	free(got);
	got = xt_es_content(x, bexcept);
	is_str(got, kv_get(&out, "form_b"), "  form_B");
	free(got);
	got = fval(x, "identity", 0);
	is_str(got, kv_get(&out, "id_b"), "  ID_B: pk and the signature, "
	    "encrypted");
	free(got);
	got = fval(x, "mac", 0);
	is_str(got, kv_get(&out, "m_b"), "  M_B");
	free(got);
	c = xt_node_child(m, "c", NULL);
	t = xt_node_text(xt_node_child(c, "data", NULL));
	is_str(t, kv_get(&out, "data"), "  the encrypted body");
	free(t);
	t = xt_node_text(xt_node_child(c, "mac", NULL));
	is_str(t, kv_get(&out, "a_mac"), "  its mac");
	free(t);

	xt_node_free(m);
	xt_node_free(form);
	free(clist);
	kv_free(&in);
	kv_free(&out);
}


/*
 * Bob's <KeyValue/> as es_keyvalue reads it: a buffer that is exactly the
 * element, no NUL after it (as the decrypted identity is). A separator
 * missing inside it must not send the search past its end: under ASan
 * (make sanitize) the copies are exactly sized, so reading one byte past
 * fails the run, which is how tests/fuzz/esmessage.c found it.
 */
static void
test_keyvalue(void)
{
	static char buf[1 << 16];
	static const char sep[] = "</Modulus><Exponent>";
	FILE *f;
	char *a, *b, *kv = NULL, *cp, *hole;
	unsigned char *spki = NULL;
	size_t n = 0, spkilen = 0;

	if ((f = fopen("tests/data/esession/kat1.out", "r")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	if ((a = strstr(buf, "<KeyValue>")) == NULL ||
	    (b = strstr(a, "</KeyValue>")) == NULL) {
		ok(0, "keyvalue: kat1.out holds a <KeyValue/>");
		return;
	}
	n = b + strlen("</KeyValue>") - a;
	if ((kv = malloc(n)) == NULL || (cp = malloc(n)) == NULL) {
		ok(0, "keyvalue: malloc");
		free(kv);
		return;
	}
	memcpy(kv, a, n);
	is_int(es_keyvalue(kv, n, &spki, &spkilen), XT_OK,
	    "keyvalue: kat1's reads, from an unterminated buffer");
	ok(spkilen == carol_pk.spkilen && spki != NULL &&
	    memcmp(spki, carol_pk.spki, spkilen) == 0,
	    "  and names carol's key");
	free(spki);
	spki = NULL;

	memcpy(cp, kv, n);
	hole = memmem(cp, n, sep, sizeof(sep) - 1);
	if (hole != NULL)
		hole[1] = 'X';
	is_int(es_keyvalue(cp, n, &spki, &spkilen), XT_EINVAL,
	    "keyvalue: no separator: refused, nothing read past the end");
	memcpy(cp, kv, n);
	is_int(es_keyvalue(cp, n - 1, &spki, &spkilen), XT_EINVAL,
	    "keyvalue: one byte short: refused");
	memcpy(cp, kv, n);
	if (hole != NULL) {
		hole = cp + (hole - cp);
		memmove(hole, hole + sizeof(sep) - 1,
		    n - (hole - cp) - (sizeof(sep) - 1));
	}
	is_int(es_keyvalue(cp, n - (sizeof(sep) - 1), &spki, &spkilen),
	    XT_EINVAL, "keyvalue: modulus and exponent run together: refused");
	free(spki);
	free(cp);
	free(kv);
}

int
main(void)
{
	struct xt_error e = { 0, "" };

	if (xt_init(&e) < 0 || mkdtemp(dir) == NULL) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	inbox.dir = dir;
	inbox.trust = trust;
	alice = load("alice", &alice_pk);
	carol = load("carol", &carol_pk);
	mallory = load("mallory", &mallory_pk);
	test_primes();
	test_message();
	test_kat("kat1");
	test_kat("kat2");
	test_kat("kat3");
	test_keyvalue();
	xt_es_inbox_clear(&inbox);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return done();
}
