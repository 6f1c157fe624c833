/*
 * pep.c: Personal Eventing Protocol over the session (XEP-0163, with
 * XEP-0060 publish-options and XEP-0223 persistence): check support,
 * publish, retract, fetch items. Generic: what goes into the items is the
 * caller's business.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xt.h"

#define ITEMS_MAX	10000	/* <item/>s taken from one answer */

#define PUBLISH_OPTIONS	"http://jabber.org/protocol/pubsub#publish-options"
#define NODE_CONFIG	"http://jabber.org/protocol/pubsub#node_config"

/*
 * A new <iq type=type> (with 'to' unless to is NULL) holding one element
 * name in ns, returned in *child. NULL on ENOMEM.
 */
static struct xt_node *
iq_new(const char *type, const char *to, const char *name, const char *ns,
    struct xt_node **child)
{
	struct xt_node *iq;

	if ((iq = xt_node_new("iq", XT_NS_CLIENT)) == NULL ||
	    xt_node_set_attr(iq, "type", type) < 0 ||
	    (to != NULL && xt_node_set_attr(iq, "to", to) < 0) ||
	    (*child = xt_node_add_elem(iq, name, ns)) == NULL) {
		xt_node_free(iq);
		return NULL;
	}
	return iq;
}

/*
 * Send iq and wait for its answer. XT_OK with the result in *res, or
 * XT_ESTANZA with the error answer in *res, e left for the caller to word;
 * any other failure fills e with the session's message and *res is NULL.
 */
static int
ask(struct xt_session *s, struct xt_node *iq, struct xt_node **res,
    struct xt_error *e)
{
	int rc;

	rc = xt_session_iq(s, iq, res, -1);
	if (rc == XT_OK || (rc == XT_ESTANZA && *res != NULL))
		return rc;
	xt_node_free(*res);
	*res = NULL;
	return xt_error_set(e, rc, "%s", xt_session_errmsg(s));
}

/* Fill e with XT_ESTANZA: what, then the condition and text of st. */
static int
stanza_fail(const struct xt_node *st, struct xt_error *e, const char *what)
{
	char *cond;

	cond = xt_stanza_error(st);
	xt_error_set(e, XT_ESTANZA, "%s: %s", what, cond ? cond : "error");
	free(cond);
	return XT_ESTANZA;
}

/* The defined condition of an error answer ("forbidden"), or NULL. */
static const char *
error_cond(const struct xt_node *st)
{
	const struct xt_node *err, *c;

	if ((err = xt_node_child(st, "error", NULL)) == NULL)
		return NULL;
	for (c = xt_node_child(err, NULL, XT_NS_STANZAS); c != NULL;
	    c = xt_node_next(c, NULL, XT_NS_STANZAS))
		if (strcmp(c->name, "text") != 0)
			return c->name;
	return NULL;
}

/* Our own bare JID, from the bound full one; owned, NULL if none. */
static char *
own_bare(struct xt_session *s)
{
	const char *full = xt_session_jid(s);

	if (full == NULL)
		return NULL;
	/* A bound JID is valid: its first '/' starts the resource. */
	return strndup(full, strcspn(full, "/"));
}

