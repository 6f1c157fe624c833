/*
 * xml.c: the restricted-XML push parser that cuts an XMPP stream into
 * stanzas, each an element tree of node.c (RFC 6120 sections 4 and 11;
 * SECURITY.md section 2).
 *
 * The parser is libxml2's SAX2 push parser on a short leash: whatever
 * RFC 6120 section 11.1 forbids stops it, and the limits of struct
 * xt_xml_limits are enforced here as bytes arrive, because libxml2 has
 * none that suit an endless stream. Before libxml2 sees a byte, a small
 * scanner checks UTF-8 (libxml2 would fall back to Latin-1), refuses NUL
 * and counts attributes per tag (libxml2 takes quadratic time over many).
 * What a stanza's tree may allocate is bounded too, since it can be many
 * times the stanza's bytes; and libxml2's context is renewed now and then
 * between stanzas, since what it keeps of every name never shrinks.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "xt.h"

#define XML_DEF_STANZA	262144
#define XML_DEF_DEPTH	32
#define XML_DEF_ATTRS	64
#define XML_PIECE	4096	/* most bytes handed to libxml2 at once */
#define XML_SLACK	65536	/* unparsed bytes allowed beyond max_stanza */
#define XML_HEADMAX	1024	/* room for a BOM and an XML declaration */
#define XML_ROOT	"r"	/* the implied root of fragment mode */
#define XML_NAMECLIP	64	/* bytes of a name quoted in a message */
#define XML_NAMEMAX	1024	/* bytes of a name or prefix */
#define XML_NSMAX	1024	/* bytes of a namespace name */
#define XML_COMPLEX	4	/* a stanza may allocate this many times
				   max_stanza (XML_DEF_STANZA at least) */
#define XML_COMPLEX_ADD	65536	/* and this much more */
#define XML_RECYCLE_BYTES 1048576 /* libxml2 context renewed after this */
#define XML_RECYCLE_STANZAS 10000 /* or this many stanzas */

/* Where the byte scanner stands in the markup. */
enum lexstate {
	LX_TEXT,	/* character data */
	LX_LT,		/* just after '<' */
	LX_BANG,	/* after "<!", matching "[CDATA[" */
	LX_CDATA,	/* in a CDATA section */
	LX_DECL,	/* comment or DOCTYPE: refused, skipped to '>' */
	LX_PI,		/* processing instruction or XML declaration */
	LX_ETAG,	/* end tag */
	LX_STAG,	/* start tag, outside attribute values */
	LX_SQ,		/* attribute value in '' */
	LX_DQ		/* attribute value in "" */
};

struct xt_parser {
	xmlParserCtxtPtr	 ctxt;
	enum xt_parse_mode	 mode;
	struct xt_xml_limits	 lim;

	size_t			 fed;		/* caller's bytes taken */
	size_t			 lxfed;		/* bytes handed to ctxt */
	size_t			 shift;		/* our offset is libxml2's */
	size_t			 base;		/* minus shift plus base */
	size_t			 endmark;	/* ours: end of the last stanza
						   or of the header */
	size_t			 mark;		/* libxml2's: all before it
						   has been parsed */

	char			*synth;		/* start tag of the root that
						   a context reads first */
	size_t			 synthlen;
	int			 resynth;	/* a new context reads it */
	int			 cut;		/* time to renew the context */
	size_t			 nends;		/* stanza ends since then */
	int			 sdepth;	/* the scanner's depth */
	int			 prefixed;	/* BOM and declaration done */
	char			 head[XML_HEADMAX];
	size_t			 headlen;

	int			 u8need;	/* continuation bytes due */
	unsigned char		 u8lo, u8hi;	/* range of the next one */
	enum lexstate		 lex;
	int			 lexk;
	int			 nattr;

	int			 depth;		/* open elements, root 1 */
	size_t			 st_start;	/* libxml2's offset of '<' */
	size_t			 budget;	/* what a stanza may allocate */
	size_t			 spent;
	struct xt_node		*header;
	char			*rootns;	/* default ns around stanzas */
	struct xt_node		*stanza;	/* being built */
	struct xt_node		*cur;		/* its open element */
	char			*tbuf;		/* text not yet in cur */
	size_t			 tlen;
	size_t			 tcap;
	struct xt_node		*qhead;		/* complete stanzas */
	struct xt_node		*qtail;

	int			 closed;
	int			 finishing;
	int			 finished;
	int			 failed;
	struct xt_error		 err;
	int			 lxerr;		/* libxml2 reported an error */
	int			 lxnomem;	/* that it ran out of memory */
	char			 lxmsg[160];
};

/*
 * s was cut to fit a buffer: drop the UTF-8 sequence the cut left
 * incomplete, if any. The byte after the cut is gone, so look back from
 * the last one to the lead byte and see how many it wants.
 */
static void
utf8_trim(char *s)
{
	size_t n = strlen(s), i = n, need;
	unsigned char c;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0) {
		s[0] = '\0';
		return;
	}
	c = (unsigned char)s[i - 1];
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (n - (i - 1) < need)
		s[i - 1] = '\0';
}

/* Copy s to buf, cut at a character boundary to fit XML_NAMECLIP bytes. */
static const char *
clip(char *buf, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size)
		n = size - 1;
	if (n > XML_NAMECLIP)
		n = XML_NAMECLIP;
	if (n < strlen(s))
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

static void
vreject(struct xt_parser *p, int code, const char *fmt, va_list ap)
{
	size_t n;

	if (p->failed)
		return;
	p->failed = 1;
	p->err.code = code;
	vsnprintf(p->err.msg, sizeof(p->err.msg), fmt, ap);
	/* A cut must not leave half a UTF-8 character behind. */
	n = strlen(p->err.msg);
	if (n == sizeof(p->err.msg) - 1)
		utf8_trim(p->err.msg);
}

