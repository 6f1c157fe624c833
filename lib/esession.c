/*
 * esession.c: offline encrypted sessions (XEP-0187 on XEP-0116, XEP-0188
 * and XEP-0200), the profile of PROTOCOLS.md 1.12 byte for byte. Alice,
 * going offline, publishes signed options holding one Diffie-Hellman
 * value per MODP group (she is the XEP-0116 initiator); Bob, online,
 * answers with his value, his hidden identity and the first encrypted
 * stanza in one message (the responder); Alice, back, checks and
 * decrypts. Secrets (x, y, K and the keys derived from it) live in
 * libgcrypt secure memory and are wiped.
 */
#define _GNU_SOURCE		/* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gcrypt.h>

#include "xt.h"
#include "esession.h"

#define BLOCK		16		/* AES, n = 128 */

/* RFC 3526 sections 3, 4, 5; unit-tested against their formula. */
static const char modp14[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF";
static const char modp15[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF";
static const char modp16[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7"
    "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8"
    "DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2"
    "233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9"
    "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF";

static const struct group {
	int		 id;
	const char	*hex;
	unsigned	 xbits;	/* secret exponents: twice the group's strength */
} groups[] = {
	{ 14, modp14, 256 },
	{ 15, modp15, 256 },
	{ 16, modp16, 320 },
};

static const struct group *
group(int id)
{
	size_t i;

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (groups[i].id == id)
			return &groups[i];
	return NULL;
}

const char *
xt_es_group_hex(int id)
{
	const struct group *g = group(id);

	return g ? g->hex : NULL;
}

static gcry_mpi_t
prime(const struct group *g)
{
	gcry_mpi_t p = NULL;

	if (gcry_mpi_scan(&p, GCRYMPI_FMT_HEX, g->hex, 0, NULL) != 0)
		return NULL;
	return p;
}

/* be(i): minimal big-endian octets, 0 as one zero octet. *out owned. */
static int
be(gcry_mpi_t i, int secure, unsigned char **out, size_t *len)
{
	size_t n = 0;

	*out = NULL;
	if (gcry_mpi_print(GCRYMPI_FMT_USG, NULL, 0, &n, i) != 0)
		return XT_ECRYPTO;
	*len = n > 0 ? n : 1;
	*out = secure ? gcry_calloc_secure(1, *len) : calloc(1, *len);
	if (*out == NULL)
		return XT_ENOMEM;
	if (n > 0 && gcry_mpi_print(GCRYMPI_FMT_USG, *out, n, &n, i) != 0)
		return XT_ECRYPTO;
	return XT_OK;
}

static int
be_b64(gcry_mpi_t i, char **out)
{
	unsigned char *b;
	size_t n;
	int rc;

	if ((rc = be(i, 0, &b, &n)) == XT_OK)
		rc = xt_b64_encode(b, n, out);
	free(b);
	return rc;
}

/* An integer sent as base64 be(): minimal, or it is refused. */
static int
b64_mpi(const char *s, gcry_mpi_t *out)
{
	unsigned char *b = NULL;
	size_t n = 0;
	int rc = XT_EINVAL;

	*out = NULL;
	if (xt_b64_decode(s, strlen(s), &b, &n) == XT_OK && n > 0 &&
	    (b[0] != 0 || n == 1) &&
	    gcry_mpi_scan(out, GCRYMPI_FMT_USG, b, n, NULL) == 0)
		rc = XT_OK;
	free(b);
	return rc;
}

/* 1 < v < p - 1 (XEP-0116, section 4.2; XEP-0187 3.3). */
static int
in_range(gcry_mpi_t v, gcry_mpi_t p)
{
	gcry_mpi_t pm1 = gcry_mpi_new(0);
	int ok;

	gcry_mpi_sub_ui(pm1, p, 1);
	ok = gcry_mpi_cmp_ui(v, 1) > 0 && gcry_mpi_cmp(v, pm1) < 0;
	gcry_mpi_release(pm1);
	return ok;
}

/* A secret exponent: random, of the group's size, top bit set. */
static gcry_mpi_t
secret_exp(const struct group *g)
{
	gcry_mpi_t x = gcry_mpi_snew(g->xbits);

	do {
		gcry_mpi_randomize(x, g->xbits, GCRY_STRONG_RANDOM);
		gcry_mpi_set_bit(x, g->xbits - 1);
	} while (gcry_mpi_cmp_ui(x, 1) == 0);
	return x;
}

/* 2^x mod p. */
static gcry_mpi_t
dh_public(gcry_mpi_t x, gcry_mpi_t p)
{
	gcry_mpi_t e = gcry_mpi_new(0), two = gcry_mpi_set_ui(NULL, 2);

	gcry_mpi_powm(e, two, x, p);
	gcry_mpi_release(two);
	return e;
}

static int
hmac(const void *key, size_t klen, const void *a, size_t alen,
    const void *b, size_t blen, unsigned char out[32])
{
	gcry_md_hd_t h;

	if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC |
	    GCRY_MD_FLAG_SECURE) != 0)
		return XT_ECRYPTO;
	if (gcry_md_setkey(h, key, klen) != 0) {
		gcry_md_close(h);
		return XT_ECRYPTO;
	}
	gcry_md_write(h, a, alen);
	if (blen > 0)
		gcry_md_write(h, b, blen);
	memcpy(out, gcry_md_read(h, GCRY_MD_SHA256), 32);
	gcry_md_close(h);
	return XT_OK;
}

/* The counter as a number: minimal big-endian, 0 as one octet. */
static size_t
ctr_be(const unsigned char c[BLOCK], const unsigned char **p)
{
	size_t i = 0;

	while (i < BLOCK - 1 && c[i] == 0)
		i++;
	*p = c + i;
	return BLOCK - i;
}

/* C += n mod 2^128, the whole block one big-endian number. */
static void
ctr_add(unsigned char c[BLOCK], uint64_t n)
{
	int i;
	unsigned sum;

	for (i = BLOCK - 1; i >= 0 && n > 0; i--) {
		sum = c[i] + (unsigned)(n & 0xff);
		c[i] = (unsigned char)sum;
		n = (n >> 8) + (sum >> 8);
	}
}

/* AES-CTR with the counter block as IV, then C += blocks used. */
static int
ctr_crypt(const unsigned char *key, size_t klen, unsigned char c[BLOCK],
    const void *in, size_t n, unsigned char **out)
{
	gcry_cipher_hd_t h;
	int rc = XT_ECRYPTO;

	*out = NULL;
	if (gcry_cipher_open(&h, klen == 32 ? GCRY_CIPHER_AES256 :
	    GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_CTR, GCRY_CIPHER_SECURE) != 0)
		return XT_ECRYPTO;
	if ((*out = malloc(n > 0 ? n : 1)) == NULL)
		rc = XT_ENOMEM;
	else if (gcry_cipher_setkey(h, key, klen) == 0 &&
	    gcry_cipher_setctr(h, c, BLOCK) == 0 &&
	    gcry_cipher_encrypt(h, *out, n, in, n) == 0) {
		/* A partial last block uses a whole counter value. */
		ctr_add(c, (n + BLOCK - 1) / BLOCK);
		rc = XT_OK;
	}
	gcry_cipher_close(h);
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/* --------------------------------------------------------------- Alice */

static const char *const form_fixed[][2] = {
	{ "otr", "false" }, { "disclosure", "never" }, { "security", "e2e" },
};

int
xt_es_offer_make(const struct xt_es_offer *o, struct xt_node **formp,
    struct xt_es_secret **sp, struct xt_error *e)
{
	static const int defaults[] = { 14, 15, 16 };
	static const char *const ciphers[] = { "aes256-ctr", "aes128-ctr",
	    NULL };
	static const char *const except[] = { "signs", NULL };
	struct xt_es_secret *s;
	struct xt_node *x = NULL;
	const struct group *g[3];
	gcry_mpi_t p = NULL, ev = NULL;
	char tbuf[32], *ids[3] = { NULL }, *keys[3] = { NULL }, *nonce = NULL;
	char *signs[8] = { NULL }, *c = NULL;
	unsigned char *sig;
	size_t siglen, i;
	const int *gl = o->groups ? o->groups : defaults;
	int n = o->groups ? o->ngroups : 3, rc = XT_ENOMEM, k, nciphers = 0;

	*formp = NULL;
	*sp = NULL;
	while ((o->ciphers ? o->ciphers : ciphers)[nciphers] != NULL)
		nciphers++;
	if (n < 1 || n > 3 || o->nkeys < 1 || o->nkeys > 8 || nciphers < 1)
		return xt_error_set(e, XT_EINVAL, "esession: 1 to 3 groups and "
		    "1 to 8 signing keys");
	for (k = 0; k < n; k++)
		if ((g[k] = group(gl[k])) == NULL)
			return xt_error_set(e, XT_EINVAL, "esession: group %d is "
			    "not one of 14, 15, 16", gl[k]);
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->jid = strdup(o->jid)) == NULL)
		goto out;
	s->expires = o->expires;
	if (o->nonce != NULL)
		memcpy(s->na, o->nonce, ES_NONCE_LEN);
	else
		gcry_randomize(s->na, ES_NONCE_LEN, GCRY_STRONG_RANDOM);
	for (k = 0; k < n; k++) {
		s->group[k] = g[k]->id;
		if (o->x != NULL) {
			if (gcry_mpi_scan(&s->x[k], GCRYMPI_FMT_HEX, o->x[k], 0,
			    NULL) != 0) {
				rc = xt_error_set(e, XT_EINVAL, "esession: x is "
				    "not hex");
				goto out;
			}
		} else
			s->x[k] = secret_exp(g[k]);
		s->n = k + 1;
		if ((p = prime(g[k])) == NULL)
			goto out;
		ev = dh_public(s->x[k], p);
		if (!in_range(ev, p) || (rc = be_b64(ev, &keys[k])) < 0) {
			rc = xt_error_set(e, XT_ECRYPTO, "esession: no valid e");
			goto out;
		}
		gcry_mpi_release(p);
		gcry_mpi_release(ev);
		p = ev = NULL;
		rc = XT_ENOMEM;
		snprintf(tbuf, sizeof(tbuf), "%d", g[k]->id);
		if ((ids[k] = strdup(tbuf)) == NULL)
			goto out;
	}
	if (xt_b64_encode(s->na, ES_NONCE_LEN, &nonce) < 0 ||
	    xt_time_format(o->expires, tbuf, sizeof(tbuf)) < 0)
		goto out;
	/* The fields in the order of PROTOCOLS.md 1.12. */
	if ((x = xt_node_new("x", XT_NS_DATA)) == NULL ||
	    xt_node_set_attr(x, "type", "form") < 0 ||
	    es_add_one(x, "FORM_TYPE", "hidden", "urn:xmpp:ssn", 0) < 0)
		goto out;
	for (i = 0; i < 3; i++)
		if (es_add_one(x, form_fixed[i][0], "list-single",
		    form_fixed[i][1], 1) < 0)
			goto out;
	if (es_add_field(x, "modp", "list-single", (const char *const *)ids, n,
	    1) < 0 ||
	    es_add_field(x, "crypt_algs", "list-single", o->ciphers ? o->ciphers :
	    ciphers, nciphers, 1) < 0 ||
	    es_add_one(x, "hash_algs", "list-single", "sha256", 1) < 0 ||
	    es_add_one(x, "sign_algs", "list-single", "rsa", 1) < 0 ||
	    es_add_one(x, "compress", "list-single", "none", 1) < 0 ||
	    es_add_one(x, "stanzas", "list-multi", "message", 1) < 0 ||
	    es_add_one(x, "ver", "list-single", "1.3", 1) < 0 ||
	    es_add_one(x, "rekey_freq", "text-single", "1", 0) < 0 ||
	    es_add_one(x, "expires", "hidden", tbuf, 0) < 0 ||
	    es_add_one(x, "my_nonce", "hidden", nonce, 0) < 0 ||
	    es_add_field(x, "dhkeys", "hidden", (const char *const *)keys, n,
	    0) < 0 ||
	    (o->match_resource != NULL && es_add_one(x, "match_resource",
	    "text-single", o->match_resource, 0) < 0))
		goto out;
	/* signs: each key over the content of every other field. */
	if ((c = es_content(x, except)) == NULL)
		goto out;
	for (i = 0; i < o->nkeys; i++) {
		if ((rc = xt_key_sign(o->keys[i], c, strlen(c), &sig, &siglen,
		    e)) < 0)
			goto out;
		rc = xt_b64_encode(sig, siglen, &signs[i]);
		free(sig);
		if (rc < 0)
			goto out;
	}
	rc = es_add_field(x, "signs", "hidden", (const char *const *)signs,
	    (int)o->nkeys, 0);
out:
	if (rc == XT_ENOMEM)
		xt_error_set(e, rc, "out of memory");
	for (k = 0; k < 3; k++) {
		free(ids[k]);
		free(keys[k]);
	}
	for (i = 0; i < 8; i++)
		free(signs[i]);
	free(nonce);
	free(c);
	gcry_mpi_release(p);
	gcry_mpi_release(ev);
	if (rc < 0) {
		xt_node_free(x);
		xt_es_secret_free(s);
		return rc;
	}
	*formp = x;
	*sp = s;
	return XT_OK;
}

