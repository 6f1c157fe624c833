/*
 * pubkey.c: the three payloads of XEP-0189 v0.13 (sections 3 to 5):
 * <pubkey xmlns='urn:xmpp:pubkey:1'/>, <revocation/> (or <revoke/>) in
 * urn:xmpp:revoke:1 and <attest xmlns='urn:xmpp:attest:1'/>, with their
 * prints and signatures as DESIGN.md section 3 and PROTOCOLS.md section 2
 * settle what the XEP leaves open.
 *
 * Texts are taken trimmed of XML white space; <key/> and <signature/> lose
 * all of it, so that re-indenting an element changes neither its print
 * nor what its signature covers. Hashing, base64 and RSA come from
 * lib/err.c and lib/key.c (GnuTLS, libgcrypt).
 */
#include <stdlib.h>
#include <string.h>

#include "xt.h"

/*
 * Caps on each text, checked before it is decoded or parsed: a JID of
 * three full parts, dates with room for fractions and a zone, prints with
 * room for other digests, and keys and signatures well above the base64
 * of XT_SPKI_MAX bytes (a 16384-bit key).
 */
#define PK_JIDMAX	(3 * XT_JID_PARTMAX + 2)
#define PK_DATEMAX	64
#define PK_PRINTMAX	128
#define PK_B64MAX	8192
#define PK_URIMAX	4096
#define PK_COLS		64

/* A child element of a payload. */
struct field {
	const char	*name;
	size_t		 max;		/* bytes of its text, trimmed */
	int		 strip;		/* all white space removed */
	int		 optional;
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trim s in place, or with all set remove every white space character. */
static void
squeeze(char *s, int all)
{
	char *r, *w, *last;

	r = s;
	if (!all)
		while (is_space(*r))
			r++;
	for (w = s, last = s; *r != '\0'; r++) {
		if (all && is_space(*r))
			continue;
		*w++ = *r;
		if (!is_space(*r))
			last = w;
	}
	*last = '\0';
}

/* The namespace an element is in, its own or inherited; "" for none. */
static const char *
elem_ns(const struct xt_node *n)
{
	for (; n != NULL; n = n->parent)
		if (n->name != NULL && n->ns != NULL)
			return n->ns;
	return "";
}

static int
is_root(const struct xt_node *n, const char *name, const char *alt,
    const char *ns, struct xt_error *e)
{
	if (n == NULL || n->name == NULL || (strcmp(n->name, name) != 0 &&
	    (alt == NULL || strcmp(n->name, alt) != 0)) ||
	    strcmp(elem_ns(n), ns) != 0)
		return xt_error_set(e, XT_EINVAL,
		    "expected a <%s xmlns='%s'/> element", name, ns);
	return XT_OK;
}

static void
free_all(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i]);
		v[i] = NULL;
	}
}

/*
 * Collect the texts of n's children named in f, in n's namespace (other
 * children, and children in other namespaces, are extensions and are
 * ignored): each at most once, holding text only, not empty, within its
 * cap. v[i] gets f[i]'s text (owned) or NULL for an absent optional one.
 */
static int
gather(const struct xt_node *n, const char *ns, const struct field *f,
    size_t nf, char **v, struct xt_error *e)
{
	const struct xt_node *c, *g;
	size_t i;
	int rc = XT_OK;

	for (i = 0; i < nf; i++)
		v[i] = NULL;
	for (c = n->children; c != NULL; c = c->next) {
		if (c->name == NULL || strcmp(elem_ns(c), ns) != 0)
			continue;
		for (i = 0; i < nf && strcmp(c->name, f[i].name) != 0; i++)
			;
		if (i == nf)
			continue;
		if (v[i] != NULL) {
			rc = xt_error_set(e, XT_EINVAL, "<%s/> has two <%s/>",
			    n->name, f[i].name);
			goto fail;
		}
		for (g = c->children; g != NULL; g = g->next)
			if (g->name != NULL)
				break;
		if (g != NULL) {
			rc = xt_error_set(e, XT_EINVAL,
			    "<%s/> holds an element, not only text", f[i].name);
			goto fail;
		}
		if ((v[i] = xt_node_text(c)) == NULL) {
			rc = xt_error_set(e, XT_ENOMEM, "out of memory");
			goto fail;
		}
		squeeze(v[i], f[i].strip);
		if (strlen(v[i]) > f[i].max) {
			rc = xt_error_set(e, XT_EINVAL,
			    "<%s/> is too long (over %zu bytes)", f[i].name,
			    f[i].max);
			goto fail;
		}
		if (v[i][0] == '\0') {
			rc = xt_error_set(e, XT_EINVAL, "<%s/> is empty",
			    f[i].name);
			goto fail;
		}
	}
	for (i = 0; i < nf; i++)
		if (v[i] == NULL && !f[i].optional) {
			rc = xt_error_set(e, XT_EINVAL, "<%s/> has no <%s/>",
			    n->name, f[i].name);
			goto fail;
		}
	return XT_OK;
fail:
	free_all(v, nf);
	return rc;
}