/* Refuse from outside libxml2: it is simply never called again. */
static void
reject(struct xt_parser *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
reject(struct xt_parser *p, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreject(p, code, fmt, ap);
	va_end(ap);
}

/*
 * Refuse from a SAX callback. xmlStopParser frees libxml2's input buffer,
 * which the arguments of the callback may point into: call this last.
 */
static void
stop(struct xt_parser *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
stop(struct xt_parser *p, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreject(p, code, fmt, ap);
	va_end(ap);
	xmlStopParser(p->ctxt);
}

/* What libxml2 reported: not-well-formed, unless memory ran out. */
static void
stop_lx(struct xt_parser *p)
{
	if (p->lxnomem)
		stop(p, XT_ENOMEM, "resource-constraint: %s", p->lxmsg);
	else
		stop(p, XT_EPROTO, "not-well-formed: %s", p->lxmsg);
}

static int
fail(struct xt_parser *p, struct xt_error *e)
{
	return xt_error_set(e, p->err.code, "%s", p->err.msg);
}

/* Our offset (counting the caller's bytes) of libxml2's offset off. */
static size_t
ours(const struct xt_parser *p, size_t off)
{
	return off - p->shift + p->base;
}

/* libxml2's byte offset of where it is reading. */
static size_t
lxpos(const struct xt_parser *p)
{
	const xmlParserInput *in = p->ctxt->input;

	return (size_t)in->consumed + (size_t)(in->cur - in->base);
}

/* libxml2's offset of the '<' of the start tag being reported. */
static int
tag_start(const struct xt_parser *p, size_t *off)
{
	const xmlParserInput *in = p->ctxt->input;
	const xmlChar *q = in->cur;

	/* No raw '<' can occur inside a start tag: the first one back is it. */
	while (q > in->base) {
		if (*--q == '<') {
			*off = (size_t)in->consumed + (size_t)(q - in->base);
			return 0;
		}
	}
	return -1;
}

/* libxml2's offset just past the '>' of the start tag being reported. */
static size_t
tag_end(const struct xt_parser *p)
{
	const xmlParserInput *in = p->ctxt->input;
	const xmlChar *q = in->cur;

	while (q < in->end && *q != '>')
		q++;
	return (size_t)in->consumed + (size_t)(q - in->base) + 1;
}

/* Is the stanza being read already over max_stanza? Then stop. */
static int
over(struct xt_parser *p)
{
	if (lxpos(p) - p->st_start <= p->lim.max_stanza)
		return 0;
	stop(p, XT_ETOOBIG, "policy-violation: stanza over %zu bytes",
	    p->lim.max_stanza);
	return 1;
}

/*
 * Count n more bytes allocated for the stanza being built; -1 once over
 * its budget. Memory is what a tree costs, not bytes read: every node has
 * its struct, an element's namespace name is copied into each element
 * that inherits it, a prefix declared outside the stanza is declared
 * again on each element that uses it. So a small stanza could make a
 * big tree, but never one over the budget.
 */
static int
charge(struct xt_parser *p, size_t n)
{
	if (n > p->budget - p->spent)
		return -1;
	p->spent += n;
	return 0;
}

static void
stop_complex(struct xt_parser *p)
{
	stop(p, XT_ETOOBIG, "policy-violation: stanza too complex (over %zu "
	    "bytes in memory)", p->budget);
}

/* The bytes node n and its strings took, but for its attrs array. */
static size_t
node_cost(const struct xt_node *n)
{
	size_t c = sizeof(*n);
	char **a;

	if (n->name != NULL)
		c += strlen(n->name) + 1;
	if (n->ns != NULL)
		c += strlen(n->ns) + 1;
	if (n->text != NULL)
		c += strlen(n->text) + 1;
	for (a = n->attrs; a != NULL && *a != NULL; a++)
		c += strlen(*a) + 1;
	return c;
}

static int
flush_text(struct xt_parser *p)
{
	struct xt_node *t;

	if (p->tlen == 0)
		return 0;
	/* Joined to a text node, or a new one. */
	t = p->cur->last;
	if (charge(p, p->tlen + (t != NULL && t->name == NULL ? 0 :
	    sizeof(*t) + 1)) < 0) {
		stop_complex(p);
		return -1;
	}
	if (xt_node_add_text(p->cur, p->tbuf, p->tlen) != XT_OK) {
		stop(p, XT_ENOMEM, "resource-constraint: out of memory");
		return -1;
	}
	p->tlen = 0;
	return 0;
}

static char *
cat(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s;

	if ((s = malloc(la + lb + lc + 1)) == NULL)
		return NULL;
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

/* Is prefix pfx declared on n's first k attribute slots or above n? */
static int
pfx_declared(const struct xt_node *anc, char **own, size_t k,
    const char *pfx)
{
	size_t i;

	for (i = 0; i < k; i += 2)
		if (strncmp(own[i], "xmlns:", 6) == 0 &&
		    strcmp(own[i] + 6, pfx) == 0)
			return 1;
	for (; anc != NULL; anc = anc->parent) {
		for (i = 0; anc->attrs != NULL && anc->attrs[i] != NULL;
		    i += 2)
			if (strncmp(anc->attrs[i], "xmlns:", 6) == 0 &&
			    strcmp(anc->attrs[i] + 6, pfx) == 0)
				return 1;
	}
	return 0;
}

/*
 * A copy of an attribute value or namespace name as libxml2 reports it.
 * Without entity substitution (never XML_PARSE_NOENT) libxml2 hands every
 * '&' in an attribute over as "&#38;", whether it came from &amp;, &#38;
 * or &#x26;, and xmlns values become namespace names that way too: no
 * other '&' can be left, so each "&#38;" is one '&'. end NULL: up to NUL.
 */
static char *
amp_dup(const xmlChar *v, const xmlChar *end)
{
	size_t len, i, j;
	char *s;

	len = end != NULL ? (size_t)(end - v) : strlen((const char *)v);
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	for (i = j = 0; i < len; j++) {
		if (v[i] == '&' && len - i >= 5 &&
		    memcmp(v + i, "&#38;", 5) == 0) {
			s[j] = '&';
			i += 5;
		} else
			s[j] = (char)v[i++];
	}
	s[j] = '\0';
	return s;
}

/* The length of what amp_dup would make of v (up to NUL). */
static size_t
amp_len(const xmlChar *v)
{
	size_t n = 0;

	while (*v != '\0') {
		v += strncmp((const char *)v, "&#38;", 5) == 0 ? 5 : 1;
		n++;
	}
	return n;
}

static int
too_long(const xmlChar *name)
{
	return name != NULL &&
	    strnlen((const char *)name, XML_NAMEMAX + 1) > XML_NAMEMAX;
}

/*
 * Are the names (of the element, its attributes and prefixes) and the
 * namespace names within bounds? A namespace name is copied into every
 * element that inherits it: a bound makes the budget's job easier and
 * the messages shorter. Else stop.
 */
static int
names_ok(struct xt_parser *p, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **nss, int nattr,
    const xmlChar **attrs)
{
	int i, bad = too_long(local) || too_long(prefix);

	for (i = 0; i < nattr && !bad; i++)
		bad = too_long(attrs[5 * i]) || too_long(attrs[5 * i + 1]);
	for (i = 0; i < nns && !bad; i++)
		bad = too_long(nss[2 * i]);
	if (bad) {
		stop(p, XT_ETOOBIG, "policy-violation: name over %d bytes",
		    XML_NAMEMAX);
		return 0;
	}
	/* Attributes' namespaces are declared here or on an ancestor. */
	for (i = 0; i < nns && !bad; i++)
		bad = nss[2 * i + 1] != NULL &&
		    amp_len(nss[2 * i + 1]) > XML_NSMAX;
	if (bad || (uri != NULL && amp_len(uri) > XML_NSMAX)) {
		stop(p, XT_ETOOBIG, "policy-violation: namespace name over %d "
		    "bytes", XML_NSMAX);
		return 0;
	}
	return 1;
}

/*
 * An element from what startElementNs reports: nss holds nns (prefix,
 * URI) pairs, attrs nattr (local name, prefix, URI, value, end of value)
 * quintuples. Prefixed namespace declarations stay as "xmlns:p"
 * attributes, and one is added where an attribute's prefix was declared
 * outside the stanza, so that the stanza serializes to namespace-well-
 * formed XML by itself. An element in no namespace under a default one
 * gets ns "" (NULL would mean inherit).
 */
static struct xt_node *
make_elem(struct xt_parser *p, const xmlChar *local, const xmlChar *uri,
    int nns, const xmlChar **nss, int nattr, const xmlChar **attrs,
    const char *scope, int keep_default, int *rc)
{
	struct xt_node *n;
	const xmlChar **a, *u;
	size_t k = 0, slots = 0;
	int i;

	*rc = XT_ENOMEM;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	if ((n->name = strdup((const char *)local)) == NULL)
		goto fail;
	if (uri != NULL)
		n->ns = amp_dup(uri, NULL);
	else if (scope != NULL && *scope != '\0')
		n->ns = strdup("");
	if ((uri != NULL || (scope != NULL && *scope != '\0')) && n->ns == NULL)
		goto fail;
	if (nns + nattr > 0) {
		slots = 2 * ((size_t)nns + 2 * (size_t)nattr) + 1;
		if ((n->attrs = calloc(slots, sizeof(char *))) == NULL)
			goto fail;
	}
	for (i = 0; i < nns; i++) {
		if (nss[2 * i] == NULL && !keep_default)
			continue;
		u = nss[2 * i + 1] != NULL ? nss[2 * i + 1] : BAD_CAST "";
		n->attrs[k] = nss[2 * i] == NULL ? strdup("xmlns") :
		    cat("xmlns:", (const char *)nss[2 * i], "");
		if (n->attrs[k++] == NULL ||
		    (n->attrs[k++] = amp_dup(u, NULL)) == NULL)
			goto fail;
	}
	/*
	 * Added declarations go with the others, before any attribute: read
	 * again, they are declarations, which libxml2 reports first, and the
	 * serialization must not change.
	 */
	for (i = 0; i < nattr; i++) {
		a = attrs + 5 * i;
		if (a[1] != NULL && strcmp((const char *)a[1], "xml") != 0 &&
		    !pfx_declared(p->cur, n->attrs, k, (const char *)a[1])) {
			n->attrs[k] = cat("xmlns:", (const char *)a[1], "");
			if (n->attrs[k++] == NULL || (n->attrs[k++] =
			    amp_dup(a[2] != NULL ? a[2] : BAD_CAST "", NULL)) ==
			    NULL)
				goto fail;
		}
	}
	for (i = 0; i < nattr; i++) {
		a = attrs + 5 * i;
		n->attrs[k] = a[1] != NULL ? cat((const char *)a[1], ":",
		    (const char *)a[0]) : strdup((const char *)a[0]);
		if (n->attrs[k++] == NULL)
			goto fail;
		if ((n->attrs[k++] = amp_dup(a[3], a[4])) == NULL)
			goto fail;
	}
	if (k == 0) {
		free(n->attrs);
		n->attrs = NULL;
		slots = 0;
	}
	/*
	 * Charged once built: what one element may take is bounded by its
	 * bytes, max_attrs and XML_NSMAX.
	 */
	if (charge(p, node_cost(n) + slots * sizeof(char *)) < 0) {
		*rc = XT_ETOOBIG;
		goto fail;
	}
	return n;
fail:
	xt_node_free(n);
	return NULL;
}

/*
 * The start tag that a new libxml2 context reads first in stream mode:
 * the root's name as written, with the namespace declarations it made.
 */
static int
make_synth(struct xt_parser *p, const xmlChar *prefix)
{
	if (xt_xml_root_tag((const char *)prefix, "stream", p->header->attrs,
	    &p->synth, &p->synthlen) != XT_OK)
		return -1;
	return 0;
}

static void
root_start(struct xt_parser *p, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **nss, int nattr,
    const xmlChar **attrs)
{
	size_t start, end;
	int i, rc;

	end = tag_end(p);
	if (p->resynth || p->mode == XT_PARSE_FRAGMENT) {
		/* Not the caller's bytes: no position of theirs moves. */
		p->depth = 1;
		p->mark = end;
		if (!p->resynth)
			p->endmark = ours(p, end);
		return;
	}
	if (uri == NULL || strcmp((const char *)uri, XT_NS_STREAM) != 0 ||
	    strcmp((const char *)local, "stream") != 0) {
		stop(p, XT_EPROTO, "invalid-namespace: the root element is "
		    "not {%s}stream", XT_NS_STREAM);
		return;
	}
	if (tag_start(p, &start) < 0 || end - start > p->lim.max_stanza) {
		stop(p, XT_ETOOBIG, "policy-violation: stream header over "
		    "%zu bytes", p->lim.max_stanza);
		return;
	}
	p->spent = 0;
	p->header = make_elem(p, local, uri, nns, nss, nattr, attrs, NULL, 1,
	    &rc);
	if (p->header == NULL) {
		if (rc == XT_ETOOBIG)
			stop_complex(p);
		else
			goto nomem;
		return;
	}
	for (i = 0; i < nns; i++) {
		if (nss[2 * i] == NULL && nss[2 * i + 1] != NULL) {
			p->rootns = amp_dup(nss[2 * i + 1], NULL);
			if (p->rootns == NULL)
				goto nomem;
		}
	}
	if (make_synth(p, prefix) < 0)
		goto nomem;
	p->depth = 1;
	p->mark = end;
	p->endmark = ours(p, end);
	return;
nomem:
	stop(p, XT_ENOMEM, "resource-constraint: out of memory");
}

static void
sax_start(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **nss, int nattr,
    int ndefaulted, const xmlChar **attrs)
{
	struct xt_parser *p = ctx;
	struct xt_node *n;
	const char *scope;
	size_t start;
	int rc;

	(void)ndefaulted;
	if (p->failed)
		return;
	if (p->lxerr) {
		stop_lx(p);
		return;
	}
	if (nns + nattr > p->lim.max_attrs) {
		stop(p, XT_ETOOBIG, "policy-violation: more than %d "
		    "attributes on an element", p->lim.max_attrs);
		return;
	}
	if (!names_ok(p, local, prefix, uri, nns, nss, nattr, attrs))
		return;
	if (p->depth == 0) {
		root_start(p, local, prefix, uri, nns, nss, nattr, attrs);
		return;
	}
	if (p->depth > p->lim.max_depth) {
		stop(p, XT_ETOOBIG, "policy-violation: elements nested deeper "
		    "than %d", p->lim.max_depth);
		return;
	}
	if (p->depth == 1) {
		if (tag_start(p, &start) < 0) {
			stop(p, XT_EPROTO, "internal-server-error: stanza "
			    "start not found");
			return;
		}
		p->st_start = start;
		p->mark = start;
		p->spent = 0;
		scope = p->rootns;
	} else {
		if (flush_text(p) < 0)
			return;
		/* The default namespace as the serializer will see it. */
		for (n = p->cur; n != NULL && (n->ns == NULL ||
		    strcmp(n->ns, XT_NS_XML) == 0); n = n->parent)
			;
		scope = n != NULL ? n->ns : p->rootns;
	}
	if (over(p))
		return;
	n = make_elem(p, local, uri, nns, nss, nattr, attrs, scope, 0, &rc);
	if (n == NULL) {
		if (rc == XT_ETOOBIG)
			stop_complex(p);
		else
			stop(p, XT_ENOMEM, "resource-constraint: out of "
			    "memory");
		return;
	}
	if (p->depth == 1)
		p->stanza = n;
	else
		xt_node_add(p->cur, n);
	p->cur = n;
	p->depth++;
}

static void
sax_end(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri)
{
	struct xt_parser *p = ctx;
	char buf[XML_NAMECLIP + 1];
	size_t pos;

	(void)prefix;
	(void)uri;
	if (p->failed)
		return;
	if (p->lxerr) {
		stop_lx(p);
		return;
	}
	if (--p->depth == 0) {
		if (p->mode == XT_PARSE_STREAM)
			p->closed = 1;
		else if (!p->finishing)
			stop(p, XT_EPROTO, "not-well-formed: end tag </%s> "
			    "without a start tag",
			    clip(buf, sizeof(buf), (const char *)local));
		return;
	}
	if (flush_text(p) < 0)
		return;
	pos = lxpos(p);
	if (over(p))
		return;
	if (p->depth > 1) {
		p->cur = p->cur->parent;
		return;
	}
	if (p->qtail != NULL)
		p->qtail->next = p->stanza;
	else
		p->qhead = p->stanza;
	p->qtail = p->stanza;
	p->stanza = p->cur = NULL;
	p->endmark = ours(p, pos);
	p->mark = pos;
}

static void
sax_text(void *ctx, const xmlChar *s, int len)
{
	struct xt_parser *p = ctx;
	size_t n = (size_t)len, ncap;
	char *nb;
	int i;

	if (p->failed || len <= 0)
		return;
	if (p->lxerr) {
		stop_lx(p);
		return;
	}
	if (p->cur == NULL) {
		/* Between stanzas: white space keepalives only. */
		for (i = 0; i < len; i++) {
			if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
			    s[i] != '\r') {
				stop(p, XT_EPROTO, "bad-format: text outside "
				    "a stanza");
				return;
			}
		}
		p->mark = lxpos(p);
		return;
	}
	if (over(p))
		return;
	if (n >= p->tcap - p->tlen) {
		ncap = p->tcap != 0 ? p->tcap : 256;
		while (ncap - p->tlen <= n && ncap <= SIZE_MAX / 2)
			ncap *= 2;
		if (ncap - p->tlen <= n ||
		    (nb = realloc(p->tbuf, ncap)) == NULL) {
			stop(p, XT_ENOMEM, "resource-constraint: out of "
			    "memory");
			return;
		}
		p->tbuf = nb;
		p->tcap = ncap;
	}
	memcpy(p->tbuf + p->tlen, s, n);
	p->tlen += n;
}

static void
sax_comment(void *ctx, const xmlChar *value)
{
	(void)value;
	stop(ctx, XT_EPROTO, "restricted-xml: comment");
}

static void
sax_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
	(void)target;
	(void)data;
	stop(ctx, XT_EPROTO, "restricted-xml: processing instruction");
}

static void
sax_subset(void *ctx, const xmlChar *name, const xmlChar *extid,
    const xmlChar *sysid)
{
	(void)name;
	(void)extid;
	(void)sysid;
	stop(ctx, XT_EPROTO, "restricted-xml: document type declaration");
}

static void
sax_entdecl(void *ctx, const xmlChar *name, int type, const xmlChar *pubid,
    const xmlChar *sysid, xmlChar *content)
{
	(void)name;
	(void)type;
	(void)pubid;
	(void)sysid;
	(void)content;
	stop(ctx, XT_EPROTO, "restricted-xml: entity declaration");
}

static void
sax_ref(void *ctx, const xmlChar *name)
{
	char buf[XML_NAMECLIP + 1];

	stop(ctx, XT_EPROTO, "restricted-xml: entity reference &%s;",
	    clip(buf, sizeof(buf), name != NULL ? (const char *)name : ""));
}

static xmlEntityPtr
sax_getent(void *ctx, const xmlChar *name)
{
	/* libxml2 answers the five predefined entities before asking. */
	sax_ref(ctx, name);
	return NULL;
}

static xmlEntityPtr
sax_getpent(void *ctx, const xmlChar *name)
{
	/* Parameter entities live in a DTD, which is refused anyway. */
	sax_subset(ctx, name, NULL, NULL);
	return NULL;
}

static void
sax_eldecl(void *ctx, const xmlChar *name, int type,
    xmlElementContentPtr content)
{
	(void)type;
	(void)content;
	sax_subset(ctx, name, NULL, NULL);
}

static void
sax_attdecl(void *ctx, const xmlChar *elem, const xmlChar *name, int type,
    int def, const xmlChar *defval, xmlEnumerationPtr tree)
{
	(void)name;
	(void)type;
	(void)def;
	(void)defval;
	(void)tree;
	sax_subset(ctx, elem, NULL, NULL);
}

static void
sax_notation(void *ctx, const xmlChar *name, const xmlChar *pubid,
    const xmlChar *sysid)
{
	sax_subset(ctx, name, pubid, sysid);
}

static void
sax_unparsed(void *ctx, const xmlChar *name, const xmlChar *pubid,
    const xmlChar *sysid, const xmlChar *notation)
{
	(void)notation;
	sax_subset(ctx, name, pubid, sysid);
}

/*
 * libxml2's errors come here instead of stderr. Stopping the parser from
 * inside its error path is not safe, so this only records the first one;
 * the next callback or the return of xmlParseChunk acts on it.
 */
static void
sax_error(void *ctx, xmlErrorPtr err)
{
	struct xt_parser *p = ctx;
	size_t n;
	char *s;

	if (p == NULL || err == NULL || err->level < XML_ERR_ERROR ||
	    p->lxerr)
		return;
	p->lxerr = 1;
	p->lxnomem = err->code == XML_ERR_NO_MEMORY;
	snprintf(p->lxmsg, sizeof(p->lxmsg), "%s",
	    err->message != NULL ? err->message : "error");
	for (s = p->lxmsg; *s != '\0'; s++)
		if ((unsigned char)*s < ' ')
			*s = ' ';
	if (strlen(p->lxmsg) == sizeof(p->lxmsg) - 1)
		utf8_trim(p->lxmsg);
	n = strlen(p->lxmsg);
	while (n > 0 && p->lxmsg[n - 1] == ' ')
		p->lxmsg[--n] = '\0';
	if (p->lxmsg[0] >= 'A' && p->lxmsg[0] <= 'Z')
		p->lxmsg[0] += 'a' - 'A';
}

/* Hand n bytes to libxml2 and turn what it reports into a rejection. */
static void
lxfeed(struct xt_parser *p, const char *buf, size_t n, int terminate)
{
	int rc;

	if (p->failed || (n == 0 && !terminate))
		return;
	p->lxfed += n;
	rc = xmlParseChunk(p->ctxt, buf, (int)n, terminate);
	if (p->failed)
		return;
	if (p->lxerr)
		reject(p, p->lxnomem ? XT_ENOMEM : XT_EPROTO, "%s: %s",
		    p->lxnomem ? "resource-constraint" : "not-well-formed",
		    p->lxmsg);
	else if (rc == XML_ERR_NO_MEMORY ||
	    p->ctxt->errNo == XML_ERR_NO_MEMORY)
		reject(p, XT_ENOMEM, "resource-constraint: libxml2 out of "
		    "memory");
	else if (rc != 0 || !p->ctxt->wellFormed)
		reject(p, XT_EPROTO, "not-well-formed: libxml2 error %d", rc);
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
skip_ws(const char **s, const char *e)
{
	const char *b = *s;

	while (*s < e && is_ws(**s))
		(*s)++;
	return *s > b;
}

/* name Eq quoted-value, as in XML 1.0 section 2.8; the value in v, vl. */
static int
decl_attr(const char **s, const char *e, const char *name, const char **v,
    size_t *vl)
{
	size_t nl = strlen(name);
	const char *q;

	if ((size_t)(e - *s) < nl || memcmp(*s, name, nl) != 0)
		return 0;
	*s += nl;
	skip_ws(s, e);
	if (*s >= e || **s != '=')
		return 0;
	(*s)++;
	skip_ws(s, e);
	if (*s >= e || (**s != '\'' && **s != '"'))
		return 0;
	if ((q = memchr(*s + 1, **s, (size_t)(e - *s - 1))) == NULL)
		return 0;
	*v = *s + 1;
	*vl = (size_t)(q - *v);
	*s = q + 1;
	return 1;
}

/*
 * Check an XML declaration s[0..n) ending in "?>": XML 1.0 only (RFC 6120
 * section 11.6), UTF-8 only (section 11.6, unsupported-encoding). libxml2
 * would read encoding= and transcode; XML_PARSE_IGNORE_ENC makes it skip
 * the name, so the check is ours.
 */
static int
check_decl(struct xt_parser *p, const char *s, size_t n)
{
	const char *e = s + n - 2, *v;
	char buf[32];
	size_t vl, i;
	int ws;

	s += 5;
	skip_ws(&s, e);
	if (!decl_attr(&s, e, "version", &v, &vl))
		goto bad;
	if (vl < 3 || v[0] != '1' || v[1] != '.')
		goto bad;
	for (i = 2; i < vl; i++)
		if (v[i] < '0' || v[i] > '9')
			goto bad;
	if (vl != 3 || v[2] != '0') {
		reject(p, XT_EPROTO, "restricted-xml: xml version %.*s "
		    "(only 1.0)", vl > 16 ? 16 : (int)vl, v);
		return -1;
	}
	ws = skip_ws(&s, e);
	if (ws && decl_attr(&s, e, "encoding", &v, &vl)) {
		if (vl == 0 || vl >= sizeof(buf) ||
		    !((v[0] >= 'A' && v[0] <= 'Z') || (v[0] >= 'a' &&
		    v[0] <= 'z')))
			goto bad;
		for (i = 0; i < vl; i++) {
			if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
			    "qrstuvwxyz0123456789._-", v[i]) == NULL)
				goto bad;
			buf[i] = v[i];
		}
		buf[vl] = '\0';
		if (strcasecmp(buf, "UTF-8") != 0) {
			reject(p, XT_EPROTO, "unsupported-encoding: %s", buf);
			return -1;
		}
		ws = skip_ws(&s, e);
	}
	if (ws && decl_attr(&s, e, "standalone", &v, &vl)) {
		if (!(vl == 3 && memcmp(v, "yes", 3) == 0) &&
		    !(vl == 2 && memcmp(v, "no", 2) == 0))
			goto bad;
		skip_ws(&s, e);
	}
	if (s != e)
		goto bad;
	return 0;
bad:
	reject(p, XT_EPROTO, "not-well-formed: malformed xml declaration");
	return -1;
}