int
xt_es_publish(struct xt_session *sess, const struct xt_es_offer *o,
    int everyone, const char *dir, char nonce[33], struct xt_error *e)
{
	struct xt_pep_opts po = { 0 };
	struct xt_es_secret *s;
	struct xt_node *form;
	char *path;
	int rc;

	if ((rc = xt_es_offer_make(o, &form, &s, e)) < 0)
		return rc;
	/* The secrets are safe on disk before anyone can use the options. */
	if ((rc = xt_es_secret_save(s, dir, e)) == XT_OK) {
		po.access = everyone ? "open" : "presence";
		po.max_items = "1";
		po.silent = 1;
		rc = xt_pep_publish(sess, everyone ? XT_NS_ES_EVERYONE :
		    XT_NS_ES_SUBSCRIBERS, "current", form, &po, e);
		if (rc < 0 && (path = es_store_path(dir, s->na, NULL)) != NULL) {
			es_shred(path);
			free(path);
		}
	}
	if (rc == XT_OK)
		es_hexify(s->na, ES_NONCE_LEN, nonce);
	xt_es_secret_free(s);
	xt_node_free(form);
	return rc;
}

int
xt_es_retract(struct xt_session *sess, int *count, struct xt_error *e)
{
	static const char *const nodes[] = { XT_NS_ES_SUBSCRIBERS,
	    XT_NS_ES_EVERYONE };
	struct xt_error le;
	size_t k;
	int rc;

	*count = 0;
	for (k = 0; k < 2; k++) {
		rc = xt_pep_retract(sess, nodes[k], "current", &le);
		if (rc == XT_OK)
			(*count)++;
		else if (rc != XT_ESTANZA || (strstr(le.msg, "item-not-found") ==
		    NULL && strstr(le.msg, "forbidden") == NULL))
			return xt_error_set(e, rc, "%s", le.msg);
	}
	return XT_OK;
}