/*
 * Strict base64: the alphabet, a length that is a multiple of four, and
 * '=' only as the last one or two characters. GnuTLS is more forgiving,
 * and an OpenPGP armour CRC line ("=PGFT") must not slip through.
 */
static int
b64_strict(const char *s)
{
	size_t n = strlen(s), i, pad = 0;

	if (n == 0 || n % 4 != 0)
		return 0;
	while (pad < 2 && s[n - 1 - pad] == '=')
		pad++;
	for (i = 0; i < n - pad; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/'))
			return 0;
	return 1;
}

static int
time_text(const char *what, const char *s, int64_t *t, struct xt_error *e)
{
	if (xt_time_parse(s, t) != XT_OK)
		return xt_error_set(e, XT_EINVAL,
		    "<%s/> is not an XEP-0082 date and time", what);
	return XT_OK;
}

static int
jid_text(const char *what, const char *s, struct xt_error *e)
{
	struct xt_error je = { 0, "" };
	struct xt_jid j;
	int rc;

	if ((rc = xt_jid_parse(s, &j, &je)) != XT_OK) {
		if (rc == XT_ENOMEM)
			return xt_error_set(e, rc, "out of memory");
		return xt_error_set(e, XT_EINVAL,
		    "<%s/> is not a valid jid: %s", what, je.msg);
	}
	xt_jid_free(&j);
	return XT_OK;
}

/*
 * Decode a <key/> text (white space already removed) into DER, check it is
 * an acceptable RSA SPKI and written in canonical base64 (so the text, the
 * print and the signatures over it name exactly one key), and hash it.
 */
static int
key_text(const char *b64, unsigned char **der, size_t *len, unsigned *bits,
    char keyid[65], struct xt_error *e)
{
	struct xt_error ke = { 0, "" };
	char *again = NULL;
	int rc;

	*der = NULL;
	*len = 0;
	if (!b64_strict(b64) ||
	    (rc = xt_b64_decode(b64, strlen(b64), der, len)) == XT_EINVAL)
		return xt_error_set(e, XT_EINVAL, "<key/> is not base64");
	if (rc != XT_OK)
		return xt_error_set(e, rc, "out of memory");
	if ((rc = xt_spki_check(*der, *len, bits, &ke)) != XT_OK) {
		rc = xt_error_set(e, rc == XT_ENOMEM ? rc : XT_EINVAL,
		    "<key/>: %s", ke.msg);
		goto out;
	}
	if ((rc = xt_b64_encode(*der, *len, &again)) != XT_OK) {
		rc = xt_error_set(e, rc, "out of memory");
		goto out;
	}
	if (strcmp(again, b64) != 0) {
		rc = xt_error_set(e, XT_EINVAL,
		    "<key/> is not canonical base64");
		goto out;
	}
	xt_sha256_hex(*der, *len, keyid);
out:
	free(again);
	if (rc != XT_OK) {
		free(*der);
		*der = NULL;
		*len = 0;
	}
	return rc;
}

/* Decode a <signature/> text (white space already removed). */
static int
sig_text(const char *b64, unsigned char **sig, size_t *len,
    struct xt_error *e)
{
	int rc;

	*sig = NULL;
	*len = 0;
	if (!b64_strict(b64) ||
	    (rc = xt_b64_decode(b64, strlen(b64), sig, len)) == XT_EINVAL)
		return xt_error_set(e, XT_EINVAL, "<signature/> is not base64 "
		    "(OpenPGP signatures are not supported)");
	if (rc != XT_OK)
		return xt_error_set(e, rc, "out of memory");
	return XT_OK;
}

/* s in lines of PK_COLS, each ending "\n", after a "\n" if lead is set. */
static char *
wrap(const char *s, int lead)
{
	size_t n = strlen(s), lines = (n + PK_COLS - 1) / PK_COLS, i, k;
	char *w, *p;

	if ((w = malloc(n + lines + 2)) == NULL)
		return NULL;
	p = w;
	if (lead)
		*p++ = '\n';
	for (i = 0; i < n; i += k) {
		k = n - i < PK_COLS ? n - i : PK_COLS;
		memcpy(p, s + i, k);
		p += k;
		*p++ = '\n';
	}
	*p = '\0';
	return w;
}

/* The concatenation of n strings (NULL in any is XT_EINVAL); owned. */
static int
concat(const char *const *parts, size_t n, char **out, size_t *len)
{
	size_t i, total = 0, l;
	char *s;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	for (i = 0; i < n; i++) {
		if (parts[i] == NULL)
			return XT_EINVAL;
		total += strlen(parts[i]);
	}
	if ((s = malloc(total + 1)) == NULL)
		return XT_ENOMEM;
	for (i = 0, total = 0; i < n; i++) {
		l = strlen(parts[i]);
		memcpy(s + total, parts[i], l);
		total += l;
	}
	s[total] = '\0';
	*out = s;
	if (len != NULL)
		*len = total;
	return XT_OK;
}

/* a lowercased into buf[PK_PRINTMAX + 1]; its length, or -1 if too long. */
static int
lower(const char *a, char *buf)
{
	size_t i;

	for (i = 0; a[i] != '\0'; i++) {
		if (i == PK_PRINTMAX)
			return -1;
		buf[i] = a[i] >= 'A' && a[i] <= 'Z' ? a[i] - 'A' + 'a' : a[i];
	}
	buf[i] = '\0';
	return (int)i;
}

/* Are two prints the same, hex case aside? Constant time in the bytes. */
static int
same_print(const char *a, const char *b)
{
	char x[PK_PRINTMAX + 1], y[PK_PRINTMAX + 1];
	int n;

	if (a == NULL || b == NULL || (n = lower(a, x)) < 0 ||
	    lower(b, y) != n)
		return 0;
	return xt_ct_memcmp(x, y, (size_t)n) == 0;
}

/* Format t, and make sure it reads back as t (no year past 9999). */
static int
time_make(int64_t t, char **out, struct xt_error *e)
{
	char buf[PK_DATEMAX];
	int64_t back;

	*out = NULL;
	if (xt_time_format(t, buf, sizeof(buf)) != XT_OK ||
	    xt_time_parse(buf, &back) != XT_OK || back != t)
		return xt_error_set(e, XT_EINVAL, "time out of range");
	if ((*out = strdup(buf)) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	return XT_OK;
}

/*
 * Does pk's print match its key? Checked on a copy, since the caller's
 * pubkey is const; what a maker or verifier is handed may not have been
 * through xt_pubkey_verify.
 */
static int
print_ok(const struct xt_pubkey *pk, const char *whose, struct xt_error *e)
{
	struct xt_pubkey tmp;
	int rc;

	if (pk == NULL || pk->print == NULL || pk->key == NULL ||
	    pk->spki == NULL)
		return xt_error_set(e, XT_EINVAL, "%s <pubkey/> is incomplete",
		    whose);
	tmp = *pk;
	rc = xt_pubkey_verify(&tmp, NULL);
	if (rc == XT_EBADSIG)
		return xt_error_set(e, rc,
		    "%s <print/> does not match its key", whose);
	if (rc != XT_OK)
		return xt_error_set(e, rc, "%s <pubkey/>: %s", whose,
		    xt_strerror(rc));
	return tmp.rule;
}

/*
 * The key an attestation vouches for must have a print by the current
 * rule: a legacy print covers the key alone, so an attestation of it would
 * carry over to any JID and any dates written next to the same key.
 */
static int
subject_ok(const struct xt_pubkey *pk, struct xt_error *e)
{
	int rc;

	if ((rc = print_ok(pk, "the subject's", e)) < 0)
		return rc;
	if (rc != XT_PRINT_CURRENT)
		return xt_error_set(e, XT_EBADSIG, "the attested key's print "
		    "is by XEP-0189's older rule, which does not cover its "
		    "jid and dates: it cannot be attested");
	return XT_OK;
}

/* Is k the private half of signer's key? */
static int
key_is(const struct xt_key *k, const struct xt_pubkey *signer,
    struct xt_error *e)
{
	unsigned char *der;
	size_t len;
	int rc;

	if ((rc = xt_key_spki(k, &der, &len)) != XT_OK)
		return xt_error_set(e, rc, "the key's public half: %s",
		    xt_strerror(rc));
	if (signer->spki == NULL || len != signer->spkilen ||
	    memcmp(der, signer->spki, len) != 0)
		rc = xt_error_set(e, XT_EINVAL,
		    "the key does not match the signer's <pubkey/>");
	free(der);
	return rc;
}

/* Copy an SPKI: the caller's struct owns the copy. */
static int
spki_dup(const unsigned char *der, size_t len, unsigned char **out)
{
	if (der == NULL || len == 0)
		return XT_EINVAL;
	if ((*out = malloc(len)) == NULL)
		return XT_ENOMEM;
	memcpy(*out, der, len);
	return XT_OK;
}

/*
 * Append <name>text</name> to parent on a line of its own, as the XEP
 * writes its examples (the whitespace between children means nothing);
 * XT_EINVAL if text is NULL.
 */
static int
add_child(struct xt_node *parent, const char *name, const char *text)
{
	struct xt_node *c;

	if (text == NULL)
		return XT_EINVAL;
	if (xt_node_add_text(parent, "\n", 1) != XT_OK ||
	    (c = xt_node_add_elem(parent, name, NULL)) == NULL)
		return XT_ENOMEM;
	return xt_node_add_text(c, text, strlen(text));
}

/* Append <name/> holding base64 of bytes in lines of PK_COLS. */
static int
add_b64(struct xt_node *parent, const char *name, const unsigned char *b,
    size_t n)
{
	char *s, *w;
	int rc;

	if (b == NULL || n == 0)
		return XT_EINVAL;
	if ((rc = xt_b64_encode(b, n, &s)) != XT_OK)
		return rc;
	w = wrap(s, 1);
	free(s);
	if (w == NULL)
		return XT_ENOMEM;
	rc = add_child(parent, name, w);
	free(w);
	return rc;
}

/* ---------------------------------------------------------------- pubkey */

enum { P_BEGIN, P_END, P_JID, P_KEY, P_PRINT, P_URI, P_N };

static const struct field pubkey_fields[P_N] = {
	{ "begin", PK_DATEMAX, 0, 0 },
	{ "end", PK_DATEMAX, 0, 0 },
	{ "jid", PK_JIDMAX, 0, 0 },
	{ "key", PK_B64MAX, 1, 0 },
	{ "print", PK_PRINTMAX, 0, 0 },
	{ "uri", PK_URIMAX, 0, 1 }
};

/*
 * XEP-0189 section 3. pk is overwritten; on failure it is left cleared.
 * The print is kept as written and checked only by xt_pubkey_verify.
 */
int
xt_pubkey_parse(const struct xt_node *n, struct xt_pubkey *pk,
    struct xt_error *e)
{
	char *v[P_N];
	int rc;

	memset(pk, 0, sizeof(*pk));
	if ((rc = is_root(n, "pubkey", NULL, XT_NS_PUBKEY, e)) != XT_OK ||
	    (rc = gather(n, XT_NS_PUBKEY, pubkey_fields, P_N, v, e)) != XT_OK)
		return rc;
	pk->begin = v[P_BEGIN];
	pk->end = v[P_END];
	pk->jid = v[P_JID];
	pk->key = v[P_KEY];
	pk->print = v[P_PRINT];
	pk->uri = v[P_URI];
	if ((rc = time_text("begin", pk->begin, &pk->begin_t, e)) != XT_OK ||
	    (rc = time_text("end", pk->end, &pk->end_t, e)) != XT_OK)
		goto out;
	if (pk->begin_t > pk->end_t) {
		rc = xt_error_set(e, XT_EINVAL, "<begin/> is after <end/>");
		goto out;
	}
	if ((rc = jid_text("jid", pk->jid, e)) != XT_OK)
		goto out;
	rc = key_text(pk->key, &pk->spki, &pk->spkilen, &pk->bits, pk->keyid,
	    e);
out:
	if (rc != XT_OK)
		xt_pubkey_clear(pk);
	return rc;
}

void
xt_pubkey_clear(struct xt_pubkey *pk)
{
	if (pk == NULL)
		return;
	free(pk->begin);
	free(pk->end);
	free(pk->jid);
	free(pk->key);
	free(pk->spki);
	free(pk->print);
	free(pk->uri);
	memset(pk, 0, sizeof(*pk));
}

/*
 * The current rule (DESIGN.md 3): SHA-256 over begin ‖ end ‖ jid ‖ key, as
 * XEP-0189 v0.13 section 3 says, the texts trimmed and the key without
 * white space. The legacy rule, by which the XEP's own example print was
 * made: SHA-256 over the key alone, in lines of 64 each ending "\n".
 */
int
xt_pubkey_print(const struct xt_pubkey *pk, enum xt_print_rule rule,
    char out[65])
{
	const char *parts[4];
	char *s;
	size_t len;
	int rc;

	out[0] = '\0';
	if (pk == NULL || pk->key == NULL)
		return XT_EINVAL;
	switch (rule) {
	case XT_PRINT_CURRENT:
		parts[0] = pk->begin;
		parts[1] = pk->end;
		parts[2] = pk->jid;
		parts[3] = pk->key;
		if ((rc = concat(parts, 4, &s, &len)) != XT_OK)
			return rc;
		break;
	case XT_PRINT_LEGACY:
		if ((s = wrap(pk->key, 0)) == NULL)
			return XT_ENOMEM;
		len = strlen(s);
		break;
	default:
		return XT_EINVAL;
	}
	xt_sha256_hex(s, len, out);
	free(s);
	return XT_OK;
}

/*
 * Are begin and end written in the one form the tools emit? The current
 * rule hashes begin, end and jid with nothing between them; were "...Z"
 * and "..." (or fractions) both accepted, bytes could move from <end/> to
 * <jid/> under the same print: "...09Z" + "alice@x" and "...09" +
 * "Zalice@x". With dates of fixed form and a self-delimiting key, the
 * hashed string splits one way only.
 */
static int
canonical_dates(const struct xt_pubkey *pk)
{
	char b[32], n[32];

	return xt_time_format(pk->begin_t, b, sizeof(b)) == XT_OK &&
	    xt_time_format(pk->end_t, n, sizeof(n)) == XT_OK &&
	    strcmp(pk->begin, b) == 0 && strcmp(pk->end, n) == 0;
}

const char *
xt_print_rule_name(enum xt_print_rule rule)
{
	return rule == XT_PRINT_LEGACY ? "XEP-0189 example" :
	    rule == XT_PRINT_CURRENT ? "current" : "no";
}

/*
 * Note that a print made by the legacy rule covers the key only: begin,
 * end and jid are then bound to it by nothing but where the element came
 * from. pk->rule says which rule matched so that a tool can tell. A print
 * by the current rule counts only over dates in canonical form.
 */
int
xt_pubkey_verify(struct xt_pubkey *pk, struct xt_error *e)
{
	char got[PK_PRINTMAX + 1], cur[65], leg[65];
	int rc, mcur, mleg;

	pk->rule = XT_PRINT_NONE;
	if (pk->print == NULL || lower(pk->print, got) != 64)
		return xt_error_set(e, XT_EBADSIG,
		    "print does not match the key");
	if ((rc = xt_pubkey_print(pk, XT_PRINT_CURRENT, cur)) != XT_OK ||
	    (rc = xt_pubkey_print(pk, XT_PRINT_LEGACY, leg)) != XT_OK)
		return xt_error_set(e, rc, "cannot compute the print: %s",
		    xt_strerror(rc));
	mcur = xt_ct_memcmp(got, cur, 64) == 0;
	mleg = xt_ct_memcmp(got, leg, 64) == 0;
	if (mcur && !canonical_dates(pk) && !mleg)
		return xt_error_set(e, XT_EBADSIG, "print over dates not "
		    "written as CCYY-MM-DDThh:mm:ssZ: ambiguous, refused");
	if (mcur && canonical_dates(pk))
		pk->rule = XT_PRINT_CURRENT;
	else if (mleg)
		pk->rule = XT_PRINT_LEGACY;
	else
		return xt_error_set(e, XT_EBADSIG,
		    "print does not match the key");
	return XT_OK;
}

int
xt_pubkey_make(struct xt_pubkey *pk, const unsigned char *spki, size_t len,
    const char *jid, int64_t begin_t, int64_t end_t, const char *uri,
    struct xt_error *e)
{
	char print[65];
	int rc;

	memset(pk, 0, sizeof(*pk));
	if (spki == NULL || jid == NULL)
		return xt_error_set(e, XT_EINVAL, "no key or no jid");
	if (begin_t > end_t)
		return xt_error_set(e, XT_EINVAL,
		    "the key's validity begins after it ends");
	if (strlen(jid) > PK_JIDMAX)
		return xt_error_set(e, XT_EINVAL, "the jid is too long");
	if ((rc = jid_text("jid", jid, e)) != XT_OK ||
	    (rc = xt_spki_check(spki, len, &pk->bits, e)) != XT_OK)
		goto out;
	if ((rc = time_make(begin_t, &pk->begin, e)) != XT_OK ||
	    (rc = time_make(end_t, &pk->end, e)) != XT_OK)
		goto out;
	pk->begin_t = begin_t;
	pk->end_t = end_t;
	rc = XT_ENOMEM;
	if ((pk->jid = strdup(jid)) == NULL ||
	    spki_dup(spki, len, &pk->spki) != XT_OK)
		goto nomem;
	pk->spkilen = len;
	if (xt_b64_encode(spki, len, &pk->key) != XT_OK)
		goto nomem;
	if (uri != NULL) {
		/* Trimmed as a parser would read it back. */
		if ((pk->uri = strdup(uri)) == NULL)
			goto nomem;
		squeeze(pk->uri, 0);
		if (pk->uri[0] == '\0' || strlen(pk->uri) > PK_URIMAX) {
			rc = xt_error_set(e, XT_EINVAL,
			    "the uri is empty or too long");
			goto out;
		}
	}
	xt_sha256_hex(spki, len, pk->keyid);
	if ((rc = xt_pubkey_print(pk, XT_PRINT_CURRENT, print)) != XT_OK) {
		rc = xt_error_set(e, rc, "%s", xt_strerror(rc));
		goto out;
	}
	if ((pk->print = strdup(print)) == NULL)
		goto nomem;
	pk->rule = XT_PRINT_CURRENT;
	return XT_OK;
nomem:
	rc = xt_error_set(e, XT_ENOMEM, "out of memory");
out:
	xt_pubkey_clear(pk);
	return rc;
}

/* XEP-0189 section 3: valid from begin to end, both included. */
int
xt_pubkey_when(const struct xt_pubkey *pk, int64_t t)
{
	if (t < pk->begin_t)
		return -1;
	if (t > pk->end_t)
		return 1;
	return 0;
}

/*
 * pk->print goes out as held: make() computed it by the current rule, and
 * a tool passing on a fetched key with a legacy print recomputes it first
 * if it wants the current one.
 */
struct xt_node *
xt_pubkey_node(const struct xt_pubkey *pk)
{
	struct xt_node *n;
	char *w;
	int rc;

	if (pk->key == NULL || (n = xt_node_new("pubkey", XT_NS_PUBKEY)) ==
	    NULL)
		return NULL;
	if ((w = wrap(pk->key, 1)) == NULL) {
		xt_node_free(n);
		return NULL;
	}
	rc = add_child(n, "begin", pk->begin);
	if (rc == XT_OK)
		rc = add_child(n, "end", pk->end);
	if (rc == XT_OK)
		rc = add_child(n, "jid", pk->jid);
	if (rc == XT_OK)
		rc = add_child(n, "key", w);
	if (rc == XT_OK)
		rc = add_child(n, "print", pk->print);
	if (rc == XT_OK && pk->uri != NULL)
		rc = add_child(n, "uri", pk->uri);
	free(w);
	if (rc == XT_OK)
		rc = xt_node_add_text(n, "\n", 1);
	if (rc != XT_OK) {
		xt_node_free(n);
		return NULL;
	}
	return n;
}

/* ---------------------------------------------------------------- revoke */

enum { R_KEY, R_KEYPRINT, R_REVPRINT, R_TIME, R_SIG, R_N };

static const struct field revocation_fields[R_N] = {
	{ "key", PK_B64MAX, 1, 0 },
	{ "keyprint", PK_PRINTMAX, 0, 0 },
	{ "revocationprint", PK_PRINTMAX, 0, 0 },
	{ "revocationtime", PK_DATEMAX, 0, 0 },
	{ "signature", PK_B64MAX, 1, 0 }
};

/*
 * XEP-0189 section 4. The prints are kept as written: the XEP's example
 * has a UUID as keyprint, which parses here and then fails verification.
 */
int
xt_revocation_parse(const struct xt_node *n, struct xt_revocation *r,
    struct xt_error *e)
{
	char *v[R_N];
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = is_root(n, "revocation", "revoke", XT_NS_REVOKE, e)) !=
	    XT_OK ||
	    (rc = gather(n, XT_NS_REVOKE, revocation_fields, R_N, v, e)) !=
	    XT_OK)
		return rc;
	r->key = v[R_KEY];
	r->keyprint = v[R_KEYPRINT];
	r->revocationprint = v[R_REVPRINT];
	r->time = v[R_TIME];
	if ((rc = time_text("revocationtime", r->time, &r->t, e)) != XT_OK ||
	    (rc = key_text(r->key, &r->spki, &r->spkilen, NULL, r->keyid,
	    e)) != XT_OK)
		goto out;
	rc = sig_text(v[R_SIG], &r->sig, &r->siglen, e);
out:
	free(v[R_SIG]);
	if (rc != XT_OK)
		xt_revocation_clear(r);
	return rc;
}

