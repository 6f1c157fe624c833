/*
 * esform.c: the data forms of offline ESessions (XEP-0004 as XEP-0116
 * uses them) and their normalisation, norm() and content() of
 * PROTOCOLS.md 1.12: what the signatures and MACs cover, so that both
 * sides write and read them alike.
 */
#include <stdlib.h>
#include <string.h>

#include "xt.h"
#include "esession.h"

void
es_put(struct es_str *b, const char *s, size_t n)
{
	char *ns;
	size_t cap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap * 2 : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((ns = realloc(b->s, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
es_puts(struct es_str *b, const char *s)
{
	es_put(b, s, strlen(s));
}

/* & < > (and " in attributes) as entities. */
void
es_put_esc(struct es_str *b, const char *s, int attr)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&':
			es_puts(b, "&amp;");
			break;
		case '<':
			es_puts(b, "&lt;");
			break;
		case '>':
			es_puts(b, "&gt;");
			break;
		case '"':
			es_puts(b, attr ? "&quot;" : "\"");
			break;
		default:
			es_put(b, s, 1);
		}
}

static int
ws_only(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

static int
attr_cmp(const void *a, const void *b)
{
	return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

/*
 * norm(el), PROTOCOLS.md 1.12: the name without prefix or namespace,
 * attributes sorted by name, children in document order, white space
 * between elements dropped, a leaf's text kept, always a start-end pair.
 */
static void
norm(struct es_str *b, const struct xt_node *n)
{
	const struct xt_node *c;
	char **a, **v[64];
	size_t k = 0, i;
	int leaf = 1;

	es_puts(b, "<");
	es_puts(b, n->name);
	for (a = n->attrs; a != NULL && a[0] != NULL && k < 64; a += 2)
		if (strcmp(a[0], "xmlns") != 0 && strncmp(a[0], "xmlns:", 6))
			v[k++] = a;
	if (k > 1)
		qsort(v, k, sizeof(v[0]), attr_cmp);
	for (i = 0; i < k; i++) {
		es_puts(b, " ");
		es_puts(b, v[i][0]);
		es_puts(b, "=\"");
		es_put_esc(b, v[i][1], 1);
		es_puts(b, "\"");
	}
	es_puts(b, ">");
	for (c = n->children; c != NULL; c = c->next)
		if (c->name != NULL)
			leaf = 0;
	for (c = n->children; c != NULL; c = c->next) {
		if (c->name != NULL)
			norm(b, c);
		else if (leaf || !ws_only(c->text))
			es_put_esc(b, c->text, 0);
	}
	es_puts(b, "</");
	es_puts(b, n->name);
	es_puts(b, ">");
}

static int
listed(const char *var, const char *const *except)
{
	for (; except != NULL && *except != NULL; except++)
		if (strcmp(var, *except) == 0)
			return 1;
	return 0;
}

/* es_content(x, except): norm() of its fields in order, those named left out. */
char *
es_content(const struct xt_node *x, const char *const *except)
{
	struct es_str b = { NULL, 0, 0, 0 };
	const struct xt_node *f;
	const char *var;

	es_puts(&b, "");
	for (f = xt_node_child(x, "field", XT_NS_DATA); f != NULL;
	    f = xt_node_next(f, "field", XT_NS_DATA)) {
		var = xt_node_attr(f, "var");
		if (var != NULL && listed(var, except))
			continue;
		norm(&b, f);
	}
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

char *
xt_es_content(const struct xt_node *x, const char *const *except)
{
	return es_content(x, except);
}

/* The field var of form x, or NULL. */
const struct xt_node *
es_field(const struct xt_node *x, const char *var)
{
	const struct xt_node *f;
	const char *v;

	for (f = xt_node_child(x, "field", XT_NS_DATA); f != NULL;
	    f = xt_node_next(f, "field", XT_NS_DATA))
		if ((v = xt_node_attr(f, "var")) != NULL && strcmp(v, var) == 0)
			return f;
	return NULL;
}

/*
 * The values a field offers: its <value/> children, or those of its
 * <option/> children (a list in a form). At most max; their count.
 */
int
es_values(const struct xt_node *f, char **out, int max)
{
	const struct xt_node *c, *v;
	int n = 0;

	for (c = f ? f->children : NULL; c != NULL && n < max; c = c->next) {
		/* (a form made here inherits its namespace: ns NULL) */
		if (c->name == NULL || (c->ns != NULL &&
		    strcmp(c->ns, XT_NS_DATA) != 0))
			continue;
		if (strcmp(c->name, "value") == 0)
			v = c;
		else if (strcmp(c->name, "option") == 0)
			v = xt_node_child(c, "value", XT_NS_DATA);
		else
			continue;
		if (v != NULL && (out[n] = xt_node_text(v)) != NULL)
			n++;
	}
	return n;
}

void
es_free_values(char **v, int n)
{
	while (n-- > 0)
		free(v[n]);
}

/* The one value of a field, owned; NULL if none or several. */
char *
es_value(const struct xt_node *x, const char *var)
{
	char *v[2];
	int n = es_values(es_field(x, var), v, 2);

	if (n == 1)
		return v[0];
	es_free_values(v, n);
	return NULL;
}

/* Does the field offer s? */
int
es_offers(const struct xt_node *x, const char *var, const char *s)
{
	char *v[32];
	int n = es_values(es_field(x, var), v, 32), i, yes = 0;

	for (i = 0; i < n; i++)
		yes |= strcmp(v[i], s) == 0;
	es_free_values(v, n);
	return yes;
}

/* Append <field var= [type=]> with one value (or option). */
int
es_add_field(struct xt_node *x, const char *var, const char *type,
    const char *const *vals, int nvals, int options)
{
	struct xt_node *f, *o;
	int i;

	if ((f = xt_node_add_elem(x, "field", NULL)) == NULL ||
	    (type != NULL && xt_node_set_attr(f, "type", type) < 0) ||
	    xt_node_set_attr(f, "var", var) < 0)
		return XT_ENOMEM;
	for (i = 0; i < nvals; i++) {
		o = options ? xt_node_add_elem(f, "option", NULL) : f;
		if (o == NULL || (o = xt_node_add_elem(o, "value", NULL)) ==
		    NULL || xt_node_add_text(o, vals[i], strlen(vals[i])) < 0)
			return XT_ENOMEM;
	}
	return XT_OK;
}

int
es_add_one(struct xt_node *x, const char *var, const char *type, const char *v,
    int options)
{
	return es_add_field(x, var, type, &v, 1, options);
}

