/*
 * sasl.c: the client side of SCRAM-SHA-512(-PLUS), SCRAM-SHA-256(-PLUS) and
 * SCRAM-SHA-1(-PLUS) (RFC 5802, RFC 7677, draft-melnikov-scram-sha-512)
 * and PLAIN (RFC 4616), and the choice between them
 * (DESIGN.md 2, PROTOCOLS.md 4.3).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <stringprep.h>

#include "xt.h"

#define NONCE_RAW	18		/* random bytes: 24 base64 characters */
#define HLEN_MAX	64		/* SHA-512 */
#define SECRET_MAX	4096		/* bytes of a password */
#define MSG_MAX		8192		/* bytes of a server message */
#define ITER_MIN	4096		/* RFC 7677 section 4 */
#define ITER_MAX	1000000

/* A string and its length, for join(). */
#define STR(s)		(const char *)(s), strlen(s)

enum state {
	S_START,		/* nothing sent */
	S_FIRST,		/* client-first sent */
	S_FINAL,		/* client-final (or PLAIN) sent */
	S_VERIFIED,		/* server-final came as a challenge, verified */
	S_DONE,			/* success verified */
	S_FAILED		/* refuse everything */
};

static const struct mechinfo {
	enum xt_sasl_mech	 mech;
	const char		*name;
	int			 algo;		/* 0 for PLAIN */
	int			 plus;
} mechs[] = {
	/* In order of preference. */
	{ XT_SASL_SCRAM_SHA512_PLUS, "SCRAM-SHA-512-PLUS", GCRY_MD_SHA512, 1 },
	{ XT_SASL_SCRAM_SHA256_PLUS, "SCRAM-SHA-256-PLUS", GCRY_MD_SHA256, 1 },
	{ XT_SASL_SCRAM_SHA1_PLUS, "SCRAM-SHA-1-PLUS", GCRY_MD_SHA1, 1 },
	{ XT_SASL_SCRAM_SHA512, "SCRAM-SHA-512", GCRY_MD_SHA512, 0 },
	{ XT_SASL_SCRAM_SHA256, "SCRAM-SHA-256", GCRY_MD_SHA256, 0 },
	{ XT_SASL_SCRAM_SHA1, "SCRAM-SHA-1", GCRY_MD_SHA1, 0 },
	{ XT_SASL_PLAIN, "PLAIN", 0, 0 }
};
#define NMECHS	(sizeof(mechs) / sizeof(mechs[0]))

/* The SCRAM keys of RFC 5802 section 3, together in secure memory. */
struct keys {
	unsigned char	salted[HLEN_MAX];
	unsigned char	ckey[HLEN_MAX];
	unsigned char	stored[HLEN_MAX];
	unsigned char	csig[HLEN_MAX];
	unsigned char	proof[HLEN_MAX];
	unsigned char	skey[HLEN_MAX];
};

struct xt_sasl {
	const struct mechinfo	*mi;
	size_t			 hlen;
	enum state		 state;
	char			*user;		/* SASLprep'd authcid */
	char			*authzid;	/* NULL if none */
	char			*pw;		/* SASLprep'd, secure memory */
	size_t			 pwlen;
	char			*nonce;		/* our c-nonce */
	char			*gs2;		/* gs2-header */
	unsigned char		*cb;		/* channel binding data */
	size_t			 cblen;
	char			*bare;		/* client-first-message-bare */
	unsigned char		*ssig;		/* expected ServerSignature,
						   secure memory */
};

/* One attribute of a SCRAM message: a letter, '=', a value up to ','. */
struct attr {
	char		 name;
	const char	*v;
	size_t		 n;
};

static const struct mechinfo *
mechinfo(enum xt_sasl_mech m)
{
	size_t i;

	for (i = 0; i < NMECHS; i++)
		if (mechs[i].mech == m)
			return &mechs[i];
	return NULL;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* ASCII-only, so that no locale can change what a name matches. */
static int
eqnocase(const char *a, size_t n, const char *b)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] == '\0' || lower((unsigned char)a[i]) !=
		    lower((unsigned char)b[i]))
			return 0;
	return b[n] == '\0';
}

static void *
xalloc(size_t n, int secure)
{
	return secure ? gcry_malloc_secure(n) : malloc(n);
}

static void
xfree(void *p, size_t n, int secure)
{
	if (p == NULL)
		return;
	xt_wipe(p, n);
	if (secure)
		gcry_free(p);
	else
		free(p);
}