void
xt_revocation_clear(struct xt_revocation *r)
{
	if (r == NULL)
		return;
	free(r->key);
	free(r->spki);
	free(r->keyprint);
	free(r->revocationprint);
	free(r->time);
	free(r->sig);
	memset(r, 0, sizeof(*r));
}

int
xt_revocation_data(const struct xt_revocation *r, char **out, size_t *len)
{
	const char *parts[4];

	parts[0] = r->key;
	parts[1] = r->keyprint;
	parts[2] = r->revocationprint;
	parts[3] = r->time;
	return concat(parts, 4, out, len);
}

/*
 * Both prints are checked against their keys here, not just trusted: a
 * revocation naming a print that does not belong to its key would never
 * verify anywhere.
 */
int
xt_revocation_make(struct xt_revocation *r, const struct xt_pubkey *revoked,
    const struct xt_pubkey *signer, const struct xt_key *k, int64_t t,
    struct xt_error *e)
{
	char *data = NULL;
	size_t len;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = print_ok(revoked, "the revoked key's", e)) < 0 ||
	    (rc = print_ok(signer, "the signer's", e)) < 0 ||
	    (rc = key_is(k, signer, e)) != XT_OK ||
	    (rc = time_make(t, &r->time, e)) != XT_OK)
		goto out;
	r->t = t;
	if ((r->key = strdup(revoked->key)) == NULL ||
	    spki_dup(revoked->spki, revoked->spkilen, &r->spki) != XT_OK ||
	    (r->keyprint = strdup(revoked->print)) == NULL ||
	    (r->revocationprint = strdup(signer->print)) == NULL ||
	    xt_revocation_data(r, &data, &len) != XT_OK) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	r->spkilen = revoked->spkilen;
	memcpy(r->keyid, revoked->keyid, sizeof(r->keyid));
	rc = xt_key_sign(k, data, len, &r->sig, &r->siglen, e);
