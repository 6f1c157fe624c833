/*
 * serialize.c: element trees written as XML 1.0 text (RFC 6120 section
 * 11), for the stream and for what the tools print.
 *
 * Names and text are checked, not trusted: what XML 1.0 cannot carry is
 * refused, not written. Text and attribute values are escaped so that a
 * parser reads the same tree back, and an xmlns attribute is written only
 * where the namespace changes. The buffer is wiped as it grows and when
 * it is dropped, since the SASL elements it writes carry credentials.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xt.h"

struct sbuf {
	char	*b;
	size_t	 len;
	size_t	 cap;
	int	 err;
};

/*
 * Growth copies into a new block and wipes the old one, where realloc
 * would leave a copy in freed memory: the serializer writes the SASL
 * elements that carry credentials.
 */
static void
sb_put(struct sbuf *sb, const char *s, size_t n)
{
	size_t ncap;
	char *nb;

	if (sb->err)
		return;
	if (n >= sb->cap - sb->len) {
		ncap = sb->cap != 0 ? sb->cap : 256;
		while (ncap - sb->len <= n) {
			if (ncap > SIZE_MAX / 2) {
				sb->err = XT_ENOMEM;
				return;
			}
			ncap *= 2;
		}
		if ((nb = malloc(ncap)) == NULL) {
			sb->err = XT_ENOMEM;
			return;
		}
		if (sb->b != NULL) {
			memcpy(nb, sb->b, sb->len);
			xt_wipe(sb->b, sb->cap);
			free(sb->b);
		}
		sb->b = nb;
		sb->cap = ncap;
	}
	memcpy(sb->b + sb->len, s, n);
	sb->len += n;
	sb->b[sb->len] = '\0';
}

/* Wipe and free what was written, for the same reason. */
static void
sb_free(struct sbuf *sb)
{
	if (sb->b != NULL)
		xt_wipe(sb->b, sb->cap);
	free(sb->b);
	sb->b = NULL;
	sb->len = sb->cap = 0;
}

static void
sb_str(struct sbuf *sb, const char *s)
{
	sb_put(sb, s, strlen(s));
}

/*
 * Escape for text (& < > and CR, which a parser would turn into LF) or
 * for an attribute value in single quotes (& < " ' and the white space
 * that attribute value normalization would turn into spaces).
 */
static void
sb_esc(struct sbuf *sb, const char *s, int attr)
{
	const char *run = s, *rep;

	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = attr ? NULL : "&gt;";
			break;
		case '"':
			rep = attr ? "&quot;" : NULL;
			break;
		case '\'':
			rep = attr ? "&apos;" : NULL;
			break;
		case '\t':
			rep = attr ? "&#9;" : NULL;
			break;
		case '\n':
			rep = attr ? "&#10;" : NULL;
			break;
		case '\r':
			rep = "&#13;";
			break;
		default:
			rep = NULL;
			break;
		}
		if (rep == NULL)
			continue;
		sb_put(sb, run, (size_t)(s - run));
		sb_str(sb, rep);
		run = s + 1;
	}
	sb_put(sb, run, (size_t)(s - run));
}

/* Is s[0..n) UTF-8 (RFC 3629) made only of XML 1.0 Chars (section 2.2)? */
static int
chars_ok(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned long cp;
	size_t i = 0;
	int j, k;

	while (i < n) {
		if (s[i] < 0x80) {
			if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' &&
			    s[i] != '\r')
				return 0;
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			k = 1;
			cp = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			k = 2;
			cp = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			k = 3;
			cp = s[i] & 0x07;
		} else
			return 0;
		if (n - i <= (size_t)k)
			return 0;
		for (j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    cp == 0xfffe || cp == 0xffff)
			return 0;
		i += (size_t)k + 1;
	}
	return 1;
}

/* Could s be written as an element or attribute name? */
static int
name_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (s == NULL || *s == '\0' || strchr("-.0123456789", *s) != NULL)
		return 0;
	for (; *u != '\0'; u++)
		if (*u <= ' ' || strchr("<>&'\"=/!?", *u) != NULL)
			return 0;
	return chars_ok(s, strlen(s));
}

/*
 * An element in the XML namespace (XML-NAMES section 3: it may not be the
 * default namespace) is written with the prefix "xml:" and leaves the
 * default namespace alone.
 */
static int
is_xmlns(const char *ns)
{
	return ns != NULL && strcmp(ns, XT_NS_XML) == 0;
}

static void
sb_name(struct sbuf *sb, const struct xt_node *s)
{
	if (is_xmlns(s->ns))
		sb_str(sb, "xml:");
	sb_str(sb, s->name);
}

/* The default namespace in scope where s is written below top. */
static const char *
scope_of(const struct xt_node *s, const struct xt_node *top,
    const char *parent_ns)
{
	const struct xt_node *a;

	if (s != top) {
		for (a = s->parent; a != NULL; a = a->parent) {
			if (a->ns != NULL && !is_xmlns(a->ns))
				return a->ns;
			if (a == top)
				break;
		}
	}
	return parent_ns != NULL ? parent_ns : "";
}