/*
 * The first bytes: an optional UTF-8 BOM, then an optional XML
 * declaration, which may come only here (XML 1.0 section 2.8). Until that
 * is settled, bytes wait in head. Then libxml2 gets the BOM and the
 * declaration, in fragment mode the implied root's start tag, and the
 * rest. Returns 1 when settled, 0 to wait for more, -1 on rejection.
 */
static int
prefix(struct xt_parser *p, int final)
{
	static const char bom[] = "\xef\xbb\xbf";
	const char *h = p->head, *r, *q = NULL;
	size_t len = p->headlen, b = 0, rl, decl = 0, i;

	if (len < 3 && memcmp(h, bom, len) == 0 && !final)
		return 0;
	if (len >= 3 && memcmp(h, bom, 3) == 0)
		b = 3;
	r = h + b;
	rl = len - b;
	if (memcmp(r, "<?xml", rl < 5 ? rl : 5) == 0) {
		if (rl < 6) {
			if (!final)
				return 0;
		} else if (is_ws(r[5])) {
			for (i = 6; i + 1 < rl && q == NULL; i++)
				if (r[i] == '?' && r[i + 1] == '>')
					q = r + i;
			if (q == NULL && len == sizeof(p->head)) {
				reject(p, XT_EPROTO, "not-well-formed: xml "
				    "declaration too long");
				return -1;
			}
			if (q == NULL && !final)
				return 0;
			if (q != NULL) {
				decl = (size_t)(q - r) + 2;
				if (check_decl(p, r, decl) < 0)
					return -1;
			}
		}
	}
	p->prefixed = 1;
	lxfeed(p, h, b + decl, 0);
	if (p->mode == XT_PARSE_FRAGMENT) {
		p->shift = p->synthlen;
		lxfeed(p, p->synth, p->synthlen, 0);
	}
	lxfeed(p, h + b + decl, len - b - decl, 0);
	return p->failed ? -1 : 1;
}