/* --------------------------------------------------------------- keys */

/* The keys both sides derive from K (XEP-0116 section 4.4), secure. */
struct keys {
	unsigned char	 kc[32];
	size_t		 kclen;		/* 32 for aes256-ctr, 16 for aes128 */
	unsigned char	 km[32], ks[32];
};

/*
 * K = SHA-256(be(pub^sec mod p)); KC, KM, KS the responder's keys, the
 * AES-128 key the last 16 octets of its HMAC (PROTOCOLS.md 1.4).
 */
static int
derive(gcry_mpi_t pub, gcry_mpi_t sec, gcry_mpi_t p, int aes256,
    struct keys *k)
{
	static const char lc[] = "Responder Cipher Key",
	    lm[] = "Responder MAC Key", ls[] = "Responder SIGMA Key";
	gcry_mpi_t z = gcry_mpi_snew(0);
	unsigned char *zb = NULL, kk[32], kc[32];
	size_t zlen;
	int rc;

	gcry_mpi_powm(z, pub, sec, p);
	if ((rc = be(z, 1, &zb, &zlen)) == XT_OK) {
		gcry_md_hash_buffer(GCRY_MD_SHA256, kk, zb, zlen);
		if ((rc = hmac(kk, 32, lc, sizeof(lc) - 1, NULL, 0, kc)) ==
		    XT_OK && (rc = hmac(kk, 32, lm, sizeof(lm) - 1, NULL, 0,
		    k->km)) == XT_OK)
			rc = hmac(kk, 32, ls, sizeof(ls) - 1, NULL, 0, k->ks);
		k->kclen = aes256 ? 32 : 16;
		memcpy(k->kc, kc + 32 - k->kclen, k->kclen);
		xt_wipe(zb, zlen);
	}
	gcry_free(zb);
	gcry_mpi_release(z);
	xt_wipe(kk, sizeof(kk));
	xt_wipe(kc, sizeof(kc));
	return rc;
}

/*
 * pk: the <KeyValue/> of an RSA key, as both sides write it (PROTOCOLS.md
 * 1.12). *out owned.
 */
static int
keyvalue(const unsigned char *spki, size_t len, char **out)
{
	struct es_str b = { NULL, 0, 0, 0 };
	unsigned char *n, *ex;
	size_t nlen, elen;
	char *bn = NULL, *bx = NULL;
	int rc;

	*out = NULL;
	if ((rc = xt_spki_rsa(spki, len, &n, &nlen, &ex, &elen, NULL)) < 0)
		return rc;
	if (xt_b64_encode(n, nlen, &bn) == XT_OK &&
	    xt_b64_encode(ex, elen, &bx) == XT_OK) {
		es_puts(&b, "<KeyValue><RSAKeyValue><Modulus>");
		es_puts(&b, bn);
		es_puts(&b, "</Modulus><Exponent>");
		es_puts(&b, bx);
		es_puts(&b, "</Exponent></RSAKeyValue></KeyValue>");
	} else
		b.oom = 1;
	free(n);
	free(ex);
	free(bn);
	free(bx);
	if (b.oom) {
		free(b.s);
		return XT_ENOMEM;
	}
	*out = b.s;
	return XT_OK;
}

/* mac = HMAC(KS, N_A ‖ N_B ‖ be(d) ‖ pk ‖ form_B). */
static int
mac_b(const struct keys *k, const unsigned char *na, const unsigned char *nb,
    size_t nblen, gcry_mpi_t d, const char *pk, const char *form,
    unsigned char out[32])
{
	struct es_str b = { NULL, 0, 0, 0 };
	unsigned char *db;
	size_t dlen;
	int rc;

	if ((rc = be(d, 0, &db, &dlen)) < 0)
		return rc;
	es_put(&b, (const char *)na, ES_NONCE_LEN);
	es_put(&b, (const char *)nb, nblen);
	es_put(&b, (const char *)db, dlen);
	es_puts(&b, pk);
	es_puts(&b, form);
	free(db);
	rc = b.oom ? XT_ENOMEM : hmac(k->ks, 32, b.s, b.len, NULL, 0, out);
	free(b.s);
	return rc;
}

/* --------------------------------------------------------------- Bob */

struct xt_esession {
	struct keys	 k;		/* secure: the whole struct */
	unsigned char	 c[BLOCK];	/* C_B, as XEP-0187 calls it */
	char		*to;
	struct xt_node	*init;		/* for the first stanza only */
	int		 terminate;
};

void
xt_es_free(struct xt_esession *s)
{
	if (s == NULL)
		return;
	free(s->to);
	xt_node_free(s->init);
	xt_wipe(s, sizeof(*s));
	gcry_free(s);
}

const char *
xt_es_to(const struct xt_esession *s)
{
	return s->to;
}

int
xt_es_options_fetch(struct xt_session *s, const char *jid,
    struct xt_node **form, struct xt_error *e)
{
	static const char *const nodes[] = { XT_NS_ES_SUBSCRIBERS,
	    XT_NS_ES_EVERYONE };
	struct xt_node **items, *x;
	size_t n, i, k;
	int rc = XT_ENOTFOUND;

	*form = NULL;
	for (k = 0; k < 2 && *form == NULL; k++) {
		if ((rc = xt_pep_items(s, jid, nodes[k], &items, &n, NULL, e)) ==
		    XT_ENOTFOUND)
			continue;
		if (rc < 0)
			return rc;
		for (i = 0; i < n && *form == NULL; i++)
			if ((x = xt_node_child(items[i], "x", XT_NS_DATA)) !=
			    NULL && (*form = xt_node_copy(x)) == NULL)
				rc = XT_ENOMEM;
		xt_pep_items_free(items, n);
		if (rc == XT_ENOMEM)
			return xt_error_set(e, rc, "out of memory");
	}
	if (*form == NULL)
		return xt_error_set(e, XT_ENOTFOUND, "%s has published no "
		    "offline ESession options we may read (xmpp-publish "
		    "--esession makes them)", jid);
	return XT_OK;
}

