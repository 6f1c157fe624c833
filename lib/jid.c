/*
 * jid.c: XMPP addresses (RFC 7622).
 *
 * Structure and lengths follow RFC 7622, and so does preparation: the
 * localpart with the PRECIS UsernameCaseMapped profile, the resourcepart
 * with OpaqueString (RFC 8265, lib/precis.c), the domainpart with IDNA2008
 * and UTS #46 non-transitional mapping (libidn2). Where we answer otherwise
 * than a published vector, tests/unit/jid.c and
 * tests/unit/jid-known-differences.txt list the cases.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "xt.h"

/*
 * Octets a part may have before preparation. Normalisation orders a run
 * of combining marks by sorting it, so an unbounded part from the network
 * would be a cheap way to make us work; four times the prepared limit
 * leaves room for anything that preparation could shrink to 1023 octets
 * (a fullwidth letter is three octets, its mapping one).
 */
#define JID_RAWMAX	(4 * XT_JID_PARTMAX)

#define IDN2_FLAGS	(IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL)

/* A growing string for the domainpart as it is rebuilt label by label. */
struct buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

static int
buf_add(struct buf *b, const char *s, size_t n)
{
	char *p;
	size_t cap;

	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->s, cap)) == NULL)
			return XT_ENOMEM;
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return XT_OK;
}

/*
 * Prepare in[0..len) with a PRECIS profile and check the result against
 * RFC 7622 section 3.1: not empty, at most XT_JID_PARTMAX octets.
 */
static int
prep_part(const char *in, size_t len, enum xt_precis profile,
    const char *what, char **out, struct xt_error *e)
{
	char why[80], *p = NULL;
	size_t plen;
	int rc;

	rc = xt_precis(in, len, profile, &p, why, sizeof(why));
	if (rc == XT_ENOMEM)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	if (rc != XT_OK)
		return xt_error_set(e, XT_EINVAL, "jid-malformed: %s in %s",
		    why, what);
	plen = strlen(p);
	if (plen == 0) {
		free(p);
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: empty %s after preparation", what);
	}
	if (plen > XT_JID_PARTMAX) {
		free(p);
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: %s over %d octets", what, XT_JID_PARTMAX);
	}
	*out = p;
	return XT_OK;
}

/* The first of the characters RFC 7622 section 3.3.1 bars from a localpart. */
static int
local_forbidden(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != '\0' && strchr("\"&'/:<>@", s[i]) != NULL)
			return (unsigned char)s[i];
	return 0;
}

static int
prep_local(const char *in, size_t len, char **out, struct xt_error *e)
{
	char *p = NULL;
	int c, rc;

	if ((c = local_forbidden(in, len)) != 0)
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: '%c' not allowed in localpart", c);
	if ((rc = prep_part(in, len, XT_PRECIS_USERNAME, "localpart", &p,
	    e)) != XT_OK)
		return rc;
	/* The width mapping can make one of them (U+FF20 is '@'). */
	if ((c = local_forbidden(p, strlen(p))) != 0) {
		free(p);
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: '%c' not allowed in localpart", c);
	}
	*out = p;
	return XT_OK;
}

/*
 * An IP-literal domainpart (RFC 7622 section 3.2, RFC 3986 section 3.2.2),
 * kept in the canonical text form of inet_ntop so that two spellings of
 * one address compare equal.
 */
static int
prep_ipv6(const char *in, size_t len, char **out, struct xt_error *e)
{
	struct in6_addr a;
	char addr[INET6_ADDRSTRLEN + 1], text[INET6_ADDRSTRLEN];
	size_t n;

	if (len < 2 || in[len - 1] != ']')
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: unterminated ip literal in domainpart");
	n = len - 2;
	/*
	 * A zone identifier names an interface of one host; a JID is an
	 * address other hosts see, so it cannot carry one.
	 */
	if (memchr(in + 1, '%', n) != NULL)
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: zone identifier in ipv6 domainpart");
	if (n >= sizeof(addr))
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: invalid ipv6 address in domainpart");
	memcpy(addr, in + 1, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET6, addr, &a) != 1 ||
	    inet_ntop(AF_INET6, &a, text, sizeof(text)) == NULL)
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: invalid ipv6 address in domainpart");
	n = strlen(text);
	if ((*out = malloc(n + 3)) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	(*out)[0] = '[';
	memcpy(*out + 1, text, n);
	(*out)[n + 1] = ']';
	(*out)[n + 2] = '\0';
	return XT_OK;
}