out:
	free(data);
	if (rc != XT_OK)
		xt_revocation_clear(r);
	return rc;
}

/*
 * Which key a revocation applies to, and whether a signer is a valid key
 * of the same account, the tools decide by keyid; this checks the element
 * and its signature only.
 */
int
xt_revocation_verify(const struct xt_revocation *r,
    const struct xt_pubkey *signer, struct xt_error *e)
{
	struct xt_error se = { 0, "" };
	const unsigned char *der;
	size_t derlen, len;
	char *data;
	int rc;

	if (r->spki == NULL || r->sig == NULL)
		return xt_error_set(e, XT_EINVAL, "incomplete revocation");
	if (signer == NULL) {
		if (!same_print(r->revocationprint, r->keyprint))
			return xt_error_set(e, XT_EBADSIG, "<revocationprint/> "
			    "is not <keyprint/>: the revocation was not made "
			    "by the revoked key");
		der = r->spki;
		derlen = r->spkilen;
	} else {
		if ((rc = print_ok(signer, "the signer's", e)) < 0)
			return rc;
		if (!same_print(r->revocationprint, signer->print))
			return xt_error_set(e, XT_EBADSIG,
			    "<revocationprint/> is not the signer's print");
		der = signer->spki;
		derlen = signer->spkilen;
	}
	if ((rc = xt_revocation_data(r, &data, &len)) != XT_OK)
		return xt_error_set(e, rc, "%s", xt_strerror(rc));
	rc = xt_spki_verify(der, derlen, data, len, r->sig, r->siglen, &se);
	free(data);
	if (rc == XT_EBADSIG)
		return xt_error_set(e, rc, "the revocation's signature does "
		    "not verify with the %s key", signer ? "signer's" :
		    "revoked");
	if (rc != XT_OK)
		return xt_error_set(e, rc, "%s", se.msg);
	return XT_OK;
}