/* Free a NUL-terminated string held in memory from xalloc, wiping it. */
static void
sfree(char *p, int secure)
{
	if (p != NULL)
		xfree(p, strlen(p), secure);
}

/*
 * Concatenate (const char *, size_t) pairs up to a NULL pointer into a new
 * NUL-terminated string; secure selects libgcrypt secure memory.
 */
static char *
join(int secure, size_t *outlen, ...)
{
	va_list ap;
	const char *p;
	size_t n, total = 0;
	char *out, *q;

	va_start(ap, outlen);
	while ((p = va_arg(ap, const char *)) != NULL) {
		n = va_arg(ap, size_t);
		if (n > MSG_MAX * 4 || total > MSG_MAX * 4) {
			va_end(ap);
			return NULL;
		}
		total += n;
	}
	va_end(ap);
	if ((out = xalloc(total + 1, secure)) == NULL)
		return NULL;
	q = out;
	va_start(ap, outlen);
	while ((p = va_arg(ap, const char *)) != NULL) {
		n = va_arg(ap, size_t);
		memcpy(q, p, n);
		q += n;
	}
	va_end(ap);
	*q = '\0';
	if (outlen != NULL)
		*outlen = total;
	return out;
}

static int
cryptoerr(struct xt_error *e, gcry_error_t err)
{
	return xt_error_set(e, XT_ECRYPTO, "libgcrypt: %s", gcry_strerror(err));
}

static int
nomem(struct xt_error *e)
{
	return xt_error_set(e, XT_ENOMEM, "out of memory");
}

/*
 * SASLprep (RFC 4013) with libidn, unassigned code points allowed as for a
 * query (RFC 3454 section 7). Printable ASCII maps to itself under
 * SASLprep, so such a string does not go through libidn, whose internal
 * UCS-4 and NFKC copies live in the ordinary heap and are freed unwiped.
 * Returns XT_OK, XT_ENOMEM, or XT_EINVAL if the string is not valid.
 */
static int
saslprep(const char *in, int secure, char **out, size_t *outlen)
{
	size_t i, n, cap;
	char *buf = NULL;
	int rc, prc;

	n = strlen(in);
	for (i = 0; i < n; i++)
		if ((unsigned char)in[i] < 0x20 || (unsigned char)in[i] > 0x7e)
			break;
	if (i == n) {
		if ((buf = xalloc(n + 1, secure)) == NULL) {
			rc = XT_ENOMEM;
			goto out;
		}
		memcpy(buf, in, n + 1);
		rc = XT_OK;
		goto out;
	}
	if (!xt_utf8_valid(in, n)) {
		rc = XT_EINVAL;
		goto out;
	}
	/* NFKC may lengthen the string: grow until it fits. */
	for (cap = n + 1;; cap *= 2) {
		if ((buf = xalloc(cap, secure)) == NULL) {
			rc = XT_ENOMEM;
			goto out;
		}
		memcpy(buf, in, n + 1);
		prc = stringprep(buf, cap, 0, stringprep_saslprep);
		if (prc == STRINGPREP_OK)
			break;
		xfree(buf, cap, secure);
		buf = NULL;
		if (prc == STRINGPREP_MALLOC_ERROR) {
			rc = XT_ENOMEM;
			goto out;
		}
		if (prc != STRINGPREP_TOO_SMALL_BUFFER ||
		    cap > SECRET_MAX * 8) {
			rc = XT_EINVAL;
			goto out;
		}
	}
	rc = XT_OK;
out:
	if (rc == XT_OK) {
		*out = buf;
		*outlen = strlen(buf);
	}
	return rc;
}

/* RFC 5802 section 5.1: saslname, with "=" as "=3D" and "," as "=2C". */
static char *
saslname(const char *s)
{
	size_t n = 0;
	const char *p;
	char *out, *q;

	for (p = s; *p != '\0'; p++)
		n += (*p == '=' || *p == ',') ? 3 : 1;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (p = s, q = out; *p != '\0'; p++) {
		if (*p == '=') {
			memcpy(q, "=3D", 3);
			q += 3;
		} else if (*p == ',') {
			memcpy(q, "=2C", 3);
			q += 3;
		} else
			*q++ = *p;
	}
	*q = '\0';
	return out;
}