/*
 * The scanner saw an element end at byte i. If that was a stanza (back to
 * depth 1 in stream mode, 0 in fragment mode, whose root it never sees)
 * and libxml2's context has read enough to be renewed, feeding stops
 * there (cut) for xt_parser_feed to try, wherever the caller's chunks
 * end: a peer cannot keep it from happening by how it splits its data.
 */
static int
stanza_end(struct xt_parser *p, size_t i)
{
	if (p->sdepth != (p->mode == XT_PARSE_STREAM ? 1 : 0))
		return 0;
	if (++p->nends < XML_RECYCLE_STANZAS &&
	    p->fed + i + 1 - p->base <= XML_RECYCLE_BYTES)
		return 0;
	p->cut = 1;
	return 1;
}

/*
 * The byte scanner: UTF-8 by RFC 3629 (libxml2 would fall back to
 * Latin-1 on bad input), no NUL, and attributes counted as the bytes of a
 * start tag arrive, before libxml2 spends quadratic time on them. It
 * follows the depth, to stop after a stanza when the context is due for
 * renewal. Returns how many bytes it took; fewer than n after a rejection
 * or at such a stanza end.
 */
static size_t
scan(struct xt_parser *p, const unsigned char *s, size_t n)
{
	static const char cdata[] = "[CDATA[";
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = s[i];
		if (p->u8need > 0) {
			if (c < p->u8lo || c > p->u8hi)
				goto badutf8;
			p->u8lo = 0x80;
			p->u8hi = 0xbf;
			p->u8need--;
			continue;
		}
		if (c >= 0x80) {
			if (c < 0xc2 || c > 0xf4)
				goto badutf8;
			p->u8need = c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
			p->u8lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
			p->u8hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
		} else if (c == 0) {
			reject(p, XT_EPROTO, "not-well-formed: nul character");
			return i;
		}
		switch (p->lex) {
		case LX_TEXT:
			if (c == '<')
				p->lex = LX_LT;
			break;
		case LX_LT:
			p->lexk = 0;
			if (c == '!')
				p->lex = LX_BANG;
			else if (c == '?')
				p->lex = LX_PI;
			else if (c == '/')
				p->lex = LX_ETAG;
			else {
				p->lex = c == '>' ? LX_TEXT : LX_STAG;
				p->nattr = 0;
			}
			break;
		case LX_BANG:
			if (c == (unsigned char)cdata[p->lexk]) {
				if (++p->lexk == 7) {
					p->lex = LX_CDATA;
					p->lexk = 0;
				}
			} else
				p->lex = c == '>' ? LX_TEXT : LX_DECL;
			break;
		case LX_CDATA:
			if (c == '>' && p->lexk >= 2)
				p->lex = LX_TEXT;
			p->lexk = c == ']' ? p->lexk + 1 : 0;
			break;
		case LX_DECL:
			if (c == '>')
				p->lex = LX_TEXT;
			break;
		case LX_ETAG:
			if (c == '>') {
				p->lex = LX_TEXT;
				p->sdepth--;
				if (stanza_end(p, i))
					return i + 1;
			}
			break;
		case LX_PI:
			if (c == '>' && p->lexk)
				p->lex = LX_TEXT;
			p->lexk = c == '?';
			break;
		case LX_STAG:
			if (c == '\'')
				p->lex = LX_SQ;
			else if (c == '"')
				p->lex = LX_DQ;
			else if (c == '>') {
				p->lex = LX_TEXT;
				/* After '/', an empty element. */
				if (!p->lexk)
					p->sdepth++;
				else if (stanza_end(p, i))
					return i + 1;
			} else if (c == '=' && ++p->nattr > p->lim.max_attrs) {
				reject(p, XT_ETOOBIG, "policy-violation: more "
				    "than %d attributes on an element",
				    p->lim.max_attrs);
				return i;
			}
			p->lexk = c == '/';
			break;
		case LX_SQ:
			if (c == '\'')
				p->lex = LX_STAG;
			break;
		case LX_DQ:
			if (c == '"')
				p->lex = LX_STAG;
			break;
		}
	}
	return n;