/*
 * One label in its ASCII form must be an NR-LDH label or an A-label
 * (RFC 5890 section 2.3.1, RFC 1123 section 2.1): letters, digits and
 * hyphens, no hyphen at either end, 1..63 octets as in DNS.
 */
static int
check_label(const char *l, size_t n, struct xt_error *e)
{
	size_t i;

	if (n == 0)
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: empty label in domainpart");
	if (n > 63)
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: label over 63 octets in domainpart");
	for (i = 0; i < n; i++)
		if (!((l[i] >= 'a' && l[i] <= 'z') ||
		    (l[i] >= '0' && l[i] <= '9') || l[i] == '-'))
			return xt_error_set(e, XT_EINVAL,
			    "jid-malformed: character not allowed in "
			    "domainpart label");
	if (l[0] == '-' || l[n - 1] == '-')
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: label starts or ends with '-' in "
		    "domainpart");
	return XT_OK;
}

static int
idn2_fail(int rc, struct xt_error *e)
{
	if (rc == IDN2_MALLOC)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	return xt_error_set(e, XT_EINVAL, "jid-malformed: domainpart: %s",
	    idn2_strerror(rc));
}

/*
 * Append the U-label form of one ASCII label. An A-label must come back
 * unchanged from its U-label (RFC 5891 section 5.4), or it is not one.
 */