struct xt_node *
xt_revocation_node(const struct xt_revocation *r)
{
	struct xt_node *n;
	char *w;
	int rc;

	if (r->key == NULL ||
	    (n = xt_node_new("revocation", XT_NS_REVOKE)) == NULL)
		return NULL;
	if ((w = wrap(r->key, 1)) == NULL) {
		xt_node_free(n);
		return NULL;
	}
	rc = add_child(n, "key", w);
	free(w);
	if (rc == XT_OK)
		rc = add_child(n, "keyprint", r->keyprint);
	if (rc == XT_OK)
		rc = add_child(n, "revocationprint", r->revocationprint);
	if (rc == XT_OK)
		rc = add_child(n, "revocationtime", r->time);
	if (rc == XT_OK)
		rc = add_b64(n, "signature", r->sig, r->siglen);
	if (rc == XT_OK)
		rc = xt_node_add_text(n, "\n", 1);
	if (rc != XT_OK) {
		xt_node_free(n);
		return NULL;
	}
	return n;
}

/* ---------------------------------------------------------------- attest */

enum { A_KEYPRINT, A_SIG, A_SIGNERJID, A_SIGNERPRINT, A_TIME, A_N };

static const struct field attest_fields[A_N] = {
	{ "keyprint", PK_PRINTMAX, 0, 0 },
	{ "signature", PK_B64MAX, 1, 0 },
	{ "signerjid", PK_JIDMAX, 0, 0 },
	{ "signerprint", PK_PRINTMAX, 0, 0 },
	{ "signtime", PK_DATEMAX, 0, 0 }
};