/* Bob's choice among what Alice offers: the first we support. */
static const struct group *
choose_group(const struct xt_node *x, int *index)
{
	char *v[8];
	const struct group *g = NULL;
	int n = es_values(es_field(x, "modp"), v, 8), i;

	for (i = 0; i < n && g == NULL; i++)
		if ((g = group(atoi(v[i]))) != NULL)
			*index = i;
	es_free_values(v, n);
	return g;
}

static int
choose_cipher(const struct xt_node *x)
{
	char *v[8];
	int n = es_values(es_field(x, "crypt_algs"), v, 8), i, c = -1;

	for (i = 0; i < n && c < 0; i++)
		if (strcmp(v[i], "aes256-ctr") == 0)
			c = 1;
		else if (strcmp(v[i], "aes128-ctr") == 0)
			c = 0;
	es_free_values(v, n);
	return c;
}

/*
 * Alice's options: of the right form, not expired, signed with one of her
 * trusted keys (a signs value over es_content(x, {signs})), offering what
 * we can do. On success *g and *aes256 say what we chose.
 */
static int
check_options(const struct xt_es_begin *b, const struct group **g,
    int *gi, int *aes256, struct xt_error *e)
{
	static const char *const except[] = { "signs", NULL };
	const struct xt_node *x = b->options;
	char *v[8], *c = NULL, *ex = NULL, *ft;
	unsigned char *sig;
	size_t siglen, i;
	int64_t t;
	int n, k, good = 0;

	if (x == NULL || strcmp(x->name, "x") != 0 || x->ns == NULL ||
	    strcmp(x->ns, XT_NS_DATA) != 0)
		return xt_error_set(e, XT_EINVAL, "the options are no data form");
	ft = es_value(x, "FORM_TYPE");
	k = ft != NULL && strcmp(ft, "urn:xmpp:ssn") == 0;
	free(ft);
	if (!k)
		return xt_error_set(e, XT_EINVAL, "the options are not of "
		    "urn:xmpp:ssn");
	/* A signature by a key we trust for her, or nothing is sent. */
	if ((c = es_content(x, except)) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	n = es_values(es_field(x, "signs"), v, 8);
	for (k = 0; k < n && !good; k++) {
		if (xt_b64_decode(v[k], strlen(v[k]), &sig, &siglen) < 0)
			continue;
		for (i = 0; i < b->keys->n && !good; i++)
			good = b->keys->keys[i].v == XT_KEY_VALID &&
			    xt_spki_verify(b->keys->keys[i].pk.spki,
			    b->keys->keys[i].pk.spkilen, c, strlen(c), sig,
			    siglen, NULL) == XT_OK;
		free(sig);
	}
	es_free_values(v, n);
	free(c);
	if (!good)
		return xt_error_set(e, XT_EBADSIG, "the options are not signed "
		    "by a key we trust for %s", b->to);
	if ((ex = es_value(x, "expires")) == NULL || xt_time_parse(ex, &t) < 0) {
		free(ex);
		return xt_error_set(e, XT_EINVAL, "the options have no valid "
		    "expires");
	}
	free(ex);
	if (t <= b->now)
		return xt_error_set(e, XT_ENOTFOUND, "the options expired");
	if (!es_offers(x, "hash_algs", "sha256") || !es_offers(x, "sign_algs",
	    "rsa") || !es_offers(x, "compress", "none") || !es_offers(x, "stanzas",
	    "message") || !es_offers(x, "ver", "1.3"))
		return xt_error_set(e, XT_EINVAL, "the options ask for what we "
		    "cannot do (we do sha256, rsa, no compression, messages, "
		    "version 1.3)");
	if ((*g = choose_group(x, gi)) == NULL)
		return xt_error_set(e, XT_EINVAL, "the options offer no MODP "
		    "group we accept (14, 15 or 16)");
	if ((*aes256 = choose_cipher(x)) < 0)
		return xt_error_set(e, XT_EINVAL, "the options offer neither "
		    "aes256-ctr nor aes128-ctr");
	return XT_OK;
}

int
xt_es_begin(const struct xt_es_begin *b, struct xt_esession **sp,
    struct xt_error *e)
{
	static const char *const except[] = { "identity", "mac", NULL };
	const struct xt_node *opt = b->options;
	const struct group *g = NULL;
	struct xt_esession *s = NULL;
	struct xt_node *init = NULL, *x;
	gcry_mpi_t p = NULL, ea = NULL, y = NULL, d = NULL;
	unsigned char nb[ES_NONCE_LEN], ca[BLOCK], cbe[BLOCK], *na = NULL;
	unsigned char mb[32], mm[32], *spki = NULL, *sig = NULL, *id = NULL;
	char *v[8], *nonce = NULL, *dh = NULL, *cnt = NULL, *pk = NULL;
	char *formb = NULL, *nbb = NULL, *sigb = NULL, *idb = NULL;
	char *mbb = NULL, *res = NULL, gid[8];
	const unsigned char *cb;
	struct es_str plain = { NULL, 0, 0, 0 };
	size_t nalen = 0, spkilen, siglen, cblen;
	int gi = 0, aes256 = 0, n, rc;

	*sp = NULL;
	if ((rc = check_options(b, &g, &gi, &aes256, e)) < 0)
		return rc;
	/* Her value for the group chosen, and her nonce. */
	n = es_values(es_field(opt, "dhkeys"), v, 8);
	rc = gi < n ? b64_mpi(v[gi], &ea) : XT_EINVAL;
	es_free_values(v, n);
	p = prime(g);
	if (rc < 0 || p == NULL || !in_range(ea, p)) {
		rc = xt_error_set(e, XT_EINVAL, "the options hold no valid "
		    "value for group %d", g->id);
		goto out;
	}
	n = es_values(es_field(opt, "my_nonce"), v, 2);
	rc = n == 1 ? xt_b64_decode(v[0], strlen(v[0]), &na, &nalen) :
	    XT_EINVAL;
	if (rc == XT_OK && (nonce = strdup(v[0])) == NULL)
		rc = XT_ENOMEM;
	es_free_values(v, n);
	if (rc < 0 || nalen == 0) {
		rc = xt_error_set(e, XT_EINVAL, "the options hold no nonce");
		goto out;
	}
	/* Ours: y, d, N_B, C_A (fixed only by known-answer tests). */
	if (b->y != NULL) {
		if (gcry_mpi_scan(&y, GCRYMPI_FMT_HEX, b->y, 0, NULL) != 0) {
			rc = xt_error_set(e, XT_EINVAL, "y is not hex");
			goto out;
		}
	} else
		y = secret_exp(g);
	if (b->nonce != NULL)
		memcpy(nb, b->nonce, ES_NONCE_LEN);
	else
		gcry_randomize(nb, ES_NONCE_LEN, GCRY_STRONG_RANDOM);
	if (b->counter != NULL)
		memcpy(ca, b->counter, BLOCK);
	else
		gcry_randomize(ca, BLOCK, GCRY_STRONG_RANDOM);
	d = dh_public(y, p);
	if ((s = gcry_calloc_secure(1, sizeof(*s))) == NULL) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = derive(ea, y, p, aes256, &s->k)) < 0) {
		rc = xt_error_set(e, rc, "key derivation failed");
		goto out;
	}
	memcpy(s->c, ca, BLOCK);
	s->c[0] ^= 0x80;	/* C_B = C_A XOR 2^(n-1) */
	s->terminate = !b->session;
	/* Where to: her full JID if she asked for one resource. */
	res = es_value(opt, "match_resource");
	n = strlen(b->to) + (res ? strlen(res) + 2 : 1);
	if ((s->to = malloc(n)) == NULL) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(s->to, n, "%s%s%s", b->to, res ? "/" : "", res ? res : "");

	/* form_B, in the order of PROTOCOLS.md 1.12. */
	snprintf(gid, sizeof(gid), "%d", g->id);
	cblen = ctr_be(ca, &cb);
	rc = XT_ENOMEM;
	if (xt_b64_encode(nb, ES_NONCE_LEN, &nbb) < 0 || be_b64(d, &dh) < 0 ||
	    xt_b64_encode(cb, cblen, &cnt) < 0)
		goto oom;
	if ((init = xt_node_new("init", XT_NS_ES_INIT)) == NULL ||
	    (x = xt_node_add_elem(init, "x", XT_NS_DATA)) == NULL ||
	    xt_node_set_attr(x, "type", "submit") < 0 ||
	    es_add_one(x, "FORM_TYPE", NULL, "urn:xmpp:ssn", 0) < 0 ||
	    es_add_one(x, "otr", NULL, "false", 0) < 0 ||
	    es_add_one(x, "disclosure", NULL, "never", 0) < 0 ||
	    es_add_one(x, "security", NULL, "e2e", 0) < 0 ||
	    es_add_one(x, "modp", NULL, gid, 0) < 0 ||
	    es_add_one(x, "crypt_algs", NULL, aes256 ? "aes256-ctr" :
	    "aes128-ctr", 0) < 0 ||
	    es_add_one(x, "hash_algs", NULL, "sha256", 0) < 0 ||
	    es_add_one(x, "sign_algs", NULL, "rsa", 0) < 0 ||
	    es_add_one(x, "compress", NULL, "none", 0) < 0 ||
	    es_add_one(x, "stanzas", NULL, "message", 0) < 0 ||
	    es_add_one(x, "ver", NULL, "1.3", 0) < 0 ||
	    es_add_one(x, "rekey_freq", NULL, "1", 0) < 0 ||
	    es_add_one(x, "my_nonce", NULL, nbb, 0) < 0 ||
	    es_add_one(x, "dhkeys", NULL, dh, 0) < 0 ||
	    es_add_one(x, "nonce", NULL, nonce, 0) < 0 ||
	    es_add_one(x, "counter", NULL, cnt, 0) < 0 ||
	    (s->terminate && es_add_one(x, "terminate", NULL, "1", 0) < 0))
		goto oom;
	/* The identity: pk and the signature of mac_B, encrypted. */
	if ((rc = xt_key_spki(b->key, &spki, &spkilen)) < 0 ||
	    (rc = keyvalue(spki, spkilen, &pk)) < 0 ||
	    (formb = es_content(x, except)) == NULL)
		goto oom;
	if ((rc = mac_b(&s->k, na, nb, ES_NONCE_LEN, d, pk, formb, mb)) < 0 ||
	    (rc = xt_key_sign(b->key, mb, 32, &sig, &siglen, e)) < 0 ||
	    (rc = xt_b64_encode(sig, siglen, &sigb)) < 0)
		goto fail;
	es_puts(&plain, pk);
	es_puts(&plain, "<SignatureValue>");
	es_puts(&plain, sigb);
	es_puts(&plain, "</SignatureValue>");
	if (plain.oom)
		goto oom;
	/* M_B = HMAC(KM, be(C) ‖ ID_B) with C before ID_B took its blocks. */
	cblen = ctr_be(s->c, &cb);
	memcpy(cbe, cb, cblen);
	if ((rc = ctr_crypt(s->k.kc, s->k.kclen, s->c, plain.s, plain.len,
	    &id)) < 0 || (rc = hmac(s->k.km, 32, cbe, cblen, id, plain.len,
	    mm)) < 0)
		goto fail;
	if (xt_b64_encode(id, plain.len, &idb) < 0 ||
	    xt_b64_encode(mm, 32, &mbb) < 0 ||
	    es_add_one(x, "identity", NULL, idb, 0) < 0 ||
	    es_add_one(x, "mac", NULL, mbb, 0) < 0)
		goto oom;
	s->init = init;
	init = NULL;
	*sp = s;
	s = NULL;
	rc = XT_OK;
	goto out;