int
xt_pep_check(struct xt_session *s, struct xt_error *e)
{
	struct xt_node *iq, *q, *res = NULL, *c;
	const char *cat, *type, *var;
	char *me;
	int rc, pep = 0, opts = 0;

	if ((me = own_bare(s)) == NULL)
		return xt_error_set(e, XT_EINVAL, "not connected");
	/* XEP-0163 section 4: disco#info addressed to our own bare JID. */
	if ((iq = iq_new("get", me, "query", XT_NS_DISCO_INFO, &q)) == NULL) {
		free(me);
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	}
	rc = ask(s, iq, &res, e);
	xt_node_free(iq);
	if (rc == XT_ESTANZA)
		rc = stanza_fail(res, e, "disco#info");
	if (rc < 0)
		goto out;
	q = xt_node_child(res, "query", XT_NS_DISCO_INFO);
	for (c = xt_node_child(q, "identity", XT_NS_DISCO_INFO); c != NULL;
	    c = xt_node_next(c, "identity", XT_NS_DISCO_INFO)) {
		cat = xt_node_attr(c, "category");
		type = xt_node_attr(c, "type");
		if (cat != NULL && type != NULL && strcmp(cat, "pubsub") == 0 &&
		    strcmp(type, "pep") == 0)
			pep = 1;
	}
	for (c = xt_node_child(q, "feature", XT_NS_DISCO_INFO); c != NULL;
	    c = xt_node_next(c, "feature", XT_NS_DISCO_INFO))
		if ((var = xt_node_attr(c, "var")) != NULL &&
		    strcmp(var, PUBLISH_OPTIONS) == 0)
			opts = 1;
	if (!pep)
		rc = xt_error_set(e, XT_ENOTFOUND, "server offers no PEP");
	else if (!opts)
		rc = xt_error_set(e, XT_ENOTFOUND,
		    "server offers no publish-options");
out:
	xt_node_free(res);
	free(me);
	return rc;
}

/* Append <field var=var [type=type]><value>value</value></field> to x. */
static int
add_field(struct xt_node *x, const char *var, const char *type,
    const char *value)
{
	struct xt_node *f, *v;

	if ((f = xt_node_add_elem(x, "field", NULL)) == NULL ||
	    xt_node_set_attr(f, "var", var) < 0 ||
	    (type != NULL && xt_node_set_attr(f, "type", type) < 0) ||
	    (v = xt_node_add_elem(f, "value", NULL)) == NULL ||
	    xt_node_add_text(v, value, strlen(value)) < 0)
		return XT_ENOMEM;
	return XT_OK;
}

/*
 * The options beyond XEP-0223's pair (persist_items, access_model) that o
 * asks for; ejabberd 23.01 takes only that pair as publish-options.
 */
static const char *const extra_fields[] = { "pubsub#max_items",
    "pubsub#deliver_notifications", "pubsub#send_last_published_item" };

static int
has_extras(const struct xt_pep_opts *o)
{
	return o != NULL && (o->max_items != NULL || o->silent);
}

/*
 * Append the submitted form of FORM_TYPE form_type with the options we
 * insist on: the same fields as publish-options and as node
 * configuration, so that a reconfigured node meets the preconditions.
 * With pair set, only persist_items and access_model.
 */
static int
add_form(struct xt_node *parent, const char *form_type,
    const struct xt_pep_opts *o, int pair)
{
	struct xt_node *x;
	const char *access = o != NULL && o->access != NULL ? o->access :
	    "open";

	if ((x = xt_node_add_elem(parent, "x", XT_NS_DATA)) == NULL ||
	    xt_node_set_attr(x, "type", "submit") < 0 ||
	    add_field(x, "FORM_TYPE", "hidden", form_type) < 0 ||
	    add_field(x, "pubsub#persist_items", NULL, "true") < 0 ||
	    add_field(x, "pubsub#access_model", NULL, access) < 0)
		return XT_ENOMEM;
	if (pair || o == NULL)
		return XT_OK;
	if ((o->max_items != NULL &&
	    add_field(x, extra_fields[0], NULL, o->max_items) < 0) ||
	    (o->silent &&
	    (add_field(x, extra_fields[1], NULL, "0") < 0 ||
	    add_field(x, extra_fields[2], NULL, "never") < 0)))
		return XT_ENOMEM;
	return XT_OK;
}

/*
 * One publish with options (XEP-0060 7.1.5), only XEP-0223's pair of them
 * if pair is set; see ask() for *res.
 */
static int
publish_once(struct xt_session *s, const char *node, const char *id,
    const struct xt_node *payload, const struct xt_pep_opts *o, int pair,
    struct xt_node **res, struct xt_error *e)
{
	struct xt_node *iq, *ps, *pub, *item, *po;
	int rc;