/* XEP-0189 section 5; prints kept as written, as for a revocation. */
int
xt_attest_parse(const struct xt_node *n, struct xt_attest *a,
    struct xt_error *e)
{
	char *v[A_N];
	int rc;

	memset(a, 0, sizeof(*a));
	if ((rc = is_root(n, "attest", NULL, XT_NS_ATTEST, e)) != XT_OK ||
	    (rc = gather(n, XT_NS_ATTEST, attest_fields, A_N, v, e)) != XT_OK)
		return rc;
	a->keyprint = v[A_KEYPRINT];
	a->signerjid = v[A_SIGNERJID];
	a->signerprint = v[A_SIGNERPRINT];
	a->time = v[A_TIME];
	if ((rc = jid_text("signerjid", a->signerjid, e)) != XT_OK ||
	    (rc = time_text("signtime", a->time, &a->t, e)) != XT_OK)
		goto out;
	rc = sig_text(v[A_SIG], &a->sig, &a->siglen, e);
out:
	free(v[A_SIG]);
	if (rc != XT_OK)
		xt_attest_clear(a);
	return rc;
}

void
xt_attest_clear(struct xt_attest *a)
{
	if (a == NULL)
		return;
	free(a->keyprint);
	free(a->signerjid);
	free(a->signerprint);
	free(a->time);
	free(a->sig);
	memset(a, 0, sizeof(*a));
}