badutf8:
	reject(p, XT_EPROTO, "not-well-formed: invalid utf-8");
	return i;
}

/* Scanned bytes go to the prefix until it is settled, then to libxml2. */
static void
take(struct xt_parser *p, const char *buf, size_t n)
{
	size_t c;

	if (!p->prefixed) {
		c = sizeof(p->head) - p->headlen;
		if (c > n)
			c = n;
		memcpy(p->head + p->headlen, buf, c);
		p->headlen += c;
		buf += c;
		n -= c;
		if (prefix(p, 0) <= 0)
			return;
	}
	lxfeed(p, buf, n, 0);
}

/* A libxml2 push parser context that reports to p. */
static xmlParserCtxtPtr
lxnew(struct xt_parser *p)
{
	xmlParserCtxtPtr ctxt;
	xmlSAXHandler sax;

	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = sax_start;
	sax.endElementNs = sax_end;
	sax.characters = sax_text;
	/* The same callback, so libxml2 never guesses which blanks matter. */
	sax.ignorableWhitespace = sax_text;
	sax.cdataBlock = sax_text;
	sax.comment = sax_comment;
	sax.processingInstruction = sax_pi;
	sax.internalSubset = sax_subset;
	sax.externalSubset = sax_subset;
	sax.entityDecl = sax_entdecl;
	sax.getEntity = sax_getent;
	sax.getParameterEntity = sax_getpent;
	sax.reference = sax_ref;
	sax.elementDecl = sax_eldecl;
	sax.attributeDecl = sax_attdecl;
	sax.notationDecl = sax_notation;
	sax.unparsedEntityDecl = sax_unparsed;
	sax.resolveEntity = NULL;
	sax.serror = sax_error;

	if ((ctxt = xmlCreatePushParserCtxt(&sax, p, NULL, 0, NULL)) == NULL)
		return NULL;
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_IGNORE_ENC);
	/* What xmlCtxtUseOptions already sets, made independent of globals. */
	ctxt->replaceEntities = 0;
	ctxt->loadsubset = 0;
	ctxt->validate = 0;
	return ctxt;
}