static int
add_label(struct buf *b, const char *l, size_t n, struct xt_error *e)
{
	char *a = NULL, *u = NULL, *back = NULL;
	int rc;

	if ((rc = check_label(l, n, e)) != XT_OK)
		return rc;
	if (n < 4 || strncmp(l, "xn--", 4) != 0) {
		if (buf_add(b, l, n) != XT_OK)
			return xt_error_set(e, XT_ENOMEM, "out of memory");
		return XT_OK;
	}
	if ((a = strndup(l, n)) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	if ((rc = idn2_to_unicode_8z8z(a, &u, 0)) != IDN2_OK) {
		rc = idn2_fail(rc, e);
		goto out;
	}
	if ((rc = idn2_to_ascii_8z(u, &back, IDN2_FLAGS)) != IDN2_OK) {
		rc = idn2_fail(rc, e);
		goto out;
	}
	if (strcmp(a, back) != 0) {
		rc = xt_error_set(e, XT_EINVAL,
		    "jid-malformed: invalid a-label in domainpart");
		goto out;
	}
	rc = XT_OK;
	if (buf_add(b, u, strlen(u)) != XT_OK)
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
out:
	free(a);
	idn2_free(u);
	idn2_free(back);
	return rc;
}

/*
 * The domainpart (RFC 7622 section 3.2): one trailing dot dropped, then an
 * IP literal, an IPv4 address or a domain name. A name goes through IDNA
 * one dot-separated piece at a time, since libidn2 refuses a whole name
 * over 255 octets while a JID domainpart may have 1023; UTS #46 mapping
 * may turn ideographic full stops into dots, so each result is split again.
 * The stored form is lowercase U-labels.
 */
/*
 * A label IDNA would only lowercase: letters, digits and hyphens, 1..63
 * of them, no hyphen at either end and none in the third and fourth places
 * (where "xn--" and other reserved prefixes live). Anything else goes
 * through libidn2.
 */
static int
plain_label(const char *l)
{
	size_t n = strspn(l, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");

	return n == strlen(l) && n > 0 && n <= 63 && l[0] != '-' &&
	    l[n - 1] != '-' && !(n >= 4 && l[2] == '-' && l[3] == '-');
}

static int
prep_domain(const char *in, size_t len, char **out, struct xt_error *e)
{
	struct buf b = { NULL, 0, 0 };
	struct in_addr a4;
	char *piece = NULL, *ascii = NULL;
	const char *p, *end, *dot, *l;
	size_t n;
	int rc;

	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0)
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: empty domainpart");
	if (memchr(in, '@', len) != NULL)
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: '@' not allowed in domainpart");
	if (in[0] == '[')
		return prep_ipv6(in, len, out, e);

	end = in + len;
	for (p = in;; p = dot + 1) {
		if ((dot = memchr(p, '.', end - p)) == NULL)
			dot = end;
		if (dot == p) {
			rc = xt_error_set(e, XT_EINVAL,
			    "jid-malformed: empty label in domainpart");
			goto out;
		}
		if ((piece = strndup(p, dot - p)) == NULL) {
			rc = xt_error_set(e, XT_ENOMEM, "out of memory");
			goto out;
		}
		if (plain_label(piece)) {
			/* IDNA maps a plain LDH label to its lowercase. */
			for (l = piece; *l != '\0'; l++)
				if (*l >= 'A' && *l <= 'Z')
					piece[l - piece] += 'a' - 'A';
			if (b.len > 0 && buf_add(&b, ".", 1) != XT_OK) {
				rc = xt_error_set(e, XT_ENOMEM,
				    "out of memory");
				goto out;
			}
			if ((rc = add_label(&b, piece, strlen(piece), e)) !=
			    XT_OK)
				goto out;
			free(piece);
			piece = NULL;
			goto next;
		}
		if ((rc = idn2_to_ascii_8z(piece, &ascii, IDN2_FLAGS)) !=
		    IDN2_OK) {
			rc = idn2_fail(rc, e);
			goto out;
		}
		for (l = ascii;; l += n + 1) {
			n = strcspn(l, ".");
			if (b.len > 0 && buf_add(&b, ".", 1) != XT_OK) {
				rc = xt_error_set(e, XT_ENOMEM,
				    "out of memory");
				goto out;
			}
			if ((rc = add_label(&b, l, n, e)) != XT_OK)
				goto out;
			if (l[n] == '\0')
				break;
		}
		free(piece);
		idn2_free(ascii);
		piece = ascii = NULL;
next:
		if (b.len > XT_JID_PARTMAX) {
			rc = xt_error_set(e, XT_EINVAL,
			    "jid-malformed: domainpart over %d octets",
			    XT_JID_PARTMAX);
			goto out;
		}
		if (dot == end)
			break;
	}
	/*
	 * All digits and dots reads as an IPv4 address (RFC 7622 section 3.2,
	 * RFC 3986 IPv4address) and must be one, not a name like 300.1.
	 */
	if (strspn(b.s, "0123456789.") == b.len &&
	    inet_pton(AF_INET, b.s, &a4) != 1) {
		rc = xt_error_set(e, XT_EINVAL,
		    "jid-malformed: invalid ipv4 address in domainpart");
		goto out;
	}
	*out = b.s;
	b.s = NULL;
	rc = XT_OK;
out:
	free(piece);
	idn2_free(ascii);
	free(b.s);
	return rc;
}

/*
 * Parse s into j (RFC 7622 section 3.1): the first '/' starts the
 * resourcepart, an '@' before it ends the localpart; a separator with an
 * empty part after it (or before it, for '@') is an error. Every part is
 * prepared (see above) and must then hold 1..XT_JID_PARTMAX octets; a part
 * is also refused over JID_RAWMAX octets before preparation. s must be
 * valid UTF-8. Returns XT_OK with j's strings owned by j (release with
 * xt_jid_free), or XT_EINVAL ("jid-malformed: ..." naming the part) or
 * XT_ENOMEM with e filled and j untouched.
 */
int
xt_jid_parse(const char *s, struct xt_jid *j, struct xt_error *e)
{
	struct xt_jid r = { NULL, NULL, NULL };
	const char *slash, *at, *dom, *domend;
	size_t len;
	int rc;

	if (s == NULL || j == NULL)
		return xt_error_set(e, XT_EINVAL, "jid-malformed: no jid");
	len = strlen(s);
	if (!xt_utf8_valid(s, len))
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: not valid utf-8");
	slash = strchr(s, '/');
	domend = slash != NULL ? slash : s + len;
	at = memchr(s, '@', domend - s);
	dom = at != NULL ? at + 1 : s;

	if (at == s)
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: empty localpart");
	if (dom == domend)
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: empty domainpart");
	if (slash != NULL && slash[1] == '\0')
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: empty resourcepart");
	if (at != NULL && (size_t)(at - s) > JID_RAWMAX)
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: localpart over %d octets before "
		    "preparation", JID_RAWMAX);
	if ((size_t)(domend - dom) > JID_RAWMAX)
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: domainpart over %d octets before "
		    "preparation", JID_RAWMAX);
	if (slash != NULL && strlen(slash + 1) > JID_RAWMAX)
		return xt_error_set(e, XT_EINVAL,
		    "jid-malformed: resourcepart over %d octets before "
		    "preparation", JID_RAWMAX);

	if (at != NULL && (rc = prep_local(s, at - s, &r.local, e)) != XT_OK)
		goto fail;
	if ((rc = prep_domain(dom, domend - dom, &r.domain, e)) != XT_OK)
		goto fail;
	if (slash != NULL && (rc = prep_part(slash + 1, strlen(slash + 1),
	    XT_PRECIS_OPAQUE, "resourcepart", &r.resource, e)) != XT_OK)
		goto fail;
	*j = r;
	return XT_OK;