/*
 * <attest/> has no <key/> (PROTOCOLS.md 2.3, item 4), so the verifier
 * brings the subject's: its text is what is signed, white space skipped.
 */
int
xt_attest_data(const struct xt_attest *a, const char *key, char **out,
    size_t *len)
{
	const char *parts[5];
	char *k;
	int rc;

	*out = NULL;
	if (key == NULL)
		return XT_EINVAL;
	if ((k = strdup(key)) == NULL)
		return XT_ENOMEM;
	squeeze(k, 1);
	parts[0] = k;
	parts[1] = a->keyprint;
	parts[2] = a->signerjid;
	parts[3] = a->signerprint;
	parts[4] = a->time;
	rc = concat(parts, 5, out, len);
	free(k);
	return rc;
}

/*
 * An attestation the signer's own <pubkey/> would not cover (signed
 * outside its validity) is refused here, as xt_attest_verify would
 * refuse it.
 */
int
xt_attest_make(struct xt_attest *a, const struct xt_pubkey *subject,
    const struct xt_pubkey *signer, const struct xt_key *k, int64_t t,
    struct xt_error *e)
{
	char *data = NULL;
	size_t len;
	int rc;

	memset(a, 0, sizeof(*a));
	if ((rc = subject_ok(subject, e)) != XT_OK ||
	    (rc = print_ok(signer, "the signer's", e)) < 0 ||
	    (rc = key_is(k, signer, e)) != XT_OK ||
	    (rc = time_make(t, &a->time, e)) != XT_OK)
		goto out;
	if (signer->jid == NULL || xt_pubkey_when(signer, t) != 0) {
		rc = xt_error_set(e, XT_EINVAL,
		    "the signer's key is not valid at the signing time");
		goto out;
	}
	a->t = t;
	if ((a->keyprint = strdup(subject->print)) == NULL ||
	    (a->signerjid = strdup(signer->jid)) == NULL ||
	    (a->signerprint = strdup(signer->print)) == NULL ||
	    xt_attest_data(a, subject->key, &data, &len) != XT_OK) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	rc = xt_key_sign(k, data, len, &a->sig, &a->siglen, e);
out:
	free(data);
	if (rc != XT_OK)
		xt_attest_clear(a);
	return rc;
}