oom:
	rc = xt_error_set(e, XT_ENOMEM, "out of memory");
	goto out;
fail:
	if (e != NULL && e->msg[0] == '\0')
		xt_error_set(e, rc, "esession: %s", xt_strerror(rc));
out:
	xt_wipe(mb, sizeof(mb));
	xt_node_free(init);
	xt_es_free(s);
	gcry_mpi_release(p);
	gcry_mpi_release(ea);
	gcry_mpi_release(y);
	gcry_mpi_release(d);
	free(na);
	free(spki);
	free(sig);
	free(id);
	free(nonce);
	free(dh);
	free(cnt);
	free(pk);
	free(formb);
	free(nbb);
	free(sigb);
	free(idb);
	free(mbb);
	free(res);
	xt_wipe(plain.s, plain.cap);
	free(plain.s);
	return rc;
}

/*
 * The <c/> of XEP-0200 for markup m: encrypted at C, a_mac = HMAC(KM,
 * "<data>" b64 "</data>" ‖ be(C)) with C before (section 5); with the
 * <init/> if it has not gone yet.
 */
static int
seal(struct xt_esession *s, const char *m, size_t len, struct xt_node *msg,
    struct xt_error *e)
{
	struct es_str mc = { NULL, 0, 0, 0 };
	struct xt_node *c, *el;
	unsigned char before[BLOCK], mac[32], *data = NULL;
	const unsigned char *cb;
	char *b64 = NULL, *mb = NULL;
	size_t cblen;
	int rc;

	cblen = ctr_be(s->c, &cb);
	memcpy(before, cb, cblen);
	if ((rc = ctr_crypt(s->k.kc, s->k.kclen, s->c, m, len, &data)) < 0 ||
	    (rc = xt_b64_encode(data, len, &b64)) < 0)
		goto out;
	es_puts(&mc, "<data>");
	es_puts(&mc, b64);
	es_puts(&mc, "</data>");
	rc = XT_ENOMEM;
	if (mc.oom || hmac(s->k.km, 32, mc.s, mc.len, before, cblen, mac) < 0 ||
	    xt_b64_encode(mac, 32, &mb) < 0)
		goto out;
	if (s->init != NULL && xt_node_add(msg, s->init) == NULL)
		goto out;
	s->init = NULL;
	if ((c = xt_node_add_elem(msg, "c", XT_NS_ES_C)) == NULL ||
	    (el = xt_node_add_elem(c, "data", NULL)) == NULL ||
	    xt_node_add_text(el, b64, strlen(b64)) < 0 ||
	    (el = xt_node_add_elem(c, "mac", NULL)) == NULL ||
	    xt_node_add_text(el, mb, strlen(mb)) < 0)
		goto out;
	rc = XT_OK;
out:
	if (rc == XT_ENOMEM)
		xt_error_set(e, rc, "out of memory");
	else if (rc < 0)
		xt_error_set(e, rc, "encryption failed");
	free(mc.s);
	free(data);
	free(b64);
	free(mb);
	return rc;
}

