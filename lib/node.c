/*
 * node.c: element trees (struct xt_node), the form a stanza takes between
 * the parser and the serializer: making them, reading them, copying and
 * freeing them.
 *
 * An element has a name and a namespace (NULL: the one in scope where it
 * is added); a text node has neither, only its text. Freeing and copying
 * walk the tree without recursion, so that no depth of nesting can
 * exhaust the stack.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xt.h"

static void
node_destroy(struct xt_node *n)
{
	char **a;

	free(n->name);
	free(n->ns);
	free(n->text);
	if (n->attrs != NULL) {
		for (a = n->attrs; *a != NULL; a++)
			free(*a);
		free(n->attrs);
	}
	free(n);
}

static void
node_unlink(struct xt_node *n)
{
	struct xt_node *par = n->parent, *prev;

	if (par == NULL)
		return;
	if (par->children == n) {
		par->children = n->next;
		prev = NULL;
	} else {
		for (prev = par->children; prev != NULL && prev->next != n;
		    prev = prev->next)
			;
		if (prev != NULL)
			prev->next = n->next;
	}
	if (par->last == n)
		par->last = prev;
	n->parent = NULL;
	n->next = NULL;
}

/*
 * A new element with a copy of name and of ns (NULL: the namespace in
 * scope where it is added). NULL if name is NULL or memory ran out.
 */