static int
ser_open(struct sbuf *sb, const struct xt_node *s, const char *scope)
{
	char **a;
	const char *v;

	if (s->name == NULL) {
		v = s->text != NULL ? s->text : "";
		if (!chars_ok(v, strlen(v)))
			return XT_EINVAL;
		sb_esc(sb, v, 0);
		return XT_OK;
	}
	if (!name_ok(s->name))
		return XT_EINVAL;
	sb_str(sb, "<");
	sb_name(sb, s);
	if (s->ns != NULL && strcmp(s->ns, scope) != 0 && !is_xmlns(s->ns)) {
		if (!chars_ok(s->ns, strlen(s->ns)))
			return XT_EINVAL;
		sb_str(sb, " xmlns='");
		sb_esc(sb, s->ns, 1);
		sb_str(sb, "'");
	}
	for (a = s->attrs; a != NULL && *a != NULL; a += 2) {
		/* The namespace is the ns field's business alone. */
		if (strcmp(a[0], "xmlns") == 0)
			continue;
		v = a[1] != NULL ? a[1] : "";
		if (!name_ok(a[0]) || !chars_ok(v, strlen(v)))
			return XT_EINVAL;
		sb_str(sb, " ");
		sb_str(sb, a[0]);
		sb_str(sb, "='");
		sb_esc(sb, v, 1);
		sb_str(sb, "'");
	}
	sb_str(sb, s->children != NULL ? ">" : "/>");
	return XT_OK;
}

/*
 * Serialize n (an element with everything below it, or a text node) to an
 * owned NUL-terminated string in *out, its length in *outlen (may be
 * NULL). parent_ns is the default namespace in scope (NULL: none); an
 * element's xmlns is written only where its namespace differs from the
 * one in scope; an element without one inherits it. Attributes are
 * written in their order in single quotes; an attribute named "xmlns" is
 * skipped. XT_EINVAL for a name or text that XML 1.0 cannot carry (bad
 * UTF-8, control characters), XT_ENOMEM; *out is NULL after a failure.
 */
int
xt_xml_serialize(const struct xt_node *n, const char *parent_ns, char **out,
    size_t *outlen)
{
	struct sbuf sb = { NULL, 0, 0, 0 };
	const struct xt_node *s;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (n == NULL || out == NULL)
		return XT_EINVAL;
	sb_put(&sb, "", 0);
	s = n;
	/* Iterative, like xt_node_free. */
	for (;;) {
		if ((rc = ser_open(&sb, s, scope_of(s, n, parent_ns))) != XT_OK)
			goto fail;
		if (s->name != NULL && s->children != NULL) {
			s = s->children;
			continue;
		}
		while (s != n && s->next == NULL) {
			s = s->parent;
			sb_str(&sb, "</");
			sb_name(&sb, s);
			sb_str(&sb, ">");
		}
		if (s == n)
			break;
		s = s->next;
	}
	if ((rc = sb.err) != 0)
		goto fail;
	*out = sb.b;
	if (outlen != NULL)
		*outlen = sb.len;
	return XT_OK;
fail:
	sb_free(&sb);
	return rc;
}

/*
 * For the parser (xml.c), which has libxml2 read root start tags that it
 * makes up: "<", prefix and ":" (unless prefix is NULL), name, then the
 * namespace declarations among attrs (name, value pairs as in struct
 * xt_node: those named "xmlns" or "xmlns:...") in their order, each
 * written as xt_xml_serialize writes an attribute, and ">". An owned
 * string in *out, its length in *outlen. XT_EINVAL for a value that
 * XML 1.0 cannot carry, XT_ENOMEM; *out is NULL after a failure.
 */
int
xt_xml_root_tag(const char *prefix, const char *name, char *const *attrs,
    char **out, size_t *outlen)
{
	struct sbuf sb = { NULL, 0, 0, 0 };
	char *const *a;
	int rc;

	*out = NULL;
	*outlen = 0;
	sb_str(&sb, "<");
	if (prefix != NULL) {
		sb_str(&sb, prefix);
		sb_str(&sb, ":");
	}
	sb_str(&sb, name);
	for (a = attrs; a != NULL && *a != NULL; a += 2) {
		if (strcmp(a[0], "xmlns") != 0 &&
		    strncmp(a[0], "xmlns:", 6) != 0)
			continue;
		if (!chars_ok(a[1], strlen(a[1]))) {
			sb_free(&sb);
			return XT_EINVAL;
		}
		sb_str(&sb, " ");
		sb_str(&sb, a[0]);
		sb_str(&sb, "='");
		sb_esc(&sb, a[1], 1);
		sb_str(&sb, "'");
	}
	sb_str(&sb, ">");
	if ((rc = sb.err) != 0) {
		sb_free(&sb);
		return rc;
	}
	*out = sb.b;
	*outlen = sb.len;
	return XT_OK;
}