/*
 * libxml2 keeps every name, prefix and namespace name it reads in a
 * dictionary that lives as long as its context, so that an endless stream
 * would make it grow without bound, and slower (until it fails). So now
 * and then, between stanzas, the context is replaced by a new one that
 * first reads the stream root's start tag again (synth, with the same
 * namespace declarations), as fragment mode's implied root. Only when
 * libxml2 holds no unparsed byte; else the next stanza end tries again.
 * Positions go on: ours() maps the new context's offsets, and its line
 * count (in its messages) continues the old one's.
 */
static void
recycle(struct xt_parser *p)
{
	xmlParserCtxtPtr old = p->ctxt;
	int line, col;

	if (p->failed || !p->prefixed || p->depth != 1 || p->stanza != NULL ||
	    p->closed || p->synth == NULL || lxpos(p) != p->lxfed)
		return;
	if ((p->ctxt = lxnew(p)) == NULL) {
		p->ctxt = old;
		reject(p, XT_ENOMEM, "resource-constraint: out of memory");
		return;
	}
	line = old->input->line;
	col = old->input->col;
	xmlFreeParserCtxt(old);
	p->base = p->fed;
	p->shift = p->synthlen;
	p->lxfed = 0;
	p->mark = 0;
	p->depth = 0;
	p->nends = 0;
	p->resynth = 1;
	lxfeed(p, p->synth, p->synthlen, 0);
	p->resynth = 0;
	if (p->failed)
		return;
	if (p->depth != 1 || lxpos(p) != p->lxfed) {
		reject(p, XT_EPROTO, "internal-server-error: the stream root "
		    "was not read again");
		return;
	}
	p->ctxt->input->line = line;
	p->ctxt->input->col = col;
}