/* m = "<body>" escaped text "</body>" (1.12). */
int
xt_es_seal(struct xt_esession *s, const char *text, size_t len,
    struct xt_node *msg, struct xt_error *e)
{
	struct es_str m = { NULL, 0, 0, 0 };
	char *t;
	int rc;

	if ((t = strndup(text, len)) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	es_puts(&m, "<body>");
	es_put_esc(&m, t, 0);
	es_puts(&m, "</body>");
	xt_wipe(t, len);
	free(t);
	rc = m.oom ? xt_error_set(e, XT_ENOMEM, "out of memory") :
	    seal(s, m.s, m.len, msg, e);
	xt_wipe(m.s, m.cap);
	free(m.s);
	return rc;
}

/* XEP-0116 section 10: the end of an ESession, encrypted like a stanza. */
static const char terminate_form[] = "<x xmlns='jabber:x:data' "
    "type='submit'><field var='FORM_TYPE'><value>urn:xmpp:ssn</value>"
    "</field><field var='terminate'><value>1</value></field></x>";

int
xt_es_terminate(struct xt_esession *s, struct xt_node *msg,
    struct xt_error *e)
{
	return seal(s, terminate_form, sizeof(terminate_form) - 1, msg, e);
}

/* Does a decrypted stanza end its ESession? */
static int
ends(const struct xt_node *plain)
{
	const struct xt_node *x;
	char *v;
	int yes = 0;

	for (x = xt_node_child(plain, "x", XT_NS_DATA); x != NULL && !yes;
	    x = xt_node_next(x, "x", XT_NS_DATA)) {
		v = es_value(x, "terminate");
		yes = v != NULL && (strcmp(v, "1") == 0 ||
		    strcmp(v, "true") == 0);
		free(v);
	}
	return yes;
}

/* --------------------------------------------------------------- Alice back */

/* An ESession kept from its first stanza to the next (no terminate). */
struct xt_es_rx {
	struct keys	 k;
	unsigned char	 c[BLOCK];
	char		*from;		/* Bob's full JID */
	char		 keyid[65];
	struct xt_es_rx	*next;
};

/* An ESession ended: its keys wiped. */
static void
forget(struct xt_es_inbox *in, struct xt_es_rx *r)
{
	struct xt_es_rx **p;

	for (p = &in->rx; *p != NULL; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			free(r->from);
			xt_wipe(r, sizeof(*r));
			gcry_free(r);
			return;
		}
}

void
xt_es_inbox_clear(struct xt_es_inbox *in)
{
	struct xt_es_rx *r;

	while ((r = in->rx) != NULL) {
		in->rx = r->next;
		free(r->from);
		xt_wipe(r, sizeof(*r));
		gcry_free(r);
	}
}

int
xt_es_is(const struct xt_node *msg)
{
	return xt_node_child(msg, "init", XT_NS_ES_INIT) != NULL ||
	    xt_node_child(msg, "c", XT_NS_ES_C) != NULL;
}

/*
 * pk as Bob wrote it: exactly the <KeyValue/> of 1.12. The key it names,
 * as DER SPKI in *spki.
 */
int
es_keyvalue(const char *s, size_t len, unsigned char **spki, size_t *spkilen)
{
	static const char a[] = "<KeyValue><RSAKeyValue><Modulus>",
	    b[] = "</Modulus><Exponent>",
	    c[] = "</Exponent></RSAKeyValue></KeyValue>";
	const char *m, *x, *end = s + len;
	unsigned char *n = NULL, *ex = NULL;
	size_t nlen, exlen;
	int rc = XT_EINVAL;

	if (len < sizeof(a) + sizeof(b) + sizeof(c) ||
	    memcmp(s, a, sizeof(a) - 1) != 0 ||
	    memcmp(end - (sizeof(c) - 1), c, sizeof(c) - 1) != 0)
		return XT_EINVAL;
	/* s is not a C string: search only between the two fixed ends. */
	m = s + sizeof(a) - 1;
	if ((x = memmem(m, (size_t)(end - (sizeof(c) - 1) - m), b,
	    sizeof(b) - 1)) == NULL)
		return XT_EINVAL;
	if (xt_b64_decode(m, (size_t)(x - m), &n, &nlen) == XT_OK &&
	    xt_b64_decode(x + sizeof(b) - 1, (size_t)(end - (sizeof(c) - 1) -
	    (x + sizeof(b) - 1)), &ex, &exlen) == XT_OK)
		rc = xt_spki_from_rsa(n, nlen, ex, exlen, spki, spkilen, NULL);
	free(n);
	free(ex);
	return rc;
}

/*
 * a_mac over the received <c/>: its children but <mac/>, each as <name>,
 * stripped text, </name>, in document order, then be(C) (1.12). The
 * <data/> bytes come back in *data.
 */
static int
check_c(const struct keys *k, const unsigned char c[BLOCK],
    const struct xt_node *cel, unsigned char **data, size_t *len)
{
	struct es_str b = { NULL, 0, 0, 0 };
	const struct xt_node *ch;
	const unsigned char *cb;
	unsigned char want[32], *got = NULL;
	char *t, *s, *q;
	size_t cblen, glen = 0;
	int rc = XT_EBADSIG, ndata = 0;

	*data = NULL;
	*len = 0;
	for (ch = cel->children; ch != NULL; ch = ch->next) {
		if (ch->name == NULL)
			continue;
		if ((t = xt_node_text(ch)) == NULL) {
			b.oom = 1;
			break;
		}
		/* stripped: no white space left anywhere in it */
		for (s = q = t; *s != '\0'; s++)
			if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
				*q++ = *s;
		*q = '\0';
		if (strcmp(ch->name, "mac") == 0) {
			if (got == NULL && xt_b64_decode(t, strlen(t), &got,
			    &glen) < 0)
				glen = 0;
		} else {
			if (strcmp(ch->name, "data") == 0 && ndata++ == 0 &&
			    xt_b64_decode(t, strlen(t), data, len) < 0)
				*data = NULL;
			es_puts(&b, "<");
			es_puts(&b, ch->name);
			es_puts(&b, ">");
			es_puts(&b, t);
			es_puts(&b, "</");
			es_puts(&b, ch->name);
			es_puts(&b, ">");
		}
		free(t);
	}
	cblen = ctr_be(c, &cb);
	if (!b.oom && ndata == 1 && *data != NULL && glen == 32 &&
	    hmac(k->km, 32, b.s, b.len, cb, cblen, want) == XT_OK &&
	    xt_ct_memcmp(want, got, 32) == 0)
		rc = XT_OK;
	free(b.s);
	free(got);
	if (rc < 0) {
		free(*data);
		*data = NULL;
	}
	return rc;
}

/* m, decrypted: the children of the message it stands for. */
static int
plain_nodes(const unsigned char *m, size_t len, const struct xt_node *msg,
    struct xt_node **out)
{
	struct xt_parser *p;
	struct xt_node *r, *n, *c;
	char **a;
	int rc = XT_EINVAL;