int
xt_attest_verify(const struct xt_attest *a, const struct xt_pubkey *subject,
    const struct xt_pubkey *signer, struct xt_error *e)
{
	struct xt_error se = { 0, "" };
	char *data;
	size_t len;
	int rc;

	if (a->sig == NULL || a->signerjid == NULL)
		return xt_error_set(e, XT_EINVAL, "incomplete attestation");
	if ((rc = subject_ok(subject, e)) != XT_OK ||
	    (rc = print_ok(signer, "the signer's", e)) < 0)
		return rc;
	if (!same_print(a->keyprint, subject->print))
		return xt_error_set(e, XT_EBADSIG,
		    "<keyprint/> is not the subject's print");
	if (!same_print(a->signerprint, signer->print))
		return xt_error_set(e, XT_EBADSIG,
		    "<signerprint/> is not the signer's print");
	if (signer->jid == NULL || xt_jid_streq(a->signerjid, signer->jid, 1) !=
	    1)
		return xt_error_set(e, XT_EBADSIG,
		    "<signerjid/> is not the signer's jid");
	if (xt_pubkey_when(signer, a->t) != 0)
		return xt_error_set(e, XT_EBADSIG,
		    "signer's key was not valid at signtime");
	if ((rc = xt_attest_data(a, subject->key, &data, &len)) != XT_OK)
		return xt_error_set(e, rc, "%s", xt_strerror(rc));
	rc = xt_spki_verify(signer->spki, signer->spkilen, data, len, a->sig,
	    a->siglen, &se);
	free(data);
	if (rc == XT_EBADSIG)
		return xt_error_set(e, rc, "the attestation's signature does "
		    "not verify with the signer's key");
	if (rc != XT_OK)
		return xt_error_set(e, rc, "%s", se.msg);
	return XT_OK;
}

struct xt_node *
xt_attest_node(const struct xt_attest *a)
{
	struct xt_node *n;
	int rc;

	if ((n = xt_node_new("attest", XT_NS_ATTEST)) == NULL)
		return NULL;
	rc = add_child(n, "keyprint", a->keyprint);
	if (rc == XT_OK)
		rc = add_b64(n, "signature", a->sig, a->siglen);
	if (rc == XT_OK)
		rc = add_child(n, "signerjid", a->signerjid);
	if (rc == XT_OK)
		rc = add_child(n, "signerprint", a->signerprint);
	if (rc == XT_OK)
		rc = add_child(n, "signtime", a->time);
	if (rc == XT_OK)
		rc = xt_node_add_text(n, "\n", 1);
	if (rc != XT_OK) {
		xt_node_free(n);
		return NULL;
	}
	return n;
}