	if ((iq = iq_new("set", NULL, "pubsub", XT_NS_PUBSUB, &ps)) == NULL ||
	    (pub = xt_node_add_elem(ps, "publish", NULL)) == NULL ||
	    xt_node_set_attr(pub, "node", node) < 0 ||
	    (item = xt_node_add_elem(pub, "item", NULL)) == NULL ||
	    (id != NULL && xt_node_set_attr(item, "id", id) < 0) ||
	    xt_node_add(item, xt_node_copy(payload)) == NULL ||
	    (po = xt_node_add_elem(ps, "publish-options", NULL)) == NULL ||
	    add_form(po, PUBLISH_OPTIONS, o, pair) < 0) {
		xt_node_free(iq);
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	}
	rc = ask(s, iq, res, e);
	xt_node_free(iq);
	return rc;
}

/* Did the publish fail only because the node is configured otherwise? */
static int
precondition_failed(const struct xt_node *st)
{
	const struct xt_node *err;

	err = xt_node_child(st, "error", NULL);
	return xt_node_child(err, "conflict", XT_NS_STANZAS) != NULL &&
	    xt_node_child(err, "precondition-not-met", XT_NS_PUBSUB_ERRORS) !=
	    NULL;
}

/*
 * Did the server refuse the publish-options because of a field beyond the
 * pair that it does not take there? XEP-0060 7.1.5 names no condition for
 * an unknown field; ejabberd 23.01 answers resource-constraint with the
 * text "Unknown field 'pubsub#max_items' of type '...#publish-options'",
 * so the field's name in the text is what tells.
 */
static int
extra_refused(const struct xt_node *st, const struct xt_pep_opts *o)
{
	const struct xt_node *err, *t;
	char *text;
	size_t i;
	int hit = 0;

	if (!has_extras(o) || precondition_failed(st) ||
	    (err = xt_node_child(st, "error", NULL)) == NULL ||
	    (t = xt_node_child(err, "text", XT_NS_STANZAS)) == NULL ||
	    (text = xt_node_text(t)) == NULL)
		return 0;
	for (i = 0; i < sizeof(extra_fields) / sizeof(extra_fields[0]); i++)
		if (strstr(text, extra_fields[i]) != NULL)
			hit = 1;
	free(text);
	return hit;
}

/*
 * Set node's configuration to o's options (XEP-0060 8.2.4, owner); with
 * create set, create the node so configured instead (8.1.3).
 */
static int
configure(struct xt_session *s, const char *node,
    const struct xt_pep_opts *o, int create, struct xt_node **res,
    struct xt_error *e)
{
	struct xt_node *iq, *ps, *conf, *c = NULL;
	int rc;

	if ((iq = iq_new("set", NULL, "pubsub", create ? XT_NS_PUBSUB :
	    XT_NS_PUBSUB_OWNER, &ps)) == NULL ||
	    (create && ((c = xt_node_add_elem(ps, "create", NULL)) == NULL ||
	    xt_node_set_attr(c, "node", node) < 0)) ||
	    (conf = xt_node_add_elem(ps, "configure", NULL)) == NULL ||
	    (!create && xt_node_set_attr(conf, "node", node) < 0) ||
	    add_form(conf, NODE_CONFIG, o, 0) < 0) {
		xt_node_free(iq);
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	}
	rc = ask(s, iq, res, e);
	xt_node_free(iq);
	return rc;
}

/*
 * A server that takes only XEP-0223's pair as publish-options (ejabberd
 * 23.01): configure the node with all of o's options (creating it so
 * configured if it does not exist yet), then publish with the pair alone,
 * which the node now meets. *what names the step that failed.
 */
static int
publish_configured(struct xt_session *s, const char *node, const char *id,
    const struct xt_node *payload, const struct xt_pep_opts *o,
    struct xt_node **res, char *what, size_t whatlen, struct xt_error *e)
{
	const char *cond;
	int rc;