/* RFC 5802 section 7: printable = %x21-2B / %x2D-7E. */
static int
printable(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == ',')
			return 0;
	return 1;
}

/* RFC 5802 section 7: cb-name = 1*(ALPHA / DIGIT / "." / "-"). */
static int
cbname(const char *s)
{
	const char *p;

	if (*s == '\0')
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			return 0;
	return 1;
}

/*
 * The next attribute of a SCRAM message at *pp (NULL once the last one
 * was read): 1 with a filled in, 0 at the end, -1 if malformed.
 */
static int
nextattr(const char **pp, const char *end, struct attr *a)
{
	const char *p = *pp, *c;

	if (p == NULL)
		return 0;
	if (end - p < 2 || !((p[0] >= 'a' && p[0] <= 'z') ||
	    (p[0] >= 'A' && p[0] <= 'Z')) || p[1] != '=')
		return -1;
	a->name = p[0];
	a->v = p + 2;
	c = memchr(a->v, ',', end - a->v);
	a->n = (c != NULL ? c : end) - a->v;
	*pp = c != NULL ? c + 1 : NULL;
	return 1;
}

/* A server's words for a message: printable ASCII, at most 64 bytes. */
static void
tame(const char *v, size_t n, char *buf, size_t len)
{
	size_t i;

	if (n > len - 1)
		n = len - 1;
	for (i = 0; i < n; i++)
		buf[i] = (v[i] >= 0x20 && v[i] <= 0x7e) ? v[i] : '?';
	buf[n] = '\0';
}

static int
hmac(int algo, const void *key, size_t klen, const void *data, size_t n,
    unsigned char *out, struct xt_error *e)
{
	gcry_md_hd_t h = NULL;
	gcry_error_t err;
	int rc;

	err = gcry_md_open(&h, algo, GCRY_MD_FLAG_HMAC | GCRY_MD_FLAG_SECURE);
	if (err != 0) {
		h = NULL;
		rc = cryptoerr(e, err);
		goto out;
	}
	if ((err = gcry_md_setkey(h, key, klen)) != 0) {
		rc = cryptoerr(e, err);
		goto out;
	}
	gcry_md_write(h, data, n);
	memcpy(out, gcry_md_read(h, algo), gcry_md_get_algo_dlen(algo));
	rc = XT_OK;
out:
	if (h != NULL)
		gcry_md_close(h);
	return rc;
}

static int
hash(int algo, const void *data, size_t n, unsigned char *out,
    struct xt_error *e)
{
	gcry_md_hd_t h = NULL;
	gcry_error_t err;
	int rc;

	if ((err = gcry_md_open(&h, algo, GCRY_MD_FLAG_SECURE)) != 0) {
		h = NULL;
		rc = cryptoerr(e, err);
		goto out;
	}
	gcry_md_write(h, data, n);
	memcpy(out, gcry_md_read(h, algo), gcry_md_get_algo_dlen(algo));
	rc = XT_OK;
out:
	if (h != NULL)
		gcry_md_close(h);
	return rc;
}

/*
 * The name of a mechanism as the server lists it ("SCRAM-SHA-256-PLUS"),
 * or NULL for XT_SASL_NONE and values out of the enumeration.
 */
const char *
xt_sasl_mech_name(enum xt_sasl_mech m)
{
	const struct mechinfo *mi = mechinfo(m);

	return mi != NULL ? mi->name : NULL;
}

int
xt_sasl_mech_plus(enum xt_sasl_mech m)
{
	const struct mechinfo *mi = mechinfo(m);

	return mi != NULL && mi->plus;
}

/*
 * The mechanism of that name, compared without regard to ASCII case;
 * XT_SASL_NONE if NULL or not one we implement.
 */
enum xt_sasl_mech
xt_sasl_mech_byname(const char *name)
{
	size_t i;

	if (name == NULL)
		return XT_SASL_NONE;
	for (i = 0; i < NMECHS; i++)
		if (eqnocase(name, strlen(name), mechs[i].name))
			return mechs[i].mech;
	return XT_SASL_NONE;
}

/*
 * The next name of a comma-separated list at *pp, blanks around it
 * trimmed: its start, its length in *len (0 for an empty one); NULL at the
 * end. *pp moves past it.
 */