/*
 * A new parser for an XMPP stream (mode XT_PARSE_STREAM, whose root must
 * be {http://etherx.jabber.org/streams}stream, RFC 6120 section 4.8) or for
 * a sequence of elements (XT_PARSE_FRAGMENT, as if inside a root whose
 * default namespace is ns; implemented by giving libxml2 a start tag the
 * caller never wrote, which no reported offset counts). Zero fields of
 * limits, or a NULL limits, take the defaults: 262144 bytes per stanza,
 * depth 32, 64 attributes (namespace declarations count), no total cap.
 * Beyond them: names of 1024 bytes, namespace names of 1024 bytes, and
 * 4 times max_stanza (262144 at least) plus 64 KiB of memory per stanza.
 * NULL if memory ran out or ns cannot be written as XML.
 */
struct xt_parser *
xt_parser_new(enum xt_parse_mode mode, const char *ns,
    const struct xt_xml_limits *limits)
{
	struct xt_parser *p;
	char *decl[] = { "xmlns", "", NULL };
	size_t m;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->mode = mode;
	if (limits != NULL)
		p->lim = *limits;
	if (p->lim.max_stanza == 0)
		p->lim.max_stanza = XML_DEF_STANZA;
	if (p->lim.max_depth <= 0)
		p->lim.max_depth = XML_DEF_DEPTH;
	if (p->lim.max_attrs <= 0)
		p->lim.max_attrs = XML_DEF_ATTRS;
	/*
	 * What building one stanza may allocate. A lower max_stanza does not
	 * lower it: a tree can take many times the bytes it is written in,
	 * and a stanza read under the default limits must be read again from
	 * its serialization under a max_stanza of that length (the fuzz
	 * target checks it).
	 */
	m = p->lim.max_stanza > XML_DEF_STANZA ? p->lim.max_stanza :
	    XML_DEF_STANZA;
	p->budget = m > (SIZE_MAX - XML_COMPLEX_ADD) / XML_COMPLEX ?
	    SIZE_MAX : m * XML_COMPLEX + XML_COMPLEX_ADD;
	if (mode == XT_PARSE_FRAGMENT) {
		if (ns != NULL && *ns != '\0') {
			if ((p->rootns = strdup(ns)) == NULL)
				goto fail;
			decl[1] = p->rootns;
		}
		/*
		 * Else no default namespace, said out loud (xmlns=''):
		 * libxml2's push parser holds back a bare "<root>" until
		 * more bytes come, which a renewed context never gets.
		 */
		if (xt_xml_root_tag(NULL, XML_ROOT, decl, &p->synth,
		    &p->synthlen) != XT_OK)
			goto fail;
	}

	xmlInitParser();
	if ((p->ctxt = lxnew(p)) == NULL)
		goto fail;
	return p;
fail:
	xt_parser_free(p);
	return NULL;
}