	rc = configure(s, node, o, 0, res, e);
	if (rc == XT_ESTANZA && (cond = error_cond(*res)) != NULL &&
	    strcmp(cond, "item-not-found") == 0) {
		xt_node_free(*res);
		*res = NULL;
		rc = configure(s, node, o, 1, res, e);
		if (rc == XT_ESTANZA)
			snprintf(what, whatlen, "create %s", node);
	} else if (rc == XT_ESTANZA)
		snprintf(what, whatlen, "configure %s", node);
	if (rc < 0)
		return rc;
	xt_node_free(*res);
	*res = NULL;
	return publish_once(s, node, id, payload, o, 1, res, e);
}

int
xt_pep_publish(struct xt_session *s, const char *node, const char *id,
    const struct xt_node *payload, const struct xt_pep_opts *o,
    struct xt_error *e)
{
	struct xt_node *res = NULL;
	char what[256];
	int rc;

	if (node == NULL || *node == '\0' || payload == NULL ||
	    payload->name == NULL)
		return xt_error_set(e, XT_EINVAL,
		    "publish: no node or payload");
	snprintf(what, sizeof(what), "publish to %s", node);
	rc = publish_once(s, node, id, payload, o, 0, &res, e);
	if (rc == XT_ESTANZA && extra_refused(res, o)) {
		xt_node_free(res);
		res = NULL;
		rc = publish_configured(s, node, id, payload, o, &res, what,
		    sizeof(what), e);
	} else if (rc == XT_ESTANZA && precondition_failed(res)) {
		/*
		 * An existing node made with other options (PROTOCOLS.md
		 * 3.1): bring its configuration in line, then publish once
		 * more.
		 */
		xt_node_free(res);
		res = NULL;
		rc = configure(s, node, o, 0, &res, e);
		if (rc == XT_ESTANZA)
			snprintf(what, sizeof(what), "configure %s", node);
		else if (rc == XT_OK) {
			xt_node_free(res);
			res = NULL;
			rc = publish_once(s, node, id, payload, o, 0, &res, e);
		}
	}
	if (rc == XT_ESTANZA)
		stanza_fail(res, e, what);
	xt_node_free(res);
	return rc;
}

int
xt_pep_retract(struct xt_session *s, const char *node, const char *id,
    struct xt_error *e)
{
	struct xt_node *iq, *ps, *r, *item, *res = NULL;
	char what[256];
	int rc;

	if (node == NULL || *node == '\0' || id == NULL || *id == '\0')
		return xt_error_set(e, XT_EINVAL, "retract: no node or item");
	if ((iq = iq_new("set", NULL, "pubsub", XT_NS_PUBSUB, &ps)) == NULL ||
	    (r = xt_node_add_elem(ps, "retract", NULL)) == NULL ||
	    xt_node_set_attr(r, "node", node) < 0 ||
	    xt_node_set_attr(r, "notify", "true") < 0 ||
	    (item = xt_node_add_elem(r, "item", NULL)) == NULL ||
	    xt_node_set_attr(item, "id", id) < 0) {
		xt_node_free(iq);
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	}
	rc = ask(s, iq, &res, e);
	xt_node_free(iq);
	if (rc == XT_ESTANZA) {
		snprintf(what, sizeof(what), "retract %s from %s", id, node);
		stanza_fail(res, e, what);
	}
	xt_node_free(res);
	return rc;
}

void
xt_pep_items_free(struct xt_node **items, size_t n)
{
	size_t i;

	if (items == NULL)
		return;
	for (i = 0; i < n; i++)
		xt_node_free(items[i]);
	free(items);
}

/*
 * An error answer to an items request. The conditions by which servers
 * say "nothing for you to see" (XEP-0060 6.5.9; Prosody answers forbidden
 * even for a missing node), and those of a server without PEP at all
 * (Prosody without mod_pep: service-unavailable), are a negative result,
 * not a failure: there is no key to be had.
 */