	*out = NULL;
	if ((r = xt_node_new(msg->name, msg->ns)) == NULL ||
	    (p = xt_parser_new(XT_PARSE_FRAGMENT, XT_NS_CLIENT, NULL)) ==
	    NULL) {
		xt_node_free(r);
		return XT_ENOMEM;
	}
	for (a = msg->attrs; a != NULL && a[0] != NULL; a += 2)
		if (xt_node_set_attr(r, a[0], a[1]) < 0)
			goto out;
	/*
	 * Only what was encrypted, then the delays in clear (the server's
	 * stamp of a stored message, the last one, is the one believed):
	 * anything else a server could have added in clear is dropped, so
	 * that nothing unauthenticated passes for the sender's.
	 */
	if (xt_parser_feed(p, (const char *)m, len, NULL) < 0 ||
	    xt_parser_finish(p, NULL) < 0)
		goto out;
	while ((n = xt_parser_next(p)) != NULL)
		if (xt_node_add(r, n) == NULL)
			goto out;
	for (c = msg->children; c != NULL; c = c->next)
		if (c->name != NULL && c->ns != NULL &&
		    strcmp(c->ns, XT_NS_DELAY) == 0 &&
		    xt_node_add(r, xt_node_copy(c)) == NULL)
			goto out;
	rc = XT_OK;
out:
	xt_parser_free(p);
	if (rc < 0)
		xt_node_free(r);
	else
		*out = r;
	return rc;
}

static int
refuse(struct xt_error *e, const char *what)
{
	return xt_error_set(e, XT_EBADSIG, "%s", what);
}

/* The first stanza of an ESession: <init/> and <c/> (1.12, Alice). */
static int
open_init(struct xt_es_inbox *in, const struct xt_node *msg,
    const struct xt_node *init, struct xt_node **out, char keyid[65],
    struct xt_error *e)
{
	static const char *const except[] = { "identity", "mac", NULL };
	static const struct { const char *var, *want; } fixed[] = {
		{ "FORM_TYPE", "urn:xmpp:ssn" }, { "hash_algs", "sha256" },
		{ "sign_algs", "rsa" }, { "compress", "none" },
		{ "stanzas", "message" }, { "ver", "1.3" },
	};
	const struct xt_node *x = xt_node_child(init, "x", XT_NS_DATA);
	const struct xt_node *cel = xt_node_child(msg, "c", XT_NS_ES_C);
	struct xt_es_secret *sec = NULL;
	struct xt_es_rx *rx = NULL;
	const struct group *g = NULL;
	gcry_mpi_t p = NULL, d = NULL;
	unsigned char *na = NULL, *nb = NULL, *ca = NULL, *idb = NULL;
	unsigned char *mb = NULL, *id = NULL, *spki = NULL, *sig = NULL;
	unsigned char *data = NULL, *m = NULL, want[32], macb[32];
	unsigned char cbuf[BLOCK];
	const unsigned char *cb;
	char *v = NULL, *nonce = NULL, *dh = NULL, *mynonce = NULL;
	char *cnt = NULL, *ident = NULL, *mac = NULL, *form = NULL;
	char *pk = NULL, *from = NULL, *sv;
	size_t nalen, nblen, calen, idlen, mblen, spkilen, siglen, dlen;
	size_t cblen, i;
	int rc, k, aes256;

	rc = XT_EINVAL;
	if (x == NULL || cel == NULL) {
		refuse(e, "an <init/> without its form or <c/>");
		goto out;
	}
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		v = es_value(x, fixed[i].var);
		k = v != NULL && strcmp(v, fixed[i].want) == 0;
		free(v);
		v = NULL;
		if (!k) {
			xt_error_set(e, XT_EINVAL, "the form's %s is not %s",
			    fixed[i].var, fixed[i].want);
			goto out;
		}
	}
	/* Which of her options: the nonce, then the group. */
	if ((nonce = es_value(x, "nonce")) == NULL || xt_b64_decode(nonce,
	    strlen(nonce), &na, &nalen) < 0 || nalen != ES_NONCE_LEN) {
		refuse(e, "no nonce of ours in it");
		goto out;
	}
	if ((rc = es_secret_load(in->dir, na, &sec, e)) < 0) {
		if (rc == XT_ENOTFOUND)
			rc = xt_error_set(e, XT_EBADSIG, "a message for a "
			    "nonce that is not ours (or whose options are "
			    "long gone)");
		goto out;
	}
	rc = XT_EBADSIG;
	if (sec->expires <= in->now) {
		refuse(e, "it answers options that had expired");
		goto out;
	}
	v = es_value(x, "modp");
	for (k = 0; v != NULL && k < sec->n && g == NULL; k++)
		if (atoi(v) == sec->group[k] && strspn(v, "0123456789") ==
		    strlen(v))
			g = group(sec->group[k]);
	free(v);
	v = NULL;
	v = es_value(x, "crypt_algs");
	aes256 = v == NULL ? -1 : strcmp(v, "aes256-ctr") == 0 ? 1 :
	    strcmp(v, "aes128-ctr") == 0 ? 0 : -1;
	free(v);
	v = NULL;
	if (g == NULL || aes256 < 0) {
		refuse(e, "a group or cipher we did not offer");
		goto out;
	}
	k--;
	if ((p = prime(g)) == NULL || (dh = es_value(x, "dhkeys")) == NULL ||
	    b64_mpi(dh, &d) < 0 || !in_range(d, p)) {
		refuse(e, "no valid Diffie-Hellman value d");
		goto out;
	}
	if ((mynonce = es_value(x, "my_nonce")) == NULL || xt_b64_decode(mynonce,
	    strlen(mynonce), &nb, &nblen) < 0 || nblen == 0 || nblen > 64) {
		refuse(e, "no valid nonce of the sender");
		goto out;
	}
	if ((rc = es_seen(in->dir, na, dh, mynonce, e)) != 0) {
		if (rc > 0)
			refuse(e, "a replay: its d or nonce came before");
		rc = rc > 0 ? XT_EBADSIG : rc;
		goto out;
	}
	rc = XT_EBADSIG;
	if ((cnt = es_value(x, "counter")) == NULL || xt_b64_decode(cnt,
	    strlen(cnt), &ca, &calen) < 0 || calen == 0 || calen > BLOCK ||
	    (ident = es_value(x, "identity")) == NULL || xt_b64_decode(ident,
	    strlen(ident), &idb, &idlen) < 0 || idlen == 0 ||
	    (mac = es_value(x, "mac")) == NULL || xt_b64_decode(mac, strlen(mac),
	    &mb, &mblen) < 0 || mblen != 32) {
		refuse(e, "no counter, identity or mac");
		goto out;
	}
	if ((rx = gcry_calloc_secure(1, sizeof(*rx))) == NULL) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = derive(d, sec->x[k], p, aes256, &rx->k)) < 0) {
		xt_error_set(e, rc, "key derivation failed");
		goto out;
	}
	rc = XT_EBADSIG;
	memcpy(rx->c + BLOCK - calen, ca, calen);
	rx->c[0] ^= 0x80;
	/* M_B first: nothing is decrypted that is not authentic. */
	cblen = ctr_be(rx->c, &cb);
	memcpy(cbuf, cb, cblen);
	if (hmac(rx->k.km, 32, cbuf, cblen, idb, idlen, want) < 0 ||
	    xt_ct_memcmp(want, mb, 32) != 0) {
		refuse(e, "its mac (M_B) does not verify: altered, or not for "
		    "our key");
		goto out;
	}
	if (ctr_crypt(rx->k.kc, rx->k.kclen, rx->c, idb, idlen, &id) < 0)
		goto out;
	/* pk ‖ <SignatureValue>base64</SignatureValue> */
	sv = NULL;
	for (i = 0; i + 16 <= idlen; i++)
		if (memcmp(id + i, "<SignatureValue>", 16) == 0) {
			sv = (char *)id + i;
			break;
		}
	if (sv == NULL || idlen - i < 33 || memcmp(id + idlen - 17,
	    "</SignatureValue>", 17) != 0 ||
	    es_keyvalue((char *)id, i, &spki, &spkilen) < 0 ||
	    xt_b64_decode(sv + 16, idlen - i - 33, &sig, &siglen) < 0) {
		refuse(e, "its identity cannot be read");
		goto out;
	}
	if (keyvalue(spki, spkilen, &pk) < 0 || strlen(pk) != i ||
	    memcmp(pk, id, i) != 0) {
		refuse(e, "its key is not written as the profile says");
		goto out;
	}
	if ((form = es_content(x, except)) == NULL ||
	    mac_b(&rx->k, na, nb, nblen, d, pk, form, macb) < 0 ||
	    xt_spki_verify(spki, spkilen, macb, 32, sig, siglen, NULL) < 0) {
		refuse(e, "the sender's signature does not verify");
		goto out;
	}
	/*
	 * Only a key that signed is looked into: whether we trust it for the
	 * sender's bare JID (which may fetch and pin that JID's keys).
	 */
	if ((from = strdup(xt_node_attr(msg, "from") ? xt_node_attr(msg,
	    "from") : "")) == NULL) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	from[strcspn(from, "/")] = '\0';
	if ((rc = in->trust(in->arg, from, spki, spkilen, e)) < 0)
		goto out;
	rc = XT_EBADSIG;
	if (check_c(&rx->k, rx->c, cel, &data, &dlen) < 0) {
		refuse(e, "the mac of its <c/> does not verify");
		goto out;
	}
	if ((rc = ctr_crypt(rx->k.kc, rx->k.kclen, rx->c, data, dlen, &m)) < 0 ||
	    (rc = plain_nodes(m, dlen, msg, out)) < 0) {
		xt_error_set(e, rc == XT_ENOMEM ? rc : XT_EBADSIG, "%s", rc ==
		    XT_ENOMEM ? "out of memory" : "what it decrypts to is not "
		    "XML");
		goto out;
	}
	/* Authentic: remembered before it is shown. */
	if ((rc = es_remember(in->dir, na, dh, mynonce, e)) < 0) {
		xt_node_free(*out);
		*out = NULL;
		goto out;
	}
	xt_sha256_hex(spki, spkilen, keyid);
	v = es_value(x, "terminate");
	if (v == NULL || (strcmp(v, "1") != 0 && strcmp(v, "true") != 0)) {
		/* The rest of the ESession comes in <c/> alone. */
		if ((rx->from = strdup(xt_node_attr(msg, "from"))) != NULL) {
			memcpy(rx->keyid, keyid, 65);
			rx->next = in->rx;
			in->rx = rx;
			rx = NULL;
		}
	}
	rc = XT_OK;