static const char *
next_name(const char **pp, size_t *len)
{
	const char *p = *pp, *q, *end;

	if (*p == '\0')
		return NULL;
	if ((q = strchr(p, ',')) == NULL)
		q = p + strlen(p);
	*pp = *q != '\0' ? q + 1 : q;
	for (end = q; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*len = (size_t)(end - p);
	return p;
}

/* Does the comma-separated list name mechanism name (ASCII case ignored)? */
static int
inlist(const char *list, const char *name)
{
	const char *p;
	size_t len;

	while ((p = next_name(&list, &len)) != NULL)
		if (len > 0 && eqnocase(p, len, name))
			return 1;
	return 0;
}

int
xt_sasl_check_list(const char *list, struct xt_error *e)
{
	char names[256];
	const char *p;
	size_t i, len, known, n = 0, o = 0;

	while ((p = next_name(&list, &len)) != NULL) {
		if (len == 0)
			continue;
		for (known = 0, i = 0; i < NMECHS && !known; i++)
			known = eqnocase(p, len, mechs[i].name);
		if (known) {
			n++;
			continue;
		}
		/* The names, in the order of preference, from the table. */
		for (i = 0; i < NMECHS && o < sizeof(names); i++)
			o += (size_t)snprintf(names + o, sizeof(names) - o,
			    "%s%s", i > 0 ? ", " : "", mechs[i].name);
		return xt_error_set(e, XT_EINVAL, "mechanisms: %.*s: not one "
		    "the tools speak (%s)", (int)(len > 64 ? 64 : len), p,
		    names);
	}
	return n > 0 ? XT_OK : xt_error_set(e, XT_EINVAL, "mechanisms: an "
	    "empty list allows no login");
}

/*
 * The best mechanism of offered (n names, NULL entries skipped) in the
 * order of DESIGN.md 2: SCRAM-SHA-512-PLUS, SCRAM-SHA-256-PLUS,
 * SCRAM-SHA-1-PLUS, SCRAM-SHA-512, SCRAM-SHA-256, SCRAM-SHA-1, PLAIN.
 * -PLUS only when cbtype is set (not NULL or empty), PLAIN only when
 * plain_ok. allowed, if not NULL, is a
 * comma-separated list (ASCII case ignored, blanks around names trimmed,
 * unknown names ignored) that filters this set without reordering it; an
 * empty list allows nothing. XT_SASL_NONE if nothing fits.
 */
enum xt_sasl_mech
xt_sasl_choose(const char *const *offered, size_t n, const char *allowed,
    const char *cbtype, int plain_ok)
{
	size_t i, j;

	if (offered == NULL)
		return XT_SASL_NONE;
	for (i = 0; i < NMECHS; i++) {
		if (mechs[i].plus && (cbtype == NULL || *cbtype == '\0'))
			continue;
		if (mechs[i].mech == XT_SASL_PLAIN && !plain_ok)
			continue;
		if (allowed != NULL && !inlist(allowed, mechs[i].name))
			continue;
		for (j = 0; j < n; j++)
			if (offered[j] != NULL &&
			    xt_sasl_mech_byname(offered[j]) == mechs[i].mech)
				return mechs[i].mech;
	}
	return XT_SASL_NONE;
}

/*
 * RFC 5802 section 6 and PROTOCOLS.md 4.3: "p=<cbtype>" with -PLUS; else
 * "n" when the server offered a -PLUS we do not use (a "y" then reads as
 * a downgrade); else "y" if we could have bound; else "n".
 */
static int
makegs2(struct xt_sasl *s, const struct xt_sasl_opts *o)
{
	const char *flag;
	char *a = NULL;

	if (s->authzid != NULL && (a = saslname(s->authzid)) == NULL)
		return XT_ENOMEM;
	if (s->mi->plus)
		flag = "p=";
	else if (o->server_plus || !o->client_cb)
		flag = "n";
	else
		flag = "y";
	s->gs2 = join(0, NULL, STR(flag), STR(s->mi->plus ? o->cbtype : ""),
	    STR(","), STR(a != NULL ? "a=" : ""), STR(a != NULL ? a : ""),
	    STR(","), (const char *)NULL);
	free(a);
	return s->gs2 != NULL ? XT_OK : XT_ENOMEM;
}

/*
 * A new client exchange for o->mech. The user name (authcid) and the
 * password are prepared with SASLprep (RFC 4013; RFC 5802 section 5.1,
 * RFC 4616 section 2); the password is copied into libgcrypt secure memory.
 * For -PLUS, o->cbtype and o->cbdata (copied) are required. o->nonce, if
 * set, replaces the random client nonce (printable, no ","; for tests).
 * An empty authzid is taken as none. XT_EINVAL with e filled if an input
 * is unusable; *sp owned (xt_sasl_free).
 */
int
xt_sasl_new(struct xt_sasl **sp, const struct xt_sasl_opts *o,
    struct xt_error *e)
{
	struct xt_sasl *s = NULL;
	unsigned char raw[NONCE_RAW];
	size_t ulen;
	int rc;

	*sp = NULL;
	if (o == NULL || o->user == NULL || o->password == NULL) {
		rc = xt_error_set(e, XT_EINVAL, "sasl needs a user and a "
		    "password");
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		rc = nomem(e);
		goto out;
	}
	s->state = S_START;
	if ((s->mi = mechinfo(o->mech)) == NULL) {
		rc = xt_error_set(e, XT_EINVAL, "no such sasl mechanism");
		goto out;
	}
	if (s->mi->algo != 0)
		s->hlen = gcry_md_get_algo_dlen(s->mi->algo);
	if (strlen(o->password) > SECRET_MAX) {
		rc = xt_error_set(e, XT_ETOOBIG, "password is too long");
		goto out;
	}
	if (strlen(o->user) > XT_JID_PARTMAX || (o->authzid != NULL &&
	    strlen(o->authzid) > 3 * XT_JID_PARTMAX + 2)) {
		rc = xt_error_set(e, XT_ETOOBIG, "%s is too long",
		    strlen(o->user) > XT_JID_PARTMAX ? "username" : "authzid");
		goto out;
	}
	rc = saslprep(o->user, 0, &s->user, &ulen);
	if (rc == XT_EINVAL) {
		rc = xt_error_set(e, rc, "username is not valid saslprep");
		goto out;
	} else if (rc != XT_OK) {
		rc = nomem(e);
		goto out;
	}
	rc = saslprep(o->password, 1, &s->pw, &s->pwlen);
	if (rc == XT_EINVAL) {
		rc = xt_error_set(e, rc, "password is not valid saslprep");
		goto out;
	} else if (rc != XT_OK) {
		rc = nomem(e);
		goto out;
	}
	if (*s->user == '\0' || s->pwlen == 0) {
		rc = xt_error_set(e, XT_EINVAL, "%s is empty",
		    *s->user == '\0' ? "username" : "password");
		goto out;
	}
	if (o->authzid != NULL && *o->authzid != '\0') {
		if (!xt_utf8_valid(o->authzid, strlen(o->authzid))) {
			rc = xt_error_set(e, XT_EINVAL, "authzid is not utf-8");
			goto out;
		}
		if ((s->authzid = strdup(o->authzid)) == NULL) {
			rc = nomem(e);
			goto out;
		}
	}
	if (s->mi->algo == 0) {
		rc = XT_OK;
		goto out;
	}
	if (s->mi->plus) {
		if (o->cbtype == NULL || !cbname(o->cbtype) ||
		    o->cbdata == NULL || o->cblen == 0) {
			rc = xt_error_set(e, XT_EINVAL, "%s needs channel "
			    "binding data", s->mi->name);
			goto out;
		}
		if ((s->cb = malloc(o->cblen)) == NULL) {
			rc = nomem(e);
			goto out;
		}
		memcpy(s->cb, o->cbdata, o->cblen);
		s->cblen = o->cblen;
	}
	if (o->nonce != NULL) {
		if (!printable(o->nonce, strlen(o->nonce))) {
			rc = xt_error_set(e, XT_EINVAL, "client nonce is not "
			    "printable");
			goto out;
		}
		if ((s->nonce = strdup(o->nonce)) == NULL) {
			rc = nomem(e);
			goto out;
		}
	} else {
		if (gnutls_rnd(GNUTLS_RND_NONCE, raw, sizeof(raw)) != 0) {
			rc = xt_error_set(e, XT_ECRYPTO, "gnutls_rnd failed");
			goto out;
		}
		if ((rc = xt_b64_encode(raw, sizeof(raw), &s->nonce)) !=
		    XT_OK) {
			s->nonce = NULL;
			rc = xt_error_set(e, rc, "cannot encode the nonce");
			goto out;
		}
	}
	if ((rc = makegs2(s, o)) != XT_OK) {
		rc = nomem(e);
		goto out;
	}
	rc = XT_OK;
out:
	xt_wipe(raw, sizeof(raw));
	if (rc == XT_OK)
		*sp = s;
	else
		xt_sasl_free(s);
	return rc;
}

/* Wipes the password, keys and messages and frees s. NULL is fine. */
void
xt_sasl_free(struct xt_sasl *s)
{
	if (s == NULL)
		return;
	sfree(s->user, 0);
	sfree(s->authzid, 0);
	xfree(s->pw, s->pwlen, 1);
	sfree(s->nonce, 0);
	sfree(s->gs2, 0);
	xfree(s->cb, s->cblen, 0);
	sfree(s->bare, 0);
	xfree(s->ssig, s->hlen, 1);
	xt_wipe(s, sizeof(*s));
	free(s);
}

/*
 * The initial response, raw: for SCRAM the client-first-message (RFC 5802
 * section 7: gs2-header, "n=" saslname, ",r=" nonce), for PLAIN
 * authzid NUL authcid NUL password (RFC 4616 section 2). *out owned
 * (malloc, NUL-terminated); for PLAIN it holds the password: wipe it.
 * Only once per exchange (XT_EINVAL after).
 */
int
xt_sasl_initial(struct xt_sasl *s, char **out, size_t *outlen,
    struct xt_error *e)
{
	char *name = NULL;
	const char *az;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (s->state != S_START) {
		rc = xt_error_set(e, XT_EINVAL, "sasl initial response "
		    "already made");
		goto out;
	}
	if (s->mi->algo == 0) {
		az = s->authzid != NULL ? s->authzid : "";
		*out = join(0, outlen, STR(az), "", (size_t)1, STR(s->user),
		    "", (size_t)1, s->pw, s->pwlen, (const char *)NULL);
		if (*out == NULL) {
			rc = nomem(e);
			goto out;
		}
		/* The password has done its work. */
		xfree(s->pw, s->pwlen, 1);
		s->pw = NULL;
		s->pwlen = 0;
		s->state = S_FINAL;
		rc = XT_OK;
		goto out;
	}
	if ((name = saslname(s->user)) == NULL) {
		rc = nomem(e);
		goto out;
	}
	s->bare = join(0, NULL, STR("n="), STR(name), STR(",r="),
	    STR(s->nonce), (const char *)NULL);
	if (s->bare == NULL) {
		rc = nomem(e);
		goto out;
	}
	*out = join(0, outlen, STR(s->gs2), STR(s->bare), (const char *)NULL);
	if (*out == NULL) {
		rc = nomem(e);
		goto out;
	}
	s->state = S_FIRST;
	rc = XT_OK;
out:
	free(name);
	if (rc != XT_OK)
		s->state = S_FAILED;
	return rc;
}

/*
 * Check the server-first-message (RFC 5802 section 7) and find the
 * server nonce, the salt (*salt owned) and the iteration count.
 */
static int
serverfirst(struct xt_sasl *s, const char *in, size_t inlen,
    struct attr *nonce, unsigned char **salt, size_t *saltlen,
    unsigned long *iter, struct xt_error *e)
{
	const char *p = in, *end = in + inlen;
	struct attr a;
	char buf[65];
	size_t i, clen;
	int r;

	*salt = NULL;
	if (inlen == 0 || inlen > MSG_MAX || memchr(in, '\0', inlen) != NULL)
		goto bad;
	if (nextattr(&p, end, &a) != 1)
		goto bad;
	if (a.name == 'e') {
		tame(a.v, a.n, buf, sizeof(buf));
		return xt_error_set(e, XT_EAUTH, "scram server error: %s", buf);
	}
	if (a.name == 'm')
		return xt_error_set(e, XT_EAUTH, "scram mandatory extension "
		    "not supported");
	clen = strlen(s->nonce);
	if (a.name != 'r' || !printable(a.v, a.n))
		goto bad;
	if (a.n <= clen || memcmp(a.v, s->nonce, clen) != 0)
		return xt_error_set(e, XT_EAUTH, "scram server nonce does not "
		    "extend ours");
	*nonce = a;
	if (nextattr(&p, end, &a) != 1 || a.name != 's' || a.n == 0)
		goto bad;
	if (xt_b64_decode(a.v, a.n, salt, saltlen) != XT_OK) {
		*salt = NULL;
		return xt_error_set(e, XT_EAUTH, "scram salt is not base64");
	}
	if (*saltlen == 0)
		goto bad;
	if (nextattr(&p, end, &a) != 1 || a.name != 'i' || a.n == 0)
		goto bad;
	*iter = 0;
	for (i = 0; i < a.n; i++) {
		if (a.v[i] < '0' || a.v[i] > '9')
			goto bad;
		if (*iter <= ITER_MAX)
			*iter = *iter * 10 + (a.v[i] - '0');
	}
	if (*iter < ITER_MIN)
		return xt_error_set(e, XT_EAUTH, "iteration count too low");
	if (*iter > ITER_MAX)
		return xt_error_set(e, XT_EAUTH, "iteration count too high");
	/* Optional extensions follow; we know none, but they must parse. */
	while ((r = nextattr(&p, end, &a)) == 1)
		;
	if (r < 0)
		goto bad;
	return XT_OK;
bad:
	return xt_error_set(e, XT_EAUTH, "malformed scram server-first "
	    "message");
}

/*
 * Compute the client-final-message (RFC 5802 section 3) from the
 * server-first-message in, and keep the ServerSignature to check.
 */
static int
clientfinal(struct xt_sasl *s, const char *in, size_t inlen, char **out,
    size_t *outlen, struct xt_error *e)
{
	struct attr nonce = { 0, NULL, 0 };
	unsigned char *salt = NULL, *cbind = NULL;
	size_t saltlen = 0, cbindlen = 0, amlen = 0, i;
	unsigned long iter = 0;
	struct keys *k = NULL;
	char *c = NULL, *nowp = NULL, *am = NULL, *p = NULL;
	gcry_error_t err;
	int rc, algo = s->mi->algo;

	rc = serverfirst(s, in, inlen, &nonce, &salt, &saltlen, &iter, e);
	if (rc != XT_OK)
		goto out;
	cbind = (unsigned char *)join(0, &cbindlen, STR(s->gs2),
	    (const char *)s->cb, s->cblen, (const char *)NULL);
	if (cbind == NULL) {
		rc = nomem(e);
		goto out;
	}
	if ((rc = xt_b64_encode(cbind, cbindlen, &c)) != XT_OK) {
		c = NULL;
		rc = xt_error_set(e, rc, "cannot encode channel binding");
		goto out;
	}
	nowp = join(0, NULL, STR("c="), STR(c), STR(",r="), nonce.v, nonce.n,
	    (const char *)NULL);
	if (nowp == NULL) {
		rc = nomem(e);
		goto out;
	}
	am = join(1, &amlen, STR(s->bare), STR(","), in, inlen, STR(","),
	    STR(nowp), (const char *)NULL);
	k = gcry_malloc_secure(sizeof(*k));
	s->ssig = gcry_malloc_secure(s->hlen);
	if (am == NULL || k == NULL || s->ssig == NULL) {
		rc = nomem(e);
		goto out;
	}
	err = gcry_kdf_derive(s->pw, s->pwlen, GCRY_KDF_PBKDF2, algo, salt,
	    saltlen, iter, s->hlen, k->salted);
	if (err != 0) {
		rc = cryptoerr(e, err);
		goto out;
	}
	if ((rc = hmac(algo, k->salted, s->hlen, "Client Key", 10, k->ckey,
	    e)) != XT_OK ||
	    (rc = hash(algo, k->ckey, s->hlen, k->stored, e)) != XT_OK ||
	    (rc = hmac(algo, k->stored, s->hlen, am, amlen, k->csig,
	    e)) != XT_OK ||
	    (rc = hmac(algo, k->salted, s->hlen, "Server Key", 10, k->skey,
	    e)) != XT_OK ||
	    (rc = hmac(algo, k->skey, s->hlen, am, amlen, s->ssig,
	    e)) != XT_OK)
		goto out;
	for (i = 0; i < s->hlen; i++)
		k->proof[i] = k->ckey[i] ^ k->csig[i];
	if ((rc = xt_b64_encode(k->proof, s->hlen, &p)) != XT_OK) {
		p = NULL;
		rc = xt_error_set(e, rc, "cannot encode the client proof");
		goto out;
	}
	if ((*out = join(0, outlen, STR(nowp), STR(",p="), STR(p),
	    (const char *)NULL)) == NULL) {
		rc = nomem(e);
		goto out;
	}
	rc = XT_OK;
out:
	free(salt);
	xfree(cbind, cbindlen, 0);
	sfree(c, 0);
	sfree(nowp, 0);
	xfree(am, amlen, 1);
	xfree(k, sizeof(*k), 1);
	sfree(p, 0);
	/* The password has done its work. */
	xfree(s->pw, s->pwlen, 1);
	s->pw = NULL;
	s->pwlen = 0;
	return rc;
}

/* Check a server-final-message (RFC 5802 section 7): v= must match. */
static int
verify(struct xt_sasl *s, const char *in, size_t inlen, struct xt_error *e)
{
	const char *p = in, *end = in + inlen;
	struct attr a;
	unsigned char *v = NULL;
	size_t vlen = 0;
	int rc = XT_EAUTH;

	if (s->ssig == NULL || inlen > MSG_MAX ||
	    memchr(in, '\0', inlen) != NULL ||
	    nextattr(&p, end, &a) != 1 || a.name != 'v' || a.n == 0)
		goto out;
	if (xt_b64_decode(a.v, a.n, &v, &vlen) != XT_OK) {
		v = NULL;
		goto out;
	}
	if (vlen == s->hlen && xt_ct_memcmp(v, s->ssig, s->hlen) == 0)
		rc = XT_OK;
out:
	free(v);
	if (rc != XT_OK)
		rc = xt_error_set(e, XT_EAUTH, "server signature invalid");
	return rc;
}

/*
 * Answer a challenge (raw). For SCRAM, the server-first-message gives the
 * client-final-message (RFC 5802 sections 3, 5 and 7): its nonce must
 * extend ours, its salt decode, its iteration count lie in 4096..1000000,
 * and an "m=" mandatory extension is refused. A server-final-message sent
 * as a challenge (the RFC 3920 habit) is verified as by xt_sasl_finish and
 * answered with an empty response. XT_EAUTH if malformed or unexpected
 * (PLAIN takes no challenge); after a failure the exchange is dead.
 * *out owned (malloc, NUL-terminated); it holds the client proof: wipe it.
 */
int
xt_sasl_step(struct xt_sasl *s, const char *in, size_t inlen, char **out,
    size_t *outlen, struct xt_error *e)
{
	int rc;

	*out = NULL;
	*outlen = 0;
	if (in == NULL) {
		in = "";
		inlen = 0;
	}
	if (s->state == S_FIRST) {
		if ((rc = clientfinal(s, in, inlen, out, outlen, e)) == XT_OK)
			s->state = S_FINAL;
	} else if (s->state == S_FINAL && s->mi->algo != 0) {
		if ((rc = verify(s, in, inlen, e)) == XT_OK &&
		    (*out = join(0, outlen, (const char *)NULL)) == NULL)
			rc = nomem(e);
		if (rc == XT_OK)
			s->state = S_VERIFIED;
	} else
		rc = xt_error_set(e, XT_EAUTH, "unexpected sasl challenge");
	if (rc != XT_OK)
		s->state = S_FAILED;
	return rc;
}

/*
 * The additional data of <success/> (raw, RFC 6120 section 6.3.10). For
 * SCRAM the server-final-message: v= must equal the ServerSignature,
 * compared in constant time (RFC 5802 section 3). "e=", a missing or
 * wrong v=, or success before the server-first-message is XT_EAUTH
 * "server signature invalid"; any other success out of turn is XT_EAUTH
 * too. Empty data is fine when the server-final-message already came as
 * a challenge. For PLAIN any data is ignored.
 */
int
xt_sasl_finish(struct xt_sasl *s, const char *in, size_t inlen,
    struct xt_error *e)
{
	int rc;

	if (in == NULL) {
		in = "";
		inlen = 0;
	}
	if (s->state == S_FINAL && s->mi->algo == 0)
		rc = XT_OK;
	else if (s->state == S_FINAL)
		rc = verify(s, in, inlen, e);
	else if (s->state == S_VERIFIED)
		rc = inlen == 0 ? XT_OK : verify(s, in, inlen, e);
	else if (s->state == S_FIRST)
		rc = xt_error_set(e, XT_EAUTH, "server signature invalid");
	else
		rc = xt_error_set(e, XT_EAUTH, "unexpected sasl success");
	s->state = rc == XT_OK ? S_DONE : S_FAILED;
	return rc;
}

/* 1 once xt_sasl_finish has verified the server (PLAIN: once it ran). */
int
xt_sasl_done(const struct xt_sasl *s)
{
	return s != NULL && s->state == S_DONE;
}