static int
items_error(const struct xt_node *res, const char *who, const char *node,
    const char **why, struct xt_error *e)
{
	static const char *const hidden[] = { "forbidden", "not-authorized",
	    "not-allowed", "item-not-found", "service-unavailable",
	    "feature-not-implemented" };
	const char *cond = error_cond(res);
	char what[256];
	size_t i;

	for (i = 0; cond != NULL && i < sizeof(hidden) / sizeof(hidden[0]);
	    i++)
		if (strcmp(cond, hidden[i]) == 0) {
			if (why != NULL)
				*why = hidden[i];
			return xt_error_set(e, XT_ENOTFOUND, "%s has no %s "
			    "items we may read (%s)", who, node, cond);
		}
	snprintf(what, sizeof(what), "items of %s at %s", node, who);
	return stanza_fail(res, e, what);
}

/* Copy the <item/> children of items into an owned array. */
static int
take_items(const struct xt_node *its, struct xt_node ***items, size_t *n,
    const char *who, struct xt_error *e)
{
	const struct xt_node *c;
	struct xt_node **a;
	size_t cnt = 0;

	for (c = xt_node_child(its, "item", XT_NS_PUBSUB); c != NULL;
	    c = xt_node_next(c, "item", XT_NS_PUBSUB))
		cnt++;
	if (cnt > ITEMS_MAX)
		return xt_error_set(e, XT_ETOOBIG, "%s sent over %d items",
		    who, ITEMS_MAX);
	if ((a = calloc(cnt + 1, sizeof(*a))) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	cnt = 0;
	for (c = xt_node_child(its, "item", XT_NS_PUBSUB); c != NULL;
	    c = xt_node_next(c, "item", XT_NS_PUBSUB)) {
		if ((a[cnt] = xt_node_copy(c)) == NULL) {
			xt_pep_items_free(a, cnt);
			return xt_error_set(e, XT_ENOMEM, "out of memory");
		}
		cnt++;
	}
	*items = a;
	*n = cnt;
	return XT_OK;
}

int
xt_pep_items(struct xt_session *s, const char *jid, const char *node,
    struct xt_node ***items, size_t *n, const char **why, struct xt_error *e)
{
	struct xt_node *iq = NULL, *ps, *its, *res = NULL;
	struct xt_jid j = { NULL, NULL, NULL };
	const char *v;
	char *to = NULL;
	int rc;

	*items = NULL;
	*n = 0;
	if (why != NULL)
		*why = NULL;
	if (node == NULL || *node == '\0')
		return xt_error_set(e, XT_EINVAL, "items: no node");
	if (jid != NULL) {
		if ((rc = xt_jid_parse(jid, &j, e)) < 0)
			return rc;
		if (j.resource != NULL) {
			xt_jid_free(&j);
			return xt_error_set(e, XT_EINVAL, "%s: not a bare jid",
			    jid);
		}
		to = xt_jid_bare(&j);
		xt_jid_free(&j);
		if (to == NULL)
			return xt_error_set(e, XT_ENOMEM, "out of memory");
	}
	if ((iq = iq_new("get", to, "pubsub", XT_NS_PUBSUB, &ps)) == NULL ||
	    (its = xt_node_add_elem(ps, "items", NULL)) == NULL ||
	    xt_node_set_attr(its, "node", node) < 0) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	/* The session takes the answer only from the JID asked. */
	rc = ask(s, iq, &res, e);
	if (rc == XT_ESTANZA)
		rc = items_error(res, to ? to : "our account", node, why, e);
	if (rc < 0)
		goto out;
	ps = xt_node_child(res, "pubsub", XT_NS_PUBSUB);
	its = xt_node_child(ps, "items", XT_NS_PUBSUB);
	if (its == NULL || (v = xt_node_attr(its, "node")) == NULL ||
	    strcmp(v, node) != 0) {
		rc = xt_error_set(e, XT_EPROTO, "%s answered without "
		    "<items node='%s'/>", to ? to : "the server", node);
		goto out;
	}
	rc = take_items(its, items, n, to ? to : "the server", e);
out:
	xt_node_free(iq);
	xt_node_free(res);
	free(to);
	return rc;
}