out:
	if (rc < 0 && e != NULL && e->msg[0] == '\0')
		xt_error_set(e, rc, "%s", xt_strerror(rc));
	xt_es_secret_free(sec);
	if (rx != NULL) {
		xt_wipe(rx, sizeof(*rx));
		gcry_free(rx);
	}
	gcry_mpi_release(p);
	gcry_mpi_release(d);
	if (m != NULL)
		xt_wipe(m, dlen);
	if (id != NULL)
		xt_wipe(id, idlen);
	free(na);
	free(nb);
	free(ca);
	free(idb);
	free(mb);
	free(id);
	free(spki);
	free(sig);
	free(data);
	free(m);
	free(v);
	free(nonce);
	free(dh);
	free(mynonce);
	free(cnt);
	free(ident);
	free(mac);
	free(form);
	free(pk);
	free(from);
	xt_wipe(want, sizeof(want));
	xt_wipe(macb, sizeof(macb));
	return rc;
}

/* A later stanza of a kept ESession: <c/> alone. */
static int
open_more(struct xt_es_inbox *in, const struct xt_node *msg,
    const struct xt_node *cel, struct xt_node **out, char keyid[65],
    struct xt_error *e)
{
	const char *from = xt_node_attr(msg, "from");
	struct xt_es_rx *r;
	unsigned char *data = NULL, *m = NULL, c[BLOCK];
	size_t dlen = 0;
	int rc;

	for (r = in->rx; r != NULL; r = r->next)
		if (from != NULL && strcmp(r->from, from) == 0)
			break;
	if (r == NULL)
		return xt_error_set(e, XT_EBADSIG, "a <c/> of no ESession we "
		    "know (its first message did not come to this run)");
	memcpy(c, r->c, BLOCK);
	if (check_c(&r->k, c, cel, &data, &dlen) < 0) {
		free(data);
		return xt_error_set(e, XT_EBADSIG, "the mac of its <c/> does "
		    "not verify (altered, out of order, or a replay)");
	}
	rc = ctr_crypt(r->k.kc, r->k.kclen, c, data, dlen, &m);
	if (rc == XT_OK && (rc = plain_nodes(m, dlen, msg, out)) < 0)
		xt_error_set(e, rc == XT_ENOMEM ? rc : XT_EBADSIG, "%s", rc ==
		    XT_ENOMEM ? "out of memory" : "what it decrypts to is not "
		    "XML");
	else if (rc < 0)
		xt_error_set(e, rc, "decryption failed");
	if (rc == XT_OK) {
		/* Only an authentic stanza moves the counter on. */
		memcpy(r->c, c, BLOCK);
		memcpy(keyid, r->keyid, 65);
		if (ends(*out)) {
			/* Nothing to show: the ESession is over. */
			forget(in, r);
			xt_node_free(*out);
			*out = NULL;
		}
	}
	if (m != NULL)
		xt_wipe(m, dlen);
	free(m);
	free(data);
	return rc;
}

int
xt_es_open(struct xt_es_inbox *in, const struct xt_node *msg,
    struct xt_node **out, char keyid[65], struct xt_error *e)
{
	const struct xt_node *init = xt_node_child(msg, "init", XT_NS_ES_INIT);
	const struct xt_node *c = xt_node_child(msg, "c", XT_NS_ES_C);

	*out = NULL;
	keyid[0] = '\0';
	if (init != NULL)
		return open_init(in, msg, init, out, keyid, e);
	if (c != NULL)
		return open_more(in, msg, c, out, keyid, e);
	return xt_error_set(e, XT_EINVAL, "not an ESession message");
}