fail:
	xt_jid_free(&r);
	return rc;
}

/* Free the parts of j and set them to NULL; j itself stays. NULL is fine. */
void
xt_jid_free(struct xt_jid *j)
{
	if (j == NULL)
		return;
	free(j->local);
	free(j->domain);
	free(j->resource);
	j->local = j->domain = j->resource = NULL;
}

static char *
jid_join(const struct xt_jid *j, int with_resource)
{
	size_t ll, dl, rl;
	char *s, *p;

	if (j == NULL || j->domain == NULL)
		return NULL;
	ll = j->local != NULL ? strlen(j->local) + 1 : 0;
	dl = strlen(j->domain);
	rl = with_resource && j->resource != NULL ?
	    strlen(j->resource) + 1 : 0;
	if ((s = malloc(ll + dl + rl + 1)) == NULL)
		return NULL;
	p = s;
	if (ll > 0) {
		memcpy(p, j->local, ll - 1);
		p[ll - 1] = '@';
		p += ll;
	}
	memcpy(p, j->domain, dl);
	p += dl;
	if (rl > 0) {
		*p = '/';
		memcpy(p + 1, j->resource, rl - 1);
		p += rl;
	}
	*p = '\0';
	return s;
}

/*
 * The bare JID of a parsed j, "local@domain" or "domain" (RFC 7622
 * section 3.1), owned by the caller; NULL if j has no domain or on ENOMEM.
 */
char *
xt_jid_bare(const struct xt_jid *j)
{
	return jid_join(j, 0);
}

/*
 * The full form of a parsed j, with "/resource" when it has one, owned by
 * the caller; NULL if j has no domain or on ENOMEM. Parsing it gives j back.
 */
char *
xt_jid_full(const struct xt_jid *j)
{
	return jid_join(j, 1);
}

static int
part_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * 1 if the prepared JIDs a and b are equal part by part (RFC 7622
 * section 3.1: comparison after preparation, so octet for octet), else 0;
 * resources are ignored when bare != 0. A NULL JID equals nothing.
 */
int
xt_jid_equal(const struct xt_jid *a, const struct xt_jid *b, int bare)
{
	if (a == NULL || b == NULL || a->domain == NULL || b->domain == NULL)
		return 0;
	return part_eq(a->local, b->local) && part_eq(a->domain, b->domain) &&
	    (bare || part_eq(a->resource, b->resource));
}

/*
 * Parse a and b and compare them as xt_jid_equal does. Returns 1 if equal,
 * 0 if not, or the negative code of the first that fails to parse
 * (XT_EINVAL, XT_ENOMEM).
 */
int
xt_jid_streq(const char *a, const char *b, int bare)
{
	struct xt_jid ja, jb;
	int rc;

	if ((rc = xt_jid_parse(a, &ja, NULL)) != XT_OK)
		return rc;
	if ((rc = xt_jid_parse(b, &jb, NULL)) != XT_OK) {
		xt_jid_free(&ja);
		return rc;
	}
	rc = xt_jid_equal(&ja, &jb, bare);
	xt_jid_free(&ja);
	xt_jid_free(&jb);
	return rc;
}