/* Free the parser, its queued stanzas and its header. NULL is fine. */
void
xt_parser_free(struct xt_parser *p)
{
	struct xt_node *n, *next;

	if (p == NULL)
		return;
	if (p->ctxt != NULL)
		xmlFreeParserCtxt(p->ctxt);
	for (n = p->qhead; n != NULL; n = next) {
		next = n->next;
		n->next = NULL;
		xt_node_free(n);
	}
	xt_node_free(p->stanza);
	xt_node_free(p->header);
	free(p->tbuf);
	free(p->rootns);
	free(p->synth);
	free(p);
}

/*
 * Feed n bytes of the stream (split anywhere: the result does not depend
 * on how). Returns XT_OK; XT_ETOOBIG for a limit (policy-violation);
 * XT_EPROTO for restricted-xml, not-well-formed, bad-format,
 * unsupported-encoding, invalid-namespace (RFC 6120 sections 4.9.3, 11);
 * XT_ENOMEM (resource-constraint). e's message starts with the condition.
 * After a failure every call fails the same way. Stanzas completed before
 * the failure stay queued.
 */
int
xt_parser_feed(struct xt_parser *p, const char *buf, size_t n,
    struct xt_error *e)
{
	size_t k, good, unparsed;

	if (p == NULL || (buf == NULL && n > 0))
		return xt_error_set(e, XT_EINVAL, "xml: bad arguments");
	if (p->failed)
		return fail(p, e);
	if (p->finished)
		return xt_error_set(e, XT_EINVAL, "xml: input already ended");
	if (p->lim.max_total != 0 && n > p->lim.max_total - p->fed) {
		reject(p, XT_ETOOBIG, "policy-violation: input over %zu bytes",
		    p->lim.max_total);
		return fail(p, e);
	}
	while (n > 0) {
		k = n < XML_PIECE ? n : XML_PIECE;
		good = scan(p, (const unsigned char *)buf, k);
		p->fed += good;
		take(p, buf, good);
		if (p->failed)
			return fail(p, e);
		if (p->cut) {
			p->cut = 0;
			recycle(p);
			if (p->failed)
				return fail(p, e);
		}
		/*
		 * libxml2 keeps an unfinished token (a start tag waiting for
		 * its '>') in memory: bound what it may hold.
		 */
		unparsed = p->lxfed - p->mark;
		if (unparsed > XML_SLACK &&
		    unparsed - XML_SLACK > p->lim.max_stanza) {
			reject(p, XT_ETOOBIG, "policy-violation: stanza over "
			    "%zu bytes", p->lim.max_stanza);
			return fail(p, e);
		}
		buf += good;
		n -= good;
	}
	return XT_OK;
}

/*
 * The input has ended. In fragment mode an element left open, a partial
 * tag or a partial UTF-8 character is not-well-formed; in stream mode so
 * is a stream not closed by </stream:stream>. XT_OK, or as
 * xt_parser_feed. Afterwards xt_parser_feed refuses more input.
 */
int
xt_parser_finish(struct xt_parser *p, struct xt_error *e)
{
	char buf[XML_NAMECLIP + 1];

	if (p == NULL)
		return xt_error_set(e, XT_EINVAL, "xml: bad arguments");
	if (p->failed)
		return fail(p, e);
	if (p->finished)
		return XT_OK;
	if (p->u8need > 0)
		reject(p, XT_EPROTO, "not-well-formed: invalid utf-8 "
		    "(truncated at the end)");
	else if (p->mode == XT_PARSE_STREAM) {
		if (!p->closed)
			reject(p, XT_EPROTO, "not-well-formed: the stream "
			    "ended without </stream:stream>");
		else
			lxfeed(p, NULL, 0, 1);
	} else {
		if (!p->prefixed)
			prefix(p, 1);
		if (p->stanza != NULL)
			reject(p, XT_EPROTO, "not-well-formed: <%s> not "
			    "closed at the end of the input",
			    clip(buf, sizeof(buf), p->stanza->name));
		p->finishing = 1;
		lxfeed(p, "</" XML_ROOT ">", 4, 1);
		if (!p->failed && p->depth != 0)
			reject(p, XT_EPROTO, "not-well-formed: unexpected end "
			    "of the input");
	}
	p->finished = 1;
	return p->failed ? fail(p, e) : XT_OK;
}

/*
 * The oldest complete depth-1 element not yet taken, detached and owned
 * by the caller (free with xt_node_free); NULL if none is ready.
 */
struct xt_node *
xt_parser_next(struct xt_parser *p)
{
	struct xt_node *n;

	if (p == NULL || (n = p->qhead) == NULL)
		return NULL;
	if ((p->qhead = n->next) == NULL)
		p->qtail = NULL;
	n->next = NULL;
	return n;
}

/* 1 if xt_parser_next has an element to give, else 0. */
int
xt_parser_ready(const struct xt_parser *p)
{
	return p != NULL && p->qhead != NULL;
}

/*
 * Stream mode: the root element once its start tag was read, without
 * children; its attributes include the namespace declarations ("xmlns"
 * for the content namespace, "xmlns:stream"). Owned by the parser. NULL
 * before, and always in fragment mode.
 */
const struct xt_node *
xt_parser_header(const struct xt_parser *p)
{
	return p != NULL ? p->header : NULL;
}

/* Stream mode: 1 once </stream:stream> was read (RFC 6120 4.4), else 0. */
int
xt_parser_closed(const struct xt_parser *p)
{
	return p != NULL && p->closed;
}

/*
 * The number of bytes fed after the end tag of the last complete depth-1
 * element, or after the header if none followed it (all bytes before the
 * header). Right after <proceed/> (RFC 6120 5.4.3.3) it must be 0.
 */
size_t
xt_parser_pending(const struct xt_parser *p)
{
	if (p == NULL || p->fed < p->endmark)
		return 0;
	return p->fed - p->endmark;
}