struct xt_node *
xt_node_new(const char *name, const char *ns)
{
	struct xt_node *n;

	if (name == NULL || (n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	if ((n->name = strdup(name)) == NULL ||
	    (ns != NULL && (n->ns = strdup(ns)) == NULL)) {
		node_destroy(n);
		return NULL;
	}
	return n;
}

/*
 * Free n and everything below it, first unlinking it from its parent.
 * NULL is fine.
 */
static size_t
node_size(const struct xt_node *n)
{
	size_t sz = sizeof(*n);
	char **a;

	if (n->name != NULL)
		sz += strlen(n->name) + 1;
	if (n->ns != NULL)
		sz += strlen(n->ns) + 1;
	if (n->text != NULL)
		sz += strlen(n->text) + 1;
	for (a = n->attrs; a != NULL && *a != NULL; a++)
		sz += sizeof(*a) + strlen(*a) + 1;
	return sz;
}

size_t
xt_node_size(const struct xt_node *n)
{
	const struct xt_node *c = n;
	size_t sz = 0;

	if (n == NULL)
		return 0;
	/* Iterative, in document order, as xt_node_free. */
	for (;;) {
		sz += node_size(c);
		if (c->children != NULL) {
			c = c->children;
			continue;
		}
		while (c != n && c->next == NULL)
			c = c->parent;
		if (c == n)
			return sz;
		c = c->next;
	}
}

void
xt_node_free(struct xt_node *n)
{
	struct xt_node *c, *next, *par;

	if (n == NULL)
		return;
	node_unlink(n);
	/* Iterative, so that no tree is deep enough to exhaust the stack. */
	c = n;
	for (;;) {
		while (c->children != NULL)
			c = c->children;
		if (c == n)
			break;
		next = c->next;
		par = c->parent;
		par->children = next;
		node_destroy(c);
		c = next != NULL ? next : par;
	}
	node_destroy(n);
}

/*
 * Set attribute name to a copy of value, replacing an earlier value and
 * keeping the attribute's place; a NULL value removes the attribute.
 * Returns XT_OK, XT_EINVAL (no element or name) or XT_ENOMEM.
 */
int
xt_node_set_attr(struct xt_node *n, const char *name, const char *value)
{
	size_t i = 0;
	char *v, *k, **na;

	if (n == NULL || n->name == NULL || name == NULL)
		return XT_EINVAL;
	for (; n->attrs != NULL && n->attrs[i] != NULL; i += 2) {
		if (strcmp(n->attrs[i], name) != 0)
			continue;
		if (value == NULL) {
			free(n->attrs[i]);
			free(n->attrs[i + 1]);
			for (; n->attrs[i + 2] != NULL; i += 2) {
				n->attrs[i] = n->attrs[i + 2];
				n->attrs[i + 1] = n->attrs[i + 3];
			}
			n->attrs[i] = NULL;
			return XT_OK;
		}
		if ((v = strdup(value)) == NULL)
			return XT_ENOMEM;
		free(n->attrs[i + 1]);
		n->attrs[i + 1] = v;
		return XT_OK;
	}
	if (value == NULL)
		return XT_OK;
	if ((na = realloc(n->attrs, (i + 3) * sizeof(*na))) == NULL)
		return XT_ENOMEM;
	n->attrs = na;
	na[i] = NULL;
	k = strdup(name);
	v = strdup(value);
	if (k == NULL || v == NULL) {
		free(k);
		free(v);
		return XT_ENOMEM;
	}
	na[i] = k;
	na[i + 1] = v;
	na[i + 2] = NULL;
	return XT_OK;
}

/* The value of attribute name on n (names compare byte for byte), or NULL. */
const char *
xt_node_attr(const struct xt_node *n, const char *name)
{
	char **a;

	if (n == NULL || n->attrs == NULL || name == NULL)
		return NULL;
	for (a = n->attrs; *a != NULL; a += 2)
		if (strcmp(*a, name) == 0)
			return a[1];
	return NULL;
}

/*
 * Append child as the last child of parent, which takes ownership, and
 * return it. A NULL child gives NULL; so does a NULL parent or a text
 * parent, and then child is freed, so that calls can nest.
 */
struct xt_node *
xt_node_add(struct xt_node *parent, struct xt_node *child)
{
	if (child == NULL)
		return NULL;
	if (parent == NULL || parent->name == NULL) {
		xt_node_free(child);
		return NULL;
	}
	node_unlink(child);
	child->parent = parent;
	if (parent->last != NULL)
		parent->last->next = child;
	else
		parent->children = child;
	parent->last = child;
	return child;
}

/* Append a new child element (as xt_node_new); returns it, or NULL. */
struct xt_node *
xt_node_add_elem(struct xt_node *parent, const char *name, const char *ns)
{
	if (parent == NULL)
		return NULL;
	return xt_node_add(parent, xt_node_new(name, ns));
}

/*
 * Append len bytes of text (copied) to parent, joining them to a text
 * node that is already its last child. XT_OK, XT_EINVAL or XT_ENOMEM.
 */
int
xt_node_add_text(struct xt_node *parent, const char *text, size_t len)
{
	struct xt_node *t;
	size_t old;
	char *s;

	if (parent == NULL || parent->name == NULL ||
	    (text == NULL && len > 0))
		return XT_EINVAL;
	if (len == 0)
		return XT_OK;
	t = parent->last;
	if (t != NULL && t->name == NULL) {
		old = t->text != NULL ? strlen(t->text) : 0;
		if (len > SIZE_MAX - old - 1 ||
		    (s = realloc(t->text, old + len + 1)) == NULL)
			return XT_ENOMEM;
		memcpy(s + old, text, len);
		s[old + len] = '\0';
		t->text = s;
		return XT_OK;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return XT_ENOMEM;
	if ((t->text = strndup(text, len)) == NULL) {
		free(t);
		return XT_ENOMEM;
	}
	xt_node_add(parent, t);
	return XT_OK;
}

/* The namespace an element is in: its own, else its nearest ancestor's. */
static const char *
node_ns(const struct xt_node *n)
{
	for (; n != NULL; n = n->parent)
		if (n->name != NULL && n->ns != NULL)
			return n->ns;
	return "";
}

static int
node_match(const struct xt_node *c, const char *name, const char *ns)
{
	return c->name != NULL &&
	    (name == NULL || strcmp(c->name, name) == 0) &&
	    (ns == NULL || strcmp(node_ns(c), ns) == 0);
}

/*
 * The first child element of n with that local name and namespace
 * (compared with the namespace each element is in, inherited or its own;
 * "" is no namespace); NULL for either matches any. NULL if none.
 */
struct xt_node *
xt_node_child(const struct xt_node *n, const char *name, const char *ns)
{
	struct xt_node *c;

	if (n == NULL)
		return NULL;
	for (c = n->children; c != NULL; c = c->next)
		if (node_match(c, name, ns))
			return c;
	return NULL;
}

/* The next sibling element after c matching as xt_node_child, or NULL. */
struct xt_node *
xt_node_next(const struct xt_node *c, const char *name, const char *ns)
{
	if (c == NULL)
		return NULL;
	for (c = c->next; c != NULL; c = c->next)
		if (node_match(c, name, ns))
			return (struct xt_node *)c;
	return NULL;
}

/*
 * The text children of n joined (for a text node, its own text); owned,
 * "" if there is none, NULL if memory ran out.
 */
char *
xt_node_text(const struct xt_node *n)
{
	const struct xt_node *c;
	size_t len = 0, l;
	char *s;

	if (n != NULL && n->name == NULL)
		return strdup(n->text != NULL ? n->text : "");
	for (c = n != NULL ? n->children : NULL; c != NULL; c = c->next)
		if (c->name == NULL && c->text != NULL)
			len += strlen(c->text);
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	len = 0;
	for (c = n != NULL ? n->children : NULL; c != NULL; c = c->next) {
		if (c->name == NULL && c->text != NULL) {
			l = strlen(c->text);
			memcpy(s + len, c->text, l);
			len += l;
		}
	}
	s[len] = '\0';
	return s;
}

static struct xt_node *
copy_one(const struct xt_node *n)
{
	struct xt_node *d;
	size_t i, cnt = 0;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if ((n->name != NULL && (d->name = strdup(n->name)) == NULL) ||
	    (n->ns != NULL && (d->ns = strdup(n->ns)) == NULL) ||
	    (n->text != NULL && (d->text = strdup(n->text)) == NULL))
		goto fail;
	if (n->attrs != NULL) {
		while (n->attrs[cnt] != NULL)
			cnt++;
		if ((d->attrs = calloc(cnt + 1, sizeof(char *))) == NULL)
			goto fail;
		for (i = 0; i < cnt; i++)
			if ((d->attrs[i] = strdup(n->attrs[i])) == NULL)
				goto fail;
	}
	return d;
fail:
	node_destroy(d);
	return NULL;
}

/* A deep copy of n, without parent or siblings; NULL if memory ran out. */
struct xt_node *
xt_node_copy(const struct xt_node *n)
{
	const struct xt_node *s;
	struct xt_node *root, *d, *c;

	if (n == NULL || (root = copy_one(n)) == NULL)
		return NULL;
	s = n;
	d = root;
	/* Walk the source in document order and mirror each step. */
	for (;;) {
		if (s->name != NULL && s->children != NULL) {
			s = s->children;
			if ((c = copy_one(s)) == NULL)
				goto fail;
			d = xt_node_add(d, c);
			continue;
		}
		while (s != n && s->next == NULL) {
			s = s->parent;
			d = d->parent;
		}
		if (s == n)
			return root;
		s = s->next;
		if ((c = copy_one(s)) == NULL)
			goto fail;
		d = xt_node_add(d->parent, c);
	}
fail:
	xt_node_free(root);
	return NULL;
}
